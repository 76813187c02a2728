"""Coordinators replace a language's text of the resolution, preview it, publish it, and mark a
text official. Every command and button checks the role again on the server."""

from __future__ import annotations

import html
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import keys
from bot.callbacks import ID, LANG, Callback, Field, choice
from bot.context import BotContext
from bot.conversation import persistent_conversation
from bot.i18n import LANGUAGE_NAMES, LANGUAGES, Translator
from bot.replies import file_expected, require_coordinator
from bot.services.resolution import (
    SECTION_IDS,
    ResolutionFormatError,
    decode_upload,
    parse,
    render_document,
)
from bot.services.resolution_library import CurrentText, current_text
from db.resolution import add_draft, discard, get_version, mark_official, publish, publish_copy

log = logging.getLogger(__name__)

WAITING_FILE = 1
MAX_UPLOAD_BYTES = 512 * 1024
BUILT_IN = "b"  # in a button, the built-in text (no version in the database)
# The version a coordinator saw when she pressed: a version id, or BUILT_IN (given back as None).
SEEN = Field(rf"{ID.regex}|{BUILT_IN}", lambda v: None if v == BUILT_IN else int(v))
DRAFT = Callback("resadm", choice(("pub", "pubo", "drop")), ID)  # publish (official) / discard
ASK_OFFICIAL = Callback("resadm:ask", LANG, SEEN)
MARK_OFFICIAL = Callback("resadm:mark", LANG, SEEN)


def _problem_text(t: Translator, code: str, detail: str) -> str:
    detail = html.escape(detail)
    messages = {
        "too_large": t.gettext("The file is larger than {size} KB.").format(size=detail),
        "not_utf8": t.gettext(
            "The file is not UTF-8 text. Save it as UTF-8 (.txt or .md) and send it again."
        ),
        "bad_header": t.gettext(
            "Line {line}: a section heading must look like “## p1 | Point 1”."
        ).format(line=detail),
        "unknown_section": t.gettext("Unknown section “{section}”.").format(section=detail),
        "duplicate_section": t.gettext("Section “{section}” appears twice.").format(section=detail),
        "missing_title": t.gettext("The first line must be the title, starting with “# ”."),
        "title_too_long": t.gettext("The title is longer than {max} characters.").format(
            max=detail
        ),
        "section_title_too_long": t.gettext(
            "The name of section “{section}” is longer than 40 characters."
        ).format(section=detail),
        "missing_section": t.gettext("Section “{section}” is missing.").format(section=detail),
        "empty_section": t.gettext("Section “{section}” is empty.").format(section=detail),
        "bad_note": t.gettext(
            "Each line of the notes must start with its number in brackets, like “[1] …”: {line}"
        ).format(line=detail),
        "missing_note": t.gettext(
            "Note [{number}] is referred to in the text but missing from the notes."
        ).format(number=detail),
    }
    return messages.get(code, code)


def _describe(t: Translator, current: CurrentText) -> str:
    if current.version_id is None:
        what = t.gettext("built-in text")
    else:
        what = t.gettext("version {version}").format(version=current.version_id)
    status = t.gettext("official") if current.official else t.gettext("unofficial translation")
    return f"{LANGUAGE_NAMES[current.lang]}: {what}, {status}"


async def show_status(update: Update, context: BotContext) -> None:
    """The texts in force, how to replace one, and buttons to mark one official."""
    assert update.effective_message
    t = context.t
    lines = ["<b>" + t.gettext("Texts of the resolution in force") + "</b>"]
    buttons = []
    for lang in LANGUAGES:
        current = await current_text(context.db, lang)
        lines.append("• " + _describe(t, current))
        if not current.official:
            seen = BUILT_IN if current.version_id is None else current.version_id
            buttons.append(
                [
                    InlineKeyboardButton(
                        t.gettext("Mark {language} official").format(language=LANGUAGE_NAMES[lang]),
                        callback_data=ASK_OFFICIAL(lang, seen),
                    )
                ]
            )
    lines += [
        "",
        t.gettext(
            "To replace a text, send /setresolution and its language: "
            "/setresolution ky, /setresolution ru or /setresolution en."
        ),
    ]
    await update.effective_message.reply_text(
        "\n".join(lines), reply_markup=InlineKeyboardMarkup(buttons) if buttons else None
    )


async def start_upload(update: Update, context: BotContext) -> int:
    """/setresolution <lang>: ask for the new text, sending the current one as a template."""
    if not await require_coordinator(update, context, "/setresolution"):
        return ConversationHandler.END
    assert update.effective_message and update.effective_chat and context.user_data is not None
    args = context.args or []
    if len(args) != 1 or args[0].lower() not in LANGUAGES:
        await show_status(update, context)
        return ConversationHandler.END
    lang = args[0].lower()
    context.user_data[keys.RESOLUTION_LANG] = lang
    current = await current_text(context.db, lang)
    t = context.t
    await context.bot.send_document(
        update.effective_chat.id,
        InputFile(current.resolution.source.encode("utf-8"), filename=f"resolution-{lang}.md"),
        caption=t.gettext("The text in force ({language}), to use as a template.").format(
            language=LANGUAGE_NAMES[lang]
        ),
    )
    await update.effective_message.reply_text(
        t.gettext(
            "Send the new {language} text as a file (.md or .txt, UTF-8) in the same format: "
            "the title on the first line after “# ”, then each section after a heading such as "
            "“## p1 | Point 1”, with the section names {sections}. "
            "Nothing changes for readers until you publish. /cancel to stop."
        ).format(language=LANGUAGE_NAMES[lang], sections=", ".join(SECTION_IDS))
    )
    return WAITING_FILE


async def receive_file(update: Update, context: BotContext) -> int:
    """Check the uploaded text; keep it as a draft and show a preview with publish buttons."""
    if not await require_coordinator(update, context, "resolution upload"):
        return ConversationHandler.END
    message = update.effective_message
    assert message and message.document and update.effective_user and update.effective_chat
    assert context.user_data is not None
    t = context.t
    lang = context.user_data.get(keys.RESOLUTION_LANG)
    if lang not in LANGUAGES:
        await message.reply_text(t.gettext("Please start again with /setresolution."))
        return ConversationHandler.END
    if (message.document.file_size or 0) > MAX_UPLOAD_BYTES:
        await message.reply_text(
            _problem_text(t, "too_large", str(MAX_UPLOAD_BYTES // 1024))
            + "\n"
            + t.gettext("Send a corrected file, or /cancel.")
        )
        return WAITING_FILE
    telegram_file = await message.document.get_file()
    data = bytes(await telegram_file.download_as_bytearray())
    try:
        resolution = parse(decode_upload(data), lang)
    except ResolutionFormatError as error:
        problems = "\n".join("• " + _problem_text(t, c, d) for c, d in error.problems[:15])
        await message.reply_text(
            t.gettext("The text was not accepted:")
            + "\n"
            + problems
            + "\n\n"
            + t.gettext("Send a corrected file, or /cancel.")
        )
        return WAITING_FILE
    version_id = await add_draft(
        context.db,
        lang=lang,
        source=resolution.source,
        sha256=resolution.sha256,
        user_id=update.effective_user.id,
    )
    log.info("Resolution draft %s (%s) uploaded by %s", version_id, lang, update.effective_user.id)
    await context.bot.send_document(
        update.effective_chat.id,
        InputFile(render_document(resolution, None), filename=f"preview-{lang}.html"),
        caption=t.gettext("Preview of draft {version}").format(version=version_id),
    )
    await message.reply_text(
        t.gettext(
            "Draft {version} ({language}) is ready: every section and note is in place "
            "(sections: {count}, notes: {notes}). Check the preview, then publish it."
        ).format(
            version=version_id,
            language=LANGUAGE_NAMES[lang],
            count=len(resolution.sections),
            notes=len(resolution.notes),
        ),
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        "✅ " + t.gettext("Publish"), callback_data=DRAFT("pub", version_id)
                    )
                ],
                [
                    InlineKeyboardButton(
                        "🏛 " + t.gettext("Publish as official"),
                        callback_data=DRAFT("pubo", version_id),
                    )
                ],
                [
                    InlineKeyboardButton(
                        "✖ " + t.gettext("Discard"), callback_data=DRAFT("drop", version_id)
                    )
                ],
            ]
        ),
    )
    context.user_data.pop(keys.RESOLUTION_LANG, None)
    return ConversationHandler.END


async def cancel_upload(update: Update, context: BotContext) -> int:
    assert update.effective_message and context.user_data is not None
    context.user_data.pop(keys.RESOLUTION_LANG, None)
    await update.effective_message.reply_text(
        context.t.gettext("Cancelled. The text in force has not changed.")
    )
    return ConversationHandler.END


async def draft_button(update: Update, context: BotContext) -> None:
    """Publish, publish as official, or discard a draft."""
    if not await require_coordinator(update, context, "resolution publish"):
        return
    query = update.callback_query
    assert query is not None and update.effective_user
    action, version_id = DRAFT.values(context.match)
    t = context.t
    version = await get_version(context.db, version_id)
    if version is None or version.status != "draft":
        await query.answer(t.gettext("This draft is no longer waiting."), show_alert=True)
        return
    await query.answer()
    language = LANGUAGE_NAMES[version.lang]
    user_id = update.effective_user.id
    if action == "drop":
        await discard(context.db, version_id)
        text = t.gettext("Draft {version} was discarded; readers still see the text in force.")
    elif await publish(context.db, version_id, user_id=user_id, official=action == "pubo"):
        log.info("Resolution %s (%s) published by %s", version_id, version.lang, user_id)
        text = t.gettext("Published: readers now see version {version} in {language}.")
        if action == "pubo":
            text += " " + t.gettext("It is marked official.")
    else:
        text = t.gettext("This draft is no longer waiting.")
    await query.edit_message_text(text.format(version=version_id, language=language))


async def ask_official(update: Update, context: BotContext) -> None:
    """Confirm before marking a text official."""
    if not await require_coordinator(update, context, "resolution mark official"):
        return
    query = update.callback_query
    assert query is not None
    lang, seen = ASK_OFFICIAL.values(context.match)
    t = context.t
    await query.answer()
    await query.edit_message_text(
        t.gettext(
            "Mark the {language} text in force as official? Readers will no longer see the "
            "“unofficial translation” label."
        ).format(language=LANGUAGE_NAMES[lang]),
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        "🏛 " + t.gettext("Yes, mark it official"),
                        callback_data=MARK_OFFICIAL(lang, BUILT_IN if seen is None else seen),
                    )
                ]
            ]
        ),
    )


async def mark_text_official(update: Update, context: BotContext) -> None:
    """Mark the text in force official, if it is still the one she saw."""
    if not await require_coordinator(update, context, "resolution mark official"):
        return
    query = update.callback_query
    assert query is not None and update.effective_user
    lang, seen = MARK_OFFICIAL.values(context.match)
    t = context.t
    current = await current_text(context.db, lang)
    if current.version_id != seen:
        await query.answer(
            t.gettext("The text has changed in the meantime. Send /setresolution to look again."),
            show_alert=True,
        )
        return
    await query.answer()
    user_id = update.effective_user.id
    if current.version_id is None:
        res = current.resolution
        version_id = await publish_copy(
            context.db,
            lang=lang,
            source=res.source,
            sha256=res.sha256,
            user_id=user_id,
            official=True,
        )
    else:
        version_id = current.version_id
        await mark_official(context.db, version_id, user_id=user_id)
    log.info("Resolution %s (%s) marked official by %s", version_id, lang, user_id)
    await query.edit_message_text(
        t.gettext("The {language} text (version {version}) is now marked official.").format(
            language=LANGUAGE_NAMES[lang], version=version_id
        )
    )


def build_handlers() -> list[BaseHandler[Update, BotContext, object]]:
    upload = persistent_conversation(
        "setresolution",
        entry_points=[CommandHandler("setresolution", start_upload)],
        states={
            WAITING_FILE: [
                MessageHandler(filters.Document.ALL, receive_file),
                MessageHandler(~filters.COMMAND, file_expected(WAITING_FILE)),
            ]
        },
        fallbacks=[CommandHandler("cancel", cancel_upload)],
    )
    return [
        upload,
        CallbackQueryHandler(draft_button, pattern=DRAFT.pattern),
        CallbackQueryHandler(ask_official, pattern=ASK_OFFICIAL.pattern),
        CallbackQueryHandler(mark_text_official, pattern=MARK_OFFICIAL.pattern),
    ]
