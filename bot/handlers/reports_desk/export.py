"""The filtered reports as a CSV file (coordinators only; audited). The reporter is in it only
where she agreed to be named."""

from __future__ import annotations

import asyncio
import html
import logging
from contextlib import aclosing
from datetime import tzinfo

from telegram import InputFile, Update

from bot.context import BotContext
from bot.services.csv_export import CsvFile
from db.audit import audit
from db.reports import Reporter, ReportInfo, SealedReport, open_sealed, stream_reports
from db.types import Cipher, utcnow

from .access import allowed
from .callbacks import EXPORT, Filters

log = logging.getLogger(__name__)

COLUMNS = (
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


def report_row(report: ReportInfo, reporter: Reporter | None, tz: tzinfo) -> list[str | None]:
    """One line of the file: the reporter only where she agreed to be named."""
    return [
        report.ref,
        report.created_at.astimezone(tz).isoformat(timespec="seconds"),
        report.category,
        report.region,
        report.occurred,
        "yes" if report.danger else "no",
        report.status,
        "yes" if report.anonymous else "no",
        reporter.name if reporter else None,
        reporter.username if reporter else None,
        reporter.phone if reporter else None,
        report.place,
        report.text,
        str(len(report.attachments)),
        " ".join(a.sha256 for a in report.attachments),
    ]


def add_reports(file: CsvFile, cipher: Cipher, sealed: list[SealedReport], tz: tzinfo) -> None:
    """Decrypt these reports and write their lines. CPU work: run in a worker thread, so that
    everyone else is answered meanwhile."""
    file.add(report_row(*open_sealed(cipher, report), tz=tz) for report in sealed)


async def build_file(context: BotContext, f: Filters) -> tuple[bytes, int]:
    """The CSV file of the filtered reports and how many are in it: read a few hundred at a
    time, each batch decrypted and written in a worker thread while the next is read."""
    file = CsvFile(COLUMNS)
    count = 0
    batches = stream_reports(
        context.db,
        status=f.status,
        regions=None if f.region is None else [f.region],
        category=f.category,
    )
    async with aclosing(batches):
        async for sealed in batches:
            count += len(sealed)
            await asyncio.to_thread(
                add_reports, file, context.db.cipher, sealed, context.settings.tz
            )
    return file.data(), count


async def export_csv(update: Update, context: BotContext) -> None:
    """The filtered reports as a CSV file (coordinators only)."""
    f = Filters(*EXPORT.values(context.match))
    if await allowed(update, context, "report export", write=True) is None:
        return
    t = context.t
    assert update.callback_query and update.effective_user and update.effective_chat
    await update.callback_query.answer(t.gettext("Preparing the file…"))
    data, count = await build_file(context, f)
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
        InputFile(data, filename=f"reports-{stamp}.csv"),
        caption=html.escape(caption),
    )
