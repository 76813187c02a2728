"""Joining the community, the profile, leaving, and approvals, end to end."""

from __future__ import annotations

from pathlib import Path

from db.audit import audit_entries
from db.members import get_member
from db.roles import set_grants
from sandbox import Sandbox, SimUser
from tests.conftest import database_bytes
from tests.e2e.helpers import buttons, kyrgyz_reader, started, wait_text
from tests.e2e.runner import COORDINATOR_ID, BotRunner, make_settings
from tests.texts import head, part, tr

PHONE = "+996555123456"
NAME_Q = "<b>Your full name</b>\nHow should the community know you? (2–100 characters)"
REGION_Q = "<b>Your region</b>"
DISTRICT_Q = "<b>Your district, town or village</b>\nType it, or skip this question."
WHO_Q = "<b>Who are you?</b>"
INTERESTS_Q = "<b>Your interests</b>\nTap all that apply, then “Done”."
PHONE_Q = (
    "<b>Your phone number</b> (optional)\nTap “Share my phone number” below, or skip. "
    "Only the coordinators and the lead of your region will see it."
)
CONSENT_Q = "<b>Your data and your consent</b>"
SUMMARY = "<b>Please check your details</b>"
MENU = "Main menu"


def first_line(lang: str, msgid: str) -> str:
    return tr(lang, msgid).split("\n")[0]


async def lead_of(sandbox: Sandbox, bot: BotRunner, name: str, region: str) -> SimUser:
    lead = await started(sandbox, name, "ru", phone=PHONE)
    await set_grants(
        bot.application.db,
        lead.id,
        coordinator=False,
        lead_regions=frozenset({region}),
        actor_id=COORDINATOR_ID,
    )
    return lead


async def join_until_summary(user: SimUser, lang: str, name: str = "<b>Ainura & co</b>") -> None:
    """The whole sign-up, up to the summary: Osh Region, Kara-Suu, a deputy, two interests,
    her phone shared, consent given."""
    await user.send("/join")
    await wait_text(user, first_line(lang, NAME_Q))
    await user.send(name)
    await wait_text(user, tr(lang, REGION_Q))
    await user.press(tr(lang, "Osh Region"))
    await wait_text(user, first_line(lang, DISTRICT_Q))
    await user.send("Кара-Суу")
    await wait_text(user, tr(lang, WHO_Q))
    await user.press(tr(lang, "Local kenesh deputy"))
    await wait_text(user, first_line(lang, INTERESTS_Q))
    await user.press("▫️ " + tr(lang, "Human rights"))
    await user.press("▫️ " + tr(lang, "Preventing trafficking"))
    chosen = "✅ " + tr(lang, "Preventing trafficking")
    await user.wait_for(lambda u: chosen in buttons(u.last_bot_message()))
    await user.press("✔ " + tr(lang, "Done"))
    await wait_text(user, first_line(lang, PHONE_Q))
    await user.press_reply("📱 " + tr(lang, "Share my phone number"))
    await wait_text(user, head(lang, CONSENT_Q))
    await user.press("✅ " + tr(lang, "I agree"))
    await wait_text(user, tr(lang, SUMMARY))


async def join_in_kyrgyz(user: SimUser, name: str = "<b>Ainura & co</b>") -> None:
    await join_until_summary(user, "ky", name)


async def joined(user: SimUser, lang: str = "ky", name: str = "Айнура") -> None:
    await join_until_summary(user, lang, name)
    await user.press("✅ " + tr(lang, "Join"))
    await wait_text(user, tr(lang, MENU))


async def test_full_sign_up_in_kyrgyz_and_approval_by_the_lead_of_her_region(
    sandbox: Sandbox, bot: BotRunner, tmp_path: Path
) -> None:
    coordinator = await started(sandbox, "Coordinator", "en", user_id=COORDINATOR_ID, phone=PHONE)
    osh_lead = await lead_of(sandbox, bot, "Гульнара", "osh_region")
    talas_lead = await lead_of(sandbox, bot, "Айпери", "talas")
    ainura = await started(sandbox, "Ainura", "ky", phone=PHONE)

    await join_in_kyrgyz(ainura)
    summary = ainura.last_bot_message()
    assert summary is not None
    # The name is shown literally, not as bold.
    assert tr("ky", "Name: {value}", value="<b>Ainura & co</b>") in summary.text
    assert tr("ky", "Region: {value}", value=tr("ky", "Osh Region")) in summary.text
    assert "Кара-Суу" in summary.text
    interests = tr("ky", "Human rights") + ", " + tr("ky", "Preventing trafficking")
    assert interests in summary.text
    assert tr("ky", "Phone: {value}", value=PHONE) in summary.text
    # Nothing is said to be saved before she confirms.
    assert part("ky", "Got it.") in ainura.transcript_text()
    await ainura.press("✅ " + tr("ky", "Join"))
    await wait_text(ainura, tr("ky", MENU))
    thanks = head("ky", "Thank you! Your request is now with the coordinators")
    assert any(thanks in m.text for m in ainura.bot_messages())

    await bot.settle()
    request = osh_lead.last_bot_message()
    assert request is not None
    assert first_line("ru", "<b>New membership request</b>\n{name} — {region}, {occupation}") in (
        request.text
    )
    assert "<b>Ainura & co</b> — " + tr("ru", "Osh Region") in request.text
    assert PHONE not in request.text
    assert "New membership request" in (coordinator.last_bot_message() or request).text
    assert not any("Ainura" in m.text for m in talas_lead.bot_messages())

    member = await get_member(bot.application.db, ainura.id)
    assert member is not None and member.status == "pending" and member.phone == PHONE
    raw = database_bytes(bot.settings.database_url)
    assert (
        PHONE.encode() not in raw and b"Ainura & co" not in raw and "Кара-Суу".encode() not in raw
    )

    # A lead of another region cannot decide, even with the button's data.
    refused = await talas_lead.callback_answer(
        await talas_lead.forge_press(f"mem:approve:{ainura.id}")
    )
    assert refused["show_alert"]
    assert refused["text"] == tr("ru", "Only coordinators and the lead of her region can decide.")

    await osh_lead.press("✅ " + tr("ru", "Approve"))
    await wait_text(osh_lead, "→ " + tr("ru", "Approved"))
    told = await wait_text(
        ainura, tr("ky", "Your membership of the solidarity community is approved. Welcome!")
    )
    assert tr("ky", MENU) not in told.text and told.buttons  # with the menu buttons
    member = await get_member(bot.application.db, ainura.id)
    assert member is not None and member.status == "approved"
    actions = [e.action for e in await audit_entries(bot.application.db)]
    assert "member.approved" in actions

    # The coordinator's copy of the request is now stale.
    late = await coordinator.callback_answer(await coordinator.press("✅ Approve"))
    assert late["text"] == "This request has already been decided."


async def test_back_edit_and_invalid_input_keep_what_she_entered(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    olga = await started(sandbox, "Ольга", "ru", phone=PHONE)
    await olga.send("/join")
    await wait_text(olga, first_line("ru", NAME_Q))
    await olga.send("О")
    await wait_text(olga, head("ru", "Please write your name with 2 to 100 characters, for"))
    await olga.send_sticker()
    await wait_text(olga, tr("ru", "Please answer the question above with a text message."))
    await olga.send("Ольга Петрова")
    await wait_text(olga, tr("ru", REGION_Q))
    await olga.press("◀ " + tr("ru", "Back"))
    again = await wait_text(olga, first_line("ru", NAME_Q))
    assert tr("ru", "Now: {value}", value="Ольга Петрова") in again.text
    await olga.send("Ольга Иванова")
    await wait_text(olga, tr("ru", REGION_Q))
    await olga.send("где-то далеко")  # no region by that name: a hint, the question stays
    await wait_text(olga, head("ru", "I could not tell which region that is."))
    await olga.send("г. Бишкек")  # a region typed as words is understood
    await wait_text(olga, first_line("ru", DISTRICT_Q))
    await olga.press("⏭ " + tr("ru", "Skip"))
    await wait_text(olga, tr("ru", WHO_Q))
    await olga.press(tr("ru", "Gender expert"))
    await wait_text(olga, first_line("ru", INTERESTS_Q))
    pressed = await olga.press("✔ " + tr("ru", "Done"))  # nothing chosen yet
    refused = await olga.callback_answer(pressed)
    assert refused["text"] == tr("ru", "Choose at least one interest.")
    await olga.press("▫️ " + tr("ru", "Anti-corruption"))
    chosen = "✅ " + tr("ru", "Anti-corruption")
    await olga.wait_for(lambda u: chosen in buttons(u.last_bot_message()))
    await olga.press("✔ " + tr("ru", "Done"))
    await wait_text(olga, first_line("ru", PHONE_Q))
    await olga.send("+996 555 00 00 00")  # typed numbers are not accepted
    await wait_text(olga, tr("ru", "Please use the “Share my phone number” button below, or skip."))
    await olga.press_reply("⏭ " + tr("ru", "Skip"))
    await wait_text(olga, head("ru", CONSENT_Q))
    await olga.press("✅ " + tr("ru", "I agree"))
    summary = await wait_text(olga, tr("ru", SUMMARY))
    assert tr("ru", "Name: {value}", value="Ольга Иванова") in summary.text
    assert tr("ru", "Region: {value}", value=tr("ru", "Bishkek (city)")) in summary.text
    assert tr("ru", "Phone: {value}", value="—") in summary.text

    # ✏️ Region, then ◀ Back: back on the summary, nothing lost.
    await olga.press("✏️ " + tr("ru", "Region"))
    await wait_text(olga, tr("ru", REGION_Q))
    await olga.press("◀ " + tr("ru", "Back"))
    unchanged = await wait_text(olga, tr("ru", SUMMARY))
    assert tr("ru", "Name: {value}", value="Ольга Иванова") in unchanged.text
    await olga.press("✏️ " + tr("ru", "Region"))
    await wait_text(olga, tr("ru", REGION_Q))
    await olga.press(tr("ru", "Naryn Region"))
    changed = await wait_text(olga, tr("ru", SUMMARY))
    assert tr("ru", "Region: {value}", value=tr("ru", "Naryn Region")) in changed.text
    assert tr("ru", "Name: {value}", value="Ольга Иванова") in changed.text
    assert tr("ru", "Anti-corruption") in changed.text
    await olga.press("✅ " + tr("ru", "Join"))
    await wait_text(olga, tr("ru", MENU))
    member = await get_member(bot.application.db, olga.id)
    assert member is not None and member.region == "naryn" and member.phone is None


async def test_restart_in_the_middle_of_signing_up(sandbox: Sandbox, bot: BotRunner) -> None:
    zarina = await started(sandbox, "Зарина", "ky", phone=PHONE)
    await zarina.send("/join")
    await wait_text(zarina, first_line("ky", NAME_Q))
    await zarina.send("Зарина Садыкова")
    await wait_text(zarina, tr("ky", REGION_Q))
    await zarina.press(tr("ky", "Talas Region"))
    await wait_text(zarina, first_line("ky", DISTRICT_Q))

    await bot.restart()
    await zarina.send("Манас району")
    await wait_text(zarina, tr("ky", WHO_Q))
    await zarina.press(tr("ky", "Gender expert"))
    await wait_text(zarina, first_line("ky", INTERESTS_Q))
    await zarina.press("▫️ " + tr("ky", "Preventing violence"))
    chosen = "✅ " + tr("ky", "Preventing violence")
    await zarina.wait_for(lambda u: chosen in buttons(u.last_bot_message()))
    await zarina.press("✔ " + tr("ky", "Done"))
    await wait_text(zarina, first_line("ky", PHONE_Q))
    await zarina.press_reply("⏭ " + tr("ky", "Skip"))
    await wait_text(zarina, head("ky", CONSENT_Q))
    await zarina.press("✅ " + tr("ky", "I agree"))
    summary = await wait_text(zarina, tr("ky", SUMMARY))
    assert "Зарина Садыкова" in summary.text and tr("ky", "Talas Region") in summary.text
    assert "Манас району" in summary.text


async def test_leave_erases_her_data(sandbox: Sandbox, bot: BotRunner) -> None:
    ainura = await started(sandbox, "Ainura", "ky", phone=PHONE)
    await joined(ainura, name="Айнура Токтогулова")
    assert await get_member(bot.application.db, ainura.id) is not None

    await ainura.send("/profile")
    profile = await wait_text(ainura, tr("ky", "<b>Your profile</b>"))
    assert "Айнура Токтогулова" in profile.text
    assert tr("ky", "waiting for approval") in profile.text
    await ainura.press("🚪 " + tr("ky", "Leave the community"))
    await wait_text(ainura, head("ky", "Leave the community? Your name, phone, district and"))
    await ainura.press("🗑 " + tr("ky", "Yes, erase my data"))
    await wait_text(ainura, head("ky", "Your data has been erased."))
    assert await get_member(bot.application.db, ainura.id) is None
    entries = await audit_entries(bot.application.db)
    erased = [e for e in entries if e.action == "member.erased"]
    assert erased and erased[0].target_id == ainura.id
    assert "Айнура" not in str(erased[0].details) and erased[0].details == {"region": "osh_region"}
    # She can join again later.
    await ainura.send("/join")
    await wait_text(ainura, first_line("ky", NAME_Q))


async def test_profile_edits_and_notification_choices(sandbox: Sandbox, bot: BotRunner) -> None:
    aigul = await kyrgyz_reader(sandbox)
    await joined(aigul, name="Айгүл")
    await aigul.press("🤝 " + tr("ky", "Membership"))
    await wait_text(aigul, tr("ky", "<b>Your profile</b>"))
    await aigul.press("✏️ " + tr("ky", "Name"))
    await wait_text(aigul, first_line("ky", NAME_Q))
    await aigul.send("Айгүл Бекова")
    await wait_text(aigul, tr("ky", "Saved."))
    profile = await wait_text(aigul, tr("ky", "<b>Your profile</b>"))
    assert tr("ky", "Name: {value}", value="Айгүл Бекова") in profile.text
    assert tr("ky", "Event notifications: {value}", value=tr("ky", "in my region")) in (
        profile.text
    )
    # ✏️ then ◀ Back: the profile again, unchanged.
    await aigul.press("✏️ " + tr("ky", "District"))
    await wait_text(aigul, first_line("ky", DISTRICT_Q))
    await aigul.press("◀ " + tr("ky", "Back"))
    back = await wait_text(aigul, tr("ky", "<b>Your profile</b>"))
    assert "Кара-Суу" in back.text
    await aigul.press("🔔 " + tr("ky", "Events to notify"))
    await wait_text(
        aigul, tr("ky", "Event notifications: {value}", value=tr("ky", "in all regions"))
    )
    await aigul.press("📣 " + tr("ky", "Turn announcements off"))
    off = await wait_text(aigul, tr("ky", "Announcements: {value}", value=tr("ky", "off")))
    assert "📣 " + tr("ky", "Turn announcements on") in buttons(off)
    member = await get_member(bot.application.db, aigul.id)
    assert member is not None
    assert (member.name, member.district, member.notify_events, member.notify_announcements) == (
        "Айгүл Бекова",
        "Кара-Суу",
        "all",
        False,
    )


async def test_members_cannot_approve_with_forged_buttons(sandbox: Sandbox, bot: BotRunner) -> None:
    ainura = await started(sandbox, "Ainura", "ky", phone=PHONE)
    await joined(ainura)
    mallory = await started(sandbox, "Mallory", "en", phone=PHONE)
    answer = await mallory.callback_answer(await mallory.forge_press(f"mem:approve:{ainura.id}"))
    assert answer["show_alert"] and answer["text"].startswith("Only coordinators")
    # Data that does not parse (a 20-digit id, a trailing newline) is answered, not an error.
    for data in (f"mem:approve:{'9' * 20}", f"mem:approve:{ainura.id}\n"):
        answer = await mallory.callback_answer(await mallory.forge_press(data))
        assert answer["show_alert"]
    member = await get_member(bot.application.db, ainura.id)
    assert member is not None and member.status == "pending"


async def test_without_approval_members_join_at_once(sandbox: Sandbox, tmp_path: Path) -> None:
    runner = BotRunner(sandbox, make_settings(sandbox, tmp_path, JOIN_APPROVAL="false"))
    await runner.start()
    try:
        ainura = await started(sandbox, "Ainura", "ky", phone=PHONE)
        await joined(ainura)
        welcome = tr("ky", "Welcome to the solidarity community! You are now a member.")
        assert any(welcome in m.text for m in ainura.bot_messages())
        member = await get_member(runner.application.db, ainura.id)
        assert member is not None and member.status == "approved"
        await runner.settle()
    finally:
        await runner.stop()
    assert sandbox.breaches == []


async def test_a_new_conversation_takes_over_from_one_left_waiting(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    coordinator = await started(sandbox, "Gulnara", "ru", user_id=COORDINATOR_ID, phone=PHONE)
    # A /roles search waits for a name; she starts joining instead.
    await coordinator.send("/roles")
    await wait_text(
        coordinator, tr("ru", "Send part of a name to find a member, or choose a region.")
    )
    await coordinator.send("/join")
    await wait_text(coordinator, first_line("ru", NAME_Q))
    await coordinator.send("Гульнара Асанова")
    await wait_text(coordinator, tr("ru", REGION_Q))  # the name went to the sign-up, not the search
    # And the other way round: a report left half-way, then /join again: her sign-up resumes.
    await coordinator.send("/report")
    await wait_text(coordinator, tr("ru", "<b>What is it about?</b>"))
    await coordinator.send("/join")
    await wait_text(coordinator, tr("ru", REGION_Q))
    assert head("ru", "You have a draft you have not finished.") in coordinator.transcript_text()
    await coordinator.send("/cancel")
    await wait_text(coordinator, tr("ru", "Discard this draft? What you entered will be deleted."))
    await coordinator.press("🗑 " + tr("ru", "Yes, discard"))
    await wait_text(coordinator, head("ru", "Cancelled. Nothing was saved; you can /join at"))
    # Nothing is left waiting: a stray text gets the ordinary hint.
    await coordinator.send("привет")
    await wait_text(
        coordinator, tr("ru", "Sorry, I did not understand that. Please use the buttons below.")
    )


async def test_decline_from_the_members_desk_keeps_the_other_requests(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    coordinator = await started(sandbox, "Coordinator", "en", user_id=COORDINATOR_ID, phone=PHONE)
    ainura = await started(sandbox, "Ainura", "ky", phone=PHONE)
    await joined(ainura, name="Айнура")
    zarina = await started(sandbox, "Zarina", "ky", phone=PHONE)
    await joined(zarina, name="Зарина")
    await bot.settle()  # both requests have reached her (the outbox paces her chat)

    await coordinator.send("/members")
    await wait_text(coordinator, "Total")
    await coordinator.press("⏳ Pending approvals (2)")
    page = await wait_text(coordinator, "Pending approvals")
    assert {"✖ Decline 1", "✅ Approve 2"} <= set(buttons(page))
    await coordinator.press("✖ Decline 1")
    await coordinator.wait_for(lambda u: "✖ Decline 1" not in buttons(u.last_bot_message()))
    assert "✅ Approve 2" in buttons(coordinator.last_bot_message())  # Zarina's request stays
    told = await wait_text(ainura, head("ky", "Your membership request was not approved"))
    assert "/join" in told.text
    assert await get_member(bot.application.db, ainura.id) is None  # declined: erased
    entries = [e.action for e in await audit_entries(bot.application.db)]
    assert "member.declined" in entries
    await coordinator.press("✅ Approve 2")
    await wait_text(
        zarina, tr("ky", "Your membership of the solidarity community is approved. Welcome!")
    )
