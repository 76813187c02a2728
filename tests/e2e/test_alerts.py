"""Danger alerts under bad luck: a 429, a 5xx, a hang or a block on one coordinator never holds
up the others, and the reporter is told the truth about where her alert got to."""

from __future__ import annotations

import logging

import pytest

from db.reports import get_report, reports_of
from db.roles import set_grants
from sandbox import Entry, Fault, Sandbox, SimUser
from tests.e2e.helpers import buttons, started, wait_text
from tests.e2e.runner import COORDINATOR_ID, BotRunner
from tests.e2e.test_reports import (
    ABOUT_Q,
    ADDED,
    DANGER_Q,
    MY_REPORTS,
    PLACE_Q,
    SENT,
    STORY,
    STORY_Q,
    SUMMARY,
    WHEN_Q,
    WHERE_Q,
    mine_label,
    report_until_story,
)
from tests.texts import head, ntr, part, tr


def en(msgid: str, **values: object) -> str:
    return tr("en", msgid, **values)


ALERT = (
    "<b>Immediate danger</b>, report {ref} ({region}, {category}): she is filling in the report "
    "now. Open it to read what she has written so far, or write to her; the rest follows when "
    "she sends it."
)
KEPT = (
    "What you had written when you raised the alert stays with the coordinators, so that they "
    "can reach you here. /myreports shows it."
)
UNREACHED = "<b>Your alert has not reached any coordinator yet.</b>"


async def coordinators(sandbox: Sandbox, bot: BotRunner, n: int) -> list[SimUser]:
    """The coordinator of the settings and n - 1 more, each having started the bot."""
    people = [await started(sandbox, "Coordinator", "en", user_id=COORDINATOR_ID)]
    for i in range(1, n):
        person = await started(sandbox, f"Coordinator {i}", "ru")
        await set_grants(
            bot.application.db,
            person.id,
            coordinator=True,
            lead_regions=frozenset(),
            actor_id=COORDINATOR_ID,
        )
        people.append(person)
    return people


async def say_danger(reporter: SimUser) -> None:
    await report_until_story(reporter)
    await say_danger_after_story(reporter)


async def say_danger_after_story(reporter: SimUser) -> None:
    await reporter.press("✔ " + tr("ky", "Done"))
    await wait_text(reporter, head("ky", WHEN_Q))
    await reporter.press(tr("ky", "Today"))
    await wait_text(reporter, tr("ky", DANGER_Q))
    await reporter.press("⚠️ " + tr("ky", "Yes, someone is in danger"))


def alerted(user: SimUser) -> bool:
    alert = part(user.language_code or "en", ALERT)
    return any(m.text.startswith("⚠️") and alert in m.text for m in user.bot_messages())


def alerted_by(message: Entry, ref: str) -> bool:
    return message.text.startswith("⚠️") and ref in message.text


def bot_message(user: SimUser, message_id: int) -> Entry:
    return next(m for m in user.bot_messages() if m.message_id == message_id)


def told(user: SimUser, count: int) -> bool:
    reached = ntr(
        "ky",
        "✅ Your alert has reached {count} coordinator.",
        "✅ Your alert has reached {count} coordinators.",
        count,
    )
    return any(reached in m.text for m in user.bot_messages())


async def test_every_coordinator_is_tried_and_she_hears_to_how_many_it_went(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    first, throttled, failing, hanging = await coordinators(sandbox, bot, 4)
    assert bot.application.sender is not None
    bot.application.sender.send_timeout = 1.0  # a hung request is given up after a second
    sandbox.faults.add(Fault("429", chat_id=throttled.id, retry_after=1, times=2))
    sandbox.faults.add(Fault("5xx", chat_id=failing.id, times=1))
    hang = sandbox.faults.add(Fault("hang", chat_id=hanging.id))
    aigul = await started(sandbox, "Aigul", "ky")
    await say_danger(aigul)
    await wait_text(aigul, head("ky", "An alert is on its way to the coordinators"))
    # The one that answers at once is not held up by the others.
    await first.wait_for(alerted, timeout=5)
    await throttled.wait_for(alerted, timeout=10)
    await failing.wait_for(alerted, timeout=10)
    assert not alerted(hanging)
    assert not told(aigul, 3)  # not said before it is so: one is still on its way
    hang.released.set()
    sandbox.faults.clear()
    await hanging.wait_for(alerted, timeout=15)
    await aigul.wait_for(lambda u: told(u, 4), timeout=15)
    assert sandbox.faults.served["429"] == 2 and sandbox.faults.served["5xx"] == 1


async def test_when_no_coordinator_can_be_reached_she_gets_the_help_lines_again(
    sandbox: Sandbox, bot: BotRunner, caplog: pytest.LogCaptureFixture
) -> None:
    first, second = await coordinators(sandbox, bot, 2)
    first.blocked = True
    second.blocked = True
    aigul = await started(sandbox, "Aigul", "ky")
    caplog.set_level(logging.ERROR)
    await say_danger(aigul)
    again = await wait_text(aigul, head("ky", UNREACHED))
    assert "📞 112" in again.text
    assert any("reached no coordinator" in r.getMessage() for r in caplog.records)
    assert {b.error_code for b in sandbox.breaches} == {403}  # the blocks, as Telegram said
    sandbox.breaches.clear()


UNSENT = (
    "Not sent by her yet: this is what she had written when she raised the alert. The rest "
    "comes if she sends the report."
)


async def test_the_alert_opens_her_report_and_the_coordinators_can_write_to_her_at_once(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    (coordinator,) = await coordinators(sandbox, bot, 1)
    aigul = await started(sandbox, "Aigul", "ky", username="aigul")
    await say_danger(aigul)
    await wait_text(aigul, head("ky", "An alert is on its way to the coordinators"))
    await coordinator.wait_for(alerted)
    (report,) = await reports_of(bot.application.db, aigul.id)
    alert = next(m for m in coordinator.bot_messages() if alerted_by(m, report.ref))
    assert STORY not in alert.text  # the alert itself tells no story
    assert buttons(alert) == ["📂 " + en("Open"), "✉️ " + en("Write to her")]

    # Write to her: relayed while she is still filling in the form.
    await coordinator.press("✉️ " + en("Write to her"), alert.message_id)
    await wait_text(coordinator, head("en", "Write your reply to the reporter of {ref}"))
    await coordinator.send("Are you somewhere safe now?")
    relayed = await wait_text(
        aigul, tr("ky", "Reply from the coordinators about your report {ref}:", ref=report.ref)
    )
    assert "Are you somewhere safe now?" in relayed.text

    # Open (the alert becomes her report's card): what she has written so far, marked as not
    # sent, and nobody named.
    await coordinator.press("📂 " + en("Open"), alert.message_id)
    title = en("Report {ref}", ref=report.ref)
    await coordinator.wait_for(lambda u: title in bot_message(u, alert.message_id).text)
    card = bot_message(coordinator, alert.message_id)
    assert en(UNSENT) in card.text and STORY in card.text
    assert en("Reported by: anonymous") in card.text

    # She finishes the form: the same report is completed, and the coordinators are told.
    await aigul.press("👤 " + tr("ky", "Coordinators may see who I am"))
    await wait_text(aigul, tr("ky", SUMMARY))
    await aigul.press("📨 " + tr("ky", "Send the report"))
    sent = await wait_text(aigul, head("ky", SENT))
    assert report.ref in sent.text
    notice = "New information on report {ref} ({region}, {category})"
    await wait_text(coordinator, part("en", notice))
    (same,) = await reports_of(bot.application.db, aigul.id)
    full = await get_report(bot.application.db, same.id)
    assert full is not None and same.id == report.id
    assert not full.unsent and not full.anonymous and full.danger
    assert [code for _day, code in full.history] == ["alert", "sent"]
    assert not any(
        part("en", "New report {ref} ({region}, {category})") in m.text
        for m in coordinator.bot_messages()
    )  # one report, not two
    await coordinator.press("📂 " + en("Open"))
    card = await wait_text(coordinator, en("Report {ref}", ref=report.ref))
    assert en(UNSENT) not in card.text and "Aigul" in card.text
    # Her own view tells the history.
    await aigul.send("/myreports")
    await wait_text(aigul, tr("ky", MY_REPORTS))
    await aigul.press(mine_label(full))
    mine = await wait_text(aigul, tr("ky", "alert raised"))
    assert tr("ky", "alert raised") in mine.text and tr("ky", "sent by her") in mine.text


async def test_discarding_the_form_after_an_alert_says_what_stays(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    await coordinators(sandbox, bot, 1)
    aigul = await started(sandbox, "Aigul", "ky")
    await say_danger(aigul)
    await wait_text(aigul, head("ky", "An alert is on its way to the coordinators"))
    await aigul.send("/cancel")
    question = await wait_text(aigul, tr("ky", KEPT))
    assert tr("ky", "Discard this draft? What you entered will be deleted.") in question.text
    await aigul.press("🗑 " + tr("ky", "Yes, discard"))
    done = await wait_text(aigul, tr("ky", "Cancelled, and the draft is deleted."))
    assert tr("ky", KEPT) in done.text
    assert tr("ky", "Cancelled. Nothing was sent, and the draft is deleted.") not in done.text
    (report,) = await reports_of(bot.application.db, aigul.id)
    full = await get_report(bot.application.db, report.id)
    assert full is not None and full.unsent and STORY in full.text


async def test_a_pinned_place_opens_on_openstreetmap_and_2gis(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    (coordinator,) = await coordinators(sandbox, bot, 1)
    aigul = await started(sandbox, "Aigul", "ky")
    await aigul.send("/report")
    await wait_text(aigul, tr("ky", ABOUT_Q))
    await aigul.press(tr("ky", "Torture or ill-treatment"))
    await wait_text(aigul, tr("ky", WHERE_Q))
    await aigul.press(tr("ky", "Osh Region"))
    await wait_text(aigul, head("ky", PLACE_Q))
    await aigul.share_location(40.51333, 72.81611)
    await wait_text(aigul, head("ky", STORY_Q))
    await aigul.send(STORY)
    await wait_text(aigul, tr("ky", ADDED))
    await say_danger_after_story(aigul)
    await coordinator.wait_for(alerted)
    await coordinator.press("📂 " + en("Open"))
    card = await wait_text(coordinator, "📍 40.51333, 72.81611")
    assert coordinator.private_chat is not None
    links = {
        b["text"]: b["url"]
        for m in coordinator.private_chat.messages
        if m.message_id == card.message_id
        for row in (m.reply_markup or {}).get("inline_keyboard", [])
        for b in row
        if "url" in b
    }
    assert links == {
        "🗺 OpenStreetMap": (
            "https://www.openstreetmap.org/?mlat=40.513330&mlon=72.816110"
            "#map=17/40.513330/72.816110"
        ),
        "🗺 2GIS": "https://2gis.kg/geo/72.816110%2C40.513330?m=72.816110%2C40.513330%2F17",
    }
