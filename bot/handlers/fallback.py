"""Last resort handlers: /cancel with nothing to cancel, texts and buttons the bot does not know."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.context import BotContext
from bot.menu import choose_prompt, language_keyboard, main_menu

log = logging.getLogger(__name__)


async def cancel_nothing(update: Update, context: BotContext) -> None:
    """/cancel outside any conversation."""
    assert update.effective_message and update.effective_user
    text, markup = await main_menu(context, update.effective_user.id)
    await update.effective_message.reply_text(
        context.t.gettext("There is nothing to cancel.") + "\n\n" + text, reply_markup=markup
    )


async def not_understood(update: Update, context: BotContext) -> None:
    """Any message no feature took: a short hint and the menu, never silence."""
    message = update.effective_message
    if message is None:
        return
    if context.lang is None:
        # We cannot tell which language she reads: ask first, in all three.
        await message.reply_text(choose_prompt(context), reply_markup=language_keyboard())
        return
    t = context.t
    if message.text and message.text.startswith("/"):
        hint = t.gettext("I don't know this command. Send /help to see what I can do.")
    else:
        hint = t.gettext("Sorry, I did not understand that. Please use the buttons below.")
    assert update.effective_user
    text, markup = await main_menu(context, update.effective_user.id)
    await message.reply_text(hint + "\n\n" + text, reply_markup=markup)


async def stale_button(update: Update, context: BotContext) -> None:
    """A button no handler knows (an old message, or forged data): say so instead of spinning."""
    query = update.callback_query
    assert query is not None
    log.info("Unknown callback data from user %s", query.from_user.id)
    await query.answer(
        context.t.gettext("This button is no longer active. Send /start to open the menu."),
        show_alert=True,
    )


def build_handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        CommandHandler("cancel", cancel_nothing),
        MessageHandler(filters.ALL, not_understood),
        CallbackQueryHandler(stale_button),
    ]
