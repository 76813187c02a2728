"""Reports among others: a lead never sees who reported, and several people reporting at once never
mix."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from db.report_desk import add_message
from db.reports import (
    get_report,
    reports_of,
)
from db.roles import set_grants
from sandbox import Sandbox, SimUser
from tests.e2e.helpers import started, wait_text
from tests.e2e.runner import COORDINATOR_ID, BotRunner, make_settings
from tests.e2e.test_reports import (
    ABOUT_Q,
    ADDED,
    PLACE_Q,
    STORY_Q,
    WHERE_Q,
    file_quick_report,
    finish_report,
    ky,
)
from tests.texts import en, head


async def test_a_lead_never_sees_who_reported(sandbox: Sandbox, tmp_path: Path) -> None:
    runner = BotRunner(sandbox, make_settings(sandbox, tmp_path, LEADS_SEE_REPORTS="true"))
    await runner.start()
    try:
        # The coordinator has opened the bot: the new report's notice reaches her.
        await started(sandbox, "Zhyldyz", "en", user_id=COORDINATOR_ID)
        lead = await started(sandbox, "Lead", "en", username="lead")
        await set_grants(
            runner.application.db,
            lead.id,
            coordinator=False,
            lead_regions=frozenset({"osh_region"}),
            actor_id=COORDINATOR_ID,
        )
        aigul = await started(sandbox, "Aigul", "ky", username="aigul")
        await file_quick_report(aigul)  # coordinators may see who she is; leads may not
        (report,) = await reports_of(runner.application.db, aigul.id)
        db = runner.application.db
        await add_message(
            db,
            report.id,
            author="note",
            text="Her brother may be involved",
            author_id=COORDINATOR_ID,
        )
        await add_message(
            db, report.id, author="coordinator", text="We will call you", author_id=COORDINATOR_ID
        )
        await lead.forge_press(f"rep:open:{report.id}")
        status_new = en("Status: {value}", value=en("new"))

        def card_shown(u: SimUser) -> bool:
            return any(status_new in m.text for m in u.bot_messages())

        await lead.wait_for(card_shown)
        card = next(m for m in lead.bot_messages() if status_new in m.text)
        assert en("Reported by: known to the coordinators") in card.text
        assert "Aigul" not in lead.transcript_text() and "aigul" not in lead.transcript_text()
        # Internal notes and who wrote what are the coordinators' own.
        assert "We will call you" in card.text and "brother" not in card.text
        assert "Zhyldyz" not in card.text
        await runner.settle()
    finally:
        await runner.stop()
    assert sandbox.breaches == []


@pytest.mark.webhook_too
async def test_several_people_report_at_once_and_nothing_mixes(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    people = [
        await started(sandbox, f"Reporter{i}", "ky", username=f"reporter{i}") for i in range(3)
    ]

    async def report(user: SimUser, n: int) -> None:
        await user.send("/report")
        await wait_text(user, ky(ABOUT_Q))
        await user.press(ky("Corruption"))
        await wait_text(user, ky(WHERE_Q))
        await user.press(ky("Naryn Region"))
        await wait_text(user, head("ky", PLACE_Q))
        await user.press("⏭ " + ky("Skip"))
        await wait_text(user, head("ky", STORY_Q))
        await user.send(f"Story number {n}: a bribe was demanded at office {n}.")
        await wait_text(user, ky(ADDED))
        await finish_report(user, anonymous=n % 2 == 0)

    await asyncio.gather(*(report(user, n) for n, user in enumerate(people)))
    refs = set()
    for n, user in enumerate(people):
        (mine,) = await reports_of(bot.application.db, user.id)
        full = await get_report(bot.application.db, mine.id)
        assert (
            full is not None
            and full.text == f"Story number {n}: a bribe was demanded at office {n}."
        )
        assert full.anonymous == (n % 2 == 0) and full.category == "corruption"
        refs.add(mine.ref)
    assert len(refs) == 3
