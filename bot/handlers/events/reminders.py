"""Reminders and the outcome question, by a repeating job that reads the database: the day
before and two hours before, to Going and Maybe; after the end, the organiser is asked for the
outcome. Each is marked done in the same transaction as its messages are written to the outbox,
so a restart loses none and sends none twice (the job runs a minute after start-up, then
every minute)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, cast

from telegram.ext import Application

from bot.context import BotContext, SolidarityApp
from bot.delivery import EVENT, NOTICE
from bot.notify import to_each
from bot.services.events import DAY_BEFORE, ends_at, reminder_due
from db.event_changes import mark_outcome_asked, mark_reminders, reminder_candidates
from db.outbox import Outgoing
from db.types import utcnow

log = logging.getLogger(__name__)

INTERVAL = timedelta(minutes=1)
FIRST_RUN = timedelta(minutes=1)
JOB_NAME = "events.reminders"

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


async def send_due_reminders(application: AnyApplication, now: datetime | None = None) -> int:
    """Enqueue the reminders and outcome questions due at `now`; returns how many messages."""
    app = cast(SolidarityApp, application)
    now = now or utcnow()
    total = 0
    for event in await reminder_candidates(app.db, now, now + DAY_BEFORE):
        due = reminder_due(
            event.starts_at,
            event.created_at,
            now,
            day_done=event.reminded_day,
            soon_done=event.reminded_soon,
        )
        if due.send or due.mark_day or due.mark_soon:
            total += await mark_reminders(
                app.db,
                event.id,
                now,
                day=due.mark_day,
                soon=due.mark_soon,
                send=due.send,
                tell=_reminders(event.id, due.send),
            )
        if not event.outcome_asked and ends_at(event.starts_at, event.duration) <= now:
            asked = await mark_outcome_asked(
                app.db,
                event.id,
                now,
                tell=_question(event.id),
            )
            total += int(asked)
    if total:
        app.wake_sender()
        log.info("%s event reminder(s) and question(s) queued", total)
    return total


def _reminders(event_id: int, which: str | None) -> Callable[[list[int]], list[Outgoing]]:
    def tell(people: list[int]) -> list[Outgoing]:
        params = {"event": event_id, "which": which}
        return to_each(people, "event.reminder", params, priority=EVENT)

    return tell


def _question(event_id: int) -> Callable[[list[int]], list[Outgoing]]:
    def tell(people: list[int]) -> list[Outgoing]:
        return to_each(people, "event.outcome_ask", {"event": event_id}, priority=NOTICE)

    return tell


async def _job(context: BotContext) -> None:
    await send_due_reminders(context.application)


async def schedule_jobs(application: AnyApplication) -> None:
    jobs = application.job_queue
    if jobs is None:
        log.error("No job queue: event reminders will not be sent")
        return
    for old in jobs.get_jobs_by_name(JOB_NAME):
        old.schedule_removal()
    jobs.run_repeating(_job, interval=INTERVAL, first=FIRST_RUN, name=JOB_NAME)
