"""The coordinators' side of incident reports: the list (/reports) with filters and pages, the
report card, taking a report, status changes (the reporter is told in her language), replies to
the reporter and internal notes, attachments, a CSV export, and the 48-hour reminder.

Regional leads read the reports of their regions when LEADS_SEE_REPORTS=true, and only read.
Every command and every button checks the role, and the report's region, again on the server:
callback data can be forged. A reporter who asked to stay anonymous is never named, anywhere:
not in cards, buttons, files, exports or logs."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import html
import io
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, cast

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import BotContext, SolidarityApp
from bot.conversation import persistent_conversation
from bot.i18n import Translator
from bot.keyboards import category_name, in_rows, occurred_name, region_name, status_name
from bot.notify import Render, deliver, notify_each
from bot.replies import refuse
from bot.services.community import REGIONS
from bot.services.reports import (
    CATEGORIES,
    STATUSES,
    TRANSITIONS,
    due_for_raising,
    move_report,
)
from bot.services.roles import Roles, all_coordinators, may_see_reports, roles_of
from db.audit import audit
from db.reports import (
    AttachmentInfo,
    Reporter,
    ReportInfo,
    add_message,
    assign,
    count_by_status,
    get_report,
    list_reports,
    mark_raised,
    read_attachment,
    record_view,
    reporter_of,
)
from db.types import utcnow
from db.users import get_user

log = logging.getLogger(__name__)

PAGE_SIZE = 8
# The 48-hour rule: how often the database is asked for reports still new, and when first.
RAISE_INTERVAL = timedelta(minutes=30)
RAISE_FIRST_RUN = timedelta(minutes=1)
RAISE_JOB_NAME = "reports.raise_stale"
RAISE_BATCH = 15  # reports per reminder; the rest wait for the next run
TEXT_LIMIT = 4096  # Telegram's limit for a message, in UTF-16 code units
CARD_BUDGET = 4000  # what a card may use, leaving room for the "cut here" note
THREAD_BUDGET = 1500  # the part of a long card given to the thread
THREAD_ITEM_MAX = 600  # characters of one thread message shown on a long card
REPLY_MAX = 3500  # a reply must fit into one message to the reporter with its heading
COMPOSE_TTL = timedelta(hours=1)  # a reply waiting longer than this is not sent
CAPTION_NAME_MAX = 200
EXPORT_CHUNK = 200
ANY = "-"

WAITING_TEXT = 1
COMPOSE_KEY = "rep_compose"
LIST_KEY = "rep_list"

_CODE = r"[a-z_]{1,24}|-"
LIST_RE = re.compile(rf"rep:ls:({_CODE}):({_CODE}):({_CODE}):(\d{{1,4}})")
PICK_RE = re.compile(rf"rep:pk:(st|rg|cat):({_CODE}):({_CODE}):({_CODE})")
CSV_RE = re.compile(rf"rep:csv:({_CODE}):({_CODE}):({_CODE})")
OPEN_RE = re.compile(r"rep:open:(\d{1,9})")
TAKE_RE = re.compile(r"rep:take:(\d{1,9})")
STATUS_RE = re.compile(r"rep:st:(\d{1,9}):([a-z_]{1,24})")
FILES_RE = re.compile(r"rep:files:(\d{1,9})")
FULL_RE = re.compile(r"rep:txt:(\d{1,9})")
BACK_RE = re.compile(r"rep:back")
COMPOSE_PATTERN = r"^rep:(reply|note):(\d{1,9})$"

Match = re.Match[str]


def _cb(data: str) -> str:
    """Callback data, checked against Telegram's 64-byte limit."""
    if len(data.encode()) > 64:
        raise ValueError(f"callback data too long: {data!r}")
    return data


def _len16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# -- filters ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Filters:
    status: str | None = None
    region: str | None = None
    category: str | None = None
    page: int = 0

    @property
    def key(self) -> str:
        return ":".join(v or ANY for v in (self.status, self.region, self.category))

    def data(self, page: int | None = None) -> str:
        return _cb(f"rep:ls:{self.key}:{self.page if page is None else page}")

    def to_json(self) -> dict[str, Any]:
        return {"st": self.status, "rg": self.region, "cat": self.category, "page": self.page}

    @classmethod
    def parse(cls, status: str, region: str, category: str, page: str = "0") -> Filters | None:
        """From callback data; None if any part is not a known code (forged or stale)."""
        values = [None if v == ANY else v for v in (status, region, category)]
        for value, known in zip(values, (STATUSES, REGIONS, CATEGORIES), strict=True):
            if value is not None and value not in known:
                return None
        return cls(values[0], values[1], values[2], int(page))

    @classmethod
    def from_json(cls, data: object) -> Filters:
        if not isinstance(data, dict):
            return cls()
        parsed = cls.parse(
            str(data.get("st") or ANY),
            str(data.get("rg") or ANY),
            str(data.get("cat") or ANY),
            str(data.get("page") or 0),
        )
        return parsed or cls()


# -- labels -------------------------------------------------------------------------------


def _short_date(t: Translator, value: datetime) -> str:
    return t.format_datetime(value, "d MMM HH:mm")


def row_label(t: Translator, report: ReportInfo) -> str:
    """R-2026-0042 · Osh Region · Torture or ill-treatment · new · 23 Nov 14:05 (plain text)."""
    parts = [
        report.ref,
        region_name(t, report.region),
        category_name(t, report.category),
        status_name(t, report.status),
        _short_date(t, report.created_at),
    ]
    return ("⚠️ " if report.danger else "") + " · ".join(parts)


def identity_text(reporter: Reporter) -> str:
    """Name, @username and phone of a reporter who agreed to be named (plain text)."""
    parts = [reporter.name]
    if reporter.username:
        parts.append("@" + reporter.username)
    if reporter.phone:
        parts.append(reporter.phone)
    return " · ".join(parts)


# -- who may see what ---------------------------------------------------------------------


async def _allowed(
    update: Update, context: BotContext, action: str, *, region: str | None = None, write: bool
) -> Roles | None:
    """Her roles if she may do this (coordinators anything; leads read their regions with
    LEADS_SEE_REPORTS), else None after refusing her and logging the attempt."""
    user = update.effective_user
    roles = await roles_of(context.db, context.settings, user.id) if user else None
    if roles is not None and (
        roles.coordinator if write else may_see_reports(roles, context.settings, region)
    ):
        return roles
    log.warning("Refused %s to user %s", action, user.id if user else None)
    await refuse(update, context.t.gettext("This is only for coordinators."))
    return None


async def _load(
    update: Update, context: BotContext, action: str, report_id: int, *, write: bool
) -> tuple[Roles, ReportInfo] | None:
    """The role first (a refused person learns nothing, not even whether the report exists),
    then the report and its region."""
    roles = await _allowed(update, context, action, write=write)
    if roles is None:
        return None
    report = await get_report(context.db, report_id)
    if report is None and roles.coordinator:
        await refuse(update, context.t.gettext("This report no longer exists."))
        return None
    if report is None or not may_see_reports(roles, context.settings, report.region):
        user = update.effective_user
        log.warning("Refused %s of report %s to user %s", action, report_id, user and user.id)
        await refuse(update, context.t.gettext("This is only for coordinators."))
        return None
    return roles, report


def _visible_regions(roles: Roles, region: str | None) -> list[str] | None:
    """The regions a list may show: the filter, within hers for a lead; None means all."""
    if roles.coordinator:
        return None if region is None else [region]
    if region is not None:
        return [region] if region in roles.lead_regions else []
    return [code for code in REGIONS if code in roles.lead_regions]


async def _show(
    update: Update,
    context: BotContext,
    text: str,
    markup: InlineKeyboardMarkup | None,
    *,
    notice: str | None = None,
    alert: bool = False,
) -> None:
    """Replace the message under the pressed button, or send a new one for a command."""
    query = update.callback_query
    if query is None:
        assert update.effective_message
        await update.effective_message.reply_text(text, reply_markup=markup)
        return
    await query.answer(notice, show_alert=alert)
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:
        # A double tap delivers two presses for one message; the second changes nothing.
        if "not modified" not in exc.message:
            raise


# -- the list -----------------------------------------------------------------------------


async def list_view(
    context: BotContext, roles: Roles, wanted: Filters
) -> tuple[str, InlineKeyboardMarkup]:
    t = context.t
    db = context.db
    regions = _visible_regions(roles, wanted.region)
    counts = await count_by_status(db, regions=regions, category=wanted.category)
    page = max(0, wanted.page)
    reports, total = await list_reports(
        db,
        status=wanted.status,
        regions=regions,
        category=wanted.category,
        offset=page * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    pages = max(1, -(-total // PAGE_SIZE))
    if page >= pages:  # the list got shorter since the button was made
        page = pages - 1
        reports, total = await list_reports(
            db,
            status=wanted.status,
            regions=regions,
            category=wanted.category,
            offset=page * PAGE_SIZE,
            limit=PAGE_SIZE,
        )
    f = replace(wanted, page=page)
    context_user = context.user_data
    if context_user is not None:
        context_user[LIST_KEY] = f.to_json()

    every = t.gettext("all")
    lines = [
        "📋 <b>" + html.escape(t.gettext("Incident reports")) + "</b>",
        html.escape(" · ".join(f"{status_name(t, s)}: {counts.get(s, 0)}" for s in STATUSES)),
    ]
    if not roles.coordinator:
        lines.append(
            "<i>" + html.escape(t.gettext("Reports of your regions only, read-only.")) + "</i>"
        )
    if total:
        lines.append(
            html.escape(
                t.gettext("Reports {first}–{last} of {total} (page {page} of {pages}):").format(
                    first=page * PAGE_SIZE + 1,
                    last=page * PAGE_SIZE + len(reports),
                    total=total,
                    page=page + 1,
                    pages=pages,
                )
            )
        )
    else:
        lines.append(html.escape(t.gettext("No reports match these filters.")))

    rows = [
        [InlineKeyboardButton(row_label(t, r), callback_data=_cb(f"rep:open:{r.id}"))]
        for r in reports
    ]
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton("◀", callback_data=f.data(page - 1)))
    if page < pages - 1:
        nav.append(InlineKeyboardButton("▶", callback_data=f.data(page + 1)))
    if nav:
        rows.append(nav)
    filter_rows = [
        ("st", "🔖 ", t.gettext("Status: {value}"), f.status and status_name(t, f.status)),
        ("rg", "📍 ", t.gettext("Region: {value}"), f.region and region_name(t, f.region)),
        ("cat", "🗂 ", t.gettext("Category: {value}"), f.category and category_name(t, f.category)),
    ]
    for kind, icon, label, value in filter_rows:
        rows.append(
            [
                InlineKeyboardButton(
                    icon + label.format(value=value or every),
                    callback_data=_cb(f"rep:pk:{kind}:{f.key}"),
                )
            ]
        )
    if roles.coordinator:
        rows.append(
            [
                InlineKeyboardButton(
                    "⬇️ " + t.gettext("Export CSV"), callback_data=_cb(f"rep:csv:{f.key}")
                )
            ]
        )
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def picker_view(
    t: Translator, roles: Roles, f: Filters, kind: str
) -> tuple[str, InlineKeyboardMarkup]:
    """A small choice of one filter; every choice goes back to the first page."""
    if kind == "st":
        prompt = t.gettext("Choose a status:")
        options = {code: status_name(t, code) for code in STATUSES}
        current, per_row = f.status, 2
    elif kind == "rg":
        prompt = t.gettext("Choose a region:")
        codes = [c for c in REGIONS if roles.coordinator or c in roles.lead_regions]
        options = {code: region_name(t, code) for code in codes}
        current, per_row = f.region, 2
    else:
        prompt = t.gettext("Choose a category:")
        options = {code: category_name(t, code) for code in CATEGORIES}
        current, per_row = f.category, 1

    def choice(code: str | None) -> Filters:
        field = {"st": "status", "rg": "region", "cat": "category"}[kind]
        return replace(f, page=0, **{field: code})

    buttons = [
        InlineKeyboardButton(
            ("✅ " if code == current else "") + label, callback_data=choice(code).data()
        )
        for code, label in options.items()
    ]
    rows = [
        [
            InlineKeyboardButton(
                ("✅ " if current is None else "") + t.gettext("All"),
                callback_data=choice(None).data(),
            )
        ]
    ]
    rows += in_rows(buttons, per_row)
    rows.append([InlineKeyboardButton("◀ " + t.gettext("Back"), callback_data=f.data())])
    return html.escape(prompt), InlineKeyboardMarkup(rows)


async def show_reports(update: Update, context: BotContext) -> None:
    """/reports: counts by status, filters and the first page of the list."""
    roles = await _allowed(update, context, "/reports", write=False)
    if roles is None:
        return
    text, markup = await list_view(context, roles, Filters())
    await _show(update, context, text, markup)


async def list_page(update: Update, context: BotContext, m: Match) -> None:
    """A page of the list with the filters in the button."""
    f = Filters.parse(*m.groups())
    if f is None:
        await refuse(update, context.t.gettext("This button is no longer active."))
        return
    roles = await _allowed(update, context, "report list", region=f.region, write=False)
    if roles is None:
        return
    text, markup = await list_view(context, roles, f)
    await _show(update, context, text, markup)


async def back_to_list(update: Update, context: BotContext, m: Match) -> None:
    """The list as she left it (the filters are kept in her persisted user data)."""
    saved = (context.user_data or {}).get(LIST_KEY)
    f = Filters.from_json(saved)
    roles = await _allowed(update, context, "report list", region=f.region, write=False)
    if roles is None:
        return
    text, markup = await list_view(context, roles, f)
    await _show(update, context, text, markup)


async def pick_filter(update: Update, context: BotContext, m: Match) -> None:
    """Open the small picker of one filter."""
    kind = m.group(1)
    f = Filters.parse(m.group(2), m.group(3), m.group(4))
    if f is None:
        await refuse(update, context.t.gettext("This button is no longer active."))
        return
    roles = await _allowed(update, context, "report filter", region=f.region, write=False)
    if roles is None:
        return
    text, markup = picker_view(context.t, roles, f, kind)
    await _show(update, context, text, markup)


# -- the card -----------------------------------------------------------------------------


async def _person_name(context: BotContext, user_id: int | None, viewer_id: int) -> str:
    """A coordinator's first name as the bot knows it (for other coordinators only)."""
    if user_id is None:
        return "—"
    if user_id == viewer_id:
        return context.t.gettext("you")
    person = await get_user(context.db, user_id)
    return person.first_name if person else str(user_id)


async def _card_parts(
    context: BotContext, report: ReportInfo, viewer_id: int
) -> tuple[list[str], list[tuple[str, str]]]:
    """The facts of a report as plain lines, and its thread as (heading, text) pairs. The
    reporter is named only if she agreed; an anonymous report never asks who she is."""
    t = context.t
    lines = []
    if report.danger:
        lines.append("⚠️ " + t.gettext("Immediate danger"))
    lines += [
        t.gettext("Status: {value}").format(value=status_name(t, report.status)),
        t.gettext("Category: {value}").format(value=category_name(t, report.category)),
        t.gettext("Region: {value}").format(value=region_name(t, report.region)),
        t.gettext("Place: {value}").format(value=report.place or "—"),
        t.gettext("When it happened: {value}").format(value=occurred_name(t, report.occurred)),
        t.gettext("Received: {value}").format(value=t.format_datetime(report.created_at)),
        t.gettext("Updated: {value}").format(value=t.format_datetime(report.updated_at)),
    ]
    if report.assigned_to is not None:
        taken_by = await _person_name(context, report.assigned_to, viewer_id)
        lines.append(t.gettext("Taken by: {value}").format(value=taken_by))
    if report.anonymous:
        lines.append(t.gettext("Reported by: anonymous"))
    elif not (await roles_of(context.db, context.settings, viewer_id)).coordinator:
        # She agreed that coordinators may see who she is; regional leads may not.
        lines.append(t.gettext("Reported by: known to the coordinators"))
    else:
        reporter = await reporter_of(context.db, report.id)
        who = identity_text(reporter) if reporter else "—"
        lines.append(t.gettext("Reported by: {value}").format(value=who))
    lines.append(t.gettext("Attachments: {count}").format(count=len(report.attachments)))

    thread = []
    for message in report.thread:
        when = t.format_datetime(message.at, "short")
        if message.author == "reporter":
            heading = t.gettext("Added by the reporter, {date}").format(date=when)
        else:
            name = await _person_name(context, message.author_id, viewer_id)
            if message.author == "note":
                heading = t.gettext("Internal note by {name}, {date}").format(name=name, date=when)
            else:
                heading = t.gettext("Reply to the reporter by {name}, {date}").format(
                    name=name, date=when
                )
        thread.append((heading, message.text))
    return lines, thread


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


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
    if _len16(full) <= CARD_BUDGET:
        return full, False

    # Too long: the newest messages of the thread, each shortened, then as much of the text
    # as fits, with a note that the full text is one button away.
    kept: list[tuple[str, str]] = []
    for heading, body in reversed(thread):
        item = (heading, _clip(body, THREAD_ITEM_MAX))
        if _len16(thread_block([item, *kept], 0)) > THREAD_BUDGET:
            break
        kept.insert(0, item)
    tail = thread_block(kept, len(thread) - len(kept))
    cut_note = (
        "…\n<i>"
        + html.escape(t.gettext("The text is cut here: “Full text” sends all of it."))
        + "</i>"
    )
    room = CARD_BUDGET - _len16(head) - _len16(story_title) - _len16(tail) - _len16(cut_note) - 2
    story = report.text[: max(0, room)]
    while story and _len16(html.escape(story)) > room:
        story = story[: len(story) - max(1, _len16(html.escape(story)) - room)]
    return head + "\n\n" + story_title + html.escape(story) + cut_note + tail, True


def card_keyboard(
    t: Translator, roles: Roles, report: ReportInfo, viewer_id: int, cut: bool
) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    rid = report.id
    if roles.coordinator:
        if report.assigned_to != viewer_id:
            rows.append(
                [InlineKeyboardButton("🙋 " + t.gettext("Take"), callback_data=f"rep:take:{rid}")]
            )
        moves = [
            InlineKeyboardButton(
                "→ " + status_name(t, target), callback_data=_cb(f"rep:st:{rid}:{target}")
            )
            for target in TRANSITIONS.get(report.status, ())
        ]
        rows += in_rows(moves)
        rows.append(
            [
                InlineKeyboardButton(
                    "✉️ " + t.gettext("Reply to the reporter"), callback_data=f"rep:reply:{rid}"
                ),
                InlineKeyboardButton(
                    "📝 " + t.gettext("Internal note"), callback_data=f"rep:note:{rid}"
                ),
            ]
        )
    extra = []
    if report.attachments:
        extra.append(
            InlineKeyboardButton(
                "📎 " + t.gettext("Attachments ({count})").format(count=len(report.attachments)),
                callback_data=f"rep:files:{rid}",
            )
        )
    if cut:
        extra.append(
            InlineKeyboardButton("📄 " + t.gettext("Full text"), callback_data=f"rep:txt:{rid}")
        )
    if extra:
        rows.append(extra)
    rows.append(
        [InlineKeyboardButton("◀ " + t.gettext("Back to the list"), callback_data="rep:back")]
    )
    return InlineKeyboardMarkup(rows)


async def _show_card(
    update: Update,
    context: BotContext,
    roles: Roles,
    report: ReportInfo,
    *,
    notice: str | None = None,
    alert: bool = False,
) -> None:
    """Render the card and record that she saw it."""
    assert update.effective_user
    viewer_id = update.effective_user.id
    facts, thread = await _card_parts(context, report, viewer_id)
    text, cut = card_text(context.t, report, facts, thread)
    await record_view(context.db, report.id, actor_id=viewer_id)
    markup = card_keyboard(context.t, roles, report, viewer_id, cut)
    await _show(update, context, text, markup, notice=notice, alert=alert)


async def open_card(update: Update, context: BotContext, m: Match) -> None:
    """rep:open:<id>: the report card."""
    loaded = await _load(update, context, "report card", int(m.group(1)), write=False)
    if loaded is not None:
        await _show_card(update, context, *loaded)


async def send_full_text(update: Update, context: BotContext, m: Match) -> None:
    """rep:txt:<id>: the whole card, text and thread as a .txt document."""
    loaded = await _load(update, context, "report full text", int(m.group(1)), write=False)
    if loaded is None:
        return
    _roles, report = loaded
    assert update.callback_query and update.effective_user and update.effective_chat
    t = context.t
    await update.callback_query.answer()
    viewer_id = update.effective_user.id
    facts, thread = await _card_parts(context, report, viewer_id)
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


# -- taking a report and moving it along --------------------------------------------------


async def take_report(update: Update, context: BotContext, m: Match) -> None:
    """rep:take:<id>: assign the report to herself."""
    loaded = await _load(update, context, "report take", int(m.group(1)), write=True)
    if loaded is None:
        return
    roles, report = loaded
    assert update.effective_user
    await assign(context.db, report.id, actor_id=update.effective_user.id)
    log.info("Report %s taken by %s", report.id, update.effective_user.id)
    fresh = await get_report(context.db, report.id) or report
    notice = context.t.gettext("You have taken this report.")
    await _show_card(update, context, roles, fresh, notice=notice)


async def tell_reporter(
    context: BotContext,
    report: ReportInfo,
    render: Render,
) -> bool:
    """A message to whoever filed the report, in her language. Only the bot knows who she is:
    the logs name the report, never her (she may be anonymous)."""
    reporter = await reporter_of(context.db, report.id)
    if reporter is None:
        return False
    return await deliver(
        context,
        reporter.user_id,
        render,
        fallback_language=report.reporter_lang,
        who=f"the reporter of report {report.id}",
    )


async def change_status(update: Update, context: BotContext, m: Match) -> None:
    """rep:st:<id>:<status>: move the report along and tell the reporter."""
    loaded = await _load(update, context, "report status", int(m.group(1)), write=True)
    if loaded is None:
        return
    roles, report = loaded
    assert update.effective_user
    t = context.t
    target = m.group(2)
    actor = update.effective_user.id
    previous = await move_report(context.db, report.id, target, actor_id=actor)
    if previous is None:
        # A stale or forged button. Only an alert: re-drawing an unchanged card would be an
        # edit to identical content, which Telegram refuses.
        assert update.callback_query
        fresh = await get_report(context.db, report.id) or report
        notice = t.gettext("This change is not possible: the report is now “{status}”.").format(
            status=status_name(t, fresh.status)
        )
        await update.callback_query.answer(notice, show_alert=True)
        return
    fresh = await get_report(context.db, report.id) or report
    log.info("Report %s moved from %s to %s by %s", report.id, previous, target, actor)

    def render(rt: Translator) -> tuple[str, InlineKeyboardMarkup | None]:
        text = rt.gettext("Your report {ref} is now: {status}").format(
            ref=report.ref, status=status_name(rt, target)
        )
        return "ℹ️ " + html.escape(text), None

    if await tell_reporter(context, report, render):
        notice = t.gettext("Status changed. The reporter has been told.")
    else:
        notice = t.gettext("Status changed. The reporter could not be told.")
    await _show_card(update, context, roles, fresh, notice=notice)


# -- attachments ----------------------------------------------------------------------------


def _caption(t: Translator, index: int, item: AttachmentInfo, intact: bool | None) -> str:
    name = _clip(
        item.file_name or t.gettext("File {number}").format(number=index), CAPTION_NAME_MAX
    )
    lines = [html.escape(name), "SHA-256: <code>" + item.sha256 + "</code>"]
    if intact is False:
        lines.append(
            "⚠️ "
            + html.escape(
                t.gettext("This file no longer matches the SHA-256 taken when it arrived.")
            )
        )
    return "\n".join(lines)


async def _send_attachment(
    context: BotContext, chat_id: int, index: int, item: AttachmentInfo
) -> bool:
    """By Telegram's file_id if it still works, else the decrypted copy from disk."""
    t = context.t
    if item.kind in ("photo", "document"):
        try:
            caption = _caption(t, index, item, None)
            if item.kind == "photo":
                await context.bot.send_photo(chat_id, item.file_id, caption=caption)
            else:
                await context.bot.send_document(chat_id, item.file_id, caption=caption)
            return True
        except BadRequest:
            pass  # an old or foreign file_id: send the copy we keep
    try:
        data = await asyncio.to_thread(read_attachment, context.db, context.settings.data_dir, item)
    except Exception:
        log.exception("Could not read attachment %s", item.id)
        return False
    intact = hashlib.sha256(data).hexdigest() == item.sha256
    name = item.file_name or f"attachment-{index}"
    await context.bot.send_document(
        chat_id, InputFile(data, filename=name), caption=_caption(t, index, item, intact)
    )
    return True


async def send_attachments(update: Update, context: BotContext, m: Match) -> None:
    """rep:files:<id>: every file of the report, each with its SHA-256."""
    loaded = await _load(update, context, "report attachments", int(m.group(1)), write=False)
    if loaded is None:
        return
    _roles, report = loaded
    assert update.callback_query and update.effective_user and update.effective_chat
    t = context.t
    if not report.attachments:
        await update.callback_query.answer(t.gettext("This report has no attachments."))
        return
    await update.callback_query.answer()
    await record_view(context.db, report.id, actor_id=update.effective_user.id, what="attachments")
    failed = 0
    for index, item in enumerate(report.attachments, start=1):
        if not await _send_attachment(context, update.effective_chat.id, index, item):
            failed += 1
    if failed:
        await context.bot.send_message(
            update.effective_chat.id,
            html.escape(
                t.ngettext(
                    "{count} file could not be read.", "{count} files could not be read.", failed
                ).format(count=failed)
            ),
        )


# -- export --------------------------------------------------------------------------------

CSV_COLUMNS = (
    "ref",
    "created_at",
    "category",
    "region",
    "occurred",
    "danger",
    "status",
    "anonymous",
    "reporter_name",
    "reporter_username",
    "reporter_phone",
    "place",
    "text",
    "attachments",
    "sha256",
)


def _cell(value: str) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas: keep them text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


async def export_rows(context: BotContext, f: Filters) -> list[list[str]]:
    """The filtered reports, decrypted; the reporter only where she agreed to be named."""
    db = context.db
    tz = context.settings.tz
    rows = []
    offset = 0
    while True:
        page, total = await list_reports(
            db,
            status=f.status,
            regions=None if f.region is None else [f.region],
            category=f.category,
            offset=offset,
            limit=EXPORT_CHUNK,
        )
        for brief in page:
            report = await get_report(db, brief.id)
            if report is None:
                continue
            reporter = None if report.anonymous else await reporter_of(db, report.id)
            rows.append(
                [
                    report.ref,
                    report.created_at.astimezone(tz).isoformat(timespec="seconds"),
                    report.category,
                    report.region,
                    report.occurred,
                    "yes" if report.danger else "no",
                    report.status,
                    "yes" if report.anonymous else "no",
                    reporter.name if reporter else "",
                    (reporter.username or "") if reporter else "",
                    (reporter.phone or "") if reporter else "",
                    report.place or "",
                    report.text,
                    str(len(report.attachments)),
                    " ".join(a.sha256 for a in report.attachments),
                ]
            )
        offset += EXPORT_CHUNK
        if offset >= total or not page:
            return rows


def csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerows([[_cell(v) for v in row] for row in rows])
    return out.getvalue().encode("utf-8-sig")


async def export_csv(update: Update, context: BotContext, m: Match) -> None:
    """rep:csv:<filters>: the filtered reports as a CSV file (coordinators only)."""
    f = Filters.parse(*m.groups())
    roles = await _allowed(update, context, "report export", write=True)
    if roles is None:
        return
    t = context.t
    assert update.callback_query and update.effective_user and update.effective_chat
    if f is None:
        await update.callback_query.answer(t.gettext("This button is no longer active."))
        return
    await update.callback_query.answer(t.gettext("Preparing the file…"))
    rows = await export_rows(context, f)
    actor = update.effective_user.id
    await audit(
        context.db,
        "reports.exported",
        actor_id=actor,
        count=len(rows),
        status=f.status,
        region=f.region,
        category=f.category,
    )
    log.info("Reports exported by %s (%s rows)", actor, len(rows))
    stamp = utcnow().astimezone(context.settings.tz).strftime("%Y%m%d-%H%M")
    caption = t.ngettext(
        "{count} report. The file holds the full text, decrypted: keep it safe and delete it "
        "when you no longer need it.",
        "{count} reports. The file holds the full texts, decrypted: keep it safe and delete it "
        "when you no longer need it.",
        len(rows),
    ).format(count=len(rows))
    await context.bot.send_document(
        update.effective_chat.id,
        InputFile(csv_bytes(rows), filename=f"reports-{stamp}.csv"),
        caption=html.escape(caption),
    )


# -- replies to the reporter and internal notes -------------------------------------------


async def start_compose(update: Update, context: BotContext) -> int:
    """Reply / Internal note: wait for the text."""
    assert context.match is not None and context.user_data is not None
    kind, raw_id = context.match.groups()
    loaded = await _load(update, context, f"report {kind}", int(raw_id), write=True)
    if loaded is None:
        return ConversationHandler.END
    _roles, report = loaded
    assert update.callback_query and update.effective_chat
    t = context.t
    context.user_data[COMPOSE_KEY] = {
        "id": report.id,
        "kind": kind,
        "at": utcnow().isoformat(),
    }
    await update.callback_query.answer()
    if kind == "reply":
        prompt = "✉️ " + html.escape(
            t.gettext(
                "Write your reply to the reporter of {ref} in one message. She will see it as "
                "coming from the coordinators, without your name."
            ).format(ref=report.ref)
        )
    else:
        prompt = "📝 " + html.escape(
            t.gettext(
                "Write the internal note on {ref} in one message. Only coordinators see notes; "
                "the reporter is not told."
            ).format(ref=report.ref)
        )
    await context.bot.send_message(
        update.effective_chat.id, prompt + "\n" + html.escape(t.gettext("/cancel to stop."))
    )
    return WAITING_TEXT


def _open_button(t: Translator, report: ReportInfo) -> InlineKeyboardMarkup:
    label = "📂 " + t.gettext("Open {ref}").format(ref=report.ref)
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=f"rep:open:{report.id}")]]
    )


async def got_text(update: Update, context: BotContext) -> int:
    """The reply (relayed to the reporter, without the coordinator's name) or the note."""
    message = update.effective_message
    assert message and message.text is not None and context.user_data is not None
    assert update.effective_user
    t = context.t
    compose = context.user_data.pop(COMPOSE_KEY, None)
    if not isinstance(compose, dict):
        return ConversationHandler.END
    started = datetime.fromisoformat(str(compose.get("at")))
    if utcnow() - started > COMPOSE_TTL:
        await message.reply_text(
            html.escape(
                t.gettext("Nothing was sent: too much time has passed. Open the report again.")
            )
        )
        return ConversationHandler.END
    kind = compose.get("kind")
    loaded = await _load(update, context, f"report {kind}", int(compose["id"]), write=True)
    if loaded is None:
        return ConversationHandler.END
    _roles, report = loaded
    text = message.text.strip()
    if not text or len(text) > REPLY_MAX:
        context.user_data[COMPOSE_KEY] = compose
        await message.reply_text(
            html.escape(
                t.gettext("Please keep it under {max} characters, or /cancel.").format(
                    max=REPLY_MAX
                )
            )
        )
        return WAITING_TEXT
    actor = update.effective_user.id
    if kind == "note":
        await add_message(context.db, report.id, author="note", text=text, author_id=actor)
        log.info("Note on report %s by %s", report.id, actor)
        await message.reply_text(
            "📝 " + html.escape(t.gettext("Note saved.")), reply_markup=_open_button(t, report)
        )
        return ConversationHandler.END

    await add_message(context.db, report.id, author="coordinator", text=text, author_id=actor)
    log.info("Reply on report %s by %s", report.id, actor)

    def render(rt: Translator) -> tuple[str, InlineKeyboardMarkup | None]:
        heading = rt.gettext("Reply from the coordinators about your report {ref}:").format(
            ref=report.ref
        )
        answer = InlineKeyboardButton(
            "↩️ " + rt.gettext("Answer"), callback_data=f"my:answer:{report.id}"
        )
        return (
            "💬 " + html.escape(heading) + "\n\n" + html.escape(text),
            InlineKeyboardMarkup([[answer]]),
        )

    if await tell_reporter(context, report, render):
        done = "✅ " + html.escape(t.gettext("Sent."))
    else:
        done = "⚠️ " + html.escape(
            t.gettext(
                "Saved, but the reporter could not be reached (she may have blocked the bot)."
            )
        )
    await message.reply_text(done, reply_markup=_open_button(t, report))
    return ConversationHandler.END


async def not_text(update: Update, context: BotContext) -> int:
    assert update.effective_message
    await update.effective_message.reply_text(
        html.escape(context.t.gettext("Please send text, or /cancel."))
    )
    return WAITING_TEXT


async def cancel_compose(update: Update, context: BotContext) -> int:
    assert update.effective_message and context.user_data is not None
    context.user_data.pop(COMPOSE_KEY, None)
    await update.effective_message.reply_text(
        html.escape(context.t.gettext("Cancelled. Nothing was sent."))
    )
    return ConversationHandler.END


async def reports_instead(update: Update, context: BotContext) -> int:
    """/reports while a reply was awaited: drop the reply, show the list."""
    if context.user_data is not None:
        context.user_data.pop(COMPOSE_KEY, None)
    await show_reports(update, context)
    return ConversationHandler.END


async def other_command(update: Update, context: BotContext) -> int:
    """Any other command while a reply was awaited: nothing is sent; she repeats the command.
    (Otherwise a later, unrelated message would go to the reporter.)"""
    assert update.effective_message and context.user_data is not None
    context.user_data.pop(COMPOSE_KEY, None)
    await update.effective_message.reply_text(
        html.escape(
            context.t.gettext("The reply was cancelled; nothing was sent. Send your command again.")
        )
    )
    return ConversationHandler.END


# -- the 48-hour rule ---------------------------------------------------------------------


async def raise_stale_reports(
    application: Application[Any, Any, Any, Any, Any, Any], now: datetime | None = None
) -> int:
    """Tell every coordinator of the reports still new after 48 hours, and remember that they
    were raised (in the database, so a restart neither loses nor repeats a reminder).
    Returns how many reports were raised."""
    app = cast(SolidarityApp, application)
    due = sorted(await due_for_raising(app.db, now), key=lambda r: r.id)[:RAISE_BATCH]
    if not due:
        return 0

    def render(t: Translator) -> tuple[str, InlineKeyboardMarkup | None]:
        lines = [
            "⏰ "
            + html.escape(
                t.gettext("Still new after 48 hours: {ref} ({region}, {category})").format(
                    ref=r.ref,
                    region=region_name(t, r.region),
                    category=category_name(t, r.category),
                )
            )
            for r in due
        ]
        buttons = [
            [
                InlineKeyboardButton(
                    "📂 " + t.gettext("Open {ref}").format(ref=r.ref),
                    callback_data=f"rep:open:{r.id}",
                )
            ]
            for r in due
        ]
        return "\n".join(lines), InlineKeyboardMarkup(buttons)

    coordinators = await all_coordinators(app.db, app.settings)
    sent = await notify_each(BotContext(app), coordinators, render)
    await mark_raised(app.db, [r.id for r in due], now)
    log.info("Raised %s report(s) still new after 48 hours to %s coordinator(s)", len(due), sent)
    return len(due)


async def _raise_job(context: BotContext) -> None:
    await raise_stale_reports(context.application)


async def schedule_jobs(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Start the repeating 48-hour check (soon after start-up, then every RAISE_INTERVAL)."""
    jobs = application.job_queue
    if jobs is None:
        log.error("No job queue: reports still new after 48 hours will not be raised")
        return
    for old in jobs.get_jobs_by_name(RAISE_JOB_NAME):
        old.schedule_removal()
    jobs.run_repeating(
        _raise_job, interval=RAISE_INTERVAL, first=RAISE_FIRST_RUN, name=RAISE_JOB_NAME
    )


# -- wiring -------------------------------------------------------------------------------

Route = Callable[[Update, BotContext, Match], Awaitable[None]]
ROUTES: tuple[tuple[re.Pattern[str], Route], ...] = (
    (LIST_RE, list_page),
    (PICK_RE, pick_filter),
    (BACK_RE, back_to_list),
    (OPEN_RE, open_card),
    (TAKE_RE, take_report),
    (STATUS_RE, change_status),
    (FILES_RE, send_attachments),
    (FULL_RE, send_full_text),
    (CSV_RE, export_csv),
)
ROUTE_PATTERN = "^(?:" + "|".join(f"(?:{p.pattern})" for p, _ in ROUTES) + ")$"


async def on_button(update: Update, context: BotContext) -> None:
    """Every rep: button except Reply / Note (those start the conversation)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    for pattern, route in ROUTES:
        m = pattern.fullmatch(query.data)
        if m is not None:
            await route(update, context, m)
            return


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    compose = persistent_conversation(
        "reportadmin",
        entry_points=[CallbackQueryHandler(start_compose, pattern=COMPOSE_PATTERN)],
        states={
            WAITING_TEXT: [
                MessageHandler(filters.TEXT & ~filters.COMMAND, got_text),
                MessageHandler(~filters.COMMAND, not_text),
            ]
        },
        fallbacks=[
            CommandHandler("cancel", cancel_compose),
            CommandHandler("reports", reports_instead),
            MessageHandler(filters.COMMAND, other_command),
        ],
    )
    return [
        compose,
        CommandHandler("reports", show_reports),
        CallbackQueryHandler(on_button, pattern=ROUTE_PATTERN),
    ]
