"""/reports: counts by status, filters by status, region and category, and the list in pages."""

from __future__ import annotations

import html
import re
from dataclasses import replace

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import keys
from bot.callbacks import OPEN_REPORT
from bot.context import BotContext
from bot.i18n import Translator
from bot.keyboards import category_name, in_rows, region_name, status_name
from bot.replies import edit_or_send
from bot.services.community import REGIONS
from bot.services.reports import CATEGORIES, STATUSES
from bot.services.roles import Roles, may_see_reports
from bot.text import shorten
from db.report_desk import count_by_status, list_reports
from db.reports import ReportInfo, find_report

from .access import allowed, visible_regions
from .callbacks import EXPORT, LIST, PICK, Filters
from .card import show_card

PAGE_SIZE = 8
REF_RE = re.compile(r"^[Rr]-\d{4}-\d{4,6}$")


def row_label(t: Translator, report: ReportInfo) -> str:
    """A report's button: ⚠️ R-2026-0042 · 23 Nov (plain text; the rest is in `row_line`)."""
    return ("⚠️ " if report.danger else "") + f"{report.ref} · {t.short_date(report.created_at)}"


def row_line(t: Translator, report: ReportInfo) -> str:
    """A report in the list's text: R-2026-0042 · Osh Region · Torture… · new (HTML)."""
    parts = [
        report.ref,
        region_name(t, report.region),
        category_name(t, report.category),
        status_name(t, report.status),
    ]
    return ("⚠️ " if report.danger else "") + html.escape(" · ".join(parts))


async def list_view(
    context: BotContext, roles: Roles, wanted: Filters
) -> tuple[str, InlineKeyboardMarkup]:
    t = context.t
    db = context.db
    regions = visible_regions(roles, wanted.region)
    counts = await count_by_status(db, regions=regions, category=wanted.category)

    async def page_of(number: int) -> tuple[list[ReportInfo], int]:
        return await list_reports(
            db,
            status=wanted.status,
            regions=regions,
            category=wanted.category,
            offset=number * PAGE_SIZE,
            limit=PAGE_SIZE,
        )

    page = max(0, wanted.page)
    reports, total = await page_of(page)
    pages = max(1, -(-total // PAGE_SIZE))
    if page >= pages:  # the list got shorter since the button was made
        page = pages - 1
        reports, total = await page_of(page)
    f = replace(wanted, page=page)
    if context.user_data is not None:
        context.user_data[keys.REPORT_LIST] = f.to_json()

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
        lines += [row_line(t, r) for r in reports]
    else:
        lines.append(html.escape(t.gettext("No reports match these filters.")))

    rows = [
        [InlineKeyboardButton(row_label(t, r), callback_data=OPEN_REPORT(r.id))] for r in reports
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
                    icon + label.format(value=value or every), callback_data=PICK(kind, *f.codes)
                )
            ]
        )
    if roles.coordinator:
        rows.append(
            [InlineKeyboardButton("⬇️ " + t.gettext("Export CSV"), callback_data=EXPORT(*f.codes))]
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


async def show_list(update: Update, context: BotContext, f: Filters, action: str) -> None:
    roles = await allowed(update, context, action, region=f.region, write=False)
    if roles is None:
        return
    text, markup = await list_view(context, roles, f)
    await edit_or_send(update, context, text, markup)


async def show_reports(update: Update, context: BotContext) -> None:
    """/reports: counts by status, filters and the first page of the list; /reports R-2026-0003
    opens that report's card."""
    wanted = " ".join(context.args or []).strip()
    if wanted and update.callback_query is None:
        await find_by_ref(update, context, wanted)
        return
    await show_list(update, context, Filters(), "/reports")


async def find_by_ref(update: Update, context: BotContext, wanted: str) -> None:
    """A report's card by its reference; the same checks as its Open button."""
    roles = await allowed(update, context, "/reports by reference", write=False)
    if roles is None:
        return
    t = context.t
    assert update.effective_message
    report = await find_report(context.db, wanted) if REF_RE.match(wanted) else None
    if report is None or not may_see_reports(roles, context.settings, report.region):
        await update.effective_message.reply_text(
            html.escape(
                t.gettext(
                    "No report {ref} was found. A reference looks like R-2026-0003; /reports "
                    "shows the list."
                ).format(ref=shorten(wanted, 40))
            )
        )
        return
    await show_card(update, context, roles, report)


async def list_page(update: Update, context: BotContext) -> None:
    """A page of the list with the filters in the button."""
    f = Filters(*LIST.values(context.match))
    await show_list(update, context, f, "report list")


async def back_to_list(update: Update, context: BotContext) -> None:
    """The list as she left it (the filters are kept in her persisted user data)."""
    f = Filters.from_json((context.user_data or {}).get(keys.REPORT_LIST))
    await show_list(update, context, f, "report list")


async def pick_filter(update: Update, context: BotContext) -> None:
    """Open the small picker of one filter."""
    kind, status, region, category = PICK.values(context.match)
    f = Filters(status, region, category)
    roles = await allowed(update, context, "report filter", region=f.region, write=False)
    if roles is None:
        return
    text, markup = picker_view(context.t, roles, f, kind)
    await edit_or_send(update, context, text, markup)
