"""The one way to build a ConversationHandler here: named, persistent, with a /cancel fallback,
and aware of which conversation she is in now.

She may start a new conversation (say /join) while another one still waits for her text (say
a /roles search). Both would then wait for text, and the one registered first would take it.
So each conversation notes itself as her current one when it asks something; a conversation
that is no longer current steps aside when an update reaches it: it ends, and hands the update
back to the queue, where the current conversation (or whoever else) takes it.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, ConversationHandler
from telegram.warnings import PTBUserWarning

from bot import keys
from bot.context import BotContext

log = logging.getLogger(__name__)

Handlers = Sequence[BaseHandler[Update, BotContext, Any]]
Callback = Callable[[Update, BotContext], Coroutine[Any, Any, Any]]
CURRENT = keys.CONVERSATION  # user_data key: the name of her current conversation


def _tracked(name: str, callback: Callback, *, entry: bool) -> Callback:
    async def run(update: Update, context: BotContext) -> Any:
        data = context.user_data
        if not entry and data is not None and data.get(CURRENT, name) != name:
            log.info("Conversation %s gives way to %s", name, data.get(CURRENT))
            await context.application.update_queue.put(update)
            return ConversationHandler.END
        result = await callback(update, context)
        if data is not None:
            if result == ConversationHandler.END:
                if data.get(CURRENT) == name:
                    del data[CURRENT]
            elif result is not None:
                data[CURRENT] = name
        return result

    run.__doc__ = callback.__doc__
    return run


def _track(
    name: str, handlers: Handlers, *, entry: bool, done: set[int]
) -> list[BaseHandler[Update, BotContext, Any]]:
    for handler in handlers:
        if id(handler) not in done:  # one handler may serve several states
            done.add(id(handler))
            handler.callback = _tracked(name, handler.callback, entry=entry)
    return list(handlers)


def persistent_conversation(
    name: str,
    *,
    entry_points: Handlers,
    states: Mapping[object, Handlers],
    fallbacks: Handlers,
    allow_reentry: bool = True,
) -> ConversationHandler[BotContext]:
    """A conversation whose state is kept in the database, so a restart loses nothing."""
    if not fallbacks:
        raise ValueError(f"conversation {name!r} needs a /cancel fallback")
    done: set[int] = set()
    with warnings.catch_warnings():
        # Buttons inside a conversation are tracked per chat and user (per_message=False), which
        # is what we want; PTB warns about it for every CallbackQueryHandler.
        warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)
        return ConversationHandler(
            entry_points=_track(name, entry_points, entry=True, done=done),
            states={
                state: _track(name, handlers, entry=False, done=done)
                for state, handlers in states.items()
            },
            fallbacks=_track(name, fallbacks, entry=False, done=done),
            allow_reentry=allow_reentry,
            name=name,
            persistent=True,
        )
