"""Sending an announcement: now (📣 under the preview), at a moment she chooses (🕓: one
question, then a repeating job starts what is due), and cancelling (✖ while it is scheduled or
being sent).

Starting is one transaction (db.announcements.start): the announcement is marked as sending
and its messages are written into the outbox together, so a double tap, the job and a restart
never send it twice, and a crash never loses it. Who gets it is worked out again at that
moment, with her roles as they are then."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from telegram import Update
from telegram.ext import Application

from bot.context import BotContext, SolidarityApp
from bot.delivery import ANNOUNCEMENT, NOTICE
from bot.forms import Form, Incoming, Input, Option, Refused, Step, Turn
from bot.handlers.announcements.common import (
    FINAL,
    GO,
    KIND,
    STOP,
    WHEN,
    audience_of,
    own,
    shown,
    status_text,
    stop_keyboard,
)
from bot.handlers.announcements.compose import control_again
from bot.handlers.announcements.delivery import finished
from bot.i18n import N_, Translator
from bot.keys import ANNOUNCEMENT_WHEN
from bot.notify import to_each
from bot.replies import edit_or_send, refuse
from bot.services.announcements import (
    NotAllowed,
    parse_when,
    quick_times,
    recipients,
    schedulable,
)
from bot.services.roles import roles_of
from db.announcements import (
    DRAFT,
    SCHEDULED,
    SENDING,
    due,
    figures,
    get_announcement,
    purge_drafts,
    schedule,
    start,
    unfinished,
)
from db.announcements import cancel as cancel_announcement
from db.outbox import Outgoing, send_later
from db.types import utcnow

log = logging.getLogger(__name__)

DUE_JOB = "announcements.due"
DUE_INTERVAL = timedelta(seconds=30)  # how often scheduled announcements are looked at
DUE_FIRST = timedelta(seconds=5)  # and first, soon after a start
DRAFT_KEEP = timedelta(days=7)  # previewed drafts never sent nor scheduled are then deleted

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


def messages(chat_ids: list[int], announcement_id: int) -> list[Outgoing]:
    """One outbox message to each recipient, at the lowest priority."""
    return to_each(chat_ids, KIND, {"announcement": announcement_id}, priority=ANNOUNCEMENT)


async def send_now(update: Update, context: BotContext) -> None:
    """📣 Send now: counted again, written into the outbox, and the message she pressed it on
    becomes the status message (figures every few seconds, ✖ to cancel)."""
    query = update.callback_query
    assert query is not None and query.message is not None
    (announcement_id,) = GO.values(context.match)
    owned = await own(update, context, announcement_id, "send", DRAFT, SCHEDULED)
    if owned is None:
        return
    info, roles = owned
    t = context.t
    try:
        chat_ids = await recipients(context.db, context.settings, audience_of(info), roles)
    except NotAllowed as exc:
        log.warning("Refused announcement %s to user %s: %s", info.id, roles.user_id, exc)
        await refuse(update, t.gettext("You may not send to this audience."))
        return
    if not chat_ids:
        await refuse(update, t.gettext("No member matches this audience now."))
        return
    batch = await start(
        context.db,
        info.id,
        messages(chat_ids, info.id),
        actor_id=roles.user_id,
        status_message_id=query.message.message_id,
    )
    if batch is None:  # a double tap, or the scheduler was quicker
        await refuse(update, t.gettext("This announcement is being sent."))
        return
    context.app.wake_sender()
    log.info("Announcement %s started for %s member(s)", info.id, len(chat_ids))
    started = await get_announcement(context.db, info.id)
    assert started is not None
    text = status_text(t, started, {"pending": len(chat_ids)})
    shown(context.db, info.id, text)
    await edit_or_send(update, context, text, stop_keyboard(t, info.id))


async def cancel(update: Update, context: BotContext) -> None:
    """✖ Cancel it: a scheduled one never goes; of one being sent, nothing more goes (what is
    already on its way still arrives). Its author, or any coordinator."""
    (announcement_id,) = STOP.values(context.match)
    owned = await own(update, context, announcement_id, "cancel", SCHEDULED, SENDING)
    if owned is None:
        return
    info, roles = owned
    t = context.t
    if await cancel_announcement(context.db, info.id, actor_id=roles.user_id) is None:
        await refuse(update, t.gettext("This announcement has been sent."))
        return
    log.info("Announcement %s cancelled by user %s", info.id, roles.user_id)
    context.app.wake_sender()
    now = await get_announcement(context.db, info.id)
    assert now is not None
    counts = await figures(context.db, now.batch_id) if now.batch_id is not None else {}
    text = status_text(t, now, counts)
    shown(context.db, info.id, text)
    await edit_or_send(update, context, text, None, notice=t.gettext("Cancelled."))


# -- scheduling: one question ---------------------------------------------------------------


def _example(now: datetime, tz: Any) -> str:
    """Tomorrow at 18:00, as she would type it."""
    return (now + timedelta(days=1)).astimezone(tz).strftime("%d.%m.%Y 18:00")


def when_question(t: Translator, draft: dict[str, Any]) -> str:
    return t.gettext(
        "<b>When should it go?</b>\nWrite the date and time ({zone}), for example {example}, "
        "or tap one of these."
    ).format(zone=draft.get("_zone", ""), example=draft.get("_example", ""))


def when_options(t: Translator, draft: dict[str, Any]) -> list[Option]:
    return [
        Option(f"u{int(moment.timestamp())}", t.short_datetime(moment))
        for moment in quick_times(t.tz, utcnow())
    ]


async def accept_when(turn: Turn, incoming: Incoming) -> bool:
    t, now = turn.t, utcnow()
    if incoming.kind == Input.BUTTON:
        when: datetime | None = datetime.fromtimestamp(int(str(incoming.value)[1:]), UTC)
    else:
        when = parse_when(incoming.text or "", turn.context.settings.tz, now)
    if when is None:
        raise Refused(
            t.gettext(
                "I could not read that. Please write the date and time like {example}."
            ).format(example=turn.draft.get("_example", ""))
        )
    if not schedulable(when, now):
        raise Refused(t.gettext("Please choose a moment in the future, within a year."))
    turn.draft["when"] = when.isoformat()
    return True


WHEN_STEP = Step(
    "when",
    when_question,
    Input.TEXT | Input.BUTTON,
    accept_when,
    options=when_options,
    per_row=2,
    hint=N_("Please write the date and time, or tap one of the buttons."),
)


def _scheduled_id(turn: Turn) -> int | None:
    parsed = WHEN.parse(turn.query.data) if turn.query is not None else None
    return int(parsed[0]) if parsed else None


async def may_schedule(turn: Turn) -> bool:
    """🕓 under a preview (or under a scheduled one: another moment)."""
    announcement_id = _scheduled_id(turn)
    if announcement_id is None:
        return False
    return (
        await own(turn.update, turn.context, announcement_id, "schedule", DRAFT, SCHEDULED)
        is not None
    )


async def prefill_when(turn: Turn) -> None:
    settings, now = turn.context.settings, utcnow()
    turn.draft["_ann"] = _scheduled_id(turn)
    turn.draft["_zone"] = settings.timezone
    turn.draft["_example"] = _example(now, settings.tz)


async def do_schedule(turn: Turn) -> bool:
    """Kept with its moment; the status message says when, with Send now and Cancel."""
    context, t = turn.context, turn.t
    announcement_id = int(turn.draft["_ann"])
    owned = await own(turn.update, context, announcement_id, "schedule", DRAFT, SCHEDULED)
    if owned is None:
        return True
    info, roles = owned
    when = datetime.fromisoformat(str(turn.draft["when"]))
    try:
        count = len(await recipients(context.db, context.settings, audience_of(info), roles))
    except NotAllowed:
        await turn.say(t.gettext("You may not send to this audience."))
        return True
    text = "\n".join(
        [
            t.gettext("🕓 <b>Announcement {number}</b> goes on {when}.").format(
                number=info.id, when=t.datetime(when)
            ),
            t.ngettext(
                "It reaches {count} member now; they are counted again when it goes.",
                "It reaches {count} members now; they are counted again when it goes.",
                count,
            ).format(count=count),
        ]
    )
    sent = await turn.say(text, stop_keyboard(t, info.id, send_now=True))
    if not await schedule(
        context.db, info.id, when, actor_id=roles.user_id, status_message_id=sent.message_id
    ):
        await sent.edit_text(t.gettext("This announcement is being sent."))
    return True


async def leave_when(turn: Turn) -> None:
    """◀ Back or ✖ Cancel on the question: not scheduled; the preview's buttons again."""
    await turn.say(turn.t.gettext("Not scheduled."))
    if turn.draft.get("_ann") is not None:
        await control_again(turn.context, turn, int(turn.draft["_ann"]))


WHEN_FORM = Form(
    ANNOUNCEMENT_WHEN,
    "aw",
    (WHEN_STEP,),
    command=None,
    submit=do_schedule,
    before=may_schedule,
    prefill=prefill_when,
    single=True,
    leave=leave_when,
)


# -- the repeating job ----------------------------------------------------------------------


async def start_due(application: AnyApplication, now: datetime | None = None) -> int:
    """Start the scheduled announcements whose moment has come (each marked as started in the
    same transaction as its messages are written: a restart neither loses nor doubles one);
    finish those whose batch ended without it being noted; forget old unsent drafts. Returns
    how many were started."""
    app = cast(SolidarityApp, application)
    db, settings = app.db, app.settings
    started = 0
    for info in await due(db, now):
        roles = await roles_of(db, settings, info.author_id)
        try:
            chat_ids = await recipients(db, settings, audience_of(info), roles)
        except NotAllowed as exc:
            log.warning("Scheduled announcement %s not sent: %s", info.id, exc)
            await cancel_announcement(db, info.id, actor_id=info.author_id)
            await send_later(
                db, [Outgoing(info.author_id, FINAL, {"announcement": info.id}, NOTICE)]
            )
            continue
        if await start(db, info.id, messages(chat_ids, info.id), actor_id=info.author_id):
            started += 1
            log.info("Scheduled announcement %s started for %s member(s)", info.id, len(chat_ids))
    for announcement_id in await unfinished(db):
        await finished(app, announcement_id)
    await purge_drafts(db, (now or utcnow()) - DRAFT_KEEP)
    app.wake_sender()
    return started


async def _due_job(context: BotContext) -> None:
    await start_due(context.application)


async def schedule_jobs(application: AnyApplication) -> None:
    """Start the repeating look at scheduled announcements (soon after start-up)."""
    jobs = application.job_queue
    if jobs is None:
        log.error("No job queue: scheduled announcements will not be sent")
        return
    for old in jobs.get_jobs_by_name(DUE_JOB):
        old.schedule_removal()
    jobs.run_repeating(_due_job, interval=DUE_INTERVAL, first=DUE_FIRST, name=DUE_JOB)
