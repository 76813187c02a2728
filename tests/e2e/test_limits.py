"""Per-person limits, told politely in her language, and muted senders: one person cannot
flood the coordinators or the disk; someone in danger is never held back."""

from __future__ import annotations

from db.members import get_member
from db.mutes import is_muted
from db.reports import get_report, reports_of
from sandbox import Sandbox
from tests.e2e.helpers import buttons, started, wait_text
from tests.e2e.runner import COORDINATOR_ID, BotRunner
from tests.e2e.test_alerts import say_danger
from tests.e2e.test_forms import finish_report_until_summary
from tests.e2e.test_membership import join_until_summary, joined
from tests.e2e.test_reports import (
    DANGER_Q,
    SUMMARY,
    file_quick_report,
    mine_label,
    report_until_story,
)
from tests.texts import head, tr


def notices(sandbox: Sandbox) -> int:
    """How many "new report" notices the coordinator was sent (the card replaces one when she
    opens it, so her chat alone does not tell)."""
    return sum(
        1
        for method, params in sandbox.calls
        if method == "sendMessage"
        and params.get("chat_id") == COORDINATOR_ID
        and "New report" in str(params.get("text"))
    )


def ky(msgid: str, **values: object) -> str:
    return tr("ky", msgid, **values)


async def test_a_few_reports_an_hour_but_danger_always_goes(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    bot.application.limits.reports_per_hour = 1
    aigul = await started(sandbox, "Aigul", "ky")
    await file_quick_report(aigul)
    await report_until_story(aigul)
    await finish_report_until_summary(aigul)
    held = await aigul.callback_answer(await aigul.press("📨 " + ky("Send the report")))
    assert held["show_alert"] and held["text"] == ky(
        "You have sent several reports in the last hour. Please wait a little before sending "
        "another; this one is kept here."
    )
    assert len(await reports_of(bot.application.db, aigul.id)) == 1
    # Someone in danger: the same draft, now with danger, goes.
    await aigul.press("✏️ " + ky("Someone in immediate danger"))
    await wait_text(aigul, ky(DANGER_Q))
    await aigul.press("⚠️ " + ky("Yes, someone is in danger"))
    await wait_text(aigul, ky(SUMMARY))
    await aigul.press("📨 " + ky("Send the report"))
    await wait_text(aigul, head("ky", "✅ <b>Your report has been sent.</b>"))
    assert len(await reports_of(bot.application.db, aigul.id)) == 2


async def test_alerts_that_no_report_follows_are_limited(sandbox: Sandbox, bot: BotRunner) -> None:
    bot.application.limits.alerts_without_report_per_day = 1
    coordinator = await started(sandbox, "Coordinator", "en", user_id=COORDINATOR_ID)
    aigul = await started(sandbox, "Aigul", "ky")
    await say_danger(aigul)
    await wait_text(aigul, head("ky", "An alert is on its way to the coordinators"))
    await aigul.send("/cancel")
    await wait_text(aigul, ky("Discard this draft? What you entered will be deleted."))
    await aigul.press("🗑 " + ky("Yes, discard"))
    await wait_text(aigul, ky("Main menu"))
    await say_danger(aigul)  # again, and again no report
    await aigul.wait_for(
        lambda u: (
            head("ky", "The coordinators were alerted several times today") in u.transcript_text()
        )
    )
    await bot.settle()
    alerts = [m for m in coordinator.bot_messages() if "Immediate danger" in m.text]
    assert len(alerts) == 1


async def test_joining_and_leaving_again_and_again_is_limited(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    bot.application.limits.joins_per_day = 1
    ainura = await started(sandbox, "Ainura", "ky")
    await joined(ainura)
    await ainura.send("/leave")
    await wait_text(ainura, head("ky", "Leave the community?"))
    await ainura.press("🗑 " + ky("Yes, erase my data"))
    await wait_text(ainura, head("ky", "Your data has been erased."))
    await join_until_summary(ainura, "ky", "Айнура")
    held = await ainura.callback_answer(await ainura.press("✅ " + ky("Join")))
    assert held["text"] == ky(
        "You have signed up several times today. Please try again tomorrow; your answers are "
        "kept here."
    )
    assert await get_member(bot.application.db, ainura.id) is None


async def test_files_of_a_report_additions_included_are_limited(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    bot.application.limits.files_per_report = 2
    aigul = await started(sandbox, "Aigul", "ky")
    await report_until_story(aigul)
    await aigul.send_photo(b"\x89PNG one")
    await aigul.wait_for(lambda u: u.transcript()[-1].sender == "bot")
    await finish_report_until_summary(aigul)
    await aigul.press("📨 " + ky("Send the report"))
    await wait_text(aigul, head("ky", "✅ <b>Your report has been sent.</b>"))
    (report,) = await reports_of(bot.application.db, aigul.id)
    await aigul.send("/myreports")
    await wait_text(aigul, ky("<b>Your reports</b>"))
    await aigul.press(mine_label(report))
    await wait_text(aigul, report.ref)
    await aigul.wait_for(lambda u: "➕ " + ky("Add information") in buttons(u.last_bot_message()))
    await aigul.press("➕ " + ky("Add information"))
    await wait_text(aigul, head("ky", "Write what you want to add to {ref}"))
    await aigul.send_photo(b"\x89PNG two")
    await wait_text(aigul, ky("Added to {ref}. Send more, or tap “Done”.", ref=report.ref))
    await aigul.send_photo(b"\x89PNG three")
    await wait_text(aigul, head("ky", "This report already has {max} files"))
    full = await get_report(bot.application.db, report.id)
    assert full is not None and len(full.attachments) == 2


async def test_a_muted_sender_is_filed_but_nobody_is_notified(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    coordinator = await started(sandbox, "Coordinator", "en", user_id=COORDINATOR_ID)
    aigul = await started(sandbox, "Aigul", "ky")
    db = bot.application.db
    await file_quick_report(aigul)
    (first,) = await reports_of(db, aigul.id)
    await wait_text(coordinator, f"New report {first.ref}")
    # Someone without the role, with forged data: refused, nothing changes.
    mallory = await started(sandbox, "Mallory", "en")
    refused = await mallory.callback_answer(await mallory.forge_press(f"rep:mute:{first.id}:on"))
    assert refused["text"] == tr("en", "This is only for coordinators.")
    assert not await is_muted(db, aigul.id)

    await coordinator.press("📂 " + tr("en", "Open"))
    await wait_text(coordinator, f"Report {first.ref}")
    muted = await coordinator.callback_answer(
        await coordinator.press("🔇 " + tr("en", "Mute the sender"))
    )
    assert muted["text"] == tr("en", "Muted: nobody is told of her reports now.")
    await wait_text(coordinator, tr("en", "The sender is muted: nobody is told of her reports."))
    assert await is_muted(db, aigul.id)
    await file_quick_report(aigul)
    await bot.settle()
    assert len(await reports_of(db, aigul.id)) == 2  # kept, on the desk
    assert notices(sandbox) == 1

    await coordinator.press("🔈 " + tr("en", "Unmute the sender"))
    await coordinator.wait_for(
        lambda u: not any("🔈" in label for label in buttons(u.last_bot_message()))
    )
    assert not await is_muted(db, aigul.id)
    await file_quick_report(aigul)
    await sandbox.wait_for(lambda: notices(sandbox) == 2)
