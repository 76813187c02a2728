"""Danger alerts under bad luck: a 429, a 5xx, a hang or a block on one coordinator never holds
up the others, and the reporter is told the truth about where her alert got to."""

from __future__ import annotations

import logging

import pytest

from db.roles import set_grants
from sandbox import Fault, Sandbox, SimUser
from tests.e2e.helpers import started, wait_text
from tests.e2e.runner import COORDINATOR_ID, BotRunner
from tests.e2e.test_reports import DANGER_Q, WHEN_Q, report_until_story
from tests.texts import head, ntr, tr

ALERT = "<b>Immediate danger</b> reported by someone filing a report now:"
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
    await reporter.press("✔ " + tr("ky", "Done"))
    await wait_text(reporter, head("ky", WHEN_Q))
    await reporter.press(tr("ky", "Today"))
    await wait_text(reporter, tr("ky", DANGER_Q))
    await reporter.press("⚠️ " + tr("ky", "Yes, someone is in danger"))


def alerted(user: SimUser) -> bool:
    alert = "⚠️ " + head(user.language_code or "en", ALERT)
    return any(m.text.startswith(alert) for m in user.bot_messages())


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
