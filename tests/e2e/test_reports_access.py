"""Who may see reports: members and leads refused, a lead reading her region only
(LEADS_SEE_REPORTS), and reports still new after 48 hours raised once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.handlers.reports_desk import raise_stale_reports
from db.report_desk import set_status as store_status
from db.reports import FileIn, get_report
from db.roles import set_grants
from db.types import utcnow
from sandbox import Sandbox
from tests.e2e.helpers import started, wait_text
from tests.e2e.runner import COORDINATOR_ID, BotRunner, make_settings
from tests.e2e.test_reports_admin import (
    COORDINATOR_ONLY,
    OSH,
    PDF,
    STORY,
    TORTURE,
    all_data,
    audit_of,
    file_report,
    press_data,
    reporter_in,
)
from tests.texts import en, tr


async def test_members_and_leads_are_refused_and_see_nothing(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    await reporter_in(sandbox)
    report = await file_report(bot)
    mallory = await started(sandbox, "Mallory")
    lead = await started(sandbox, "Lead")
    await set_grants(
        bot.application.db,
        lead.id,
        coordinator=False,
        lead_regions=frozenset({"osh_region"}),
        actor_id=COORDINATOR_ID,
    )
    forged = (
        f"rep:open:{report.id}",
        f"rep:st:{report.id}:in_review",
        f"rep:take:{report.id}",
        f"rep:files:{report.id}",
        f"rep:txt:{report.id}",
        f"rep:reply:{report.id}",
        f"rep:note:{report.id}",
        "rep:csv:-:-:-",
        "rep:ls:-:-:-:0",
        "rep:pk:rg:-:-:-",
        "rep:back",
    )
    for person in (mallory, lead):  # without LEADS_SEE_REPORTS a lead is like anyone else
        before = len(person.bot_messages())
        await person.send("/reports")
        refused = await person.next_bot_message()
        assert refused.text == COORDINATOR_ONLY
        for data in forged:
            answer = await person.callback_answer(await person.forge_press(data))
            assert answer["show_alert"] and answer["text"] == COORDINATOR_ONLY, data
        await bot.settle()
        assert len(person.bot_messages()) == before + 1
        assert report.ref not in person.transcript_text() and "torture" not in (
            person.transcript_text().lower()
        )
    stored = await get_report(bot.application.db, report.id)
    assert stored is not None and stored.status == "new" and stored.assigned_to is None
    actions = {e.action for e in await audit_of(bot)}
    assert not actions & {"report.viewed", "report.status", "reports.exported", "report.taken"}


async def test_with_leads_see_reports_a_lead_reads_her_region_only(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    runner = BotRunner(sandbox, make_settings(sandbox, tmp_path, LEADS_SEE_REPORTS="true"))
    await runner.start()
    try:
        await reporter_in(sandbox)
        known = sandbox.store_file(PDF, "document", "c.pdf", "application/pdf")
        osh = await file_report(runner, files=(FileIn("document", known.file_id, PDF, "c.pdf"),))
        talas = await file_report(runner, region="talas", category="trafficking")
        lead = await started(sandbox, "Gulnara", "ru")
        await set_grants(
            runner.application.db,
            lead.id,
            coordinator=False,
            lead_regions=frozenset({"osh_region"}),
            actor_id=COORDINATOR_ID,
        )
        await lead.send("/reports")
        listing = await lead.next_bot_message()
        data = all_data(listing)
        assert f"rep:open:{osh.id}" in data and f"rep:open:{talas.id}" not in data
        assert not any(d.startswith("rep:csv:") for d in data)
        await press_data(lead, "rep:pk:rg:-:-:-")
        await lead.wait_for(lambda u: "rep:pk:rg" not in " ".join(all_data(u.last_bot_message())))
        regions = [d for d in all_data(lead.last_bot_message()) if d.startswith("rep:ls:")]
        assert "rep:ls:-:osh_region:-:0" in regions
        assert "rep:ls:-:talas:-:0" not in regions
        await press_data(lead, "rep:ls:-:-:-:0")  # back to the list
        await lead.wait_for(lambda u: f"rep:open:{osh.id}" in all_data(u.last_bot_message()))

        await press_data(lead, f"rep:open:{osh.id}")
        title = tr("ru", "Report {ref}", ref=osh.ref)
        await lead.wait_for(lambda u: title in (u.last_bot_message() or listing).text)
        card = lead.last_bot_message()
        assert card is not None and STORY in card.text
        card_data = all_data(card)
        assert f"rep:files:{osh.id}" in card_data and "rep:back" in card_data
        assert not any(
            d.startswith(("rep:st:", "rep:take:", "rep:reply:", "rep:note:")) for d in card_data
        )
        await press_data(lead, f"rep:files:{osh.id}")
        await lead.wait_for(lambda u: any(m.file_id for m in u.bot_messages()))

        for forged in (
            f"rep:open:{talas.id}",
            f"rep:files:{talas.id}",
            f"rep:st:{osh.id}:in_review",
            f"rep:take:{osh.id}",
            f"rep:reply:{osh.id}",
            "rep:csv:-:osh_region:-",
            "rep:ls:-:talas:-:0",
        ):
            answer = await lead.callback_answer(await lead.forge_press(forged))
            assert answer["show_alert"], forged
        await runner.settle()
        assert talas.ref not in lead.transcript_text()
        stored = await get_report(runner.application.db, osh.id)
        assert stored is not None and stored.status == "new"
    finally:
        await runner.stop()
    assert sandbox.breaches == []


async def test_reports_still_new_after_48_hours_are_raised_once(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    coordinator = await started(sandbox, "Coordinator", user_id=COORDINATOR_ID)
    await reporter_in(sandbox)
    stale = await file_report(bot)
    handled = await file_report(bot, region="talas")
    await store_status(bot.application.db, handled.id, "in_review", actor_id=COORDINATOR_ID)
    # Only the day it came is kept: raised 48 hours after that day's end (never sooner than
    # 48 hours after it came, at most a day later).
    later = stale.created_at + timedelta(days=1, hours=48)

    assert await raise_stale_reports(bot.application, now=utcnow()) == 0
    assert await raise_stale_reports(bot.application, now=later - timedelta(seconds=1)) == 0
    assert await raise_stale_reports(bot.application, now=later) == 1
    reminder = await coordinator.next_bot_message()
    assert reminder.text == "⏰ " + en(
        "Still new after 48 hours: {ref} ({region}, {category})",
        ref=stale.ref,
        region=OSH,
        category=TORTURE,
    )
    assert all_data(reminder) == [f"rep:open:{stale.id}"]

    # Raised once: not again on the next runs, nor after a restart (the state is stored).
    assert await raise_stale_reports(bot.application, now=later + timedelta(minutes=30)) == 0
    await bot.restart()
    assert await raise_stale_reports(bot.application, now=later + timedelta(hours=1)) == 0
    # Still new two days after the (day of the) reminder: raised again.
    again = bot.application.db.day(later) + timedelta(days=1, hours=48)
    assert await raise_stale_reports(bot.application, now=again - timedelta(seconds=1)) == 0
    assert await raise_stale_reports(bot.application, now=again) == 1
    await coordinator.next_bot_message()

    await coordinator.press("📂 " + en("Open {ref}", ref=stale.ref))
    await wait_text(coordinator, en("Report {ref}", ref=stale.ref))
    jobs = bot.application.job_queue
    assert jobs is not None and jobs.get_jobs_by_name("reports.raise_stale")
