"""Local dialogue events, end to end: a lead announces, members are told by their setting and in
their language, RSVP and the waiting list, edits and cancellations told to those who answered,
reminders on a controllable clock that survive restarts, the outcome in the coordinators' CSV,
bad input, and refusals (forged buttons included)."""

from __future__ import annotations

import csv
import io
import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.delivery import EVENT
from bot.handlers.events import send_due_reminders
from bot.handlers.events.outcomes import CSV_COLUMNS
from bot.i18n import get_translator
from bot.notify import to_each
from bot.services.events import SEATS
from db.audit import audit_entries
from db.event_answers import answer_of, set_answer
from db.events import EventDraft, EventInfo, get_event, publish_event
from db.members import MemberDraft, create_member, update_member
from db.roles import set_grants
from db.types import utcnow
from sandbox import Sandbox, SimUser
from tests.e2e.helpers import buttons, started, wait_text
from tests.e2e.runner import COORDINATOR_ID, BotRunner
from tests.texts import en, head, part, tr

TZ = ZoneInfo("Asia/Bishkek")
NOTICE = "New event"
COORDINATOR_ONLY = "This is only for coordinators."
MOVED_UP = (
    "A place has come free: you are now among those going to {title}, {value}. If you cannot "
    "come after all, please say so below."
)
NONSENSE = (
    "I could not read a date and time in this. Please type them like 05.12.2026 14:00 or "
    "5 Dec 14:00, or pick a day below."
)
BAD_DURATION = (
    "Please tap a button, or type how long it lasts, for example 1.5 h or 90 min (at most 72 "
    "hours)."
)


async def member(
    bot: BotRunner,
    sandbox: Sandbox,
    name: str,
    lang: str,
    region: str = "naryn",
    notify: str = "region",
) -> SimUser:
    user = await started(sandbox, name, lang)
    draft = MemberDraft(name, region, None, "ngo", ("peace",), None)
    await create_member(bot.application.db, user.id, draft, approved=True)
    if notify != "region":
        await update_member(bot.application.db, user.id, notify_events=notify)
    return user


async def lead_of(
    bot: BotRunner, sandbox: Sandbox, name: str, region: str, lang: str = "en"
) -> SimUser:
    user = await started(sandbox, name, lang)
    await set_grants(
        bot.application.db,
        user.id,
        coordinator=False,
        lead_regions=frozenset({region}),
        actor_id=COORDINATOR_ID,
    )
    return user


async def make_event(
    bot: BotRunner,
    organiser: SimUser,
    *,
    region: str | None = "naryn",
    starts: datetime | None = None,
    title: str = "Dialogue on <local> budgets",
    capacity: int | None = None,
    duration: int | None = 120,
) -> EventInfo:
    """An event published as /newevent would, notices and all."""
    draft = EventDraft(
        title=title,
        description="Line one\nLine two & more",
        kind="dialogue",
        starts_at=starts or utcnow() + timedelta(days=3),
        region=region,
        duration=duration,
        place="Naryn, House of Culture",
        geo=(41.428, 75.991),
        link="https://meet.example.org/naryn",
        capacity=capacity,
    )
    event, _count, _new = await publish_event(
        bot.application.db,
        draft,
        organiser_id=organiser.id,
        draft_key=secrets.token_hex(16),
        notices=lambda eid, people: to_each(people, "event.notice", {"event": eid}, priority=EVENT),
        batch=lambda eid: ("event.notices", {"event": eid, "chat": organiser.id, "lang": "en"}),
    )
    bot.application.wake_sender()
    return event


async def answer(bot: BotRunner, event: EventInfo, user: SimUser, value: str) -> None:
    await set_answer(
        bot.application.db, event.id, user.id, value, seats=SEATS, moved_up=lambda _p: []
    )


def count_with(user: SimUser, needle: str) -> int:
    return sum(1 for m in user.bot_messages() if needle in m.text)


async def wait_button(user: SimUser, label: str) -> None:
    await user.wait_for(lambda u: label in buttons(u.last_bot_message()))


async def open_event(user: SimUser, event: EventInfo) -> None:
    """/events, then the event's card."""
    await user.send("/events")
    await user.wait_for(lambda u: any(event.title[:10] in b for b in buttons(u.last_bot_message())))
    label = next(b for b in buttons(user.last_bot_message()) if event.title[:10] in b)
    await user.press(label)
    await wait_button(user, "◀ " + en("All events"))


@pytest.mark.webhook_too
async def test_the_lead_of_naryn_publishes_and_members_are_told_by_their_setting(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    lead = await lead_of(bot, sandbox, "Gulmira", "naryn")
    aina = await member(bot, sandbox, "Айна", "ky")
    olga = await member(bot, sandbox, "Ольга", "ru")
    talas = await member(bot, sandbox, "Talas", "en", region="talas")
    everywhere = await member(bot, sandbox, "Everywhere", "en", region="talas", notify="all")
    quiet = await member(bot, sandbox, "Quiet", "ru", notify="none")
    day = (datetime.now(TZ) + timedelta(days=10)).date()
    starts = datetime(day.year, day.month, day.day, 14, 0, tzinfo=TZ)

    await lead.send("/newevent")
    await wait_text(lead, head("en", "<b>Title of the event</b>"))
    await lead.send("Women & peace: a <dialogue>")
    await wait_text(lead, head("en", "<b>Description</b>"))
    await lead.send("We talk about\nlocal keneshes.")
    await wait_text(lead, head("en", "<b>When does it start?</b>"))
    await lead.send(f"{day:%d.%m.%Y} 14:00")
    await wait_text(lead, head("en", "<b>How long does it last?</b>"))
    await lead.press("2 h")
    await wait_text(lead, head("en", "<b>Where?</b>"))
    await lead.share_location(41.428, 75.991)
    await wait_text(
        lead, part("en", "Pin kept. Type the address or the name of the place too, or tap “Done”.")
    )
    await lead.send("Naryn, House of Culture")
    # She leads one region: it is chosen for her.
    await wait_text(lead, en("<b>What kind of event is it?</b>"))
    await lead.press(en("Dialogue platform"))
    await wait_text(lead, head("en", "<b>Online link</b>"))
    await lead.press("⏭ " + en("Skip"))
    await wait_text(lead, head("en", "<b>How many places?</b>"))
    await lead.press("⏭ " + en("Skip"))
    preview = await wait_text(lead, en("Preview"))
    assert "Women & peace: a <dialogue>" in preview.text
    assert get_translator("en", "Asia/Bishkek").datetime(starts) in preview.text
    await lead.press("📣 " + en("Publish"))
    await wait_text(lead, "3 members")

    for user, lang in ((aina, "ky"), (olga, "ru"), (everywhere, "en")):
        notice = await wait_text(user, tr(lang, NOTICE))
        assert "Women & peace: a <dialogue>" in notice.text
        assert tr(lang, "Dialogue platform") in notice.text
        assert get_translator(lang, "Asia/Bishkek").datetime(starts) in notice.text
        assert "We talk about\nlocal keneshes." in notice.text
        labels = buttons(notice)
        assert "👍 " + tr(lang, "Going") in labels and "🗺 OpenStreetMap" in labels
        assert "🗺 2GIS" in labels
    # The Kyrgyz way of writing the date.
    assert f"{day.day}-" in aina.last_bot_message().text  # type: ignore[union-attr]
    await bot.settle()
    assert count_with(talas, en(NOTICE)) == 0
    assert count_with(quiet, tr("ru", NOTICE)) == 0
    await wait_text(lead, "has reached 3 members")
    # Published once, whatever else is pressed.
    assert (
        sum(1 for e in await audit_entries(bot.application.db) if e.action == "event.published")
        == 1
    )


async def test_rsvp_change_capacity_waiting_list_calendar_and_who_is_coming(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    lead = await lead_of(bot, sandbox, "Gulmira", "naryn")
    aina = await member(bot, sandbox, "Aina", "en")
    bermet = await member(bot, sandbox, "Bermet", "en")
    cholpon = await member(bot, sandbox, "Cholpon", "ru")
    event = await make_event(bot, lead, capacity=1)
    for user in (aina, bermet):
        await wait_text(user, en(NOTICE))
    await wait_text(cholpon, tr("ru", NOTICE))

    first = await aina.callback_answer(await aina.press("👍 " + en("Going")))
    assert first["text"] == en("See you there!")
    card = await wait_text(aina, en("Your answer: {value}", value=en("Going")))
    assert en("Going: {count} of {max}", count=1, max=1) in card.text
    again = await aina.callback_answer(await aina.press("✅ " + en("Going")))
    assert again["text"] == en("See you there!")  # the same answer again changes nothing
    second = await bermet.callback_answer(await bermet.press("👍 " + en("Going")))
    assert second["text"] == en(
        "No places left: you are on the waiting list, number {number}. You will be told if a "
        "place comes free.",
        number=1,
    )
    await wait_text(bermet, en("Your answer: {value}", value=en("on the waiting list")))
    await cholpon.press("🤔 " + tr("ru", "Maybe"))
    await wait_text(cholpon, tr("ru", "Your answer: {value}", value=tr("ru", "Maybe")))

    # She changes her answer: the first on the waiting list moves up, and is told.
    await aina.press("👎 " + en("Can't come"))
    await wait_text(aina, en("Your answer: {value}", value=en("Can't come")))
    await wait_text(bermet, part("en", MOVED_UP))
    assert await answer_of(bot.application.db, event.id, bermet.id) == "going"
    assert await answer_of(bot.application.db, event.id, aina.id) == "no"

    # Add to calendar: an .ics file in the bot's time zone, with the place and the link.
    await bermet.press("ℹ️ " + en("Details"))
    await wait_button(bermet, "📅 " + en("Add to calendar"))
    await bermet.press("📅 " + en("Add to calendar"))
    await bermet.wait_for(lambda u: any(m.file_name for m in u.bot_messages()))
    sent = next(m for m in bermet.bot_messages() if m.file_name)
    assert sent.file_name == f"event-{event.id}.ics" and sent.file_id
    ics = sandbox.files[sent.file_id].data.decode()
    local = event.starts_at.astimezone(TZ)
    assert f"DTSTART;TZID=Asia/Bishkek:{local:%Y%m%dT%H%M%S}" in ics
    assert "TZOFFSETTO:+0600" in ics and "BEGIN:VTIMEZONE" in ics
    assert (
        "LOCATION:Naryn\\, House of Culture" in ics and "URL:https://meet.example.org/naryn" in ics
    )
    assert "SUMMARY:Dialogue on <local> budgets" in ics and "\r\n" in ics

    # The lead sees who is coming: names of those going, counts only for Maybe.
    await open_event(lead, event)
    await lead.press("👥 " + en("Who is coming"))
    who = await wait_text(lead, en("Who is coming"))
    assert "1. Bermet" in who.text and "Cholpon" not in who.text and "Aina" not in who.text
    assert en("Maybe: {count}", count=1) in who.text
    assert en("Can't come: {count}", count=1) in who.text


async def test_edit_message_and_call_off_are_told_to_those_who_answered(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    lead = await lead_of(bot, sandbox, "Gulmira", "naryn")
    aina = await member(bot, sandbox, "Aina", "en")
    olga = await member(bot, sandbox, "Ольга", "ru")
    silent = await member(bot, sandbox, "Silent", "en")
    event = await make_event(bot, lead)
    await bot.settle()
    await answer(bot, event, aina, "going")
    await answer(bot, event, olga, "maybe")

    await open_event(lead, event)
    await lead.press("✏️ " + en("Edit"))
    await wait_text(lead, en("Editing the event"))
    await lead.press("✏️ " + en("Title"))
    await wait_text(lead, head("en", "<b>Title of the event</b>"))
    await lead.send("Budget dialogue (new hall)")
    await wait_text(lead, en("Editing the event"))
    await lead.press("✏️ " + en("Places"))
    await wait_text(lead, head("en", "<b>How many places?</b>"))
    await lead.send("40")
    await wait_text(lead, en("Editing the event"))
    await lead.press("💾 " + en("Save changes"))
    await wait_text(lead, "Saved. 2 people who answered will be told:")
    changed = await wait_text(aina, en("An event you answered has changed:"))
    assert "Title: Dialogue on <local> budgets → Budget dialogue (new hall)" in changed.text
    assert "Places: — → 40" in changed.text
    told = await wait_text(olga, tr("ru", "An event you answered has changed:"))
    assert (
        tr("ru", "Title") + ": Dialogue on <local> budgets → Budget dialogue (new hall)"
        in told.text
    )
    fresh = await get_event(bot.application.db, event.id)
    assert (
        fresh is not None and fresh.title == "Budget dialogue (new hall)" and fresh.capacity == 40
    )

    # One message to those going.
    await open_event(lead, fresh)
    await lead.press("✉️ " + en("Write to those going"))
    await wait_text(lead, head("en", "<b>Your message to those going</b>"))
    await lead.send("Bring your <passport> & a pen.")
    await wait_text(lead, en("To those going to"))
    await lead.press("✉️ " + en("Send"))
    await wait_text(lead, "on its way to 1 person going")
    message = await wait_text(aina, "Bring your <passport> & a pen.")
    assert part("en", "From the organiser of {title}:") in message.text

    # Called off with a reason.
    await open_event(lead, fresh)
    await lead.press("🚫 " + en("Call off"))
    await wait_text(lead, head("en", "<b>Why is it called off?</b>"))
    await lead.send("The hall is flooded.")
    await wait_text(lead, en("Call off this event?"))
    await lead.press("🚫 " + en("Call off the event"))
    await wait_text(lead, "Called off. 2 people who answered will be told.")
    gone = await wait_text(aina, en("Called off:"))
    assert "The hall is flooded." in gone.text
    await wait_text(olga, tr("ru", "Called off:"))
    await bot.settle()
    assert silent.bot_messages()[-1].text.startswith("📣")  # only the notice, nothing after
    stored = await get_event(bot.application.db, event.id)
    assert stored is not None and stored.cancelled


async def test_reminders_fire_on_a_controlled_clock_and_survive_restarts_without_duplicates(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    lead = await lead_of(bot, sandbox, "Gulmira", "naryn")
    aina = await member(bot, sandbox, "Aina", "ky")
    olga = await member(bot, sandbox, "Olga", "ru")
    nora = await member(bot, sandbox, "Nora", "en")
    event = await make_event(bot, lead)
    await bot.settle()
    await answer(bot, event, aina, "going")
    await answer(bot, event, olga, "maybe")
    await answer(bot, event, nora, "no")
    starts = event.starts_at
    day_before = tr(
        "ky", "Reminder: {value}", value=get_translator("ky", "Asia/Bishkek").datetime(starts)
    )

    app = bot.application
    assert await send_due_reminders(app, now=starts - timedelta(hours=30)) == 0
    assert await send_due_reminders(app, now=starts - timedelta(hours=23)) == 2
    await wait_text(aina, day_before)
    await wait_text(olga, part("ru", "Reminder: {value}"))
    assert await send_due_reminders(app, now=starts - timedelta(hours=22)) == 0
    await bot.restart()
    app = bot.application
    assert await send_due_reminders(app, now=starts - timedelta(hours=21)) == 0
    assert await send_due_reminders(app, now=starts - timedelta(minutes=119)) == 2
    await wait_text(aina, part("ky", "Starting soon, at {value}:"))
    await wait_text(olga, part("ru", "Starting soon, at {value}:"))
    await bot.restart()
    app = bot.application
    assert await send_due_reminders(app, now=starts - timedelta(minutes=30)) == 0
    # After the end: the organiser is asked for the outcome, once.
    assert await send_due_reminders(app, now=starts + timedelta(hours=3)) == 1
    await wait_button(lead, "📝 " + en("Record the outcome"))
    assert await send_due_reminders(app, now=starts + timedelta(hours=4)) == 0
    await bot.settle()
    assert count_with(aina, part("ky", "Reminder: {value}")) == 1
    assert count_with(aina, part("ky", "Starting soon, at {value}:")) == 1
    assert count_with(olga, part("ru", "Starting soon, at {value}:")) == 1
    assert count_with(nora, "⏰") == 0  # "Can't come" gets no reminder
    jobs = bot.application.job_queue
    assert jobs is not None and jobs.get_jobs_by_name("events.reminders")


async def test_the_outcome_reaches_the_coordinators_csv_in_her_language(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    lead = await lead_of(bot, sandbox, "Gulmira", "naryn")
    coordinator = await started(sandbox, "Zhyldyz", "ru", user_id=COORDINATOR_ID)
    await make_event(bot, lead, starts=utcnow() - timedelta(hours=5))
    await bot.settle()
    # The job may have asked already, if this test ran slowly; either way, once.
    assert await send_due_reminders(bot.application) in (0, 1)
    await wait_button(lead, "📝 " + en("Record the outcome"))
    assert await send_due_reminders(bot.application) == 0
    await bot.settle()
    asks = [m for m in lead.bot_messages() if "📝 " + en("Record the outcome") in buttons(m)]
    assert len(asks) == 1
    await lead.press("📝 " + en("Record the outcome"))
    await wait_text(lead, head("en", "<b>How many women took part?</b>"))
    await lead.send("twenty")
    await wait_text(lead, en("Please type a number from 0 to {max}.", max=100000))
    await lead.send("20")
    await wait_text(lead, head("en", "<b>How many men took part?</b>"))
    await lead.send("5")
    await wait_text(lead, head("en", "<b>How many took part in all?</b>"))
    await lead.send("20")
    await wait_text(
        lead, en("The total cannot be smaller than women and men together ({count}).", count=25)
    )
    await lead.send("31")
    await wait_text(lead, head("en", "<b>What was discussed and decided?</b>"))
    await lead.send("A women's council at the ayil okmotu; a letter to the kenesh.")
    await wait_text(lead, en("Women: {count}", count=20))
    await lead.press("💾 " + en("Save"))
    await wait_text(lead, en("The outcome is saved. Thank you!"))

    await coordinator.send("/events")
    await wait_button(coordinator, "📊 " + tr("ru", "Outcomes"))
    await coordinator.press("📊 " + tr("ru", "Outcomes"))
    report = await wait_text(coordinator, tr("ru", "Events and outcomes"))
    assert tr("ru", "Women: {count}", count=20) in report.text
    await coordinator.press("⬇️ " + tr("ru", "Export CSV"))
    await coordinator.wait_for(lambda u: any(m.file_id for m in u.bot_messages()))
    export = next(m for m in coordinator.bot_messages() if m.file_id)
    assert export.file_id is not None
    rows = list(csv.reader(io.StringIO(sandbox.files[export.file_id].data.decode("utf-8-sig"))))
    assert rows[0] == [tr("ru", column) for column in CSV_COLUMNS]
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row[tr("ru", "Title")] == "Dialogue on <local> budgets"
    assert row[tr("ru", "Kind")] == tr("ru", "Dialogue platform")
    assert row[tr("ru", "Region")] == tr("ru", "Naryn Region")
    assert row[tr("ru", "Status")] == tr("ru", "took place")
    assert (row[tr("ru", "Women")], row[tr("ru", "Men")], row[tr("ru", "In all")]) == (
        "20",
        "5",
        "31",
    )
    assert "women's council" in row[tr("ru", "Discussed and decided")]
    assert any(e.action == "events.exported" for e in await audit_entries(bot.application.db))


async def test_members_cannot_create_or_edit_and_a_lead_cannot_touch_another_region(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    naryn_lead = await lead_of(bot, sandbox, "Gulmira", "naryn")
    talas_lead = await lead_of(bot, sandbox, "Asel", "talas")
    aina = await member(bot, sandbox, "Aina", "en")
    event = await make_event(bot, naryn_lead)
    await bot.settle()

    await aina.send("/newevent")
    await wait_text(aina, en("Only regional leads and coordinators can announce events."))
    await open_event(aina, event)
    assert not any(label.startswith("✏️") for label in buttons(aina.last_bot_message()))
    forged = [f"ev:ed:{event.id}", f"ev:cx:{event.id}", f"ev:msg:{event.id}", f"ev:who:{event.id}"]
    forged.append(f"ev:out:{event.id}")
    for data in forged:
        refused = await aina.callback_answer(await aina.forge_press(data))
        assert refused["show_alert"], data
        assert refused["text"] == en("This is only for coordinators and regional leads.")
    refused = await aina.callback_answer(await aina.forge_press("ev:rep:all:month"))
    assert refused["text"] == en(COORDINATOR_ONLY)

    # The lead of Talas: her role is real, the region is not hers.
    await open_event(talas_lead, event)
    assert not any(label.startswith("✏️") for label in buttons(talas_lead.last_bot_message()))
    for data in forged:
        refused = await talas_lead.callback_answer(await talas_lead.forge_press(data))
        assert refused["text"] == en(
            "Only coordinators and the leads of its region can manage this event."
        ), data
    await bot.settle()
    stored = await get_event(bot.application.db, event.id)
    assert stored is not None and stored.status == "published" and stored.revision == 0
    actions = {e.action for e in await audit_entries(bot.application.db)}
    assert not actions & {"event.edited", "event.cancelled", "event.messaged", "events.exported"}
    # Her own region's lead may.
    await open_event(naryn_lead, event)
    assert "✏️ " + en("Edit") in buttons(naryn_lead.last_bot_message())
