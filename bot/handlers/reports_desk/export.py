"""The filtered reports as a CSV file (coordinators only; audited). The reporter is in it only
where she agreed to be named."""

from __future__ import annotations

import html
import logging

from telegram import InputFile, Update

from bot.context import BotContext
from bot.services.csv_export import csv_file
from db.audit import audit
from db.reports import get_report, list_reports, reporter_of
from db.types import utcnow

from .access import allowed
from .callbacks import EXPORT, Filters

log = logging.getLogger(__name__)

CHUNK = 200  # reports read from the database at a time

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


async def export_rows(context: BotContext, f: Filters) -> list[list[str | None]]:
    """The filtered reports, decrypted; the reporter only where she agreed to be named."""
    db = context.db
    tz = context.settings.tz
    rows: list[list[str | None]] = []
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
            if report is None:
                continue
            reporter = None if report.anonymous else await reporter_of(db, report.id)
            rows.append(
                [
                    report.ref,
                    report.created_at.astimezone(tz).date().isoformat(),  # the day is kept
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
            )
        offset += CHUNK
        if offset >= total or not page:
            return rows


async def export_csv(update: Update, context: BotContext) -> None:
    """The filtered reports as a CSV file (coordinators only)."""
    f = Filters(*EXPORT.values(context.match))
    if await allowed(update, context, "report export", write=True) is None:
        return
    t = context.t
    assert update.callback_query and update.effective_user and update.effective_chat
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
        InputFile(csv_file(COLUMNS, rows), filename=f"reports-{stamp}.csv"),
        caption=html.escape(caption),
    )
