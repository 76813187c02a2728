"""☎ Help lines (/helplines, and in the menu): who to call, in her language, without filing
anything. Someone in trouble should find them at once."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.callbacks import HELP_LINES, MENU_HOME, REPORT_START
from bot.context import BotContext
from bot.handlers.reports.danger import help_lines
from bot.replies import edit_or_send


async def show_help_lines(update: Update, context: BotContext) -> None:
    """Every help line: the emergency ones first, then those for particular situations."""
    t = context.t
    text = "\n".join(
        [
            "☎️ " + t.gettext("<b>Help lines</b>"),
            t.gettext("If someone is in danger now, call 112 or 102 first."),
            "",
            await help_lines(context.db, t, None, None, every=True),
            "",
            t.gettext(
                "To tell the coordinators what happened, send /report: you can stay anonymous."
            ),
        ]
    )
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    "🆘 " + t.gettext("Report an incident"), callback_data=REPORT_START()
                )
            ],
            [InlineKeyboardButton("◀ " + t.gettext("Main menu"), callback_data=MENU_HOME())],
        ]
    )
    await edit_or_send(update, context, text, markup)


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [
        CommandHandler("helplines", show_help_lines),
        CallbackQueryHandler(show_help_lines, pattern=HELP_LINES.pattern),
    ]
