"""The 48-hour rule: a report still new after 48 hours is raised again to every coordinator, by
a repeating job; what was raised is stored, so a restart neither loses nor repeats a reminder."""

from __future__ import annotations

import html
import logging
from datetime import datetime, timedelta
from typing import Any, cast

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import Application

from bot.callbacks import OPEN_REPORT
from bot.context import BotContext, SolidarityApp
from bot.delivery import Recipient, Rendered, batch_hook, renderer
from bot.keyboards import category_name, region_name
from bot.notify import to_each
from bot.services.reports import due_for_raising
from bot.services.roles import all_coordinators
from db.outbox import SENT, BatchInfo, Outgoing, running_batches, send_later
from db.report_desk import mark_raised
from db.reports import get_report
from db.types import utcnow

log = logging.getLogger(__name__)

# How often the database is asked for reports still new, and when first.
RAISE_INTERVAL = timedelta(minutes=30)
RAISE_FIRST_RUN = timedelta(minutes=1)
RAISE_JOB_NAME = "reports.raise_stale"
RAISE_BATCH = 15  # reports per reminder; the rest wait for the next run

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


async def raise_stale_reports(application: AnyApplication, now: datetime | None = None) -> int:
    """Tell every coordinator of the reports still new after 48 hours (through the outbox, as
    one batch); they are marked raised once the reminder has reached someone, so a reminder
    that reached nobody is tried again at the next run. Returns how many reports were raised."""
    app = cast(SolidarityApp, application)
    waiting = {
        report_id
        for batch in await running_batches(app.db)
        if batch.kind == "stale"
        for report_id in batch.params.get("reports", [])
    }
    due = sorted(await due_for_raising(app.db, now), key=lambda report: report.id)
    due = [report for report in due if report.id not in waiting][:RAISE_BATCH]
    if not due:
        return 0
    ids = [report.id for report in due]
    coordinators = await all_coordinators(app.db, app.settings)
    when = (now or utcnow()).isoformat()
    reminders = to_each(coordinators, "report.stale", {"reports": ids})
    await send_later(app.db, reminders, batch=("stale", {"reports": ids, "at": when}))
    app.wake_sender()
    log.info("Reminder of %s report(s) still new after 48 hours queued", len(due))
    return len(due)


@batch_hook("stale")
async def reminder_done(app: SolidarityApp, batch: BatchInfo, late: bool) -> list[Outgoing]:
    """Reports are marked raised once their reminder has reached a coordinator (marking them
    twice changes nothing)."""
    if batch.counts.get(SENT, 0):
        at = datetime.fromisoformat(str(batch.params["at"]))
        await mark_raised(app.db, batch.params["reports"], at)
    else:
        log.error("A reminder of reports still new reached no coordinator")
    return []


@renderer("report.stale")
async def render_reminder(r: Recipient) -> Rendered | None:
    """One message for the reports still new: a line and an Open button each."""
    due = [report for i in r.params["reports"] if (report := await get_report(r.app.db, int(i)))]
    due = [report for report in due if report.status == "new"]
    if not due:
        return None
    t = r.t
    lines = [
        "⏰ "
        + html.escape(
            t.gettext("Still new after 48 hours: {ref} ({region}, {category})").format(
                ref=report.ref,
                region=region_name(t, report.region),
                category=category_name(t, report.category),
            )
        )
        for report in due
    ]
    buttons = [
        [
            InlineKeyboardButton(
                "📂 " + t.gettext("Open {ref}").format(ref=report.ref),
                callback_data=OPEN_REPORT(report.id),
            )
        ]
        for report in due
    ]
    return Rendered("\n".join(lines), InlineKeyboardMarkup(buttons))


async def _raise_job(context: BotContext) -> None:
    await raise_stale_reports(context.application)


async def schedule_jobs(application: AnyApplication) -> None:
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
