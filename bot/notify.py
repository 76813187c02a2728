"""Messages to other people (approvers, coordinators, a member told of a decision, a reporter):
never sent from a handler, always written to the outbox (db/outbox.py), where the one sender
(bot/delivery) takes them: in the recipient's language, paced, once.

A handler that changes something passes `to_each(...)` to the storage function that makes the
change, so that the change and the messages about it are kept in one transaction; `tell` is for
messages that announce nothing stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.context import BotContext
from bot.delivery import NOTICE
from db.outbox import Outgoing, send_later


def to_each(
    chat_ids: Iterable[int],
    kind: str,
    params: dict[str, Any] | None = None,
    *,
    priority: int = NOTICE,
) -> list[Outgoing]:
    """One message of `kind` to each of `chat_ids` (each once, in a stable order)."""
    return [
        Outgoing(chat_id, kind, dict(params or {}), priority) for chat_id in sorted(set(chat_ids))
    ]


async def tell(
    context: BotContext,
    chat_ids: Iterable[int],
    kind: str,
    params: dict[str, Any] | None = None,
    *,
    priority: int = NOTICE,
) -> None:
    """Messages that go with no other change: into the outbox now, and the sender woken."""
    messages = to_each(chat_ids, kind, params, priority=priority)
    if messages:
        await send_later(context.db, messages)
        context.app.wake_sender()
