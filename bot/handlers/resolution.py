"""Reading the resolution: contents, sections with navigation, deep links, summary, download."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable
from urllib.parse import quote

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import ChatAction
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.callbacks import LANG, MENU_HOME, RESOLUTION, Callback, Field, choice
from bot.context import BotContext
from bot.i18n import DEFAULT_LANGUAGE, LANGUAGE_NAMES, LANGUAGES, N_, Translator, gettext_in
from bot.keyboards import in_rows
from bot.replies import edit_or_send
from bot.services.resolution import (
    POINTS,
    SECTION_IDS,
    Section,
    builtin_summary,
    render_document,
    section_pages,
)
from bot.services.resolution_library import CurrentText, current_text
from bot.text import shorten
from db.resolution import cache_file_id, cached_file_id, forget_file_id

log = logging.getLogger(__name__)

# The contents in her language is bot.callbacks.RESOLUTION ("res:toc", the menu's entry).
CONTENTS = Callback("res:toc", LANG)  # the contents in a given language
PAGE = Callback("res:s", LANG, choice(SECTION_IDS), Field(r"\d{1,2}", int))  # part of a section
SUMMARY = Callback("res:sum", LANG)
DOWNLOAD = Callback("res:dl", LANG)
SHARE_LINE_MAX = 160  # characters of a section's first line in the text shared with its link
_MARKER_RE = re.compile(r"\s*\[\d{1,2}\]")
DEEP_LINK_RE = re.compile(rf"^res_({'|'.join(SECTION_IDS)})_({'|'.join(LANGUAGES)})$")


def reading_language(context: BotContext) -> str:
    """The text is shown in her language unless she asks for another one."""
    return context.lang or DEFAULT_LANGUAGE


def unofficial_label(current: CurrentText) -> str | None:
    """The label belongs to the text, so it is in the text's language."""
    return None if current.official else gettext_in(current.lang, N_("Unofficial translation"))


def deep_link(bot_username: str, section_id: str, lang: str) -> str:
    return f"https://t.me/{bot_username}?start=res_{section_id}_{lang}"


def _other_languages(lang: str, data: Callable[[str], str]) -> list[InlineKeyboardButton]:
    """Buttons to switch to the other two languages; `data(code)` is each one's data."""
    return [
        InlineKeyboardButton(f"🌐 {LANGUAGE_NAMES[code]}", callback_data=data(code))
        for code in LANGUAGES
        if code != lang
    ]


# -- contents ---------------------------------------------------------------------------------


def contents_keyboard(t: Translator, current: CurrentText) -> InlineKeyboardMarkup:
    lang = current.lang
    res = current.resolution

    def button(section_id: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            res.section(section_id).title, callback_data=PAGE(lang, section_id, 0)
        )

    # Titles are free (up to SECTION_TITLE_MAX characters): in_rows puts side by side only
    # those that fit a phone's width.
    rows = [
        *in_rows([button("preamble")]),
        *in_rows([button(p) for p in POINTS[:3]], per_row=3),
        *in_rows([button(p) for p in POINTS[3:]], per_row=3),
        *in_rows([button("appeal"), button("participants")]),
        *in_rows([button("notes")]),
        *in_rows(
            [
                InlineKeyboardButton(
                    "📝 " + t.gettext("Short summary"), callback_data=SUMMARY(lang)
                ),
                InlineKeyboardButton("⬇️ " + t.gettext("Download"), callback_data=DOWNLOAD(lang)),
            ]
        ),
        *in_rows(_other_languages(lang, CONTENTS)),
        [InlineKeyboardButton("◀ " + t.gettext("Main menu"), callback_data=MENU_HOME())],
    ]
    return InlineKeyboardMarkup(rows)


def contents_text(t: Translator, current: CurrentText) -> str:
    lines = [f"📜 <b>{html.escape(current.resolution.title)}</b>"]
    label = unofficial_label(current)
    if label:
        lines.append(f"<i>{label}</i>")
    lines += ["", t.gettext("Choose a section to read:")]
    return "\n".join(lines)


async def show_contents(update: Update, context: BotContext, lang: str) -> None:
    """The contents page: sections, short summary, download, other languages."""
    current = await current_text(context.db, lang)
    await edit_or_send(
        update, context, contents_text(context.t, current), contents_keyboard(context.t, current)
    )


# -- sections ---------------------------------------------------------------------------------


def page_text(t: Translator, current: CurrentText, section_id: str, part: int, link: str) -> str:
    res = current.resolution
    pages = section_pages(res, section_id)
    number = SECTION_IDS.index(section_id) + 1
    heading = (
        f"📜 <b>{html.escape(res.section(section_id).title)}</b> · {number}/{len(SECTION_IDS)}"
    )
    if len(pages) > 1:
        heading += " · " + t.gettext("part {part} of {parts}").format(
            part=part + 1, parts=len(pages)
        )
    lines = [heading, f"<i>{html.escape(res.title)}</i>"]
    label = unofficial_label(current)
    if label:
        lines.append(f"<i>{label}</i>")
    lines += ["", pages[part], "", "🔗 " + t.gettext("Link to share this section:"), link]
    return "\n".join(lines)


def share_text(section: Section) -> str:
    """What a shared section says above its link: its title and its first line ("Point 5 —
    Readiness to support…"), without note markers."""
    first = next((p for p in section.paragraphs if p.strip()), "")
    line = " ".join(_MARKER_RE.sub("", first.split("\n")[0]).split())
    if not line:
        return section.title
    return f"{section.title} — {shorten(line, SHARE_LINE_MAX)}"


def page_keyboard(
    t: Translator, current: CurrentText, section_id: str, part: int, link: str
) -> InlineKeyboardMarkup:
    lang = current.lang
    res = current.resolution
    flat = [(sid, i) for sid in SECTION_IDS for i in range(len(section_pages(res, sid)))]
    here = flat.index((section_id, part))
    nav: list[InlineKeyboardButton] = []
    if here > 0:
        sid, i = flat[here - 1]
        nav.append(InlineKeyboardButton("◀", callback_data=PAGE(lang, sid, i)))
    nav.append(InlineKeyboardButton("📑 " + t.gettext("Contents"), callback_data=CONTENTS(lang)))
    if here < len(flat) - 1:
        sid, i = flat[here + 1]
        nav.append(InlineKeyboardButton("▶", callback_data=PAGE(lang, sid, i)))
    share_url = (
        f"https://t.me/share/url?url={quote(link, safe='')}"
        f"&text={quote(share_text(res.section(section_id)), safe='')}"
    )
    return InlineKeyboardMarkup(
        [
            nav,
            _other_languages(lang, lambda code: PAGE(code, section_id, 0)),
            [InlineKeyboardButton("↗ " + t.gettext("Share"), url=share_url)],
        ]
    )


async def show_section(
    update: Update, context: BotContext, lang: str, section_id: str, part: int = 0
) -> None:
    current = await current_text(context.db, lang)
    part = min(part, len(section_pages(current.resolution, section_id)) - 1)
    t = context.t
    link = deep_link(context.bot.username, section_id, lang)
    await edit_or_send(
        update,
        context,
        page_text(t, current, section_id, part, link),
        page_keyboard(t, current, section_id, part, link),
    )


async def open_page(update: Update, context: BotContext) -> None:
    """A section button, ◀ ▶, or another language of the same section."""
    lang, section_id, part = PAGE.values(context.match)
    await show_section(update, context, lang, section_id, part)


async def resolution_command(update: Update, context: BotContext) -> None:
    """/resolution opens the contents; /resolution N opens point N."""
    assert update.effective_message
    args = context.args or []
    if not args:
        await show_contents(update, context, reading_language(context))
        return
    if len(args) == 1 and args[0] in {str(n) for n in range(1, len(POINTS) + 1)}:
        await show_section(update, context, reading_language(context), f"p{args[0]}")
        return
    await update.effective_message.reply_text(
        context.t.gettext(
            "The resolution has six points: send /resolution and a number from 1 to 6, "
            "for example /resolution 5."
        )
    )
    await show_contents(update, context, reading_language(context))


async def open_deep_link(update: Update, context: BotContext) -> None:
    """t.me/<bot>?start=res_<section>_<lang>: a shared section, in the language it was shared."""
    payload = (context.args or [""])[0]
    match = DEEP_LINK_RE.match(payload)
    if match is None:
        assert update.effective_message
        await update.effective_message.reply_text(
            context.t.gettext("This link is not valid any more. Here is the resolution:")
        )
        await show_contents(update, context, reading_language(context))
        return
    section_id, lang = match.groups()
    if context.lang is None:
        context.lang = lang
    if context.person is None or context.person.language is None:
        # First contact through a shared link: one line on what this is, above the section.
        assert update.effective_message
        await update.effective_message.reply_text(
            context.t.gettext(
                "Welcome! This is the bot of the Women's Initiative for the Solidarity "
                "Community; here is the section you opened, and /start shows all it offers."
            )
        )
    await show_section(update, context, lang, section_id)


# -- summary and download ---------------------------------------------------------------------


async def show_summary(update: Update, context: BotContext) -> None:
    """The short summary of the six points (ours, not part of the resolution)."""
    (lang,) = SUMMARY.values(context.match)
    t = context.t
    text = "\n".join(
        [
            "📝 <b>" + t.gettext("Short summary") + "</b>",
            "<i>"
            + t.gettext("Prepared by the community; it is not the text of the resolution.")
            + "</i>",
            "",
            html.escape(builtin_summary(lang)),
        ]
    )
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("📑 " + t.gettext("Contents"), callback_data=CONTENTS(lang))],
            _other_languages(lang, SUMMARY),
        ]
    )
    await edit_or_send(update, context, text, keyboard)


async def download(update: Update, context: BotContext) -> None:
    """The whole text as an HTML file; uploaded once, then re-sent by its Telegram file_id."""
    query = update.callback_query
    assert query is not None and update.effective_chat
    await query.answer()
    (lang,) = DOWNLOAD.values(context.match)
    chat_id = update.effective_chat.id
    current = await current_text(context.db, lang)
    label = unofficial_label(current)
    caption = f"📜 <b>{html.escape(current.resolution.title)}</b>"
    if label:
        caption += f"\n<i>{label}</i>"
    file_id = await cached_file_id(context.db, current.cache_key)
    if file_id is not None:
        try:
            await context.bot.send_document(chat_id, file_id, caption=caption)
            return
        except BadRequest as exc:
            log.warning("Cached document for %s refused (%s); uploading again", lang, exc.message)
            await forget_file_id(context.db, current.cache_key)
    await context.bot.send_chat_action(chat_id, ChatAction.UPLOAD_DOCUMENT)
    document = InputFile(
        render_document(current.resolution, label), filename=f"resolution-{lang}.html"
    )
    sent = await context.bot.send_document(chat_id, document, caption=caption)
    if sent.document is not None:
        await cache_file_id(context.db, current.cache_key, sent.document.file_id)


async def contents_button(update: Update, context: BotContext) -> None:
    """The menu entry: the contents in her language."""
    await show_contents(update, context, reading_language(context))


async def contents_in(update: Update, context: BotContext) -> None:
    """A "contents" button: the contents in the language of the text she was reading."""
    (lang,) = CONTENTS.values(context.match)
    await show_contents(update, context, lang)


def build_handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        CommandHandler("start", open_deep_link, filters=filters.Regex(r"^/start res_")),
        CommandHandler("resolution", resolution_command),
        CallbackQueryHandler(contents_button, pattern=RESOLUTION.pattern),
        CallbackQueryHandler(contents_in, pattern=CONTENTS.pattern),
        CallbackQueryHandler(open_page, pattern=PAGE.pattern),
        CallbackQueryHandler(show_summary, pattern=SUMMARY.pattern),
        CallbackQueryHandler(download, pattern=DOWNLOAD.pattern),
    ]
