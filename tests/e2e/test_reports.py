"""Filing incident reports end to end: the reporter's side."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.handlers.reports.mine import my_report_label
from bot.i18n import get_translator
from db.members import MemberDraft, create_member
from db.report_desk import add_message, set_status
from db.reports import (
    ReportInfo,
    get_report,
    reporter_of,
    reports_of,
)
from sandbox import Sandbox, SimUser
from tests.conftest import database_bytes
from tests.e2e.helpers import buttons, started, wait_text
from tests.e2e.runner import COORDINATOR_ID, BotRunner
from tests.texts import en, head, ntr, part, tr

STORY = "Менин кошунамды милиция бөлүмүндө сабашты. Ал азыр ооруканада."
PHOTO = b"\x89PNG\r\n\x1a\n" + b"photo-bytes" * 100
PDF = b"%PDF-1.4 medical certificate " * 50
ABOUT_Q = "<b>What is it about?</b>"
WHERE_Q = "<b>Where did it happen?</b>"
PLACE_Q = "<b>The place</b> (optional)"
STORY_Q = "<b>What happened?</b>"
WHEN_Q = "<b>When did it happen?</b>"
DANGER_Q = "<b>Is anyone in immediate danger right now?</b>"
CONTACT_Q = "<b>How may the coordinators contact you?</b>"
SUMMARY = "<b>Please check your report</b>"
SENT = "✅ <b>Your report has been sent.</b>"
ADDED = "Added. Send more, or tap “Done”."
ADD_PROMPT = "Write what you want to add to {ref}, or send files."
MY_REPORTS = "<b>Your reports</b>"


def mine_label(report: ReportInfo, lang: str = "ky") -> str:
    """Her report's button in /myreports."""
    return my_report_label(get_translator(lang, "Asia/Bishkek"), report)


def ky(msgid: str, **values: object) -> str:
    return tr("ky", msgid, **values)


async def report_until_story(user: SimUser, lang: str = "ky") -> None:
    """/report: torture, Osh Region, a place, the story; she is asked for more or Done."""
    await user.send("/report")
    await wait_text(user, tr(lang, ABOUT_Q))
    await user.press(tr(lang, "Torture or ill-treatment"))
    await wait_text(user, tr(lang, WHERE_Q))
    await user.press(tr(lang, "Osh Region"))
    await wait_text(user, head(lang, PLACE_Q))
    await user.send("Кара-Суу, милиция бөлүмү")
    await wait_text(user, head(lang, STORY_Q))
    await user.send(STORY)
    await wait_text(user, tr(lang, ADDED))


async def finish_report(user: SimUser, *, anonymous: bool, lang: str = "ky") -> None:
    """From "Done" after the story to the sent report: today, nobody in danger."""
    await user.press("✔ " + tr(lang, "Done"))
    await wait_text(user, head(lang, WHEN_Q))
    await user.press(tr(lang, "Today"))
    await wait_text(user, tr(lang, DANGER_Q))
    await user.press(tr(lang, "No"))
    await wait_text(user, head(lang, CONTACT_Q))
    if anonymous:
        await user.press("🕶 " + tr(lang, "Keep me anonymous"))
    else:
        await user.press("👤 " + tr(lang, "Coordinators may see who I am"))
    await wait_text(user, tr(lang, SUMMARY))
    await user.press("📨 " + tr(lang, "Send the report"))
    await wait_text(user, head(lang, SENT))


async def file_quick_report(user: SimUser, *, anonymous: bool = False) -> None:
    """A short report from Osh Region, in Kyrgyz (by default one in which she may be known)."""
    await report_until_story(user)
    await finish_report(user, anonymous=anonymous)


@pytest.mark.webhook_too
async def test_full_report_in_kyrgyz_with_photo_and_document(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    coordinator = await started(
        sandbox, "Coordinator", "en", user_id=COORDINATOR_ID, username="coordinator"
    )
    aigul = await started(sandbox, "Aigul", "ky", username="aigul")
    await report_until_story(aigul)
    await aigul.send_photo(PHOTO, caption="Жарааттар")
    await wait_text(
        aigul,
        ky("File {number} of at most {max} added. Send more, or tap “Done”.", number=1, max=10),
    )
    await aigul.send_document(PDF, file_name="справка.pdf", mime_type="application/pdf")
    await wait_text(
        aigul,
        ky("File {number} of at most {max} added. Send more, or tap “Done”.", number=2, max=10),
    )
    await aigul.press("✔ " + ky("Done"))
    await wait_text(aigul, head("ky", WHEN_Q))
    await aigul.press(ky("Yesterday"))
    await wait_text(aigul, ky(DANGER_Q))
    await aigul.press(ky("No"))
    await wait_text(aigul, head("ky", CONTACT_Q))
    await aigul.press("🕶 " + ky("Keep me anonymous"))
    summary = await wait_text(aigul, ky(SUMMARY))
    assert (
        ntr("ky", "{count} file attached", "{count} files attached", 2) in summary.text
        and STORY in summary.text
    )
    await aigul.press("📨 " + ky("Send the report"))
    done = await wait_text(aigul, head("ky", SENT))
    assert (await reports_of(bot.application.db, aigul.id))[0].ref in done.text
    assert "📞 115 — " in done.text and "📞 112 — " in done.text
    assert "+996 312 383 330" in done.text

    await bot.settle()
    notice = coordinator.last_bot_message()
    assert notice is not None and notice.text.startswith("New report R-")
    assert "(Osh Region, Torture or ill-treatment)" in notice.text
    assert STORY not in notice.text and "Aigul" not in notice.text
    assert buttons(notice) == ["📂 Open"]

    (mine,) = await reports_of(bot.application.db, aigul.id)
    report = await get_report(bot.application.db, mine.id)
    assert (
        report is not None
        and report.anonymous
        and report.occurred
        == (datetime.now(ZoneInfo("Asia/Bishkek")).date() - timedelta(days=1)).isoformat()
    )
    assert report.text.startswith(STORY) and "Жарааттар" in report.text
    assert [a.caption for a in report.attachments] == ["Жарааттар", None]  # shown on the card
    assert report.place == "Кара-Суу, милиция бөлүмү"
    digests = sorted(a.sha256 for a in report.attachments)
    assert digests == sorted(hashlib.sha256(b).hexdigest() for b in (PHOTO, PDF))
    reporter = await reporter_of(bot.application.db, mine.id)
    assert reporter is not None and reporter.user_id == aigul.id

    raw = database_bytes(bot.settings.database_url)
    for secret in (STORY, "Кара-Суу", "справка", "Жарааттар", "Aigul", "aigul"):
        assert secret.encode() not in raw, secret
    files = b"".join(p.read_bytes() for p in (bot.settings.data_dir / "attachments").rglob("*.bin"))
    assert b"photo-bytes" not in files and b"medical certificate" not in files


async def test_danger_shows_help_and_alerts_coordinators_at_once(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    coordinator = await started(
        sandbox, "Coordinator", "ru", user_id=COORDINATOR_ID, username="coordinator"
    )
    aigul = await started(sandbox, "Aigul", "ky", username="aigul")
    await report_until_story(aigul)
    await aigul.press("✔ " + ky("Done"))
    await wait_text(aigul, head("ky", WHEN_Q))
    await aigul.press(ky("Today"))
    await wait_text(aigul, ky(DANGER_Q))
    await aigul.press("⚠️ " + ky("Yes, someone is in danger"))
    help_lines = await wait_text(aigul, ky("<b>If someone is in danger now, call:</b>"))
    for number in ("112", "102", "103"):
        assert f"📞 {number}" in help_lines.text
    alert = await wait_text(coordinator, tr("ru", "Immediate danger"))
    assert tr("ru", "Osh Region") in alert.text
    assert tr("ru", "Torture or ill-treatment") in alert.text
    assert STORY not in alert.text
    # Her report is raised, anonymous and marked as not sent by her: the rest follows.
    (raised,) = await reports_of(bot.application.db, aigul.id)
    assert raised.anonymous and raised.danger


@pytest.mark.webhook_too
async def test_restart_in_the_middle_of_a_report_loses_nothing(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    aigul = await started(sandbox, "Aigul", "ky", username="aigul")
    await report_until_story(aigul)
    await bot.restart()
    await aigul.send("Дагы бир нерсе: бул кечээ кечинде болду.")
    await wait_text(aigul, ky(ADDED))
    await aigul.press("✔ " + ky("Done"))
    await wait_text(aigul, head("ky", WHEN_Q))
    await aigul.send("31.02.2026")  # no such day
    await wait_text(aigul, ky("Please type a date like 21.11.2026, or tap a button."))
    tomorrow = datetime.now(ZoneInfo("Asia/Bishkek")).date() + timedelta(days=1)
    await aigul.send(tomorrow.strftime("%d.%m.%Y"))
    await wait_text(aigul, ky("Please type a date that is not in the future."))
    yesterday = datetime.now(ZoneInfo("Asia/Bishkek")).date() - timedelta(days=1)
    await aigul.send(yesterday.strftime("%d.%m.%Y"))
    await wait_text(aigul, ky(DANGER_Q))
    await aigul.press(ky("No"))
    await wait_text(aigul, head("ky", CONTACT_Q))
    await aigul.press("👤 " + ky("Coordinators may see who I am"))
    summary = await wait_text(aigul, ky(SUMMARY))
    assert STORY in summary.text and "Дагы бир нерсе" in summary.text
    assert "Кара-Суу" in summary.text and ky("Osh Region") in summary.text
    assert ky(
        "When: {value}", value=get_translator("ky", "Asia/Bishkek").format_date(yesterday)
    ) in (summary.text)


async def test_remove_from_my_phone_after_48_hours_says_what_to_do(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    aigul = await started(sandbox, "Aigul", "ky", username="aigul")
    await file_quick_report(aigul, anonymous=True)
    sandbox.advance_clock(49 * 3600)  # Telegram deletes a message only within 48 hours
    await aigul.press("🧹 " + ky("Remove this report from my phone"))
    told = await wait_text(aigul, head("ky", "Some of these messages could not be removed"))
    assert not told.deleted
    assert any(STORY in e.text for e in aigul.transcript() if not e.deleted)  # still there
    assert {b.description for b in sandbox.breaches} == {"Bad Request: message can't be deleted"}
    sandbox.breaches.clear()  # Telegram's refusal, asked for by this test


async def test_remove_from_my_phone_deletes_the_report_messages(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    aigul = await started(sandbox, "Aigul", "ky", username="aigul")
    before = len(aigul.transcript())
    await file_quick_report(aigul, anonymous=True)
    await aigul.press("🧹 " + ky("Remove this report from my phone"))
    await wait_text(aigul, ky("Removed from this chat. /myreports still shows your reports."))
    entries = aigul.transcript()
    report_part = entries[before:-1]
    assert report_part and all(e.deleted for e in report_part), aigul.transcript_text()
    assert not any(STORY in e.text for e in entries if not e.deleted)
    assert not entries[-1].deleted  # the short confirmation stays
    # Still on record for her and the coordinators.
    assert len(await reports_of(bot.application.db, aigul.id)) == 1


async def test_my_reports_add_information_and_no_access_to_others(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    coordinator = await started(
        sandbox, "Coordinator", "en", user_id=COORDINATOR_ID, username="coordinator"
    )
    aigul = await started(sandbox, "Aigul", "ky", username="aigul")
    await file_quick_report(aigul, anonymous=True)
    (report,) = await reports_of(bot.application.db, aigul.id)

    await aigul.send("/myreports")
    listing = await wait_text(aigul, ky(MY_REPORTS))
    assert buttons(listing) == [mine_label(report)]
    assert f"{report.ref} · " in listing.text and ky("new") in listing.text
    await aigul.press(mine_label(report))
    card = await wait_text(aigul, ky("About: {value}", value=ky("Torture or ill-treatment")))
    assert STORY in card.text
    await aigul.press("➕ " + ky("Add information"))
    await wait_text(aigul, head("ky", ADD_PROMPT))
    await aigul.send("Күбөнүн аты Бакыт.")
    await wait_text(aigul, ky("Added to {ref}. Send more, or tap “Done”.", ref=report.ref))
    await aigul.press("✔ " + ky("Done"))
    await wait_text(aigul, ky(MY_REPORTS))
    full = await get_report(bot.application.db, report.id)
    assert full is not None and [m.text for m in full.thread] == ["Күбөнүн аты Бакыт."]
    await bot.settle()
    assert any(
        m.text.startswith(f"New information on report {report.ref}")
        for m in coordinator.bot_messages()
    )

    mallory = await started(sandbox, "Mallory", "en", username="mallory")
    for forged in (f"my:open:{report.id}", f"my:add:{report.id}", f"my:answer:{report.id}"):
        answer = await mallory.callback_answer(await mallory.forge_press(forged))
        assert answer["show_alert"] and answer["text"] == "This report is not yours."
    assert not any(STORY in m.text for m in mallory.bot_messages())


async def test_the_reporters_phone_is_not_readable_on_disk(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    phone = "+996777123987"
    aigul = await started(sandbox, "Aigul", "ky", username="aigul")
    await create_member(
        bot.application.db,
        aigul.id,
        MemberDraft("Айгүл Бекова", "osh_region", None, "activist", ("human_rights",), phone),
        approved=True,
    )
    await file_quick_report(aigul)
    (report,) = await reports_of(bot.application.db, aigul.id)
    reporter = await reporter_of(bot.application.db, report.id)
    assert reporter is not None and reporter.phone == phone and reporter.name == "Айгүл Бекова"
    raw = database_bytes(bot.settings.database_url)
    assert phone.encode() not in raw and phone[1:].encode() not in raw
    assert "Бекова".encode() not in raw


async def test_coordinators_edit_the_help_lines(sandbox: Sandbox, bot: BotRunner) -> None:
    coordinator = await started(
        sandbox, "Coordinator", "en", user_id=COORDINATOR_ID, username="coordinator"
    )
    await coordinator.send("/setcontacts file")  # the bulk way: the whole list as a file
    template = await coordinator.next_bot_message()
    assert template.kind == "document" and template.file_name == "help_contacts.json"
    assert template.file_id is not None
    directory = json.loads(sandbox.files[template.file_id].data)
    await wait_text(coordinator, "Edit the file and send it back.")

    await coordinator.send_document(b"{not json", file_name="c.json", mime_type="application/json")
    await wait_text(coordinator, "The file was not accepted: it is not valid JSON (see line 1)")
    directory["contacts"].append(
        {
            "number": "+996 555 000 111",
            "name": {
                "en": "Osh crisis centre",
                "ru": "Кризисный центр Оша",
                "ky": "Ош кризистик борбору",
            },
            "categories": ["*"],
            "regions": ["osh_region"],
        }
    )
    await coordinator.send_document(
        json.dumps(directory).encode(), file_name="c.json", mime_type="application/json"
    )
    await wait_text(coordinator, "Saved: 8 help lines are now shown with reports.")

    aigul = await started(sandbox, "Aigul", "ky", username="aigul")
    await file_quick_report(aigul)
    done = aigul.last_bot_message()
    assert done is not None and "+996 555 000 111 — Ош кризистик борбору" in done.text

    await aigul.send("/setcontacts")
    refusal = await wait_text(aigul, ky("This is only for coordinators."))
    assert refusal.text == ky("This is only for coordinators.") and refusal.kind == "text"


async def test_anonymous_relay_works_both_ways_without_identities(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    coordinator = await started(
        sandbox, "Zhyldyz", "en", user_id=COORDINATOR_ID, username="zhyldyz"
    )
    aigul = await started(sandbox, "Aigul", "ky", username="aigul")
    await file_quick_report(aigul, anonymous=True)
    (report,) = await reports_of(bot.application.db, aigul.id)

    notice = await wait_text(coordinator, part("en", "New report {ref} ({region}, {category})"))
    assert report.ref in notice.text
    await coordinator.press("📂 " + en("Open"))
    card = await wait_text(coordinator, en("Report {ref}", ref=report.ref))
    assert en("Reported by: anonymous") in card.text
    await coordinator.press("✉️ " + en("Reply to the reporter"))
    await wait_text(coordinator, head("en", "Write your reply to the reporter of {ref}"))
    await coordinator.send("Can we call you tomorrow?")
    await wait_text(
        coordinator,
        tr(
            "en",
            "Saved. It goes to the reporter now; you will be told here if it cannot be delivered.",
        ),
    )

    relayed = await wait_text(
        aigul, ky("Reply from the coordinators about your report {ref}:", ref=report.ref)
    )
    assert "Can we call you tomorrow?" in relayed.text
    await aigul.press("↩️ " + ky("Answer"))
    await wait_text(aigul, head("ky", ADD_PROMPT))
    await aigul.send("Ооба, саат 10до.")
    await wait_text(aigul, ky("Added to {ref}. Send more, or tap “Done”.", ref=report.ref))
    await aigul.press("✔ " + ky("Done"))

    more = await wait_text(
        coordinator, part("en", "New information on report {ref} ({region}, {category})")
    )
    assert report.ref in more.text
    await coordinator.press("📂 " + en("Open"))
    thread = await wait_text(coordinator, "Ооба, саат 10до.")
    assert en("Reported by: anonymous") in thread.text
    seen_by_coordinator = coordinator.transcript_text()
    for identity in ("Aigul", "aigul", str(aigul.id)):
        assert identity not in seen_by_coordinator
    assert "Zhyldyz" not in aigul.transcript_text()


async def test_a_finished_report_takes_answers_but_no_more_additions(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    aigul = await started(sandbox, "Aigul", "ky", username="aigul")
    await file_quick_report(aigul)
    (report,) = await reports_of(bot.application.db, aigul.id)
    db = bot.application.db
    for status in ("in_review", "resolved"):
        assert await set_status(db, report.id, status, actor_id=COORDINATOR_ID) is not None
    await aigul.send("/myreports")
    await wait_text(aigul, ky(MY_REPORTS))
    await aigul.press(mine_label(report))
    card = await wait_text(aigul, part("ky", "About: {value}"))
    assert "➕ " + ky("Add information") not in buttons(card)
    refused = await aigul.callback_answer(await aigul.forge_press(f"my:add:{report.id}"))
    assert refused["text"] == ky(
        "This report is closed. To tell the coordinators something new, send /report."
    )
    await aigul.callback_answer(await aigul.forge_press(f"my:answer:{report.id}"))
    await wait_text(aigul, head("ky", ADD_PROMPT))
    await aigul.press("✔ " + ky("Done"))
    await wait_text(aigul, ky(MY_REPORTS))
    # Closed: not even an old Answer button (or its data, forged) adds to it.
    assert await set_status(db, report.id, "closed", actor_id=COORDINATOR_ID) is not None
    refused = await aigul.callback_answer(await aigul.forge_press(f"my:answer:{report.id}"))
    assert refused["text"] == ky(
        "This report is closed. To tell the coordinators something new, send /report."
    )


async def test_each_report_is_removed_from_the_phone_on_its_own(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    aigul = await started(sandbox, "Aigul", "ky", username="aigul")
    await file_quick_report(aigul)
    first_done = aigul.last_bot_message()
    assert first_done is not None
    await file_quick_report(aigul)
    await aigul.press(
        "🧹 " + ky("Remove this report from my phone"), message_id=first_done.message_id
    )
    await wait_text(aigul, ky("Removed from this chat. /myreports still shows your reports."))
    stories = [e for e in aigul.transcript() if e.text == STORY]
    assert len(stories) == 2
    assert stories[0].deleted and not stories[1].deleted  # only the first report went


async def test_an_unsent_report_is_resumed_not_thrown_away(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    aigul = await started(sandbox, "Aigul", "ky", username="aigul")
    await report_until_story(aigul)
    await aigul.send("/report")
    await wait_text(aigul, head("ky", "You have a draft you have not finished."))
    await wait_text(aigul, head("ky", STORY_Q))
    await finish_report(aigul, anonymous=True)
    (report,) = await reports_of(bot.application.db, aigul.id)
    full = await get_report(bot.application.db, report.id)
    assert full is not None and full.text == STORY


async def test_long_threads_show_the_newest_replies_within_limits(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    aigul = await started(sandbox, "Aigul", "ky", username="aigul")
    await file_quick_report(aigul)
    (report,) = await reports_of(bot.application.db, aigul.id)
    for n in range(12):
        await add_message(
            bot.application.db,
            report.id,
            author="coordinator",
            author_id=COORDINATOR_ID,
            text=f"Reply {n} <about> Tom & Jerry " + "x" * 500,
        )
    await aigul.send("/myreports")
    await wait_text(aigul, ky(MY_REPORTS))
    await aigul.press(mine_label(report))
    card = await wait_text(aigul, part("ky", "About: {value}"))
    assert "Reply 11 <about> Tom & Jerry" in card.text  # the newest, shown literally
    assert "Reply 0 " not in card.text
    # (the bot fixture asserts that Telegram refused nothing: length and HTML are valid)


async def test_adding_ends_by_itself_after_a_long_pause(sandbox: Sandbox, bot: BotRunner) -> None:
    aigul = await started(sandbox, "Aigul", "ky", username="aigul")
    await file_quick_report(aigul)
    (report,) = await reports_of(bot.application.db, aigul.id)
    await aigul.send("/myreports")
    await wait_text(aigul, ky(MY_REPORTS))
    await aigul.press(mine_label(report))
    await wait_text(aigul, part("ky", "About: {value}"))
    await aigul.press("➕ " + ky("Add information"))
    await wait_text(aigul, head("ky", ADD_PROMPT))
    await bot.settle()
    # Her last addition was long ago (the clock moved on): her next text is not for the report.
    bot.application.user_data[aigul.id]["report_adding_since"] = 0
    await aigul.send("салам")
    await wait_text(aigul, ky("Sorry, I did not understand that. Please use the buttons below."))
    full = await get_report(bot.application.db, report.id)
    assert full is not None and full.thread == ()
