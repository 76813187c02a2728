"""Sending helpers shared by the handlers."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.context import BotContext


async def edit_or_send(
    update: Update, context: BotContext, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """Replace the message under the pressed button, or send a new one for a command."""
    query = update.callback_query
    if query is not None:
        await query.answer()
        try:
            await query.edit_message_text(text, reply_markup=markup)
        except BadRequest as exc:
            # A double tap delivers two presses for one message; the second changes nothing.
            if "not modified" not in exc.message:
                raise
        return
    assert update.effective_message
    await update.effective_message.reply_text(text, reply_markup=markup)
