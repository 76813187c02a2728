"""A report's card: its facts and thread within Telegram's limit (the whole as a file), and
taking it. A reporter who asked to stay anonymous is never named: not in cards, buttons, files
or logs. Moving it along is status.py."""

from __future__ import annotations

import html
import logging
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update

from bot.callbacks import OPEN_REPORT
from bot.context import BotContext
from bot.i18n import LANGUAGE_NAMES, Translator
from bot.keyboards import (
    category_name,
    in_rows,
    map_buttons,
    occurred_name,
    region_name,
    status_name,
)
from bot.replies import edit_or_send
from bot.services.reports import TRANSITIONS, is_reopening
from bot.services.roles import Roles, roles_of
from bot.text import shorten, utf16_len
from db.mutes import is_muted, mute, unmute
from db.report_desk import assign, record_view
from db.reports import Reporter, ReportInfo, get_report, reporter_of
from db.users import get_user

from .access import load
from .callbacks import BACK, FILES, FULL_TEXT, MOVE, MUTE, NOTE, REPLY, TAKE

log = logging.getLogger(__name__)

CARD_BUDGET = 4000  # what a card may use of Telegram's 4096, leaving room for the "cut" note
THREAD_BUDGET = 1500  # the part of a long card given to the thread
THREAD_ITEM_MAX = 600  # characters of one thread message shown on a long card
CAPTION_MAX = 200  # characters of a file's caption shown on the card


def identity_text(reporter: Reporter) -> str:
    """Name, @username and phone of a reporter who agreed to be named (plain text)."""
    parts = [reporter.name]
    if reporter.username:
        parts.append("@" + reporter.username)
    if reporter.phone:
        parts.append(reporter.phone)
    return " · ".join(parts)


async def _person_name(context: BotContext, user_id: int | None, viewer_id: int) -> str:
    """A coordinator's first name as the bot knows it (for other coordinators only)."""
    if user_id is None:
        return "—"
    if user_id == viewer_id:
        return context.t.gettext("you")
    person = await get_user(context.db, user_id)
    return person.first_name if person else str(user_id)


async def card_parts(
    context: BotContext, report: ReportInfo, viewer_id: int
) -> tuple[list[str], list[tuple[str, str]]]:
    """The facts of a report as plain lines, and its thread as (heading, text) pairs. The
    reporter is named only if she agreed; an anonymous report never asks who she is."""
    t = context.t
    lines = []
    if report.danger:
        lines.append("⚠️ " + t.gettext("Immediate danger"))
    if report.unsent:
        lines.append(
            t.gettext(
                "Not sent by her yet: this is what she had written when she raised the alert. "
                "The rest comes if she sends the report."
            )
        )
    lines += [
        t.gettext("Status: {value}").format(value=status_name(t, report.status)),
        t.gettext("Category: {value}").format(value=category_name(t, report.category)),
        t.gettext("Region: {value}").format(value=region_name(t, report.region)),
        t.gettext("Place: {value}").format(value=report.place or "—"),
        t.gettext("When it happened: {value}").format(value=occurred_name(t, report.occurred)),
        # Only the day is kept of a report's times (README: what a stolen database reveals).
        t.gettext("Received: {value}").format(value=t.date(report.created_at)),
        t.gettext("Reporter's language: {value}").format(
            value=LANGUAGE_NAMES.get(report.reporter_lang, report.reporter_lang)
        ),
        t.gettext("Updated: {value}").format(value=t.date(report.updated_at)),
    ]
    coordinator = (await roles_of(context.db, context.settings, viewer_id)).coordinator
    if report.assigned_to is not None:
        taken_by = await _person_name(context, report.assigned_to, viewer_id)
        lines.append(t.gettext("Taken by: {value}").format(value=taken_by))
    if report.anonymous:
        lines.append(t.gettext("Reported by: anonymous"))
    elif not coordinator:
        # She agreed that coordinators may see who she is; regional leads may not.
        lines.append(t.gettext("Reported by: known to the coordinators"))
    else:
        reporter = await reporter_of(context.db, report.id)
        who = identity_text(reporter) if reporter else "—"
        lines.append(t.gettext("Reported by: {value}").format(value=who))
    lines.append(t.gettext("Attachments: {count}").format(count=len(report.attachments)))
    for number, item in enumerate(report.attachments, start=1):
        if item.caption:
            # What she wrote with a photo or file belongs to it.
            caption = shorten(item.caption, CAPTION_MAX)
            lines.append(
                t.gettext("File {number}: “{caption}”").format(number=number, caption=caption)
            )

    thread = []
    for message in report.thread:
        when = t.short_date(message.at)
        if message.author == "note" and not coordinator:
            continue  # internal notes, and who wrote them, are the coordinators' own
        if message.author == "reporter":
            heading = t.gettext("Added by the reporter, {date}").format(date=when)
        elif not coordinator:
            heading = t.gettext("Reply to the reporter, {date}").format(date=when)
        else:
            name = await _person_name(context, message.author_id, viewer_id)
            if message.author == "note":
                heading = t.gettext("Internal note by {name}, {date}").format(name=name, date=when)
            else:
                heading = t.gettext("Reply to the reporter by {name}, {date}").format(
                    name=name, date=when
                )
        body = message.text
        if message.file_kind is not None:
            sent = (
                t.gettext("(with a photo)")
                if message.file_kind == "photo"
                else t.gettext("(with a file)")
            )
            body = f"{body}\n📎 {sent}" if body else f"📎 {sent}"
        thread.append((heading, body))
    return lines, thread


def card_text(
    t: Translator, report: ReportInfo, facts: list[str], thread: list[tuple[str, str]]
) -> tuple[str, bool]:
    """The card as HTML within Telegram's limit, and whether anything had to be cut."""
    title = "📄 <b>" + html.escape(t.gettext("Report {ref}").format(ref=report.ref)) + "</b>"
    head = "\n".join([title, *(html.escape(line) for line in facts)])
    story_title = "<b>" + html.escape(t.gettext("What happened")) + "</b>\n"
    thread_title = "<b>" + html.escape(t.gettext("Messages")) + "</b>"

    def thread_block(items: list[tuple[str, str]], left_out: int) -> str:
        if not items and not left_out:
            return ""
        parts = [thread_title]
        if left_out:
            note = t.ngettext(
                "({count} earlier message is in the full text.)",
                "({count} earlier messages are in the full text.)",
                left_out,
            ).format(count=left_out)
            parts.append("<i>" + html.escape(note) + "</i>")
        parts += [f"<i>{html.escape(h)}</i>\n{html.escape(body)}" for h, body in items]
        return "\n\n" + "\n\n".join(parts)

    full = head + "\n\n" + story_title + html.escape(report.text) + thread_block(thread, 0)
    if utf16_len(full) <= CARD_BUDGET:
        return full, False

    # Too long: the newest messages of the thread, each shortened, then as much of the text
    # as fits, with a note that the full text is one button away.
    kept: list[tuple[str, str]] = []
    for heading, body in reversed(thread):
        item = (heading, shorten(body, THREAD_ITEM_MAX))
        if utf16_len(thread_block([item, *kept], 0)) > THREAD_BUDGET:
            break
        kept.insert(0, item)
    tail = thread_block(kept, len(thread) - len(kept))
    cut_note = (
        "…\n<i>"
        + html.escape(t.gettext("The text is cut here: “Full text” sends all of it."))
        + "</i>"
    )
    used = sum(utf16_len(part) for part in (head, story_title, tail, cut_note))
    room = CARD_BUDGET - used - 2
    story = report.text[: max(0, room)]
    while story and utf16_len(html.escape(story)) > room:
        story = story[: len(story) - max(1, utf16_len(html.escape(story)) - room)]
    return head + "\n\n" + story_title + html.escape(story) + cut_note + tail, True


PIN = re.compile(r"📍 (-?\d{1,2}\.\d+), (-?\d{1,3}\.\d+)")  # as the report form keeps a pin


def pin_of(place: str | None) -> tuple[float, float] | None:
    found = PIN.fullmatch(place or "")
    return None if found is None else (float(found[1]), float(found[2]))


def card_keyboard(
    t: Translator, roles: Roles, report: ReportInfo, viewer_id: int, cut: bool, muted: bool
) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    rid = report.id
    if roles.coordinator:
        if report.assigned_to != viewer_id:
            rows.append([InlineKeyboardButton("🙋 " + t.gettext("Take"), callback_data=TAKE(rid))])
        moves = [
            InlineKeyboardButton(
                "↩️ " + t.gettext("Reopen")
                if is_reopening(report.status, target)
                else "→ " + status_name(t, target),
                callback_data=MOVE(rid, target),
            )
            for target in TRANSITIONS.get(report.status, ())
        ]
        rows += in_rows(moves)
        rows += in_rows(
            [
                InlineKeyboardButton(
                    "✉️ " + t.gettext("Reply to the reporter"), callback_data=REPLY(rid)
                ),
                InlineKeyboardButton("📝 " + t.gettext("Internal note"), callback_data=NOTE(rid)),
            ]
        )
        mute = (
            InlineKeyboardButton(
                "🔈 " + t.gettext("Unmute the sender"), callback_data=MUTE(rid, "off")
            )
            if muted
            else InlineKeyboardButton(
                "🔇 " + t.gettext("Mute the sender"), callback_data=MUTE(rid, "on")
            )
        )
        rows.append([mute])
    extra = []
    if report.attachments:
        extra.append(
            InlineKeyboardButton(
                "📎 " + t.gettext("Attachments ({count})").format(count=len(report.attachments)),
                callback_data=FILES(rid),
            )
        )
    if cut:
        extra.append(
            InlineKeyboardButton("📄 " + t.gettext("Full text"), callback_data=FULL_TEXT(rid))
        )
    rows += in_rows(extra)
    rows += in_rows(map_buttons(pin_of(report.place)))
    rows.append([InlineKeyboardButton("◀ " + t.gettext("Back to the list"), callback_data=BACK())])
    return InlineKeyboardMarkup(rows)


async def show_card(
    update: Update,
    context: BotContext,
    roles: Roles,
    report: ReportInfo,
    *,
    notice: str | None = None,
) -> None:
    """Render the card and record that she saw it."""
    assert update.effective_user
    viewer_id = update.effective_user.id
    facts, thread = await card_parts(context, report, viewer_id)
    muted = roles.coordinator and await sender_muted(context, report)
    if muted:
        facts.append(
            "🔇 " + context.t.gettext("The sender is muted: nobody is told of her reports.")
        )
    text, cut = card_text(context.t, report, facts, thread)
    await record_view(context.db, report.id, actor_id=viewer_id)
    markup = card_keyboard(context.t, roles, report, viewer_id, cut, muted)
    await edit_or_send(update, context, text, markup, notice=notice)


async def sender_muted(context: BotContext, report: ReportInfo) -> bool:
    reporter = await reporter_of(context.db, report.id)
    return reporter is not None and await is_muted(context.db, reporter.user_id)


async def mute_sender(update: Update, context: BotContext) -> None:
    """🔇 / 🔈: her reports and additions are still kept, but nobody is notified of them (or
    again). Coordinators only; the sender is never named (she may be anonymous)."""
    report_id, switch = MUTE.values(context.match)
    loaded = await load(update, context, "mute a sender", report_id, write=True)
    if loaded is None:
        return
    roles, report = loaded
    assert update.effective_user
    reporter = await reporter_of(context.db, report.id)
    if reporter is None:
        return
    actor = update.effective_user.id
    t = context.t
    if switch == "on":
        await mute(context.db, reporter.user_id, actor_id=actor)
        notice = t.gettext("Muted: nobody is told of her reports now.")
    else:
        await unmute(context.db, reporter.user_id, actor_id=actor)
        notice = t.gettext("Unmuted: coordinators are told of her reports again.")
    log.info(
        "Sender of report %s %s by %s", report.id, "muted" if switch == "on" else "unmuted", actor
    )
    await show_card(update, context, roles, report, notice=notice)


async def open_card(update: Update, context: BotContext) -> None:
    """The report card."""
    (report_id,) = OPEN_REPORT.values(context.match)
    loaded = await load(update, context, "report card", report_id, write=False)
    if loaded is not None:
        await show_card(update, context, *loaded)


async def send_full_text(update: Update, context: BotContext) -> None:
    """The whole card, text and thread as a .txt document."""
    (report_id,) = FULL_TEXT.values(context.match)
    loaded = await load(update, context, "report full text", report_id, write=False)
    if loaded is None:
        return
    _roles, report = loaded
    assert update.callback_query and update.effective_user and update.effective_chat
    t = context.t
    await update.callback_query.answer()
    viewer_id = update.effective_user.id
    facts, thread = await card_parts(context, report, viewer_id)
    parts = [t.gettext("Report {ref}").format(ref=report.ref), *facts, ""]
    parts += [t.gettext("What happened"), report.text, ""]
    for heading, body in thread:
        parts += [heading, body, ""]
    data = "\n".join(parts).encode("utf-8")
    await record_view(context.db, report.id, actor_id=viewer_id, what="full_text")
    await context.bot.send_document(
        update.effective_chat.id,
        InputFile(data, filename=f"{report.ref}.txt"),
        caption=html.escape(t.gettext("Report {ref}: the full text.").format(ref=report.ref)),
    )


async def take_report(update: Update, context: BotContext) -> None:
    """Assign the report to herself."""
    (report_id,) = TAKE.values(context.match)
    loaded = await load(update, context, "report take", report_id, write=True)
    if loaded is None:
        return
    roles, report = loaded
    assert update.effective_user
    await assign(context.db, report.id, actor_id=update.effective_user.id)
    log.info("Report %s taken by %s", report.id, update.effective_user.id)
    fresh = await get_report(context.db, report.id) or report
    notice = context.t.gettext("You have taken this report.")
    await show_card(update, context, roles, fresh, notice=notice)
