"""The one way to build a ConversationHandler here: named, persistent, with a /cancel fallback."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, ConversationHandler
from telegram.warnings import PTBUserWarning

from bot.context import BotContext

Handlers = Sequence[BaseHandler[Update, BotContext, Any]]


def persistent_conversation(
    name: str,
    *,
    entry_points: Handlers,
    states: dict[object, Handlers],
    fallbacks: Handlers,
    allow_reentry: bool = True,
) -> ConversationHandler[BotContext]:
    """A conversation whose state is kept in the database, so a restart loses nothing."""
    if not fallbacks:
        raise ValueError(f"conversation {name!r} needs a /cancel fallback")
    with warnings.catch_warnings():
        # Buttons inside a conversation are tracked per chat and user (per_message=False), which
        # is what we want; PTB warns about it for every CallbackQueryHandler.
        warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)
        return ConversationHandler(
            entry_points=list(entry_points),
            states={state: list(handlers) for state, handlers in states.items()},
            fallbacks=list(fallbacks),
            allow_reentry=allow_reentry,
            name=name,
            persistent=True,
        )
