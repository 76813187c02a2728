"""The one error handler: log what happened, tell the person in her language, never internals."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.error import Forbidden, NetworkError, TelegramError

from bot.context import BotContext
from bot.i18n import resolve_language
from bot.services.datadir import storage_failure
from db.users import get_user

log = logging.getLogger(__name__)


def describe(update: object) -> str:
    """Which update, from whom, of what kind; never the text she typed (it may be sensitive)."""
    if not isinstance(update, Update):
        return repr(type(update).__name__)
    kind = next(
        (
            name
            for name in ("message", "edited_message", "callback_query", "my_chat_member")
            if getattr(update, name) is not None
        ),
        "other",
    )
    user = update.effective_user.id if update.effective_user else None
    chat = update.effective_chat.id if update.effective_chat else None
    return f"update {update.update_id} ({kind}, user {user}, chat {chat})"


async def on_error(update: object, context: BotContext) -> None:
    """Log the error with its traceback and apologise to the person, in her language."""
    error = context.error
    if isinstance(error, Forbidden):
        # Someone blocked the bot. It may not be the person whose update this is (a notice to
        # another person can fail too), so nobody is marked here: blocking is recorded from
        # Telegram's my_chat_member update, and senders to others record it per recipient.
        log.info("Forbidden while handling %s: %s", describe(update), error.message)
        return
    if isinstance(error, NetworkError) and not isinstance(update, Update):
        log.warning("Network problem talking to Telegram: %s", error)
        return
    full = storage_failure(error)
    if full is not None:
        # A full disk or a read-only folder: one line, no traceback (it is not a bug); she is
        # told that it was not saved.
        log.error("Not saved (storage: %s) while handling %s", full, describe(update))
    else:
        log.error("Error while handling %s", describe(update), exc_info=error)
    if not isinstance(update, Update):
        return
    chat = update.effective_chat
    user = update.effective_user
    if chat is None or user is None or chat.type != ChatType.PRIVATE:
        return
    if context.lang is None:
        person = await get_user(context.db, user.id)
        context.lang = resolve_language(person.language if person else None, user.language_code)
    t = context.t
    text = t.gettext(
        "Sorry, something went wrong on our side. Please try again in a moment, "
        "or send /start to open the menu."
    )
    if full is not None:
        text = t.gettext(
            "⚠️ Not saved: the bot cannot store anything just now. Please try again later."
        )
    try:
        await context.bot.send_message(chat.id, text)
    except TelegramError as exc:
        log.warning("Could not tell user %s about the error: %s", user.id, exc)
