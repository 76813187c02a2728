"""Coordinators and regional leads find their tools (issue 12, item 7): their desks in the main
menu and in /help, and what waits for them (membership requests, new reports, reports new after
48 hours) on /start and from "🗂 Desk", including what came in before they first wrote."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import update

from db.members import MemberDraft, create_member
from db.models import Report
from db.reports import ReportDraft, Reporter, ReportInfo, create_report
from db.roles import set_grants
from db.types import utcnow
from sandbox import Sandbox, SimUser
from tests.e2e.helpers import buttons, choose_language, menu_buttons, started, wait_text
from tests.e2e.runner import COORDINATOR_ID, BotRunner, make_settings
from tests.texts import en, tr

DESK = "🗂 " + en("Desk")
COORDINATOR_DESKS = "/members · /roles · /setresolution · /reports · /setcontacts"


async def pending_member(bot: BotRunner, user: SimUser, region: str) -> None:
    draft = MemberDraft("Айнура", region, None, "ngo", ("human_rights",), None)
    await create_member(bot.application.db, user.id, draft, approved=False)


async def report(bot: BotRunner, region: str = "osh_region", hours_ago: int = 0) -> ReportInfo:
    db = bot.application.db
    filed = await create_report(
        db,
        ReportDraft("torture", region, "Story", "today", False, True),
        Reporter(555, ""),
        lang="ky",
        files_dir=bot.settings.data_dir,
    )
    if hours_ago:
        async with db.transaction() as session:
            when = utcnow() - timedelta(hours=hours_ago)
            await session.execute(
                update(Report).where(Report.id == filed.id).values(created_at=when)
            )
    return filed


async def test_a_coordinator_sees_what_waits_even_from_before_she_first_wrote(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    # Two requests and three reports arrive before the coordinator ever talks to the bot: the
    # notices about them could reach nobody.
    for name in ("Ainura", "Zarina"):
        await pending_member(bot, await started(sandbox, name, "ky"), "naryn")
    old = await report(bot, hours_ago=49)
    await report(bot)
    await report(bot, region="talas")
    await bot.settle()

    coordinator = sandbox.add_user(user_id=COORDINATOR_ID, first_name="Gulnara", language_code="en")
    await coordinator.send("/start")
    await coordinator.next_bot_message()
    menu = await choose_language(coordinator, "en")
    assert en("Membership requests waiting: {count}", count=2) in menu.text
    assert en("New reports: {count}", count=3) in menu.text
    assert en("Still new after 48 hours ({count}): {refs}", count=1, refs=old.ref) in menu.text
    assert en("Your desks: {desks}", desks=COORDINATOR_DESKS) in menu.text
    assert buttons(menu)[0] == DESK and set(menu_buttons("en")) <= set(buttons(menu))

    await coordinator.press(DESK)
    desk = await wait_text(coordinator, DESK + "\n")
    assert "/setcontacts — " + en("Edit the help lines shown with reports") in desk.text
    assert "/roles — " in desk.text and "/setresolution — " in desk.text
    assert {"⏰ " + old.ref, "🆕 " + en("New reports ({count})", count=3)} <= set(buttons(desk))
    await coordinator.press("⏳ " + en("Requests ({count})", count=2))
    await wait_text(coordinator, en("Pending approvals"))

    # Later visits say it again, above the menu; each button of the desk leads to its list.
    await coordinator.send("/start")
    again = await coordinator.next_bot_message()
    assert en("Welcome back, {name}!", name="Gulnara") in again.text
    assert en("Membership requests waiting: {count}", count=2) in again.text
    await coordinator.press(DESK)
    await wait_text(coordinator, DESK + "\n")
    await coordinator.press("🆕 " + en("New reports ({count})", count=3))
    only_new = "🔖 " + en("Status: {value}", value=en("new"))
    await coordinator.wait_for(lambda u: only_new in buttons(u.last_bot_message()))
    await coordinator.send("/start")
    await coordinator.next_bot_message()
    await coordinator.press(DESK)
    await wait_text(coordinator, DESK + "\n")
    await coordinator.press("⏰ " + old.ref)
    await wait_text(coordinator, en("Report {ref}", ref=old.ref))


async def test_help_and_menu_list_the_desks_of_her_role_only(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    coordinator = await started(sandbox, "Gulnara", "ru", user_id=COORDINATOR_ID)
    lead = await started(sandbox, "Aida", "ky")
    member = await started(sandbox, "Mira", "en")
    await set_grants(
        bot.application.db,
        lead.id,
        coordinator=False,
        lead_regions=frozenset({"naryn"}),
        actor_id=COORDINATOR_ID,
    )
    await pending_member(bot, await started(sandbox, "Ainura", "ky"), "naryn")
    await pending_member(bot, await started(sandbox, "Zarina", "ky"), "talas")

    await coordinator.send("/help")
    help_ru = await coordinator.next_bot_message()
    assert tr("ru", "<b>Your desks as coordinator</b>") in help_ru.text
    assert "/setresolution — " + tr(
        "ru", "Replace a text of the resolution or mark it official"
    ) in (help_ru.text)

    await lead.send("/help")
    help_ky = await lead.next_bot_message()
    assert tr("ky", "<b>Your desks as regional lead</b>") in help_ky.text
    assert "/members — " in help_ky.text and "/roles" not in help_ky.text
    await lead.send("/start")
    start = await lead.next_bot_message()
    # Her region's request only; she does not see reports (LEADS_SEE_REPORTS is off).
    assert tr("ky", "Membership requests waiting: {count}", count=1) in start.text
    assert tr("ky", "Your desks: {desks}", desks="/members") in start.text
    assert "🗂 " + tr("ky", "Desk") in buttons(start)

    await member.send("/help")
    help_en = await member.next_bot_message()
    assert en("<b>Your desks as regional lead</b>") not in help_en.text
    assert "/roles" not in help_en.text
    await member.send("/start")
    plain = await member.next_bot_message()
    assert DESK not in buttons(plain) and "/members" not in plain.text
    # The desk is refused to her even with the button's data.
    refused = await member.callback_answer(await member.forge_press("desk"))
    assert refused["show_alert"]
    assert refused["text"] == en("This is only for coordinators and regional leads.")


async def test_a_lead_who_sees_reports_finds_them_on_her_desk(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    runner = BotRunner(sandbox, make_settings(sandbox, tmp_path, LEADS_SEE_REPORTS="true"))
    await runner.start()
    try:
        lead = await started(sandbox, "Aida", "en")
        await set_grants(
            runner.application.db,
            lead.id,
            coordinator=False,
            lead_regions=frozenset({"naryn"}),
            actor_id=COORDINATOR_ID,
        )
        naryn = await report(runner, region="naryn", hours_ago=50)
        await report(runner, region="talas")
        await lead.send("/start")
        start = await lead.next_bot_message()
        assert en("New reports: {count}", count=1) in start.text
        assert (
            en(
                "Your desks: {desks}",
                desks="/members · /newevent · /broadcast · /broadcasts · /reports",
            )
            in start.text
        )
        await lead.press(DESK)
        desk = await wait_text(lead, DESK + "\n")
        assert buttons(desk)[:2] == [
            "🆕 " + en("New reports ({count})", count=1),
            "⏰ " + naryn.ref,
        ]
        await lead.press("⏰ " + naryn.ref)
        await wait_text(lead, en("Report {ref}", ref=naryn.ref))
    finally:
        await runner.settle()
        await runner.stop()
