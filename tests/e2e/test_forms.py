"""The one form machinery, as people meet it in /join and /report: hints, Back, Cancel, old
buttons, resuming; and the unhappy paths of a report."""

from __future__ import annotations

from db.members import get_member
from db.reports import get_report, reports_of
from sandbox import Entry, Sandbox, SimUser
from tests.e2e.helpers import buttons, started, wait_text
from tests.e2e.runner import BotRunner
from tests.e2e.test_reports import (
    ABOUT_Q,
    ADDED,
    CONTACT_Q,
    DANGER_Q,
    PLACE_Q,
    STORY_Q,
    SUMMARY,
    WHEN_Q,
    WHERE_Q,
    finish_report,
    mine_label,
    report_until_story,
)
from tests.texts import head, ntr, tr

NAME_Q = "<b>Your full name</b>"
REGION_Q = "<b>Your region</b>"
DISTRICT_Q = "<b>Your district, town or village</b>"
OLD = "This is an old message; the current question is below."
DISCARD = "Discard this draft? What you entered will be deleted."


def ru(msgid: str, **values: object) -> str:
    return tr("ru", msgid, **values)


def asked(user: SimUser, question: str) -> list[Entry]:
    return [m for m in user.bot_messages() if m.text.startswith(question)]


async def test_a_wrong_input_gets_a_hint_and_the_question_again_only_out_of_sight(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    olga = await started(sandbox, "Ольга", "ru")
    await olga.send("/join")
    await wait_text(olga, head("ru", NAME_Q))
    await olga.send("Ольга")
    await wait_text(olga, ru(REGION_Q))
    hint = ru("Please tap a button of the question above, or answer it in a few words.")
    await olga.send_sticker()
    await wait_text(olga, hint)
    assert len(asked(olga, ru(REGION_Q))) == 1  # a hint, not the whole question again
    for _ in range(3):
        await olga.send_sticker()
        await wait_text(olga, hint)
        await olga.wait_for(lambda u: u.transcript()[-1].sender == "bot")
    # The question has scrolled out of sight: it comes again, buttons and all.
    await olga.wait_for(lambda u: len(asked(u, ru(REGION_Q))) == 2)
    await olga.press(ru("Naryn Region"))
    await wait_text(olga, head("ru", DISTRICT_Q))


async def test_cancel_asks_first_once_she_has_typed_something(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    olga = await started(sandbox, "Ольга", "ru")
    await olga.send("/report")
    await wait_text(olga, ru(ABOUT_Q))
    await olga.press(ru("Corruption"))
    await wait_text(olga, ru(WHERE_Q))
    await olga.press("✖ " + ru("Cancel"))  # only buttons so far: cancelled at once
    await wait_text(olga, ru("Main menu"))
    assert ru(DISCARD) not in olga.transcript_text()

    await olga.send("/report")
    await wait_text(olga, ru(ABOUT_Q))
    await olga.press(ru("Corruption"))
    await wait_text(olga, ru(WHERE_Q))
    await olga.press(ru("Talas Region"))
    await wait_text(olga, head("ru", PLACE_Q))
    await olga.send("Райадминистрация")
    await wait_text(olga, head("ru", STORY_Q))
    await olga.press("✖ " + ru("Cancel"))
    await wait_text(olga, ru(DISCARD))
    await olga.press(ru("Keep it"))
    await wait_text(olga, "✔ " + ru("The draft is kept."))
    await olga.send("Требовали взятку за справку.")
    await wait_text(olga, ru(ADDED))
    await olga.send("/cancel")  # the same question first
    await wait_text(olga, ru(DISCARD))
    await olga.press("🗑 " + ru("Yes, discard"))
    await wait_text(olga, ru("Main menu"))
    assert ru("Cancelled. Nothing was sent, and the draft is deleted.") in olga.transcript_text()
    # Nothing is left: a new report starts from the beginning.
    await olga.send("/report")
    await wait_text(olga, ru(ABOUT_Q))
    intro = head("ru", "<b>Report an incident</b>")
    assert len([m for m in olga.bot_messages() if m.text.startswith(intro)]) == 3
    assert await reports_of(bot.application.db, olga.id) == []


async def test_buttons_of_older_questions_and_summaries_are_inert(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    olga = await started(sandbox, "Ольга", "ru")
    await olga.send("/join")
    await wait_text(olga, head("ru", NAME_Q))
    await olga.send("Ольга")
    await wait_text(olga, ru(REGION_Q))
    await olga.press(ru("Naryn Region"))
    district = await wait_text(olga, head("ru", DISTRICT_Q))
    await olga.send("Кочкор")  # answered by text: the question's Skip button stays on screen
    await wait_text(olga, ru("<b>Who are you?</b>"))
    stale = await olga.callback_answer(
        await olga.press("⏭ " + ru("Skip"), message_id=district.message_id)
    )
    assert stale["show_alert"] and stale["text"] == ru(OLD)
    await olga.press(ru("Gender expert"))
    await wait_text(olga, head("ru", "<b>Your interests</b>"))
    await olga.press("▫️ " + ru("Human rights"))
    await olga.wait_for(lambda u: "✅ " + ru("Human rights") in buttons(u.last_bot_message()))
    await olga.press("✔ " + ru("Done"))
    await wait_text(olga, head("ru", "<b>Your phone number</b>"))
    await olga.press_reply("⏭ " + ru("Skip"))
    await wait_text(olga, head("ru", "<b>Your data and your consent</b>"))
    await olga.press("✅ " + ru("I agree"))
    first_summary = await wait_text(olga, ru("<b>Please check your details</b>"))
    await olga.press("✏️ " + ru("Name"))
    await wait_text(olga, head("ru", NAME_Q))
    await olga.send("Ольга Сергеевна")
    await wait_text(olga, ru("<b>Please check your details</b>"))
    # "Join" on the older summary would send what she has since changed: it answers instead.
    stale = await olga.callback_answer(
        await olga.press("✅ " + ru("Join"), message_id=first_summary.message_id)
    )
    assert stale["text"] == ru(OLD)
    assert await get_member(bot.application.db, olga.id) is None
    await olga.press("✅ " + ru("Join"))
    await wait_text(olga, ru("Main menu"))
    member = await get_member(bot.application.db, olga.id)
    assert member is not None and member.name == "Ольга Сергеевна" and member.district == "Кочкор"


async def test_opening_a_form_again_resumes_it_and_says_so(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    olga = await started(sandbox, "Ольга", "ru")
    await olga.send("/join")
    await wait_text(olga, head("ru", NAME_Q))
    await olga.send("Ольга")
    await wait_text(olga, ru(REGION_Q))
    await olga.send("/join")
    await olga.wait_for(lambda u: len(asked(u, ru(REGION_Q))) == 2)
    assert head("ru", "You have a draft you have not finished.") in olga.transcript_text()
    await olga.press("🤝 " + ru("Membership"))  # the menu entry: the same
    await olga.wait_for(lambda u: len(asked(u, ru(REGION_Q))) == 3)
    await bot.restart()  # and after a restart
    await olga.send("/join")
    await olga.wait_for(lambda u: len(asked(u, ru(REGION_Q))) == 4)


async def test_back_goes_to_each_previous_step_of_a_report(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    aigul = await started(sandbox, "Aigul", "ky")
    await report_until_story(aigul)
    expected = [head("ky", STORY_Q), head("ky", PLACE_Q), tr("ky", WHERE_Q), tr("ky", ABOUT_Q)]
    for question in expected[1:]:
        await aigul.press("◀ " + tr("ky", "Back"))
        await wait_text(aigul, question)
    assert "◀ " + tr("ky", "Back") not in buttons(aigul.last_bot_message())  # the first step
    await aigul.press(tr("ky", "Torture or ill-treatment"))
    await wait_text(aigul, tr("ky", WHERE_Q))
    await aigul.press(tr("ky", "Osh Region"))
    await wait_text(aigul, head("ky", PLACE_Q))
    await aigul.share_location(42.87, 74.59)  # a pin for the place
    story = await wait_text(aigul, head("ky", STORY_Q))
    assert tr("ky", "What you have written so far is kept; what you send is added.") in story.text
    await finish_report(aigul, anonymous=True)
    (report,) = await reports_of(bot.application.db, aigul.id)
    full = await get_report(bot.application.db, report.id)
    assert full is not None and full.place == "📍 42.87000, 74.59000"


async def test_file_limits_a_missing_answer_and_a_file_telegram_cannot_give(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    aigul = await started(sandbox, "Aigul", "ky")
    await report_until_story(aigul)
    too_big = b"x" * (20 * 1024 * 1024 + 1)
    await aigul.send_document(too_big, file_name="video.mp4", mime_type="video/mp4")
    await wait_text(
        aigul, tr("ky", "This file is larger than 20 MB, which the bot cannot receive.")
    )
    added = "File {number} of at most {max} added. Send more, or tap “Done”."
    for number in range(1, 11):
        await aigul.send_photo(b"\x89PNG photo %d" % number)
        await wait_text(aigul, tr("ky", added, number=number, max=10))
    await aigul.send_photo(b"\x89PNG one too many")
    await wait_text(
        aigul,
        tr("ky", "You have already attached {max} files, the most one report can take.", max=10),
    )
    await aigul.press("✔ " + tr("ky", "Done"))
    await wait_text(aigul, head("ky", WHEN_Q))
    await aigul.press(tr("ky", "Today"))
    await wait_text(aigul, tr("ky", DANGER_Q))
    await aigul.press(tr("ky", "No"))
    await wait_text(aigul, head("ky", CONTACT_Q))
    await aigul.press("🕶 " + tr("ky", "Keep me anonymous"))
    await wait_text(aigul, tr("ky", SUMMARY))

    # She empties her story from the summary, then presses Send: the story is asked for.
    await aigul.press("✏️ " + tr("ky", "What happened"))
    await wait_text(aigul, head("ky", STORY_Q))
    await aigul.press("🗑 " + tr("ky", "Start the story again"))
    await aigul.wait_for(
        lambda u: "🗑 " + tr("ky", "Start the story again") not in buttons(u.last_bot_message())
    )
    await aigul.press("◀ " + tr("ky", "Back"))
    await wait_text(aigul, tr("ky", SUMMARY))
    missing = await aigul.callback_answer(await aigul.press("📨 " + tr("ky", "Send the report")))
    assert missing["text"] == tr("ky", "Some answers are missing.")
    await wait_text(aigul, head("ky", STORY_Q))
    await aigul.send("Экинчи жолу жазам.")
    await wait_text(aigul, tr("ky", ADDED))
    await aigul.send_photo(b"\x89PNG evidence")
    await wait_text(aigul, tr("ky", added, number=1, max=10))
    file_id = aigul.transcript()[-2].file_id
    assert file_id is not None
    await aigul.press("✔ " + tr("ky", "Done"))
    await wait_text(aigul, tr("ky", SUMMARY))

    # Telegram cannot give the file just now: nothing is lost, Send works later.
    kept = sandbox.files.pop(file_id)
    await aigul.press("📨 " + tr("ky", "Send the report"))
    await wait_text(aigul, head("ky", "File {number} could not be received"))
    assert await reports_of(bot.application.db, aigul.id) == []
    assert [b.method for b in sandbox.breaches] == ["getFile"]  # provoked here
    sandbox.breaches.clear()
    sandbox.files[file_id] = kept
    await aigul.press("📨 " + tr("ky", "Send the report"))
    await wait_text(aigul, head("ky", "✅ <b>Your report has been sent.</b>"))
    (report,) = await reports_of(bot.application.db, aigul.id)
    full = await get_report(bot.application.db, report.id)
    assert full is not None and full.text == "Экинчи жолу жазам." and len(full.attachments) == 1


async def test_files_added_later_from_my_reports(sandbox: Sandbox, bot: BotRunner) -> None:
    aigul = await started(sandbox, "Aigul", "ky")
    await report_until_story(aigul)
    await finish_report(aigul, anonymous=True)
    (report,) = await reports_of(bot.application.db, aigul.id)
    await aigul.send("/myreports")
    await wait_text(aigul, tr("ky", "<b>Your reports</b>"))
    await aigul.press(mine_label(report))
    await wait_text(aigul, report.ref)
    await aigul.wait_for(
        lambda u: "➕ " + tr("ky", "Add information") in buttons(u.last_bot_message())
    )
    await aigul.press("➕ " + tr("ky", "Add information"))
    await wait_text(aigul, head("ky", "Write what you want to add to {ref}"))
    await aigul.send_document(b"%PDF later", file_name="later.pdf", mime_type="application/pdf")
    await wait_text(aigul, tr("ky", "Added to {ref}. Send more, or tap “Done”.", ref=report.ref))
    full = await get_report(bot.application.db, report.id)
    assert full is not None and len(full.attachments) == 1


async def test_a_file_telegram_cannot_give_can_be_left_out(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    aigul = await started(sandbox, "Aigul", "ky")
    await report_until_story(aigul)
    await aigul.send_document(b"%PDF lost", file_name="lost.pdf", mime_type="application/pdf")
    added = "File {number} of at most {max} added. Send more, or tap “Done”."
    await wait_text(aigul, tr("ky", added, number=1, max=10))
    file_id = aigul.transcript()[-2].file_id
    assert file_id is not None
    sandbox.files.pop(file_id)  # its size unknown to us, and Telegram cannot give it
    await finish_report_until_summary(aigul)
    await aigul.press("📨 " + tr("ky", "Send the report"))
    await wait_text(aigul, head("ky", "File {number} could not be received"))
    await aigul.press("🗑 " + tr("ky", "Send without this file"))
    summary = await wait_text(aigul, tr("ky", SUMMARY))
    assert ntr("ky", "{count} file attached", "{count} files attached", 0) in summary.text
    await aigul.press("📨 " + tr("ky", "Send the report"))
    await wait_text(aigul, head("ky", "✅ <b>Your report has been sent.</b>"))
    (report,) = await reports_of(bot.application.db, aigul.id)
    full = await get_report(bot.application.db, report.id)
    assert full is not None and full.attachments == ()
    assert [b.method for b in sandbox.breaches] == ["getFile"]  # Telegram's refusal, provoked
    sandbox.breaches.clear()


async def finish_report_until_summary(user: SimUser) -> None:
    await user.press("✔ " + tr("ky", "Done"))
    await wait_text(user, head("ky", WHEN_Q))
    await user.press(tr("ky", "Today"))
    await wait_text(user, tr("ky", DANGER_Q))
    await user.press(tr("ky", "No"))
    await wait_text(user, head("ky", CONTACT_Q))
    await user.press("🕶 " + tr("ky", "Keep me anonymous"))
    await wait_text(user, tr("ky", SUMMARY))
