"""Sending helpers shared by the handlers."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import (
    CallbackQuery,
    InlineKeyboardMarkup,
    MaybeInaccessibleMessage,
    Message,
    Update,
)
from telegram.error import BadRequest

from bot.context import BotContext
from bot.services.roles import is_coordinator

log = logging.getLogger(__name__)


async def edit_or_send(
    update: Update,
    context: BotContext,
    text: str,
    markup: InlineKeyboardMarkup | None,
    *,
    notice: str | None = None,
    alert: bool = False,
) -> None:
    """Replace the message under the pressed button, or send a new one for a command.
    `notice` is shown briefly at the top of her screen when a button was pressed (in a box she
    must close with `alert`)."""
    query = update.callback_query
    if query is not None:
        await query.answer(notice, show_alert=alert)
        try:
            await query.edit_message_text(text, reply_markup=markup)
        except BadRequest as exc:
            # A double tap delivers two presses for one message; the second changes nothing.
            if "not modified" not in exc.message:
                raise
        return
    assert update.effective_message
    await update.effective_message.reply_text(text, reply_markup=markup)


async def refuse(update: Update, text: str) -> None:
    """Tell her she may not do this: an alert for a button, a reply for a message."""
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text)


async def require_coordinator(update: Update, context: BotContext, action: str) -> bool:
    """Coordinators only; anyone else is told so, and the attempt is logged."""
    user = update.effective_user
    if user is not None and await is_coordinator(context.db, context.settings, user.id):
        return True
    log.warning("Refused %s to user %s (not a coordinator)", action, user.id if user else None)
    await refuse(update, context.t.gettext("This is only for coordinators."))
    return False


def message_html(message: MaybeInaccessibleMessage | None) -> str:
    """The HTML of a message the bot sent (e.g. to append an answer below a question)."""
    return message.text_html if isinstance(message, Message) and message.text else ""


async def replace_buttons(query: CallbackQuery, markup: InlineKeyboardMarkup | None) -> None:
    """New buttons (or none) under the same text. Done with editMessageText: with an HTML
    default, python-telegram-bot sends parse_mode along with editMessageReplyMarkup, a parameter
    that method does not have."""
    await query.edit_message_text(message_html(query.message), reply_markup=markup)


def file_expected(state: int) -> Callable[[Update, BotContext], Coroutine[Any, Any, int]]:
    """A conversation's answer to anything but a document while a file is expected: it says
    so, and stays in `state`."""

    async def not_a_file(update: Update, context: BotContext) -> int:
        assert update.effective_message
        await update.effective_message.reply_text(
            context.t.gettext("Please send the text as a file (a document), or /cancel.")
        )
        return state

    return not_a_file
