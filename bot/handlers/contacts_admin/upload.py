"""The bulk way to change the help lines: the directory in force as a JSON file to edit, and
the corrected file sent back (checked before it is accepted)."""

from __future__ import annotations

import html
import json
import logging
from typing import Any

from telegram import InputFile, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import BotContext
from bot.conversation import persistent_conversation
from bot.i18n import Translator
from bot.menu import main_menu
from bot.replies import file_expected, require_coordinator
from bot.services.help_contacts import (
    DirectoryError,
    current_text,
    parse_directory,
    save_directory,
)

from .callbacks import FILE

log = logging.getLogger(__name__)

WAITING_DIRECTORY = 60
MAX_BYTES = 64 * 1024


async def start_contacts(update: Update, context: BotContext) -> int:
    """📄 As a file (or /setcontacts file): send the directory in force as a file to edit, then
    wait for the new one."""
    if not await require_coordinator(update, context, "help directory file"):
        return ConversationHandler.END
    assert update.effective_chat
    if update.callback_query is not None:
        await update.callback_query.answer()
    current = await current_text(context.db)
    t = context.t
    await context.bot.send_document(
        update.effective_chat.id,
        InputFile(current.encode("utf-8"), filename="help_contacts.json"),
        caption=t.gettext("The help lines in force."),
    )
    await context.bot.send_message(
        update.effective_chat.id,
        t.gettext(
            "Edit the file and send it back. Each contact needs a number, a name in ky, ru and "
            'en, and the report categories and regions it suits (or "*" for all); '
            '"emergency": true puts it among the lines shown at once when someone is in '
            "danger. /cancel to stop."
        ),
    )
    return WAITING_DIRECTORY


async def receive_directory(update: Update, context: BotContext) -> int:
    if not await require_coordinator(update, context, "help directory upload"):
        return ConversationHandler.END
    message = update.effective_message
    assert message and message.document and update.effective_user
    t = context.t
    if (message.document.file_size or 0) > MAX_BYTES:
        await message.reply_text(t.gettext("The file is larger than {size} KB.").format(size=64))
        return WAITING_DIRECTORY
    data = bytes(await (await message.document.get_file()).download_as_bytearray())
    try:
        text = data.decode("utf-8-sig")
        contacts = parse_directory(text)
    except UnicodeDecodeError:
        problem = t.gettext("it is not UTF-8 text")
    except DirectoryError as error:
        problem = _problem(t, error)
    else:
        problem = ""
    if problem:
        await message.reply_text(
            t.gettext(
                "The file was not accepted: {problem}. Send a corrected file, or /cancel."
            ).format(problem=problem)
        )
        return WAITING_DIRECTORY
    normalized = json.dumps(json.loads(text), ensure_ascii=False, indent=2)
    await save_directory(context.db, normalized, actor_id=update.effective_user.id)
    log.info("Help directory replaced by %s (%s contacts)", update.effective_user.id, len(contacts))
    await message.reply_text(
        t.ngettext(
            "Saved: {count} help line is now shown with reports.",
            "Saved: {count} help lines are now shown with reports.",
            len(contacts),
        ).format(count=len(contacts))
    )
    return ConversationHandler.END


def _problem(t: Translator, error: DirectoryError) -> str:
    """What is wrong with the directory, in her language."""
    where, detail = error.where, html.escape(error.detail)
    messages = {
        "not_json": t.gettext("it is not valid JSON (see line {line})").format(line=detail),
        "no_contacts": t.gettext("it needs a non-empty “contacts” list"),
        "not_object": t.gettext("contact {number} is not an object").format(number=where),
        "bad_number": t.gettext("contact {number}: “{value}” is not a phone number").format(
            number=where, value=detail
        ),
        "names_missing": t.gettext("contact {number} needs a name in ky, ru and en").format(
            number=where
        ),
        "unknown_codes": t.gettext("contact {number} has unknown codes: {codes}").format(
            number=where, codes=detail
        ),
        "bad_type": t.gettext(
            "contact {number}: “{value}” has the wrong kind of value (see the file you were sent)"
        ).format(number=where, value=detail),
    }
    return messages.get(error.code, error.code)


async def cancel(update: Update, context: BotContext) -> int:
    """/cancel: nothing changed; back to the menu."""
    assert update.effective_message and update.effective_user
    text, markup = await main_menu(context, update.effective_user.id)
    await update.effective_message.reply_text(
        context.t.gettext("Stopped. The help lines were not changed.") + "\n\n" + text,
        reply_markup=markup,
    )
    return ConversationHandler.END


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [
        persistent_conversation(
            "setcontacts",
            entry_points=[
                CommandHandler(
                    "setcontacts", start_contacts, filters=filters.Regex(r"^/setcontacts\s+file\b")
                ),
                CallbackQueryHandler(start_contacts, pattern=FILE.pattern),
            ],
            states={
                WAITING_DIRECTORY: [
                    MessageHandler(filters.Document.ALL, receive_directory),
                    MessageHandler(~filters.COMMAND, file_expected(WAITING_DIRECTORY)),
                ]
            },
            fallbacks=[CommandHandler("cancel", cancel)],
        )
    ]
