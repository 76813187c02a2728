"""The filtered reports as CSV files (coordinators only; audited), in her language: one line per
report, and a second file with their follow-ups, replies and internal notes. The reporter is in
them only where she agreed to be named."""

from __future__ import annotations

import html
import logging

from telegram import InputFile, Update

from bot.context import BotContext
from bot.i18n import LANGUAGE_NAMES, N_, Translator
from bot.keyboards import category_name, occurred_name, region_name, status_name
from bot.services.csv_export import csv_file, phone
from db.audit import audit
from db.reports import ReportInfo, get_report, list_reports, reporter_of
from db.types import utcnow
from db.users import get_user

from .access import allowed
from .callbacks import EXPORT, Filters

log = logging.getLogger(__name__)

CHUNK = 200  # reports read from the database at a time

# Column names (msgids), in the order of the files.
COLUMNS = (
    N_("Reference"),
    N_("Received"),
    N_("Category"),
    N_("Region"),
    N_("When it happened"),
    N_("Immediate danger"),
    N_("Status"),
    N_("Anonymous"),
    N_("Reporter's name"),
    N_("Reporter's username"),
    N_("Reporter's phone"),
    N_("Reporter's language"),
    N_("Place"),
    N_("What happened"),
    N_("Attachments"),
    N_("SHA-256 of the attachments"),
)
THREAD_COLUMNS = (
    N_("Reference"),
    N_("Date"),
    N_("From"),
    N_("Coordinator"),
    N_("Text"),
    N_("File"),
)
AUTHORS = {
    "reporter": N_("the reporter"),
    "coordinator": N_("reply to the reporter"),
    "note": N_("internal note"),
}


def yes_no(t: Translator, value: bool) -> str:
    return t.gettext("yes") if value else t.gettext("no")


async def _reports(context: BotContext, f: Filters) -> list[ReportInfo]:
    """The filtered reports, newest first, decrypted (the reporter aside)."""
    db = context.db
    found: list[ReportInfo] = []
    offset = 0
    while True:
        page, total = await list_reports(
            db,
            status=f.status,
            regions=None if f.region is None else [f.region],
            category=f.category,
            offset=offset,
            limit=CHUNK,
        )
        for brief in page:
            report = await get_report(db, brief.id)
            if report is not None:
                found.append(report)
        offset += CHUNK
        if offset >= total or not page:
            return found


async def export_rows(context: BotContext, reports: list[ReportInfo]) -> list[list[str | None]]:
    """One line per report in her language; the reporter only where she agreed to be named."""
    t = context.t
    tz = context.settings.tz
    rows: list[list[str | None]] = []
    for report in reports:
        reporter = None if report.anonymous else await reporter_of(context.db, report.id)
        rows.append(
            [
                report.ref,
                report.created_at.astimezone(tz).date().isoformat(),  # only the day is kept
                category_name(t, report.category),
                region_name(t, report.region),
                occurred_name(t, report.occurred),
                yes_no(t, report.danger),
                status_name(t, report.status),
                yes_no(t, report.anonymous),
                reporter.name if reporter else None,
                reporter.username if reporter else None,
                phone(reporter.phone) if reporter else None,
                LANGUAGE_NAMES.get(report.reporter_lang, report.reporter_lang),
                report.place,
                report.text,
                str(len(report.attachments)),
                " ".join(a.sha256 for a in report.attachments),
            ]
        )
    return rows


async def thread_rows(context: BotContext, reports: list[ReportInfo]) -> list[list[str | None]]:
    """Every follow-up, reply and internal note of the reports, oldest first in each."""
    t = context.t
    tz = context.settings.tz
    names: dict[int, str] = {}
    rows: list[list[str | None]] = []
    for report in reports:
        for message in report.thread:
            name = None
            if message.author_id is not None:
                if message.author_id not in names:
                    person = await get_user(context.db, message.author_id)
                    names[message.author_id] = person.first_name if person else "—"
                name = names[message.author_id]
            file = None
            if message.file_kind == "photo":
                file = t.gettext("photo")
            elif message.file_kind is not None:
                file = t.gettext("document")
            rows.append(
                [
                    report.ref,
                    message.at.astimezone(tz).date().isoformat(),  # only the day is kept
                    t.gettext(AUTHORS.get(message.author, message.author)),
                    name,
                    message.text,
                    file,
                ]
            )
    return rows


async def export_csv(update: Update, context: BotContext) -> None:
    """The filtered reports as a CSV file (coordinators only)."""
    f = Filters(*EXPORT.values(context.match))
    if await allowed(update, context, "report export", write=True) is None:
        return
    t = context.t
    assert update.callback_query and update.effective_user and update.effective_chat
    await update.callback_query.answer(t.gettext("Preparing the file…"))
    reports = await _reports(context, f)
    rows = await export_rows(context, reports)
    thread = await thread_rows(context, reports)
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
    header = [t.gettext(column) for column in COLUMNS]
    await context.bot.send_document(
        update.effective_chat.id,
        InputFile(csv_file(header, rows), filename=f"reports-{stamp}.csv"),
        caption=html.escape(caption),
    )
    if thread:
        header = [t.gettext(column) for column in THREAD_COLUMNS]
        await context.bot.send_document(
            update.effective_chat.id,
            InputFile(csv_file(header, thread), filename=f"reports-{stamp}-messages.csv"),
            caption=html.escape(
                t.gettext(
                    "Their follow-ups, replies and internal notes ({count}), one per line: keep "
                    "this file as safe as the other."
                ).format(count=len(thread))
            ),
        )
