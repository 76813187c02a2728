"""Sending helpers shared by the handlers."""

from __future__ import annotations

import asyncio
import html
import json
import logging
import re
from collections import OrderedDict
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

_TAG = re.compile(r"<[^>]*>")
_OPENING_TAG = re.compile(r"<[a-zA-Z][^>]*>")
_FOUND_BY_TELEGRAM = frozenset(
    {"url", "mention", "hashtag", "cashtag", "bot_command", "email", "phone_number"}
)


def shows(message: MaybeInaccessibleMessage | None, text: str, markup: object) -> bool:
    """True if the message already shows this HTML text and these buttons: editing it to them
    would be refused by Telegram ("message is not modified"), as when a button is tapped twice
    or the current page's button is pressed again."""
    if not isinstance(message, Message):
        return False
    if (message.reply_markup or None) != (markup or None):
        return False
    if message.text_html == text:
        return True
    # The same text written differently (&#x27; for ', say): compare what Telegram shows, and
    # the formatting (links, commands and the like that Telegram finds by itself aside).
    plain = html.unescape(_TAG.sub("", text))
    formatting = [e for e in message.entities if e.type not in _FOUND_BY_TELEGRAM]
    return message.text == plain and len(formatting) == len(_OPENING_TAG.findall(text))


# How many of the messages it edited the bot remembers (SolidarityApp.edits).
EDITED_REMEMBERED = 10_000


def _digest(text: str, markup: InlineKeyboardMarkup | None) -> int:
    return hash((text, json.dumps(markup.to_dict() if markup else None, sort_keys=True)))


def _shown(message: MaybeInaccessibleMessage | None) -> int | None:
    """A digest of what the message under the button showed when it was pressed."""
    if not isinstance(message, Message):
        return None
    return _digest(message.text_html or "", message.reply_markup)


# (chat, message) → (what it showed when pressed, what the bot made of it): SolidarityApp.edits.
Edits = OrderedDict[tuple[int, int], tuple[int | None, int]]


async def edit_message(
    query: CallbackQuery,
    text: str,
    markup: InlineKeyboardMarkup | None,
    edits: Edits | None = None,
) -> None:
    """Edit the message under the pressed button, unless it shows exactly this already.

    `edits`: the bot's last edits of messages under pressed buttons, so that a second tap does
    not edit the message to what the first one made of it: the second tap's update carries the
    message as it was before the first, so an edit is skipped only when the message is shown
    as it was before that edit and the same is wanted again. A message changed since in
    another way (by an edit that did not come through here) is edited as asked. One person's
    updates are handled one after the other (bot/updates.py): the first tap's edit is known by
    then."""
    message = query.message
    key = (message.chat.id, message.message_id) if message is not None else None
    digest = _digest(text, markup)
    if shows(message, text, markup):
        return
    before = _shown(message)
    if edits is not None and key is not None and edits.get(key) == (before, digest):
        return
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in exc.message:
            raise
    if edits is not None and key is not None:
        edits[key] = (before, digest)
        edits.move_to_end(key)
        if len(edits) > EDITED_REMEMBERED:
            edits.popitem(last=False)


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
        # Both at once: the spinner stops and the message changes one round trip sooner.
        await asyncio.gather(
            query.answer(notice, show_alert=alert),
            edit_message(query, text, markup, context.app.edits),
        )
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
