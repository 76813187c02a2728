"""The filtered reports as CSV files (coordinators only; audited), in her language: one line per
report, and a second file with their follow-ups, replies and internal notes. The reporter is in
them only where she agreed to be named."""

from __future__ import annotations

import asyncio
import html
import logging
from contextlib import aclosing
from dataclasses import dataclass
from datetime import tzinfo

from telegram import InputFile, Update

from bot.context import BotContext
from bot.i18n import LANGUAGE_NAMES, N_, Translator
from bot.keyboards import category_name, occurred_name, region_name, status_name
from bot.services.csv_export import CsvFile, phone
from db.audit import audit
from db.engine import Database
from db.report_export import SealedReport, open_sealed, stream_reports
from db.reports import Reporter, ReportInfo, ThreadMessage
from db.types import utcnow
from db.users import get_user

from .access import allowed
from .callbacks import EXPORT, Filters

log = logging.getLogger(__name__)

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


def report_row(
    t: Translator, report: ReportInfo, reporter: Reporter | None, tz: tzinfo
) -> list[str | None]:
    """One line of the reports file, in her language; the reporter only where she agreed to be
    named."""
    return [
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


def thread_row(
    t: Translator, ref: str, message: ThreadMessage, names: dict[int, str], tz: tzinfo
) -> list[str | None]:
    """One line of the messages file: a follow-up, a reply or an internal note."""
    file = None
    if message.file_kind == "photo":
        file = t.gettext("photo")
    elif message.file_kind is not None:
        file = t.gettext("document")
    return [
        ref,
        message.at.astimezone(tz).date().isoformat(),  # only the day is kept
        t.gettext(AUTHORS.get(message.author, message.author)),
        None if message.author_id is None else names.get(message.author_id, "—"),
        message.text,
        file,
    ]


Threads = list[tuple[str, tuple[ThreadMessage, ...]]]


def add_reports(
    file: CsvFile, db: Database, t: Translator, sealed: list[SealedReport], tz: tzinfo
) -> Threads:
    """Decrypt these reports and write their lines; returns their threads (for the second
    file). CPU work: run in a worker thread, so that everyone else is answered meanwhile."""
    opened = [open_sealed(db, report) for report in sealed]
    file.add(report_row(t, report, reporter, tz) for report, reporter in opened)
    return [(report.ref, report.thread) for report, _ in opened if report.thread]


def add_threads(
    file: CsvFile, t: Translator, threads: Threads, names: dict[int, str], tz: tzinfo
) -> int:
    """Write every thread's lines (oldest first in each); returns how many."""
    rows = [thread_row(t, ref, m, names, tz) for ref, messages in threads for m in messages]
    file.add(rows)
    return len(rows)


async def _author_names(context: BotContext, threads: Threads) -> dict[int, str]:
    """The names of the coordinators who wrote in these threads."""
    names: dict[int, str] = {}
    for _ref, messages in threads:
        for message in messages:
            if message.author_id is not None and message.author_id not in names:
                person = await get_user(context.db, message.author_id)
                names[message.author_id] = person.first_name if person else "—"
    return names


@dataclass(frozen=True, slots=True)
class Export:
    reports: bytes
    count: int
    messages: bytes
    message_count: int


async def build_files(context: BotContext, f: Filters) -> Export:
    """The two files of the filtered reports: read a few hundred at a time, each batch
    decrypted and written in a worker thread while the next is read; then the threads."""
    t = context.t
    tz = context.settings.tz
    reports = CsvFile([t.gettext(column) for column in COLUMNS])
    count = 0
    threads: Threads = []
    batches = stream_reports(
        context.db,
        status=f.status,
        regions=None if f.region is None else [f.region],
        category=f.category,
    )
    async with aclosing(batches):
        async for sealed in batches:
            count += len(sealed)
            threads += await asyncio.to_thread(add_reports, reports, context.db, t, sealed, tz)
    # Once the reports are read (the stream holds its transaction until then).
    names = await _author_names(context, threads)
    messages = CsvFile([t.gettext(column) for column in THREAD_COLUMNS])
    message_count = await asyncio.to_thread(add_threads, messages, t, threads, names, tz)
    return Export(reports.data(), count, messages.data(), message_count)


async def export_csv(update: Update, context: BotContext) -> None:
    """The filtered reports as a CSV file (coordinators only)."""
    f = Filters(*EXPORT.values(context.match))
    if await allowed(update, context, "report export", write=True) is None:
        return
    t = context.t
    assert update.callback_query and update.effective_user and update.effective_chat
    await update.callback_query.answer(t.gettext("Preparing the file…"))
    built = await build_files(context, f)
    count = built.count
    actor = update.effective_user.id
    await audit(
        context.db,
        "reports.exported",
        actor_id=actor,
        count=count,
        status=f.status,
        region=f.region,
        category=f.category,
    )
    log.info("Reports exported by %s (%s rows)", actor, count)
    stamp = utcnow().astimezone(context.settings.tz).strftime("%Y%m%d-%H%M")
    caption = t.ngettext(
        "{count} report. The file holds the full text, decrypted: keep it safe and delete it "
        "when you no longer need it.",
        "{count} reports. The file holds the full texts, decrypted: keep it safe and delete it "
        "when you no longer need it.",
        count,
    ).format(count=count)
    await context.bot.send_document(
        update.effective_chat.id,
        InputFile(built.reports, filename=f"reports-{stamp}.csv"),
        caption=html.escape(caption),
    )
    if built.message_count:
        await context.bot.send_document(
            update.effective_chat.id,
            InputFile(built.messages, filename=f"reports-{stamp}-messages.csv"),
            caption=html.escape(
                t.gettext(
                    "Their follow-ups, replies and internal notes ({count}), one per line: keep "
                    "this file as safe as the other."
                ).format(count=built.message_count)
            ),
        )
