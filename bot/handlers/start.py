"""/start, the language picker (/language) and the main menu."""

from __future__ import annotations

import html
import logging

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
from bot.i18n import LANGUAGE_NAMES, N_
from bot.menu import (
    back_to_menu_keyboard,
    choose_prompt,
    help_text,
    in_every_language,
    language_keyboard,
    main_menu_keyboard,
    main_menu_text,
    refresh_commands,
)
from bot.replies import edit_or_send
from bot.services.roles import roles_of
from db.users import set_language

log = logging.getLogger(__name__)

CHOOSING_LANGUAGE = 1
WELCOME = N_(
    "Welcome, {name}! This is the bot of the Women's Initiative for the Solidarity Community."
)


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
    await update.effective_message.reply_text(
        t.gettext("Welcome back, {name}!").format(name=name) + "\n\n" + main_menu_text(t),
        reply_markup=main_menu_keyboard(t),
    )
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
    """Store the chosen language and turn the picker into the menu, in her language: one
    message edited, not a second one sent. Her first choice keeps the welcome above the menu."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user
    (code,) = LANGUAGE.values(context.match)
    first_choice = context.person is not None and context.person.language is None
    await set_language(context.db, user.id, code)
    context.lang = code
    if (await roles_of(context.db, context.settings, user.id)).privileged:
        await refresh_commands(context.application, user.id)  # in her language
    t = context.t
    if first_choice:
        heading = t.gettext(WELCOME).format(name=html.escape(user.first_name))
    else:
        heading = t.gettext("Language: {language}").format(language=LANGUAGE_NAMES[code])
    await edit_or_send(update, context, heading + "\n\n" + main_menu_text(t), main_menu_keyboard(t))
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
    t = context.t
    await update.effective_message.reply_text(
        t.gettext("Cancelled. Nothing was changed.") + "\n\n" + main_menu_text(t),
        reply_markup=main_menu_keyboard(t),
    )
    return ConversationHandler.END


async def show_menu(update: Update, context: BotContext) -> None:
    """The main menu, in place of the message whose button was pressed."""
    await edit_or_send(update, context, main_menu_text(context.t), main_menu_keyboard(context.t))


async def show_help(update: Update, context: BotContext) -> None:
    """What the bot does and its commands."""
    await edit_or_send(update, context, help_text(context.t), back_to_menu_keyboard(context.t))


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
