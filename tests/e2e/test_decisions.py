"""Decisions that cannot be taken back, end to end (issue 12, items 8, 9, 11 and 12): declining
a membership and closing a report ask first and offer a reason that reaches the person in her
language; the other approvers' copies say who decided; a closed report can be reopened and its
old Answer buttons are gone; replies with a photo; the card; a lead who leaves."""

from __future__ import annotations

from db.members import MemberDraft, create_member, get_member
from db.outbox import Outgoing
from db.reports import FileIn, get_report
from db.roles import set_grants
from sandbox import Entry, Sandbox, SimUser
from tests.e2e.helpers import buttons, started, wait_text
from tests.e2e.runner import COORDINATOR_ID, BotRunner
from tests.e2e.test_reports_admin import (
    COORDINATOR_ONLY,
    REPLY_BUTTON,
    WRITE_REPLY,
    file_report,
    open_card,
    reporter_in,
)
from tests.texts import en, head, ntr, part, tr

DECLINE = "✖ " + en("Decline")
APPROVE = "✅ " + en("Approve")
NOT_APPROVED = "Your membership request was not approved"
CLOSED = "Your report {ref} is now: {status}"


async def requested(
    bot: BotRunner, applicant: SimUser, approvers: list[SimUser], name: str = "Айнура Асанова"
) -> None:
    """Her membership request, sent to each approver as the join form sends it."""
    draft = MemberDraft(name, "naryn", None, "ngo", ("human_rights",), None)
    told = [Outgoing(a.id, "member.request", {"member": applicant.id}) for a in approvers]
    await create_member(bot.application.db, applicant.id, draft, approved=False, outbox=told)
    bot.application.wake_sender()
    await bot.settle()


def message(user: SimUser, message_id: int) -> Entry:
    return next(m for m in user.bot_messages() if m.message_id == message_id)


def request_of(user: SimUser) -> Entry:
    return next(
        m for m in user.bot_messages() if m.callback_data and "mem:" in str(m.callback_data)
    )


async def lead_of(sandbox: Sandbox, bot: BotRunner, name: str, lang: str, region: str) -> SimUser:
    lead = await started(sandbox, name, lang)
    await set_grants(
        bot.application.db,
        lead.id,
        coordinator=False,
        lead_regions=frozenset({region}),
        actor_id=COORDINATOR_ID,
    )
    return lead


async def test_declining_asks_for_a_reason_she_reads_in_her_language_and_every_copy_says_so(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    coordinator = await started(sandbox, "Gulnara", "en", user_id=COORDINATOR_ID)
    lead = await lead_of(sandbox, bot, "Aida", "ru", "naryn")
    ainura = await started(sandbox, "Ainura", "ky")
    await requested(bot, ainura, [coordinator, lead])
    mine = request_of(coordinator)

    theirs = request_of(lead)
    await coordinator.press(DECLINE, message_id=mine.message_id)
    asked = await wait_text(coordinator, head("en", "Decline this request?"))
    assert asked.message_id == mine.message_id  # in place of the request
    reasons = [en("Could not confirm who she is"), en("Details incomplete")]
    assert set(reasons) <= set(buttons(asked))
    assert "✏️ " + en("Write a reason") in buttons(asked)
    # Not now: the request comes back as it was.
    await coordinator.press("◀ " + en("Keep the request"))
    await coordinator.wait_for(lambda u: APPROVE in buttons(message(u, mine.message_id)))
    assert await get_member(bot.application.db, ainura.id) is not None

    await coordinator.press(DECLINE, message_id=mine.message_id)
    await wait_text(coordinator, head("en", "Decline this request?"))
    await coordinator.press(en("Details incomplete"))
    settled = await wait_text(coordinator, en("Her details were erased."))
    assert settled.buttons == [] and "Айнура" not in settled.text
    assert en("Declined by {name}, {date}", name=en("you"), date="") in settled.text
    assert en("Details incomplete") in settled.text

    told = await wait_text(ainura, head("ky", NOT_APPROVED))
    reason = tr("ky", "The details you sent were incomplete or unclear.")
    assert tr("ky", "The reason: {reason}", reason=reason) in told.text
    assert await get_member(bot.application.db, ainura.id) is None

    # The lead's copy, in Russian, says who decided what, and has no buttons left.
    await bot.settle()
    copy = next(m for m in lead.bot_messages() if m.message_id == theirs.message_id)
    assert copy.edited and copy.buttons == []
    assert tr("ru", "Declined by {name}, {date}", name="Gulnara", date="") in copy.text
    assert tr("ru", "Details incomplete") in copy.text and "Айнура" not in copy.text
    # Her old copy's data, forged again, is refused with who decided.
    answer = await lead.callback_answer(await lead.forge_press(f"mem:approve:{ainura.id}"))
    assert (
        answer["show_alert"]
        and tr("ru", "This request has already been decided.") in (answer["text"])
    )
    assert tr("ru", "Declined by {name}, {date}", name="Gulnara", date="") in answer["text"]


async def test_a_reason_in_her_own_words_and_forged_buttons(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    coordinator = await started(sandbox, "Gulnara", "en", user_id=COORDINATOR_ID)
    ainura = await started(sandbox, "Ainura", "ky")
    mallory = await started(sandbox, "Mallory", "en")
    await requested(bot, ainura, [coordinator])
    mine = request_of(coordinator)

    for forged in (f"mdec:{ainura.id}:incomplete", f"mwhy:{ainura.id}", f"mkeep:{ainura.id}"):
        answer = await mallory.callback_answer(await mallory.forge_press(forged))
        assert answer["show_alert"], forged
        assert answer["text"] == en("Only coordinators and the lead of her region can decide.")
    assert await get_member(bot.application.db, ainura.id) is not None

    await coordinator.press(DECLINE)
    await wait_text(coordinator, head("en", "Decline this request?"))
    await coordinator.press("✏️ " + en("Write a reason"))
    await wait_text(coordinator, head("en", "<b>Why is it declined?</b>"))
    # Over the limit: kept, shown back to copy, and a ✂️ keeps its first 500 characters.
    long_reason = ("Слишком длинно <b>. " * 30).strip()  # 599 characters
    await coordinator.send(long_reason)
    asked = await wait_text(coordinator, part("en", "Your text, to copy and shorten:"))
    assert long_reason in asked.text
    assert any(
        "⚠️" in m.text and "599" in m.text and "500" in m.text and "99" in m.text
        for m in coordinator.bot_messages()
    )
    await coordinator.press(
        "✂️ " + ntr("en", "Use the first {count} character", "Use the first {count} characters", 500)
    )
    cut = await wait_text(coordinator, en("Her details will be erased. She reads:"))
    assert "«Слишком длинно <b>. Слишком" in cut.text and long_reason not in cut.text
    # Changed her mind: ✏️ Reason, and a short one.
    await coordinator.press("✏️ " + en("Reason"))
    await wait_text(coordinator, head("en", "<b>Why is it declined?</b>"))
    await coordinator.send("Пожалуйста, подайте заявку через своё <НКО>")
    summary = await wait_text(coordinator, en("Her details will be erased. She reads:"))
    assert "«Пожалуйста, подайте заявку через своё <НКО>»" in summary.text
    await coordinator.press("✖ " + en("Decline"))
    told = await wait_text(ainura, head("ky", NOT_APPROVED))
    assert "Пожалуйста, подайте заявку через своё <НКО>" in told.text
    await bot.settle()
    origin = message(coordinator, mine.message_id)  # the request, asked in place, now settled
    assert origin.buttons == [] and en("with a reason in her own words") in origin.text


async def test_approved_elsewhere_marks_the_pending_page(sandbox: Sandbox, bot: BotRunner) -> None:
    coordinator = await started(sandbox, "Gulnara", "en", user_id=COORDINATOR_ID)
    lead = await lead_of(sandbox, bot, "Aida", "en", "naryn")
    ainura = await started(sandbox, "Ainura", "ky")
    zarina = await started(sandbox, "Zarina", "ky")
    await requested(bot, ainura, [lead])
    await requested(bot, zarina, [], "Зарина")

    await coordinator.send("/members")
    await wait_text(coordinator, en("Members"))
    await coordinator.press("⏳ " + en("Pending approvals ({count})", count=2))
    await coordinator.wait_for(lambda u: "✅ Approve 2" in buttons(u.last_bot_message()))
    page = coordinator.last_bot_message()
    assert page is not None

    await lead.press(APPROVE)  # she decides first, on her own copy
    await wait_text(
        ainura, tr("ky", "Your membership of the solidarity community is approved. Welcome!")
    )
    answer = await coordinator.callback_answer(await coordinator.press("✅ Approve 1"))
    assert en("This request has already been decided.") in answer["text"]
    assert en("Approved by {name}, {date}", name="Aida", date="") in answer["text"]
    await coordinator.wait_for(lambda u: "✅ Approve 1" not in buttons(u.last_bot_message()))
    marked = coordinator.last_bot_message()
    assert marked is not None and marked.message_id == page.message_id
    assert "✅ Approve 2" in buttons(marked)  # Zarina's request stays
    first = marked.text.split("\n")[2]
    assert first.startswith("1. ✅ ") and "Айнура" in first
    assert en("Approved by {name}, {date}", name="Aida", date="") in marked.text


async def test_closing_asks_for_a_reason_reopening_and_old_answer_buttons(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    coordinator = await started(sandbox, "Zhyldyz", user_id=COORDINATOR_ID)
    aigul = await reporter_in(sandbox, "ky")
    photo = b"\xff\xd8\xff photo of the bruises"
    stored = sandbox.store_file(photo, "photo", None, "image/jpeg")
    report = await file_report(
        bot,
        "ky",
        anonymous=False,
        files=(FileIn("photo", stored.file_id, photo, None, "image/jpeg", "Жарааттар <1>"),),
    )

    # Looked up by its reference; the card says her language and each file's caption.
    await coordinator.send(f"/reports {report.ref.lower()}")
    card = await wait_text(coordinator, en("Report {ref}", ref=report.ref))
    assert en("Reporter's language: {value}", value="Кыргызча") in card.text
    assert en("File {number}: “{caption}”", number=1, caption="Жарааттар <1>") in card.text
    await coordinator.send("/reports R-2099-0001")
    await wait_text(coordinator, head("en", "No report {ref} was found."))

    # A reply with a photo reaches her as a photo, with its caption and an Answer button.
    await coordinator.send(f"/reports {report.ref}")
    await wait_text(coordinator, en("Report {ref}", ref=report.ref))
    await coordinator.press(REPLY_BUTTON)
    await wait_text(coordinator, part("en", WRITE_REPLY))
    await coordinator.send_photo(b"\x89PNG certificate", caption="Справка для суда")
    await wait_text(coordinator, head("en", "Saved. It goes to the reporter now"))
    relayed = await aigul.next_bot_message()
    assert relayed.kind == "photo" and "Справка для суда" in relayed.text
    assert buttons(relayed) == ["↩️ " + tr("ky", "Answer")]

    # Closing asks first; the reason reaches her in Kyrgyz.
    await coordinator.send(f"/reports {report.ref}")
    await wait_text(coordinator, en("Report {ref}", ref=report.ref))
    await coordinator.press("→ " + en("closed"))
    await wait_text(coordinator, head("en", "Close this report?"))
    asking = await get_report(bot.application.db, report.id)
    assert asking is not None and asking.status == "new"  # nothing closed before she chose
    await coordinator.press(en("Not enough to act on"))
    await wait_text(coordinator, en("Status: {value}", value=en("closed")))
    told = await wait_text(aigul, part("ky", CLOSED))
    reason = tr("ky", "There was not enough information for the coordinators to act on.")
    assert tr("ky", "The reason: {reason}", reason=reason) in told.text
    # The reply she got earlier no longer offers to answer: nothing adds to a closed report.
    await bot.settle()
    assert next(m for m in aigul.bot_messages() if m.kind == "photo").buttons == []

    # Reopened: she hears it.
    await coordinator.press("↩️ " + en("Reopen"))
    await wait_text(coordinator, en("Status: {value}", value=en("in review")))
    await wait_text(
        aigul,
        tr(
            "ky",
            "Your report {ref} has been reopened: the coordinators are looking at it again.",
            ref=report.ref,
        ),
    )

    mallory = await started(sandbox, "Mallory", "en")
    for forged in (f"rep:close:{report.id}:asked", f"rep:why:{report.id}"):
        answer = await mallory.callback_answer(await mallory.forge_press(forged))
        assert answer["show_alert"] and answer["text"] == COORDINATOR_ONLY, forged
    fresh = await get_report(bot.application.db, report.id)
    assert fresh is not None and fresh.status == "in_review"


async def test_closing_with_her_own_words(sandbox: Sandbox, bot: BotRunner) -> None:
    coordinator = await started(sandbox, "Zhyldyz", user_id=COORDINATOR_ID)
    aigul = await reporter_in(sandbox, "ru")
    report = await file_report(bot, "ru")
    await open_card(coordinator, report)
    await coordinator.press("→ " + en("closed"))
    await wait_text(coordinator, head("en", "Close this report?"))
    await coordinator.press("✏️ " + en("Write a reason"))
    await wait_text(coordinator, head("en", "<b>Why is it closed?</b>"))
    await coordinator.send("Мы передали ваше обращение в Акыйкатчы & <ждём> ответа")
    await wait_text(coordinator, en("The reporter reads:"))
    await coordinator.press("🔒 " + en("Close the report"))
    card = await wait_text(coordinator, en("Status: {value}", value=en("closed")))
    assert "Мы передали ваше обращение в Акыйкатчы & <ждём> ответа" in card.text
    told = await wait_text(aigul, part("ru", CLOSED))
    assert "Мы передали ваше обращение в Акыйкатчы & <ждём> ответа" in told.text
    stored = await get_report(bot.application.db, report.id)
    assert stored is not None and stored.status == "closed"
    assert [(m.author, m.author_id) for m in stored.thread] == [("coordinator", COORDINATOR_ID)]


async def test_a_lead_who_leaves_is_warned_and_the_coordinators_told(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    coordinator = await started(sandbox, "Gulnara", "ru", user_id=COORDINATOR_ID)
    aida = await lead_of(sandbox, bot, "Aida", "ky", "naryn")
    draft = MemberDraft("Аида", "naryn", None, "ngo", ("human_rights",), None)
    await create_member(bot.application.db, aida.id, draft, approved=True)
    # Two leads of Talas: one leaving leaves the region led.
    bermet = await lead_of(sandbox, bot, "Bermet", "en", "talas")
    await lead_of(sandbox, bot, "Cholpon", "en", "talas")
    await create_member(bot.application.db, bermet.id, draft, approved=True)

    await aida.send("/leave")
    asked = await wait_text(aida, head("ky", "Leave the community?"))
    warning = tr(
        "ky",
        "You are the regional lead of {regions}: leaving ends that role too, and the "
        "coordinators are told that the region has no lead.",
        regions=tr("ky", "Naryn Region"),
    )
    assert warning in asked.text
    await aida.press("🗑 " + tr("ky", "Yes, erase my data"))
    await wait_text(aida, head("ky", "Your data has been erased."))
    notice = tr(
        "ru",
        "The regional lead of {regions} left the community; the region has no lead now. "
        "/roles makes another member its lead.",
        regions=tr("ru", "Naryn Region"),
    )
    await wait_text(coordinator, notice)

    await bermet.send("/leave")
    await wait_text(bermet, head("en", "Leave the community?"))
    await bermet.press("🗑 " + en("Yes, erase my data"))
    await wait_text(bermet, head("en", "Your data has been erased."))
    await bot.settle()
    assert not any(tr("ru", "Talas Region") in m.text for m in coordinator.bot_messages())
