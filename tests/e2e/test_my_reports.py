"""Her own reports: in pages, removed from her phone with everything that came of them, the help
lines one tap away, and withdrawing a report with its history."""

from __future__ import annotations

from db.report_desk import set_status
from db.reports import (
    ReportDraft,
    Reporter,
    create_report,
    get_report,
    reports_of,
)
from sandbox import Sandbox, SimUser
from tests.e2e.helpers import buttons, started, wait_text
from tests.e2e.runner import COORDINATOR_ID, BotRunner
from tests.e2e.test_reports import ADD_PROMPT, MY_REPORTS, STORY, file_quick_report, ky, mine_label
from tests.texts import head, part, tr


async def test_my_reports_come_in_pages(sandbox: Sandbox, bot: BotRunner) -> None:
    aigul = await started(sandbox, "Aigul", "ky", username="aigul")
    await file_quick_report(aigul)  # one through the bot, the rest directly
    for n in range(11):
        await create_report(
            bot.application.db,
            ReportDraft("corruption", "naryn", f"story {n}", "today", False, True),
            Reporter(aigul.id, ""),
            lang="ky",
            files_dir=bot.settings.data_dir,
        )
    await aigul.send("/myreports")
    first = await wait_text(aigul, ky(MY_REPORTS))
    assert len(buttons(first)) == 11 and buttons(first)[-1] == "▶"  # 10 reports and ▶
    await aigul.press("▶")
    await aigul.wait_for(lambda u: buttons(u.last_bot_message())[-1] == "◀")
    second = aigul.last_bot_message()
    assert second is not None and len(buttons(second)) == 3  # 2 reports and ◀
    assert buttons(second)[0].startswith("R-")


async def test_remove_from_my_phone_takes_the_replies_and_her_additions_too(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    coordinator = await started(sandbox, "Zhyldyz", "en", user_id=COORDINATOR_ID)
    aigul = await started(sandbox, "Aigul", "ky", username="aigul")
    await file_quick_report(aigul, anonymous=True)
    (report,) = await reports_of(bot.application.db, aigul.id)
    await wait_text(coordinator, f"New report {report.ref}")
    await coordinator.press("📂 Open")
    await wait_text(coordinator, f"Report {report.ref}")
    await coordinator.press("✉️ " + tr("en", "Reply to the reporter"))
    await wait_text(coordinator, head("en", "Write your reply to the reporter of {ref}"))
    await coordinator.send("Can we call you tomorrow?")
    await wait_text(
        aigul, ky("Reply from the coordinators about your report {ref}:", ref=report.ref)
    )
    await aigul.press("↩️ " + ky("Answer"))
    await wait_text(aigul, head("ky", ADD_PROMPT))
    await aigul.send("Ооба, саат 10до.")
    await wait_text(aigul, ky("Added to {ref}. Send more, or tap “Done”.", ref=report.ref))
    await aigul.press("✔ " + ky("Done"))
    await wait_text(aigul, ky(MY_REPORTS))
    await bot.settle()
    await aigul.press(mine_label(report))
    await wait_text(aigul, report.ref)
    await aigul.press("🧹 " + ky("Remove this report from my phone"))
    await wait_text(aigul, ky("Removed from this chat. /myreports still shows your reports."))
    left = [e for e in aigul.transcript() if not e.deleted]
    for text in (STORY, "Can we call you tomorrow?", "Ооба, саат 10до."):
        assert not any(text in e.text for e in left), aigul.transcript_text()
    # Someone else's report: refused, nothing removed.
    mallory = await started(sandbox, "Mallory", "en")
    refused = await mallory.callback_answer(await mallory.forge_press(f"rpt:wipe:{report.id}"))
    assert refused["text"] == tr("en", "This report is not yours.")


async def test_help_lines_are_one_tap_away_without_filing_anything(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    aigul = await started(sandbox, "Aigul", "ky")
    await aigul.press("☎️ " + ky("Help lines"))
    lines = await wait_text(aigul, ky("<b>Help lines</b>"))
    assert "📞 112 — " in lines.text and "📞 115 — " in lines.text
    assert lines.text.index("📞 112") < lines.text.index("📞 115")  # emergencies first
    assert await reports_of(bot.application.db, aigul.id) == []
    olga = await started(sandbox, "Olga", "ru")
    await olga.send("/helplines")
    await wait_text(olga, tr("ru", "If someone is in danger now, call 112 or 102 first."))
    await olga.send("/help")
    help_text = await wait_text(olga, "/helplines")
    assert tr("ru", "Help lines: who to call, now") in help_text.text


async def test_she_can_withdraw_her_report_and_see_its_history(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    coordinator = await started(sandbox, "Zhyldyz", "en", user_id=COORDINATOR_ID)
    aigul = await started(sandbox, "Aigul", "ky")
    await file_quick_report(aigul, anonymous=True)
    db = bot.application.db
    (report,) = await reports_of(db, aigul.id)
    assert await set_status(db, report.id, "in_review", actor_id=COORDINATOR_ID) == "new"
    await aigul.send("/myreports")
    await wait_text(aigul, ky(MY_REPORTS))
    await aigul.press(mine_label(report))
    history = part("ky", "History: {value}")
    card = await wait_text(aigul, history)
    assert ky("new") in card.text and ky("in review") in card.text  # the history
    await aigul.wait_for(
        lambda u: "↩️ " + ky("Withdraw this report") in buttons(u.last_bot_message())
    )
    await aigul.press("↩️ " + ky("Withdraw this report"))
    await wait_text(aigul, head("ky", "Withdraw {ref}?"))
    await aigul.press("↩️ " + ky("Yes, withdraw it"))

    def withdrawn(u: SimUser) -> bool:
        last = u.last_bot_message()
        return last is not None and history in last.text and ky("withdrawn") in last.text

    await aigul.wait_for(withdrawn)
    told = await wait_text(
        coordinator,
        tr(
            "en",
            "The reporter withdrew report {ref} ({region}, {category})",
            ref=report.ref,
            region=tr("en", "Osh Region"),
            category=tr("en", "Torture or ill-treatment"),
        ),
    )
    assert told.buttons  # Open: it stays on the desk, marked withdrawn
    stored = await get_report(db, report.id)
    assert (
        stored is not None and stored.status == "withdrawn" and stored.assigned_to == COORDINATOR_ID
    )
    again = await aigul.callback_answer(await aigul.forge_press(f"my:withdraw:{report.id}:yes"))
    assert again["text"] == ky("This report can no longer be withdrawn.")
    mallory = await started(sandbox, "Mallory", "en")
    refused = await mallory.callback_answer(
        await mallory.forge_press(f"my:withdraw:{report.id}:yes")
    )
    assert refused["text"] == tr("en", "This report is not yours.")
