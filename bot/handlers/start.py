"""/start, the language picker (/language) and the main menu. A coordinator or regional lead
sees what waits for her above the menu (bot/services/desk.py)."""

from __future__ import annotations

import html
import logging
from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.callbacks import LANGUAGE, MENU_HELP, MENU_HOME, MENU_LANGUAGE
from bot.context import BotContext
from bot.conversation import persistent_conversation
from bot.forms import open_forms
from bot.i18n import LANGUAGE_NAMES, N_
from bot.menu import (
    back_to_menu_keyboard,
    choose_prompt,
    help_text,
    in_every_language,
    language_keyboard,
    main_menu,
    refresh_commands,
)
from bot.replies import edit_or_send
from bot.services.desk import waiting, waiting_lines
from bot.services.roles import roles_of
from db.users import set_language

log = logging.getLogger(__name__)

CHOOSING_LANGUAGE = 1
WELCOME = N_(
    "Welcome, {name}! This is the bot of the Women's Initiative for the Solidarity Community."
)
# What the bot is for: it stays above the menu once she has chosen her language.
PURPOSE = N_(
    "Here you can read the resolution of the women leaders of Kyrgyzstan, join their "
    "solidarity community, and report a rights violation safely, in your language."
)


async def menu_with_news(context: BotContext, user_id: int, above: str) -> tuple[str, Any]:
    """`above`, then what waits for her if she is a coordinator or regional lead, then the
    main menu with her entries."""
    text, markup = await main_menu(context, user_id)
    roles = await roles_of(context.db, context.settings, user_id)
    parts = [above] if above else []
    if roles.privileged:
        w = await waiting(context.db, context.settings, roles)
        parts.append("\n".join(html.escape(line) for line in waiting_lines(context.t, w)))
    return "\n\n".join([*parts, text]), markup


async def start(update: Update, context: BotContext) -> int:
    """Greet; on first contact offer the language, otherwise show the menu."""
    assert update.effective_user and update.effective_message
    name = html.escape(update.effective_user.first_name)
    t = context.t
    if context.person is not None and context.person.language is None:
        if context.lang is None:
            greeting = in_every_language(context, WELCOME, name=name)
        else:
            greeting = t.gettext(WELCOME).format(name=name)
        await update.effective_message.reply_text(
            f"{greeting}\n\n{choose_prompt(context)}", reply_markup=language_keyboard()
        )
        return CHOOSING_LANGUAGE
    above = t.gettext("Welcome back, {name}!").format(name=name)
    text, markup = await menu_with_news(context, update.effective_user.id, above)
    await update.effective_message.reply_text(text, reply_markup=markup)
    return ConversationHandler.END


async def ask_language(update: Update, context: BotContext) -> int:
    """Show the language picker (command or menu button)."""
    query = update.callback_query
    if query is not None:
        await edit_or_send(update, context, choose_prompt(context), language_keyboard())
    elif update.effective_message is not None:
        await update.effective_message.reply_text(
            choose_prompt(context), reply_markup=language_keyboard()
        )
    return CHOOSING_LANGUAGE


async def choose_language(update: Update, context: BotContext) -> int:
    """Store the chosen language; the picker becomes, in one edit, the welcome (on first
    contact: what the bot is for) and the menu in that language. A form she left open is
    still there: she is told how to go back to it."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user
    (code,) = LANGUAGE.values(context.match)
    first_time = context.person is not None and context.person.language is None
    await set_language(context.db, user.id, code)
    context.lang = code
    if (await roles_of(context.db, context.settings, user.id)).privileged:
        await refresh_commands(context.application, user.id)  # in her language
    t = context.t
    if first_time:
        above = t.gettext(WELCOME).format(name=html.escape(user.first_name))
        above += "\n" + t.gettext(PURPOSE)
    else:
        above = t.gettext("Language: {language}").format(language=LANGUAGE_NAMES[code])
    forms = open_forms(context)
    if forms:
        above += "\n\n" + t.gettext(
            "The form you started is still open, and everything you entered is kept: send "
            "{command} to go back to it."
        ).format(command=", ".join(f"/{form.command}" for form in forms))
    text, markup = await menu_with_news(context, user.id, above)
    # The spinner stops and the message changes at once (bot/replies.edit_or_send).
    await edit_or_send(update, context, text, markup)
    return ConversationHandler.END


async def remind_language(update: Update, context: BotContext) -> int:
    """Anything but a button while choosing: ask again, keep waiting."""
    assert update.effective_message
    await update.effective_message.reply_text(
        context.t.gettext("Please choose a language with the buttons below.")
        + "\n\n"
        + choose_prompt(context),
        reply_markup=language_keyboard(),
    )
    return CHOOSING_LANGUAGE


async def cancel_language(update: Update, context: BotContext) -> int:
    """Leave the picker without changing anything."""
    assert update.effective_message
    assert update.effective_user
    text, markup = await main_menu(context, update.effective_user.id)
    await update.effective_message.reply_text(
        context.t.gettext("Cancelled. Nothing was changed.") + "\n\n" + text,
        reply_markup=markup,
    )
    return ConversationHandler.END


async def show_menu(update: Update, context: BotContext) -> None:
    """The main menu, in place of the message whose button was pressed."""
    assert update.effective_user
    text, markup = await main_menu(context, update.effective_user.id)
    await edit_or_send(update, context, text, markup)


async def show_help(update: Update, context: BotContext) -> None:
    """What the bot does and its commands (and a coordinator's or lead's desks)."""
    assert update.effective_user
    roles = await roles_of(context.db, context.settings, update.effective_user.id)
    text = help_text(context.t, roles, leads_see_reports=context.settings.leads_see_reports)
    await edit_or_send(update, context, text, back_to_menu_keyboard(context.t))


def build_handlers() -> list[BaseHandler[Update, BotContext, object]]:
    language_conversation = persistent_conversation(
        "language",
        entry_points=[
            CommandHandler("start", start),
            CommandHandler("language", ask_language),
            CallbackQueryHandler(ask_language, pattern=MENU_LANGUAGE.pattern),
        ],
        states={
            CHOOSING_LANGUAGE: [
                CallbackQueryHandler(choose_language, pattern=LANGUAGE.pattern),
                MessageHandler(~filters.COMMAND, remind_language),
            ]
        },
        fallbacks=[CommandHandler("cancel", cancel_language)],
    )
    return [
        language_conversation,
        # A language button pressed after the picker conversation ended still works.
        CallbackQueryHandler(choose_language, pattern=LANGUAGE.pattern),
        CallbackQueryHandler(show_menu, pattern=MENU_HOME.pattern),
        CallbackQueryHandler(show_help, pattern=MENU_HELP.pattern),
        CommandHandler("help", show_help),
    ]
