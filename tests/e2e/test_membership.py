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
from tests.texts import tr

DISTRICT = "<b>Your district, town or village</b>\nType it, or skip this question."

PHONE = "+996555123456"


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


async def join_in_kyrgyz(user: SimUser, name: str = "<b>Ainura & co</b>") -> None:
    """The whole sign-up in Kyrgyz, up to the summary."""
    await user.send("/join")
    await wait_text(user, "Толук атыңыз")
    await user.send(name)
    await wait_text(user, tr("ky", "<b>Your region</b>"))
    await user.press("Ош облусу")
    await wait_text(user, tr("ky", DISTRICT))
    await user.send("Кара-Суу")
    await wait_text(user, tr("ky", "<b>Who are you?</b>"))
    await user.press("Жергиликтүү кеңештин депутаты")
    await wait_text(user, "Кызыкчылыктарыңыз")
    await user.press("▫️ Адам укуктары")
    await user.press("▫️ Адам сатуунун алдын алуу")
    await user.wait_for(lambda u: "✅ Адам сатуунун алдын алуу" in buttons(u.last_bot_message()))
    await user.press("✔ Даяр")
    await wait_text(user, "Телефон номериңиз")
    await user.press_reply("📱 Телефон номеримди бөлүшүү")
    await wait_text(user, "макулдугуңуз")
    await user.press("✅ Макулмун")
    await wait_text(user, "Сураныч, маалыматтарыңызды текшериңиз")


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
    assert "Аты: <b>Ainura & co</b>" in summary.text  # shown literally, not as bold
    assert "Аймак: Ош облусу" in summary.text and "Кара-Суу" in summary.text
    assert "Адам укуктары, Адам сатуунун алдын алуу" in summary.text
    assert f"Телефон: {PHONE}" in summary.text
    await ainura.press("✅ Кошулуу")
    await wait_text(ainura, "Башкы меню")
    assert any("Рахмат! Өтүнмөңүз" in m.text for m in ainura.bot_messages())

    await bot.settle()
    request = osh_lead.last_bot_message()
    assert request is not None and "Новая заявка на участие" in request.text
    assert "<b>Ainura & co</b> — Ошская область" in request.text
    assert PHONE not in request.text
    assert "New membership request" in (coordinator.last_bot_message() or request).text
    assert not any("заявка" in m.text for m in talas_lead.bot_messages())

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
    assert refused["show_alert"] and "лидер её региона" in refused["text"]

    await osh_lead.press("✅ Одобрить")
    await wait_text(osh_lead, "→ Одобрено")
    told = await wait_text(ainura, "мүчөлүгүңүз бекитилди")
    assert "Башкы меню" not in told.text and told.buttons  # with the menu buttons
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
    await wait_text(olga, "Ваше полное имя")
    await olga.send("О")
    await wait_text(olga, "от 2 до 100 символов, например")
    await olga.send_sticker()
    await wait_text(olga, "Ваше полное имя")
    assert any("ответьте текстовым сообщением" in m.text for m in olga.bot_messages())
    await olga.send("Ольга Петрова")
    await wait_text(olga, "Ваш регион")
    await olga.press("◀ Назад")
    again = await wait_text(olga, "Ваше полное имя")
    assert "Сейчас: Ольга Петрова" in again.text
    await olga.send("Ольга Иванова")
    await wait_text(olga, "Ваш регион")
    await olga.send("Бишкек")  # typed instead of a button
    await wait_text(olga, "Ваш регион")
    await olga.press("г. Бишкек")
    await wait_text(olga, "Ваш район")
    await olga.press("⏭ Пропустить")
    await wait_text(olga, tr("ru", "<b>Who are you?</b>"))
    await olga.press("Гендерный эксперт")
    await wait_text(olga, "Ваши интересы")
    await olga.press("✔ Готово")  # nothing chosen yet
    await olga.press("▫️ Противодействие коррупции")
    await olga.wait_for(lambda u: "✅ Противодействие коррупции" in buttons(u.last_bot_message()))
    await olga.press("✔ Готово")
    await wait_text(olga, "Ваш номер телефона")
    await olga.send("+996 555 00 00 00")  # typed numbers are not accepted
    await wait_text(olga, "не вводите номер вручную")
    await olga.press_reply("⏭ Пропустить")
    await wait_text(olga, "Ваши данные и ваше согласие")
    await olga.press("✅ Я согласна")
    summary = await wait_text(olga, "проверьте свои данные")
    assert "Имя: Ольга Иванова" in summary.text and "Телефон: —" in summary.text

    await olga.press("✏️ Регион")
    await wait_text(olga, "Ваш регион")
    await olga.press("Нарынская область")
    changed = await wait_text(olga, "проверьте свои данные")
    assert "Регион: Нарынская область" in changed.text
    assert "Имя: Ольга Иванова" in changed.text and "Противодействие коррупции" in changed.text
    await olga.press("✅ Вступить")
    await wait_text(olga, "Главное меню")
    member = await get_member(bot.application.db, olga.id)
    assert member is not None and member.region == "naryn" and member.phone is None


async def test_restart_in_the_middle_of_signing_up(sandbox: Sandbox, bot: BotRunner) -> None:
    zarina = await started(sandbox, "Зарина", "ky", phone=PHONE)
    await zarina.send("/join")
    await wait_text(zarina, "Толук атыңыз")
    await zarina.send("Зарина Садыкова")
    await wait_text(zarina, tr("ky", "<b>Your region</b>"))
    await zarina.press("Талас облусу")
    await wait_text(zarina, tr("ky", DISTRICT))

    await bot.restart()
    await zarina.send("Манас району")
    await wait_text(zarina, tr("ky", "<b>Who are you?</b>"))
    await zarina.press("Гендердик эксперт")
    await wait_text(zarina, "Кызыкчылыктарыңыз")
    await zarina.press("▫️ Зомбулуктун алдын алуу")
    await zarina.wait_for(lambda u: "✅ Зомбулуктун алдын алуу" in buttons(u.last_bot_message()))
    await zarina.press("✔ Даяр")
    await wait_text(zarina, "Телефон номериңиз")
    await zarina.press_reply("⏭ Өткөрүп жиберүү")
    await wait_text(zarina, "макулдугуңуз")
    await zarina.press("✅ Макулмун")
    summary = await wait_text(zarina, "маалыматтарыңызды текшериңиз")
    assert "Зарина Садыкова" in summary.text and "Талас облусу" in summary.text
    assert "Манас району" in summary.text


async def test_leave_erases_her_data(sandbox: Sandbox, bot: BotRunner) -> None:
    ainura = await started(sandbox, "Ainura", "ky", phone=PHONE)
    await join_in_kyrgyz(ainura, "Айнура Токтогулова")
    await ainura.press("✅ Кошулуу")
    await wait_text(ainura, "Башкы меню")
    assert await get_member(bot.application.db, ainura.id) is not None

    await ainura.send("/profile")
    profile = await wait_text(ainura, tr("ky", "<b>Your profile</b>"))
    assert "Айнура Токтогулова" in profile.text and "бекитүүнү күтүүдө" in profile.text
    await ainura.press("🚪 Коомчулуктан чыгуу")
    await wait_text(ainura, "Коомчулуктан чыгасызбы?")
    await ainura.press("🗑 Ооба, маалыматтарымды өчүрүү")
    await wait_text(ainura, "Маалыматтарыңыз өчүрүлдү")
    assert await get_member(bot.application.db, ainura.id) is None
    entries = await audit_entries(bot.application.db)
    erased = [e for e in entries if e.action == "member.erased"]
    assert erased and erased[0].target_id == ainura.id
    assert "Айнура" not in str(erased[0].details) and erased[0].details == {"region": "osh_region"}
    # She can join again later.
    await ainura.send("/join")
    await wait_text(ainura, "Толук атыңыз")


async def test_profile_edits_and_notification_choices(sandbox: Sandbox, bot: BotRunner) -> None:
    aigul = await kyrgyz_reader(sandbox)
    await join_in_kyrgyz(aigul, "Айгүл")
    await aigul.press("✅ Кошулуу")
    await wait_text(aigul, "Башкы меню")
    await aigul.press("🤝 Мүчөлүк")
    await wait_text(aigul, tr("ky", "<b>Your profile</b>"))
    await aigul.press("✏️ Аты")
    await wait_text(aigul, "Толук атыңыз")
    await aigul.send("Айгүл Бекова")
    profile = await wait_text(aigul, tr("ky", "<b>Your profile</b>"))
    assert "Аты: Айгүл Бекова" in profile.text
    notify = "Notify me about: {value}"
    assert tr("ky", notify, value=tr("ky", "events in my region")) in profile.text
    await aigul.press("🔔 " + tr("ky", "Events to notify"))
    await wait_text(aigul, tr("ky", notify, value=tr("ky", "events in all regions")))
    await aigul.press("📣 " + tr("ky", "Announcements on/off"))
    await wait_text(aigul, tr("ky", "Announcements: {value}", value=tr("ky", "off")))
    member = await get_member(bot.application.db, aigul.id)
    assert member is not None
    assert (member.name, member.notify_events, member.notify_announcements) == (
        "Айгүл Бекова",
        "all",
        False,
    )


async def test_members_cannot_approve_with_forged_buttons(sandbox: Sandbox, bot: BotRunner) -> None:
    ainura = await started(sandbox, "Ainura", "ky", phone=PHONE)
    await join_in_kyrgyz(ainura)
    await ainura.press("✅ Кошулуу")
    await wait_text(ainura, "Башкы меню")
    mallory = await started(sandbox, "Mallory", "en", phone=PHONE)
    answer = await mallory.callback_answer(await mallory.forge_press(f"mem:approve:{ainura.id}"))
    assert answer["show_alert"] and answer["text"].startswith("Only coordinators")
    member = await get_member(bot.application.db, ainura.id)
    assert member is not None and member.status == "pending"


async def test_without_approval_members_join_at_once(sandbox: Sandbox, tmp_path: Path) -> None:
    runner = BotRunner(sandbox, make_settings(sandbox, tmp_path, JOIN_APPROVAL="false"))
    await runner.start()
    try:
        ainura = await started(sandbox, "Ainura", "ky", phone=PHONE)
        await join_in_kyrgyz(ainura, "Айнура")
        await ainura.press("✅ Кошулуу")
        await wait_text(ainura, "Башкы меню")
        assert any("Эми сиз мүчөсүз" in m.text for m in ainura.bot_messages())
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
    await wait_text(coordinator, "Отправьте часть имени")
    await coordinator.send("/join")
    await wait_text(coordinator, "Ваше полное имя")
    await coordinator.send("Гульнара Асанова")
    await wait_text(coordinator, "Ваш регион")  # the name went to the sign-up, not the search
    # And the other way round: a report left half-way, then /join again.
    await coordinator.send("/report")
    await wait_text(coordinator, tr("ru", "<b>What is it about?</b>"))
    await coordinator.send("/join")
    await wait_text(coordinator, "Ваше полное имя")
    await coordinator.send("Гульнара")
    await wait_text(coordinator, "Ваш регион")
    await coordinator.send("/cancel")
    await wait_text(coordinator, "Отменено. Ничего не сохранено")
    # Nothing is left waiting: a stray text gets the ordinary hint.
    await coordinator.send("привет")
    await wait_text(coordinator, "Извините, это сообщение мне непонятно.")


async def test_decline_from_the_members_desk_keeps_the_other_requests(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    coordinator = await started(sandbox, "Coordinator", "en", user_id=COORDINATOR_ID, phone=PHONE)
    ainura = await started(sandbox, "Ainura", "ky", phone=PHONE)
    await join_in_kyrgyz(ainura, "Айнура")
    await ainura.press("✅ Кошулуу")
    await wait_text(ainura, "Башкы меню")
    zarina = await started(sandbox, "Zarina", "ky", phone=PHONE)
    await join_in_kyrgyz(zarina, "Зарина")
    await zarina.press("✅ Кошулуу")
    await wait_text(zarina, "Башкы меню")

    await coordinator.send("/members")
    await wait_text(coordinator, "Total")
    await coordinator.press("⏳ Pending approvals (2)")
    page = await wait_text(coordinator, "Pending approvals")
    assert {"✖ Decline 1", "✅ Approve 2"} <= set(buttons(page))
    await coordinator.press("✖ Decline 1")
    await coordinator.wait_for(lambda u: "✖ Decline 1" not in buttons(u.last_bot_message()))
    assert "✅ Approve 2" in buttons(coordinator.last_bot_message())  # Zarina's request stays
    told = await wait_text(ainura, "бекитилген жок")
    assert "/join" in told.text
    assert await get_member(bot.application.db, ainura.id) is None  # declined: erased
    entries = [e.action for e in await audit_entries(bot.application.db)]
    assert "member.declined" in entries
    await coordinator.press("✅ Approve 2")
    await wait_text(zarina, "мүчөлүгүңүз бекитилди")
