"""Filing an incident report (/report), following it up (/myreports), and the help lines.

Anyone who started the bot can report; membership is not required. Everything she enters is
kept (encrypted) in the database while she answers, so a restart loses nothing. Notices to
coordinators never contain the report's text.
"""

from __future__ import annotations

import html
import logging
import re
import time
from datetime import date, datetime
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction
from telegram.error import BadRequest, TelegramError
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
from bot.keyboards import (
    category_name,
    nav_row,
    occurred_name,
    region_name,
    region_rows,
    status_name,
)
from bot.menu import main_menu_keyboard, main_menu_text
from bot.notify import notify_each
from bot.replies import edit_or_send, message_html, refuse
from bot.services.community import REGIONS
from bot.services.help_contacts import Contact, contacts_for, current_directory
from bot.services.reports import CATEGORIES, MAX_ATTACHMENTS, MAX_FILE_BYTES
from bot.services.roles import report_viewers
from bot.text import utf16_len
from db.members import get_member
from db.reports import (
    FileIn,
    ReportDraft,
    Reporter,
    ReportInfo,
    add_files,
    add_message,
    create_report,
    get_report,
    is_reporter,
    reports_of,
)

log = logging.getLogger(__name__)

(R_CATEGORY, R_REGION, R_PLACE, R_STORY, R_WHEN, R_DATE, R_DANGER, R_CONTACT, R_SUMMARY) = range(
    30, 39
)
MY_ADD = 50
DRAFT = "report"
WIPE = "report_wipe"  # message ids of the last sent report, for "remove from my phone"
ADDING = "report_adding"
ADDING_SINCE = "report_adding_since"
ANNOUNCED = "report_announced"
STORY_MAX = 3500
PLACE_MAX = 200
MY_PAGE = 10
MY_REPORT_LIMIT = 3900  # of Telegram's 4096 UTF-16 units, with room for the buttons' sake
ADDING_TIMEOUT_SECONDS = 30 * 60
FINISHED = ("resolved", "closed")  # no more additions, only answers to the coordinators
DATE_RE = re.compile(r"^\s*(\d{1,2})[./-](\d{1,2})[./-](\d{4})\s*$")


# -- draft and message bookkeeping ----------------------------------------------------------


def _draft(context: BotContext) -> dict[str, Any]:
    assert context.user_data is not None
    draft: dict[str, Any] = context.user_data.setdefault(DRAFT, {"msg_ids": []})
    return draft


def _remember(context: BotContext, message: Message | None) -> None:
    """Every message of the report, hers and the bot's, so she can remove them later."""
    if message is not None and DRAFT in (context.user_data or {}):
        ids: list[int] = _draft(context)["msg_ids"]
        if message.message_id not in ids:
            ids.append(message.message_id)


async def _say(update: Update, context: BotContext, text: str, markup: Any = None) -> Message:
    assert update.effective_chat
    sent = await context.bot.send_message(update.effective_chat.id, text, reply_markup=markup)
    _remember(context, sent)
    return sent


def _nav(t: Translator, back: bool = True) -> list[InlineKeyboardButton]:
    return nav_row(t, "rpt", back=back)


async def _answered(update: Update, answer: str) -> None:
    """The question's buttons give way to her answer."""
    query = update.callback_query
    if query is not None:
        await query.answer()
        await query.edit_message_text(f"{message_html(query.message)}\n→ {html.escape(answer)}")


def format_contacts(contacts: list[Contact], lang: str) -> str:
    return "\n".join(
        f"📞 <b>{html.escape(c.number)}</b> — {html.escape(c.names[lang])}" for c in contacts
    )


# -- the questions --------------------------------------------------------------------------


async def ask_category(update: Update, context: BotContext) -> int:
    _draft(context)["state"] = R_CATEGORY
    t = context.t
    rows = [
        [InlineKeyboardButton(t.gettext(label), callback_data=f"rpt:cat:{code}")]
        for code, label in CATEGORIES.items()
    ]
    rows.append(_nav(t, back=False))
    await _say(update, context, t.gettext("<b>What is it about?</b>"), InlineKeyboardMarkup(rows))
    return R_CATEGORY


async def ask_region(update: Update, context: BotContext) -> int:
    _draft(context)["state"] = R_REGION
    t = context.t
    rows = [*region_rows(t, "rpt:reg:"), _nav(t)]
    await _say(
        update, context, t.gettext("<b>Where did it happen?</b>"), InlineKeyboardMarkup(rows)
    )
    return R_REGION


async def ask_place(update: Update, context: BotContext) -> int:
    _draft(context)["state"] = R_PLACE
    t = context.t
    rows = [[InlineKeyboardButton("⏭ " + t.gettext("Skip"), callback_data="rpt:skip")], _nav(t)]
    await _say(
        update,
        context,
        t.gettext(
            "<b>The place</b> (optional)\nType the town, village or institution, or send a "
            "location pin (📎 → Location), or skip."
        ),
        InlineKeyboardMarkup(rows),
    )
    return R_PLACE


def _story_keyboard(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton("✔ " + t.gettext("Done"), callback_data="rpt:done")], _nav(t)]
    )


async def ask_story(update: Update, context: BotContext) -> int:
    _draft(context)["state"] = R_STORY
    t = context.t
    await _say(
        update,
        context,
        t.gettext(
            "<b>What happened?</b>\nDescribe it in your own words: who, what, where. You can "
            "also send photos, documents, voice or video messages (up to {max} files). "
            "Tap “Done” when you have finished."
        ).format(max=MAX_ATTACHMENTS),
        _story_keyboard(t),
    )
    return R_STORY


async def ask_when(update: Update, context: BotContext) -> int:
    _draft(context)["state"] = R_WHEN
    t = context.t
    rows = [
        [
            InlineKeyboardButton(occurred_name(t, "today"), callback_data="rpt:when:today"),
            InlineKeyboardButton(occurred_name(t, "yesterday"), callback_data="rpt:when:yesterday"),
        ],
        [
            InlineKeyboardButton(occurred_name(t, "week"), callback_data="rpt:when:week"),
            InlineKeyboardButton("📅 " + t.gettext("A date"), callback_data="rpt:when:date"),
        ],
        _nav(t),
    ]
    await _say(update, context, t.gettext("<b>When did it happen?</b>"), InlineKeyboardMarkup(rows))
    return R_WHEN


async def ask_date(update: Update, context: BotContext) -> int:
    _draft(context)["state"] = R_DATE
    t = context.t
    await _say(
        update,
        context,
        t.gettext("Type the date as day.month.year, for example 21.11.2026."),
        InlineKeyboardMarkup([_nav(t)]),
    )
    return R_DATE


async def ask_danger(update: Update, context: BotContext) -> int:
    _draft(context)["state"] = R_DANGER
    t = context.t
    rows = [
        [
            InlineKeyboardButton(
                "⚠️ " + t.gettext("Yes, someone is in danger"), callback_data="rpt:danger:yes"
            ),
        ],
        [InlineKeyboardButton(t.gettext("No"), callback_data="rpt:danger:no")],
        _nav(t),
    ]
    await _say(
        update,
        context,
        t.gettext("<b>Is anyone in immediate danger right now?</b>"),
        InlineKeyboardMarkup(rows),
    )
    return R_DANGER


async def ask_contact(update: Update, context: BotContext) -> int:
    _draft(context)["state"] = R_CONTACT
    t = context.t
    rows = [
        [InlineKeyboardButton("🕶 " + t.gettext("Keep me anonymous"), callback_data="rpt:anon:yes")],
        [
            InlineKeyboardButton(
                "👤 " + t.gettext("Coordinators may see who I am"), callback_data="rpt:anon:no"
            )
        ],
        _nav(t),
    ]
    await _say(
        update,
        context,
        t.gettext(
            "<b>How may the coordinators contact you?</b>\nAnonymous: they never see your name, "
            "username or phone, yet they can still write to you through this bot, and you can "
            "answer."
        ),
        InlineKeyboardMarkup(rows),
    )
    return R_CONTACT


def summary_text(t: Translator, draft: dict[str, Any]) -> str:
    files = len(draft.get("files", []))
    story = draft.get("text", "")
    if len(story) > 1500:
        story = story[:1500] + "…"
    lines = [
        t.gettext("<b>Please check your report</b>"),
        t.gettext("About: {value}").format(value=category_name(t, draft.get("category"))),
        t.gettext("Region: {value}").format(value=region_name(t, draft.get("region"))),
        t.gettext("Place: {value}").format(value=html.escape(draft.get("place") or "—")),
        t.gettext("When: {value}").format(value=occurred_name(t, draft.get("occurred"))),
        t.gettext("Someone in immediate danger: {value}").format(
            value=t.gettext("yes") if draft.get("danger") else t.gettext("no")
        ),
        t.gettext("Contact: {value}").format(
            value=t.gettext("anonymous")
            if draft.get("anonymous", True)
            else t.gettext("coordinators may see who you are")
        ),
        t.ngettext("{count} file attached", "{count} files attached", files).format(count=files),
        "",
        html.escape(story),
    ]
    return "\n".join(lines)


async def show_summary(update: Update, context: BotContext) -> int:
    _draft(context)["state"] = R_SUMMARY
    t = context.t
    rows = [
        [InlineKeyboardButton("📨 " + t.gettext("Send the report"), callback_data="rpt:send")],
        _nav(t),
    ]
    await _say(update, context, summary_text(t, _draft(context)), InlineKeyboardMarkup(rows))
    return R_SUMMARY


ORDER = (R_CATEGORY, R_REGION, R_PLACE, R_STORY, R_WHEN, R_DANGER, R_CONTACT, R_SUMMARY)
ASKERS = {
    R_CATEGORY: ask_category,
    R_REGION: ask_region,
    R_PLACE: ask_place,
    R_STORY: ask_story,
    R_WHEN: ask_when,
    R_DATE: ask_date,
    R_DANGER: ask_danger,
    R_CONTACT: ask_contact,
    R_SUMMARY: show_summary,
}


async def _next(update: Update, context: BotContext, step: int) -> int:
    following = ORDER[ORDER.index(step) + 1] if step in ORDER[:-1] else R_SUMMARY
    return await ASKERS[following](update, context)


# -- answers ----------------------------------------------------------------------------------


async def start_report(update: Update, context: BotContext) -> int:
    """/report or the menu: a few taps and her story."""
    assert context.user_data is not None
    if update.callback_query is not None:
        await update.callback_query.answer()
    t = context.t
    unfinished = context.user_data.get(DRAFT)
    if unfinished and unfinished.get("state") is not None:
        # A report she has not sent yet is never thrown away by starting again.
        _remember(context, update.message)
        await _say(
            update,
            context,
            t.gettext(
                "You have a report you have not sent yet; here is where you stopped. "
                "/cancel deletes it."
            ),
        )
        return await ASKERS[int(unfinished["state"])](update, context)
    context.user_data[DRAFT] = {"msg_ids": [], "files": [], "anonymous": True}
    _remember(context, update.message)
    await _say(
        update,
        context,
        t.gettext(
            "<b>Report an incident</b>\nOnly the coordinators read reports, and you can stay "
            "anonymous. What you write is stored encrypted. /cancel stops at any time; "
            "nothing is sent until you confirm."
        ),
    )
    return await ask_category(update, context)


async def got_category(update: Update, context: BotContext) -> int:
    assert context.match is not None
    code = context.match.group(1)
    _draft(context)["category"] = code
    await _answered(update, category_name(context.t, code))
    return await _next(update, context, R_CATEGORY)


async def got_region(update: Update, context: BotContext) -> int:
    assert context.match is not None
    code = context.match.group(1)
    _draft(context)["region"] = code
    await _answered(update, region_name(context.t, code))
    return await _next(update, context, R_REGION)


async def got_place_text(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message and message.text is not None
    _remember(context, message)
    place = " ".join(message.text.split())
    if len(place) > PLACE_MAX:
        await _say(
            update, context, context.t.gettext("Please keep the place under 200 characters.")
        )
        return R_PLACE
    _draft(context)["place"] = place
    return await _next(update, context, R_PLACE)


async def got_place_pin(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message and message.location
    _remember(context, message)
    location = message.location
    _draft(context)["place"] = f"📍 {location.latitude:.5f}, {location.longitude:.5f}"
    return await _next(update, context, R_PLACE)


async def skip_place(update: Update, context: BotContext) -> int:
    _draft(context)["place"] = None
    await _answered(update, context.t.gettext("Skipped"))
    return await _next(update, context, R_PLACE)


async def got_story_text(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message and message.text is not None
    _remember(context, message)
    t = context.t
    if await _add_to_story(update, context, message.text):
        await _say(
            update, context, t.gettext("Added. Send more, or tap “Done”."), _story_keyboard(t)
        )
    return R_STORY


async def _add_to_story(update: Update, context: BotContext, text: str) -> bool:
    """Append to her story; if it would grow too long, say so and keep what she had."""
    draft = _draft(context)
    story = (draft.get("text", "") + "\n\n" + text.strip()).strip()
    if len(story) > STORY_MAX:
        t = context.t
        await _say(
            update,
            context,
            t.gettext(
                "That is too long for one report ({max} characters at most). What you wrote "
                "before is kept; please send a shorter text, or a document."
            ).format(max=STORY_MAX),
            _story_keyboard(t),
        )
        return False
    draft["text"] = story
    return True


def _incoming_file(message: Message) -> dict[str, Any] | None:
    """What a photo, document, voice, audio or video message carries."""
    if message.photo:
        photo = message.photo[-1]
        return {"kind": "photo", "file_id": photo.file_id, "size": photo.file_size or 0}
    for kind in ("document", "voice", "audio", "video", "video_note"):
        item = getattr(message, kind)
        if item is not None:
            return {
                "kind": kind,
                "file_id": item.file_id,
                "size": item.file_size or 0,
                "file_name": getattr(item, "file_name", None),
                "mime_type": getattr(item, "mime_type", None),
            }
    return None


async def got_story_file(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message
    _remember(context, message)
    t = context.t
    draft = _draft(context)
    incoming = _incoming_file(message)
    if incoming is None:
        return await not_this(update, context)
    files: list[dict[str, Any]] = draft.setdefault("files", [])
    if len(files) >= MAX_ATTACHMENTS:
        await _say(
            update,
            context,
            t.gettext(
                "You have already attached {max} files, the most one report can take."
            ).format(max=MAX_ATTACHMENTS),
            _story_keyboard(t),
        )
        return R_STORY
    if incoming["size"] > MAX_FILE_BYTES:
        await _say(
            update,
            context,
            t.gettext("This file is larger than 20 MB, which the bot cannot receive."),
            _story_keyboard(t),
        )
        return R_STORY
    if message.caption and not await _add_to_story(update, context, message.caption):
        return R_STORY
    files.append(incoming)
    await _say(
        update,
        context,
        t.gettext("File {number} of at most {max} added. Send more, or tap “Done”.").format(
            number=len(files), max=MAX_ATTACHMENTS
        ),
        _story_keyboard(t),
    )
    return R_STORY


async def story_done(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query is not None
    if not _draft(context).get("text"):
        await query.answer(
            context.t.gettext("Please describe what happened in a few words first."),
            show_alert=True,
        )
        return R_STORY
    await query.answer()
    return await _next(update, context, R_STORY)


async def got_when(update: Update, context: BotContext) -> int:
    assert context.match is not None
    choice = context.match.group(1)
    if choice == "date":
        await _answered(update, context.t.gettext("A date"))
        return await ask_date(update, context)
    _draft(context)["occurred"] = choice
    await _answered(update, occurred_name(context.t, choice))
    return await _next(update, context, R_WHEN)


async def got_date(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message and message.text is not None
    _remember(context, message)
    match = DATE_RE.match(message.text)
    t = context.t
    try:
        if match is None:
            raise ValueError
        day, month, year = (int(g) for g in match.groups())
        when = date(year, month, day)
    except ValueError:
        await _say(update, context, t.gettext("Please type a date like 21.11.2026."))
        return R_DATE
    today = datetime.now(context.settings.tz).date()
    if when > today or when.year < 1991:
        await _say(update, context, t.gettext("Please type a date that is not in the future."))
        return R_DATE
    _draft(context)["occurred"] = when.isoformat()
    return await _next(update, context, R_WHEN)


async def got_danger(update: Update, context: BotContext) -> int:
    """Someone in danger: help lines at once, and the coordinators alerted at once."""
    assert context.match is not None and update.effective_user
    danger = context.match.group(1) == "yes"
    draft = _draft(context)
    draft["danger"] = danger
    t = context.t
    await _answered(update, t.gettext("Yes") if danger else t.gettext("No"))
    if danger:
        directory = await current_directory(context.db)
        await _say(
            update,
            context,
            "⚠️ "
            + t.gettext("<b>If someone is in danger now, call:</b>")
            + "\n"
            + format_contacts(
                contacts_for(directory, draft.get("category"), draft.get("region")), t.lang
            )
            + "\n\n"
            + t.gettext(
                "The coordinators have been alerted right now. Please finish the report so "
                "they know what happened."
            ),
        )
        if not draft.get("danger_alerted"):
            draft["danger_alerted"] = True
            category, region = draft.get("category"), draft.get("region", "")

            def render(viewer: Translator) -> tuple[str, None]:
                return (
                    "⚠️ "
                    + viewer.gettext(
                        "<b>Immediate danger</b> reported by someone filing a report now: "
                        "{region}, {category}. The report follows when it is sent."
                    ).format(
                        region=region_name(viewer, region), category=category_name(viewer, category)
                    ),
                    None,
                )

            await notify_each(
                context, await report_viewers(context.db, context.settings, region), render
            )
    return await _next(update, context, R_DANGER)


async def got_contact_choice(update: Update, context: BotContext) -> int:
    assert context.match is not None
    anonymous = context.match.group(1) == "yes"
    _draft(context)["anonymous"] = anonymous
    t = context.t
    await _answered(
        update,
        t.gettext("Keep me anonymous") if anonymous else t.gettext("Coordinators may see who I am"),
    )
    return await _next(update, context, R_CONTACT)


async def not_this(update: Update, context: BotContext) -> int:
    """Something else than the question asks for: say what is expected, ask again."""
    _remember(context, update.effective_message)
    t = context.t
    state = int(_draft(context).get("state", R_CATEGORY))
    if state in (R_PLACE, R_STORY, R_DATE):
        hint = t.gettext("Please answer with a text message.")
    else:
        hint = t.gettext("Please use the buttons of the question.")
    await _say(update, context, hint)
    return await ASKERS[state](update, context)


async def go_back(update: Update, context: BotContext) -> int:
    """◀ Back: the previous question; what she entered is kept."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    state = int(_draft(context).get("state", R_CATEGORY))
    if state == R_DATE:
        return await ask_when(update, context)
    previous = ORDER[max(ORDER.index(state) - 1, 0)] if state in ORDER else R_CATEGORY
    return await ASKERS[previous](update, context)


async def cancel(update: Update, context: BotContext) -> int:
    """✖ Cancel or /cancel: the draft is thrown away."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    assert context.user_data is not None
    context.user_data.pop(DRAFT, None)
    t = context.t
    await _say(update, context, t.gettext("Cancelled. Nothing was sent, and the draft is deleted."))
    await _say(update, context, main_menu_text(t), main_menu_keyboard(t))
    return ConversationHandler.END


# -- sending ----------------------------------------------------------------------------------


async def _download(context: BotContext, item: dict[str, Any]) -> FileIn:
    telegram_file = await context.bot.get_file(item["file_id"])
    data = bytes(await telegram_file.download_as_bytearray())
    return FileIn(
        kind=item["kind"],
        file_id=item["file_id"],
        data=data,
        file_name=item.get("file_name"),
        mime_type=item.get("mime_type"),
    )


async def send_report(update: Update, context: BotContext) -> int:
    """📨 Send: store it (files downloaded, hashed, encrypted), tell her what happens next."""
    query = update.callback_query
    assert query is not None and update.effective_user and update.effective_chat
    assert context.user_data is not None
    draft = _draft(context)
    t = context.t
    if not all(draft.get(k) for k in ("category", "region", "text", "occurred")):
        await query.answer(t.gettext("Some answers are missing."), show_alert=True)
        return await ask_category(update, context)
    await query.answer()
    await context.bot.send_chat_action(update.effective_chat.id, ChatAction.TYPING)
    files = []
    for number, item in enumerate(draft.get("files", []), start=1):
        try:
            files.append(await _download(context, item))
        except TelegramError as exc:
            # The Send button stays and nothing is lost: she can try again.
            log.warning("Could not download a report file: %s", exc)
            await _say(
                update,
                context,
                t.gettext(
                    "File {number} could not be received from Telegram just now. Please press "
                    "“Send” again in a moment; everything you entered is kept."
                ).format(number=number),
            )
            return R_SUMMARY
    await query.edit_message_text(message_html(query.message))
    user = update.effective_user
    anonymous = bool(draft.get("anonymous", True))
    if anonymous:
        # Only what relaying messages to her needs: her id, never her name or phone.
        reporter = Reporter(user_id=user.id, name="")
    else:
        member = await get_member(context.db, user.id)
        reporter = Reporter(
            user_id=user.id,
            name=member.name if member else user.full_name,
            username=user.username,
            phone=member.phone if member else None,
        )
    report = await create_report(
        context.db,
        ReportDraft(
            category=draft["category"],
            region=draft["region"],
            text=draft["text"],
            occurred=draft["occurred"],
            danger=bool(draft.get("danger")),
            anonymous=anonymous,
            place=draft.get("place"),
            files=tuple(files),
        ),
        reporter,
        lang=t.lang,
        files_dir=context.settings.data_dir,
    )
    log.info("Report %s received", report.ref)
    directory = await current_directory(context.db)
    await _say(
        update,
        context,
        "\n".join(
            [
                t.gettext("✅ <b>Your report has been sent.</b> Reference: <b>{ref}</b>").format(
                    ref=report.ref
                ),
                "",
                t.gettext(
                    "What happens next: a coordinator reads it and decides how to help. You get "
                    "a message here when its status changes or when the coordinators write to "
                    "you. With /myreports you can follow it and add information."
                ),
                "",
                t.gettext("<b>Where to get help</b>"),
                format_contacts(contacts_for(directory, report.category, report.region), t.lang),
            ]
        ),
        InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        "🧹 " + t.gettext("Remove this report from my phone"),
                        callback_data=f"rpt:wipe:{report.id}",
                    )
                ]
            ]
        ),
    )
    wipes: dict[str, list[int]] = context.user_data.setdefault(WIPE, {})
    wipes[str(report.id)] = list(draft["msg_ids"])
    context.user_data.pop(DRAFT, None)
    await announce(context, report)
    return ConversationHandler.END


async def announce(context: BotContext, report: ReportInfo, *, added: bool = False) -> None:
    """Coordinators (and leads, if allowed) learn of it: reference, region, category only."""

    def render(viewer: Translator) -> tuple[str, InlineKeyboardMarkup]:
        if added:
            text = viewer.gettext("New information on report {ref} ({region}, {category})")
        else:
            text = viewer.gettext("New report {ref} ({region}, {category})")
        text = text.format(
            ref=report.ref,
            region=region_name(viewer, report.region),
            category=category_name(viewer, report.category),
        )
        if report.danger and not added:
            text = "⚠️ " + text + "\n" + viewer.gettext("Someone is in immediate danger.")
        button = InlineKeyboardButton(
            "📂 " + viewer.gettext("Open"), callback_data=f"rep:open:{report.id}"
        )
        return text, InlineKeyboardMarkup([[button]])

    await notify_each(
        context, await report_viewers(context.db, context.settings, report.region), render
    )


async def wipe(update: Update, context: BotContext) -> None:
    """Delete that report's messages, hers and the bot's, from this chat."""
    query = update.callback_query
    assert query is not None and update.effective_chat and context.user_data is not None
    assert context.match is not None
    wipes: dict[str, list[int]] = context.user_data.get(WIPE, {})
    ids = list(wipes.get(context.match.group(1), []))
    if query.message is not None and query.message.message_id not in ids:
        ids.append(query.message.message_id)
    await query.answer()
    t = context.t
    removed = True
    for start in range(0, len(ids), 100):
        try:
            await context.bot.delete_messages(update.effective_chat.id, ids[start : start + 100])
        except BadRequest as exc:  # e.g. older than 48 hours: Telegram no longer allows it
            removed = False
            log.info("Could not delete some report messages: %s", exc.message)
    wipes.pop(context.match.group(1), None)
    if removed:
        text = t.gettext("Removed from this chat. /myreports still shows your reports.")
    else:
        text = t.gettext(
            "Some of these messages could not be removed: Telegram allows it only for 48 "
            "hours. Please delete them yourself (press and hold a message, then Delete)."
        )
    await context.bot.send_message(update.effective_chat.id, text)


# -- following up: /myreports -----------------------------------------------------------------


async def my_reports(update: Update, context: BotContext) -> None:
    """Her own reports, with status."""
    assert update.effective_user
    t = context.t
    reports = await reports_of(context.db, update.effective_user.id)
    if not reports:
        await edit_or_send(update, context, t.gettext("You have not sent any reports."), None)
        return
    pages = (len(reports) + MY_PAGE - 1) // MY_PAGE
    page = 0
    groups = context.match.groups() if context.match is not None else ()
    if groups and groups[0]:  # my:list:<page>
        page = min(int(groups[0]), pages - 1)
    rows = [
        [
            InlineKeyboardButton(
                f"{r.ref} · {status_name(t, r.status)}", callback_data=f"my:open:{r.id}"
            )
        ]
        for r in reports[page * MY_PAGE : (page + 1) * MY_PAGE]
    ]
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton("◀", callback_data=f"my:list:{page - 1}"))
    if page < pages - 1:
        nav.append(InlineKeyboardButton("▶", callback_data=f"my:list:{page + 1}"))
    if nav:
        rows.append(nav)
    await edit_or_send(
        update, context, t.gettext("<b>Your reports</b>"), InlineKeyboardMarkup(rows)
    )


async def _own_report(update: Update, context: BotContext, report_id: int) -> ReportInfo | None:
    """Her report, or None after refusing (someone else's, or forged button data)."""
    assert update.effective_user
    if await is_reporter(context.db, report_id, update.effective_user.id):
        return await get_report(context.db, report_id)
    log.warning("Refused report %s to user %s (not hers)", report_id, update.effective_user.id)
    await refuse(update, context.t.gettext("This report is not yours."))
    return None


def my_report_text(t: Translator, report: ReportInfo) -> str:
    lines = [
        f"<b>{report.ref}</b> · {status_name(t, report.status)}",
        t.gettext("About: {value}").format(value=category_name(t, report.category)),
        t.gettext("Region: {value}").format(value=region_name(t, report.region)),
        t.gettext("Sent: {value}").format(value=t.format_datetime(report.created_at, "short")),
        "",
        html.escape(report.text[:1500] + ("…" if len(report.text) > 1500 else "")),
    ]
    # The newest messages matter most: add them from the end while they fit, each clipped
    # before it is escaped, so the HTML is never cut in the middle of a tag or an entity.
    budget = MY_REPORT_LIMIT - utf16_len("\n".join(lines))
    thread: list[str] = []
    for item in reversed([m for m in report.thread if m.author != "note"]):  # notes stay internal
        who = t.gettext("You") if item.author == "reporter" else t.gettext("Coordinators")
        body = item.text if len(item.text) <= 600 else item.text[:600] + "…"
        block = f"\n\n<b>{who}</b> · {t.format_datetime(item.at, 'short')}\n{html.escape(body)}"
        if utf16_len(block) > budget:
            break
        thread.insert(0, block)
        budget -= utf16_len(block)
    return "\n".join(lines) + "".join(thread)


async def open_my_report(update: Update, context: BotContext) -> None:
    assert context.match is not None
    report = await _own_report(update, context, int(context.match.group(1)))
    if report is None:
        return
    t = context.t
    rows = [[InlineKeyboardButton("◀ " + t.gettext("My reports"), callback_data="my:list")]]
    if report.status not in FINISHED:
        add = InlineKeyboardButton(
            "➕ " + t.gettext("Add information"), callback_data=f"my:add:{report.id}"
        )
        rows.insert(0, [add])
    await edit_or_send(update, context, my_report_text(t, report), InlineKeyboardMarkup(rows))


async def start_adding(update: Update, context: BotContext) -> int:
    """➕ Add information / ↩️ Answer: her next messages go to that report."""
    assert context.match is not None and context.user_data is not None
    report = await _own_report(update, context, int(context.match.group(1)))
    if report is None:
        return ConversationHandler.END
    answering = bool(
        update.callback_query and (update.callback_query.data or "").startswith("my:answer")
    )
    if report.status in FINISHED and not answering:
        await refuse(
            update,
            context.t.gettext(
                "This report is closed. To tell the coordinators something new, send /report."
            ),
        )
        return ConversationHandler.END
    if update.callback_query is not None:
        await update.callback_query.answer()
    context.user_data[ADDING] = report.id
    context.user_data[ADDING_SINCE] = time.time()
    context.user_data.pop(ANNOUNCED, None)
    t = context.t
    assert update.effective_chat
    await context.bot.send_message(
        update.effective_chat.id,
        t.gettext(
            "Write what you want to add to {ref}, or send files. Tap “Done” when finished, "
            "or /cancel."
        ).format(ref=report.ref),
        reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton("✔ " + t.gettext("Done"), callback_data="my:done")]]
        ),
    )
    return MY_ADD


async def add_to_report(update: Update, context: BotContext) -> int:
    """A text or a file for the report she is adding to."""
    message = update.effective_message
    assert message and context.user_data is not None and update.effective_user
    since = float(context.user_data.get(ADDING_SINCE, 0))
    if time.time() - since > ADDING_TIMEOUT_SECONDS:
        # Long after she last added something: this message is not meant for the report.
        _stop_adding(context)
        await context.application.update_queue.put(update)
        return ConversationHandler.END
    context.user_data[ADDING_SINCE] = time.time()
    report_id = int(context.user_data.get(ADDING, 0))
    report = await _own_report(update, context, report_id) if report_id else None
    if report is None:
        return ConversationHandler.END
    t = context.t
    incoming = _incoming_file(message)
    if incoming is not None:
        if incoming["size"] > MAX_FILE_BYTES:
            await message.reply_text(
                t.gettext("This file is larger than 20 MB, which the bot cannot receive.")
            )
            return MY_ADD
        await add_files(
            context.db,
            report.id,
            [await _download(context, incoming)],
            files_dir=context.settings.data_dir,
        )
        if message.caption:
            await add_message(context.db, report.id, author="reporter", text=message.caption)
    elif message.text:
        await add_message(context.db, report.id, author="reporter", text=message.text.strip())
    else:
        await message.reply_text(t.gettext("Please send a text or a file."))
        return MY_ADD
    await message.reply_text(
        t.gettext("Added to {ref}. Send more, or tap “Done”.").format(ref=report.ref),
        reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton("✔ " + t.gettext("Done"), callback_data="my:done")]]
        ),
    )
    if not context.user_data.get(ANNOUNCED):
        context.user_data[ANNOUNCED] = True
        await announce(context, report, added=True)
    return MY_ADD


def _stop_adding(context: BotContext) -> None:
    assert context.user_data is not None
    for key in (ADDING, ADDING_SINCE, ANNOUNCED):
        context.user_data.pop(key, None)


async def done_adding(update: Update, context: BotContext) -> int:
    _stop_adding(context)
    await my_reports(update, context)
    return ConversationHandler.END


async def cancel_adding(update: Update, context: BotContext) -> int:
    assert update.effective_message
    _stop_adding(context)
    await update.effective_message.reply_text(context.t.gettext("Stopped."))
    return ConversationHandler.END


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    back_cancel = [
        CallbackQueryHandler(go_back, pattern="^rpt:back$"),
        CallbackQueryHandler(cancel, pattern="^rpt:cancel$"),
    ]
    other = MessageHandler(~filters.COMMAND, not_this)
    text = filters.TEXT & ~filters.COMMAND
    files = (
        filters.PHOTO
        | filters.Document.ALL
        | filters.VOICE
        | filters.AUDIO
        | filters.VIDEO
        | filters.VIDEO_NOTE
    )
    report = persistent_conversation(
        "report",
        entry_points=[
            CommandHandler("report", start_report),
            CallbackQueryHandler(start_report, pattern="^rpt:start$"),
        ],
        states={
            R_CATEGORY: [
                CallbackQueryHandler(got_category, pattern=rf"^rpt:cat:({'|'.join(CATEGORIES)})$"),
                *back_cancel,
                other,
            ],
            R_REGION: [
                CallbackQueryHandler(got_region, pattern=rf"^rpt:reg:({'|'.join(REGIONS)})$"),
                *back_cancel,
                other,
            ],
            R_PLACE: [
                MessageHandler(text, got_place_text),
                MessageHandler(filters.LOCATION, got_place_pin),
                CallbackQueryHandler(skip_place, pattern="^rpt:skip$"),
                *back_cancel,
                other,
            ],
            R_STORY: [
                MessageHandler(text, got_story_text),
                MessageHandler(files, got_story_file),
                CallbackQueryHandler(story_done, pattern="^rpt:done$"),
                *back_cancel,
                other,
            ],
            R_WHEN: [
                CallbackQueryHandler(got_when, pattern="^rpt:when:(today|yesterday|week|date)$"),
                *back_cancel,
                other,
            ],
            R_DATE: [MessageHandler(text, got_date), *back_cancel, other],
            R_DANGER: [
                CallbackQueryHandler(got_danger, pattern="^rpt:danger:(yes|no)$"),
                *back_cancel,
                other,
            ],
            R_CONTACT: [
                CallbackQueryHandler(got_contact_choice, pattern="^rpt:anon:(yes|no)$"),
                *back_cancel,
                other,
            ],
            R_SUMMARY: [
                CallbackQueryHandler(send_report, pattern="^rpt:send$"),
                *back_cancel,
                other,
            ],
        },
        fallbacks=[CommandHandler("cancel", cancel)],
    )
    adding = persistent_conversation(
        "myreport",
        entry_points=[
            CallbackQueryHandler(start_adding, pattern=r"^my:(?:add|answer):(\d{1,12})$")
        ],
        states={
            MY_ADD: [
                CallbackQueryHandler(done_adding, pattern="^my:done$"),
                MessageHandler((text | files), add_to_report),
                MessageHandler(~filters.COMMAND, add_to_report),
            ]
        },
        fallbacks=[CommandHandler("cancel", cancel_adding)],
    )
    return [
        report,
        adding,
        CallbackQueryHandler(wipe, pattern=r"^rpt:wipe:(\d{1,12})$"),
        CommandHandler("myreports", my_reports),
        CallbackQueryHandler(my_reports, pattern=r"^my:list(?::(\d{1,4}))?$"),
        CallbackQueryHandler(open_my_report, pattern=r"^my:open:(\d{1,12})$"),
    ]
