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
from bot.i18n import Translator
from bot.keyboards import category_name, region_name
from bot.notify import notify_each
from bot.services.reports import due_for_raising
from bot.services.roles import all_coordinators
from db.reports import mark_raised

log = logging.getLogger(__name__)

# How often the database is asked for reports still new, and when first.
RAISE_INTERVAL = timedelta(minutes=30)
RAISE_FIRST_RUN = timedelta(minutes=1)
RAISE_JOB_NAME = "reports.raise_stale"
RAISE_BATCH = 15  # reports per reminder; the rest wait for the next run

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


async def raise_stale_reports(application: AnyApplication, now: datetime | None = None) -> int:
    """Tell every coordinator of the reports still new after 48 hours, and remember that they
    were raised. Returns how many reports were raised."""
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
                    callback_data=OPEN_REPORT(r.id),
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
