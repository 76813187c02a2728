"""Events, continued: lists in pages and the report by region, an event for the whole country, who
may answer, and a member who leaves."""

from __future__ import annotations

from datetime import timedelta

from db.event_answers import answer_of
from db.event_changes import cancel_event
from db.members import MemberDraft, create_member
from db.types import utcnow
from sandbox import Sandbox
from tests.e2e.helpers import buttons, started, wait_text
from tests.e2e.runner import COORDINATOR_ID, BotRunner
from tests.e2e.test_events import (
    BAD_DURATION,
    MOVED_UP,
    NOTICE,
    answer,
    count_with,
    lead_of,
    make_event,
    member,
    wait_button,
)
from tests.texts import en, head, part, tr


async def test_lists_in_pages_her_region_first_and_the_report_by_region(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    lead = await lead_of(bot, sandbox, "Gulmira", "naryn")
    aina = await member(bot, sandbox, "Aina", "en")
    coordinator = await started(sandbox, "Zhyldyz", user_id=COORDINATOR_ID)
    soon = utcnow() + timedelta(days=1)
    for n in range(6):
        await make_event(bot, lead, title=f"Naryn meeting {n}", starts=soon + timedelta(hours=n))
    await make_event(bot, lead, title="Talas forum", region="talas", starts=soon)
    # Begun a minute ago: in this month's report (the month began before it, but for a minute).
    await make_event(
        bot, lead, title="Talas meeting", region="talas", starts=utcnow() - timedelta(minutes=1)
    )
    await make_event(bot, lead, title="Country forum", region=None, starts=soon + timedelta(days=9))
    await bot.settle()

    await aina.send("/events")
    first = await wait_text(
        aina,
        en(
            "<b>Upcoming events</b> in {region} and for the whole country",
            region=en("Naryn Region"),
        ),
    )
    assert "Naryn meeting 0" in first.text and "Talas forum" not in first.text
    assert "Naryn meeting 5" not in first.text  # five to a page
    await aina.press("▶")
    second = await wait_text(aina, "Country forum")
    assert "Naryn meeting 5" in second.text and "▶" not in buttons(second)
    await aina.press("🌍 " + en("All regions"))
    everywhere = await wait_text(aina, en("<b>Upcoming events</b> in all regions"))
    assert "Talas forum" in everywhere.text
    await aina.press("📍 " + en("My region"))
    await wait_text(aina, "Naryn meeting 0")

    await coordinator.send("/events")
    await wait_button(coordinator, "📊 " + en("Outcomes"))
    await coordinator.press("📊 " + en("Outcomes"))
    await wait_text(coordinator, en("Events and outcomes"))
    await coordinator.press("📍 " + en("Region: {value}", value=en("all regions")))
    await wait_text(coordinator, en("Choose a region:"))
    await coordinator.press(en("Talas Region"))
    talas = await wait_text(coordinator, en("Region: {value}", value=en("Talas Region")))
    assert "Talas meeting" in talas.text and "Naryn meeting" not in talas.text
    assert en("took place, outcome not recorded") in talas.text
    await coordinator.press(en("Last 12 months"))
    await wait_button(coordinator, "✅ " + en("Last 12 months"))


async def test_a_coordinator_announces_for_the_whole_country_with_a_picked_day_and_time(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    coordinator = await started(sandbox, "Zhyldyz", user_id=COORDINATOR_ID)
    naryn = await member(bot, sandbox, "Aina", "ky")
    osh = await member(bot, sandbox, "Bermet", "ru", region="osh_city")
    quiet = await member(bot, sandbox, "Quiet", "en", region="batken", notify="none")

    await coordinator.send("/newevent")
    await wait_text(coordinator, head("en", "<b>Title of the event</b>"))
    await coordinator.send("National forum of women leaders")
    await wait_text(coordinator, head("en", "<b>Description</b>"))
    await coordinator.send("All regions together.")
    await wait_text(coordinator, head("en", "<b>When does it start?</b>"))
    await coordinator.press(en("Tomorrow"))
    await wait_text(coordinator, head("en", "<b>At what time?</b>"))
    await coordinator.send("10:30")
    await wait_text(coordinator, head("en", "<b>How long does it last?</b>"))
    await coordinator.send("2 days")
    await wait_text(coordinator, part("en", BAD_DURATION))
    await coordinator.send("8")
    await wait_text(coordinator, head("en", "<b>Where?</b>"))
    await coordinator.share_location(42.874, 74.612)
    await wait_text(
        coordinator,
        part("en", "Pin kept. Type the address or the name of the place too, or tap “Done”."),
    )
    await coordinator.press("🗑 " + en("Remove the pin"))
    await wait_button(coordinator, "✔ " + en("Done"))
    done = await coordinator.callback_answer(await coordinator.press("✔ " + en("Done")))
    assert done["text"] == en("Please type the place or send a pin, or skip this question.")
    await coordinator.send("Bishkek, Philharmonic")
    # A coordinator chooses any region, or the whole country.
    await wait_text(coordinator, head("en", "<b>For which region?</b>"))
    assert en("Talas Region") in buttons(coordinator.last_bot_message())
    await coordinator.press(en("Whole country"))
    await wait_text(coordinator, en("<b>What kind of event is it?</b>"))
    await coordinator.press(en("Forum"))
    await wait_text(coordinator, head("en", "<b>Online link</b>"))
    await coordinator.send("https://meet.example.org/forum")
    await wait_text(coordinator, head("en", "<b>How many places?</b>"))
    await coordinator.send("300")
    preview = await wait_text(coordinator, en("Preview"))
    assert en("Region: {value}", value=en("Whole country")) in preview.text
    assert "10:30" in preview.text and "8 h" in preview.text
    await coordinator.press("📣 " + en("Publish"))
    await wait_text(coordinator, "2 members")
    await wait_text(naryn, tr("ky", "Whole country"))
    await wait_text(osh, tr("ru", "Whole country"))
    await bot.settle()
    assert count_with(quiet, en(NOTICE)) == 0


async def test_only_approved_members_answer_and_never_to_an_event_called_off(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    lead = await lead_of(bot, sandbox, "Gulmira", "naryn")
    aina = await member(bot, sandbox, "Aina", "en")
    pending = await started(sandbox, "Pending", "en")
    draft = MemberDraft("Pending", "naryn", None, "ngo", ("peace",), None)
    await create_member(bot.application.db, pending.id, draft, approved=False)
    stranger = await started(sandbox, "Stranger", "en")
    event = await make_event(bot, lead)
    await wait_text(aina, en(NOTICE))
    await bot.settle()
    assert count_with(pending, en(NOTICE)) == 0  # approved members only

    await stranger.send("/events")
    not_yet = en("Events are for members of the community. Join to see them and to take part.")
    await wait_text(stranger, not_yet)
    refused = await pending.callback_answer(await pending.forge_press(f"ev:r:{event.id}:going"))
    assert refused["text"] == en("Only members of the community can answer. Join with /join.")
    refused = await stranger.callback_answer(await stranger.forge_press(f"ev:ics:{event.id}"))
    assert refused["show_alert"] and refused["text"] == not_yet
    assert await answer_of(bot.application.db, event.id, pending.id) is None

    await cancel_event(bot.application.db, event.id, "Snow", actor_id=lead.id, tell=lambda _p: [])
    late = await aina.callback_answer(await aina.press("👍 " + en("Going")))
    assert late["text"] == en("This event has been called off or has already begun.")
    assert await answer_of(bot.application.db, event.id, aina.id) is None
    gone = await aina.callback_answer(await aina.forge_press("ev:o:999999"))
    assert gone["text"] == en("This event no longer exists.")


async def test_a_member_who_leaves_frees_her_place_and_her_answers_go(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    lead = await lead_of(bot, sandbox, "Gulmira", "naryn")
    aina = await member(bot, sandbox, "Aina", "en")
    bermet = await member(bot, sandbox, "Bermet", "en")
    event = await make_event(bot, lead, capacity=1)
    for user in (aina, bermet):
        await wait_text(user, en(NOTICE))
    await answer(bot, event, aina, "going")
    await answer(bot, event, bermet, "going")
    assert await answer_of(bot.application.db, event.id, bermet.id) == "waiting"

    await aina.send("/leave")
    await wait_text(aina, head("en", "Leave the community?"))
    await aina.press("🗑 " + en("Yes, erase my data"))
    await wait_text(
        aina, en("Your data has been erased. You can join again at any time with /join.")
    )
    # Her place goes to the first waiting, who is told; nothing of her answer remains.
    await wait_text(bermet, part("en", MOVED_UP))
    assert await answer_of(bot.application.db, event.id, bermet.id) == "going"
    assert await answer_of(bot.application.db, event.id, aina.id) is None
