"""Filing incident reports end to end: the reporter's side."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from db.members import MemberDraft, create_member
from db.reports import (
    ReportDraft,
    Reporter,
    add_message,
    create_report,
    get_report,
    reporter_of,
    reports_of,
    set_status,
)
from db.roles import set_grants
from sandbox import Sandbox, SimUser
from tests.conftest import database_bytes
from tests.e2e.helpers import buttons, started, wait_text
from tests.e2e.runner import COORDINATOR_ID, BotRunner, make_settings

STORY = "Менин кошунамды милиция бөлүмүндө сабашты. Ал азыр ооруканада."
PHOTO = b"\x89PNG\r\n\x1a\n" + b"photo-bytes" * 100
PDF = b"%PDF-1.4 medical certificate " * 50


async def report_until_story(user: SimUser) -> None:
    await user.send("/report")
    await wait_text(user, "Кабар эмне жөнүндө?")
    await user.press("Кыйноо же катаал мамиле")
    await wait_text(user, "Бул кайда болду?")
    await user.press("Ош облусу")
    await wait_text(user, "Жери")
    await user.send("Кара-Суу, милиция бөлүмү")
    await wait_text(user, "Эмне болду?")
    await user.send(STORY)
    await wait_text(user, "Кошулду.")


async def finish_report(user: SimUser, *, anonymous: bool) -> None:
    """From "Done" after the story to the sent report: today, nobody in danger."""
    await user.press("✔ Даяр")
    await wait_text(user, "Бул качан болду?")
    await user.press("Бүгүн")
    await wait_text(user, "коркунуч")
    await user.press("Жок")
    await wait_text(user, "кантип байланыша алат?")
    if anonymous:
        await user.press("🕶 Мени анонимдүү калтыруу")
    else:
        await user.press("👤 Координаторлор менин ким экенимди көрө алат")
    await wait_text(user, "кабарыңызды текшериңиз")
    await user.press("📨 Кабарды жөнөтүү")
    await wait_text(user, "Кабарыңыз жөнөтүлдү.")


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
    await wait_text(aigul, "1-файлы кошулду")
    await aigul.send_document(PDF, file_name="справка.pdf", mime_type="application/pdf")
    await wait_text(aigul, "2-файлы кошулду")
    await aigul.press("✔ Даяр")
    await wait_text(aigul, "Бул качан болду?")
    await aigul.press("Кечээ")
    await wait_text(aigul, "Азыр бирөөгө түздөн-түз коркунуч")
    await aigul.press("Жок")
    await wait_text(aigul, "Координаторлор сиз менен кантип байланыша алат?")
    await aigul.press("🕶 Мени анонимдүү калтыруу")
    summary = await wait_text(aigul, "Сураныч, кабарыңызды текшериңиз")
    assert "2 файл тиркелди" in summary.text and STORY in summary.text
    await aigul.press("📨 Кабарды жөнөтүү")
    done = await wait_text(aigul, "Кабарыңыз жөнөтүлдү.")
    assert "Кайрылуунун номери: R-" in done.text
    assert "115 — Акыйкатчынын" in done.text and "112 — Бирдиктүү" in done.text
    assert "+996 312 383 330" in done.text

    await bot.settle()
    notice = coordinator.last_bot_message()
    assert notice is not None and notice.text.startswith("New report R-")
    assert "(Osh Region, Torture or ill-treatment)" in notice.text
    assert STORY not in notice.text and "Aigul" not in notice.text
    assert buttons(notice) == ["📂 Open"]

    (mine,) = await reports_of(bot.application.db, aigul.id)
    report = await get_report(bot.application.db, mine.id)
    assert report is not None and report.anonymous and report.occurred == "yesterday"
    assert report.text.startswith(STORY) and "Жарааттар" in report.text
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
    await aigul.press("✔ Даяр")
    await wait_text(aigul, "Бул качан болду?")
    await aigul.press("Бүгүн")
    await wait_text(aigul, "Азыр бирөөгө түздөн-түз коркунуч")
    await aigul.press("⚠️ Ооба, бирөө коркунучта")
    help_lines = await wait_text(aigul, "Эгер азыр бирөө коркунучта болсо, чалыңыз:")
    for number in ("112", "102", "103"):
        assert f"📞 {number}" in help_lines.text
    alert = await wait_text(coordinator, "Непосредственная опасность")
    assert "Ошская область" in alert.text and "Пытки или жестокое обращение" in alert.text
    assert STORY not in alert.text
    # Nothing has been sent yet: the report follows.
    assert await reports_of(bot.application.db, aigul.id) == []


@pytest.mark.webhook_too
async def test_restart_in_the_middle_of_a_report_loses_nothing(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    aigul = await started(sandbox, "Aigul", "ky", username="aigul")
    await report_until_story(aigul)
    await bot.restart()
    await aigul.send("Дагы бир нерсе: бул кечээ кечинде болду.")
    await wait_text(aigul, "Кошулду.")
    await aigul.press("✔ Даяр")
    await wait_text(aigul, "Бул качан болду?")
    await aigul.press("📅 Күнүн көрсөтүү")
    await wait_text(aigul, "күн.ай.жыл")
    await aigul.send("31.02.2026")
    await wait_text(aigul, "21.11.2026 түрүндө")
    yesterday = datetime.now(ZoneInfo("Asia/Bishkek")).date() - timedelta(days=1)
    await aigul.send(yesterday.strftime("%d.%m.%Y"))
    await wait_text(aigul, "Азыр бирөөгө түздөн-түз коркунуч")
    await aigul.press("Жок")
    await wait_text(aigul, "кантип байланыша алат?")
    await aigul.press("👤 Координаторлор менин ким экенимди көрө алат")
    summary = await wait_text(aigul, "кабарыңызды текшериңиз")
    assert STORY in summary.text and "Дагы бир нерсе" in summary.text
    assert "Кара-Суу" in summary.text and "Ош облусу" in summary.text


async def test_remove_from_my_phone_deletes_the_report_messages(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    aigul = await started(sandbox, "Aigul", "ky", username="aigul")
    before = len(aigul.transcript())
    await file_quick_report(aigul, anonymous=True)
    await aigul.press("🧹 Бул кабарды телефонумдан өчүрүү")
    await wait_text(aigul, "Бул чаттан өчүрүлдү.")
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
    listing = await wait_text(aigul, "Сиздин кабарларыңыз")
    assert buttons(listing) == [f"{report.ref} · жаңы"]
    await aigul.press(f"{report.ref} · жаңы")
    card = await wait_text(aigul, "Темасы: Кыйноо же катаал мамиле")
    assert STORY in card.text
    await aigul.press("➕ Толуктоо")
    await wait_text(aigul, "эмне кошкуңуз келгенин жазыңыз")
    await aigul.send("Күбөнүн аты Бакыт.")
    await wait_text(aigul, f"{report.ref} кабарына кошулду")
    await aigul.press("✔ Даяр")
    await wait_text(aigul, "Сиздин кабарларыңыз")
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
    await coordinator.send("/setcontacts")
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
    refusal = await wait_text(aigul, "Бул координаторлор үчүн гана.")
    assert refusal.text == "Бул координаторлор үчүн гана." and refusal.kind == "text"


async def test_anonymous_relay_works_both_ways_without_identities(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    coordinator = await started(
        sandbox, "Zhyldyz", "en", user_id=COORDINATOR_ID, username="zhyldyz"
    )
    aigul = await started(sandbox, "Aigul", "ky", username="aigul")
    await file_quick_report(aigul, anonymous=True)
    (report,) = await reports_of(bot.application.db, aigul.id)

    await wait_text(coordinator, f"New report {report.ref}")
    await coordinator.press("📂 Open")
    card = await wait_text(coordinator, f"Report {report.ref}")
    assert "Reported by: anonymous" in card.text
    await coordinator.press("✉️ Reply to the reporter")
    await wait_text(coordinator, "Write your reply")
    await coordinator.send("Can we call you tomorrow?")
    await wait_text(coordinator, "Sent.")

    relayed = await wait_text(
        aigul, f"Сиздин {report.ref} кабарыңыз боюнча координаторлордун жообу"
    )
    assert "Can we call you tomorrow?" in relayed.text
    await aigul.press("↩️ Жооп берүү")
    await wait_text(aigul, "эмне кошкуңуз келгенин жазыңыз")
    await aigul.send("Ооба, саат 10до.")
    await wait_text(aigul, f"{report.ref} кабарына кошулду")
    await aigul.press("✔ Даяр")

    await wait_text(coordinator, f"New information on report {report.ref}")
    await coordinator.press("📂 Open")
    thread = await wait_text(coordinator, "Ооба, саат 10до.")
    assert "Reported by: anonymous" in thread.text
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
    await wait_text(aigul, "Сиздин кабарларыңыз")
    await aigul.press(f"{report.ref} · чечилди")
    card = await wait_text(aigul, "Темасы:")
    assert "➕ Толуктоо" not in buttons(card)
    refused = await aigul.callback_answer(await aigul.forge_press(f"my:add:{report.id}"))
    assert refused["text"].startswith("Бул кабар жабылган.")
    await aigul.callback_answer(await aigul.forge_press(f"my:answer:{report.id}"))
    await wait_text(aigul, "эмне кошкуңуз келгенин жазыңыз")


async def test_each_report_is_removed_from_the_phone_on_its_own(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    aigul = await started(sandbox, "Aigul", "ky", username="aigul")
    await file_quick_report(aigul)
    first_done = aigul.last_bot_message()
    assert first_done is not None
    await file_quick_report(aigul)
    await aigul.press("🧹 Бул кабарды телефонумдан өчүрүү", message_id=first_done.message_id)
    await wait_text(aigul, "Бул чаттан өчүрүлдү.")
    stories = [e for e in aigul.transcript() if e.text == STORY]
    assert len(stories) == 2
    assert stories[0].deleted and not stories[1].deleted  # only the first report went


async def test_an_unsent_report_is_resumed_not_thrown_away(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    aigul = await started(sandbox, "Aigul", "ky", username="aigul")
    await report_until_story(aigul)
    await aigul.send("/report")
    await wait_text(aigul, "Сизде жөнөтүлө элек кабар бар")
    await wait_text(aigul, "Эмне болду?")
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
    await wait_text(aigul, "Сиздин кабарларыңыз")
    await aigul.press(f"{report.ref} · жаңы")
    card = await wait_text(aigul, "Темасы:")
    assert "Reply 11 <about> Tom & Jerry" in card.text  # the newest, shown literally
    assert "Reply 0 " not in card.text
    # (the bot fixture asserts that Telegram refused nothing: length and HTML are valid)


async def test_adding_ends_by_itself_after_a_long_pause(sandbox: Sandbox, bot: BotRunner) -> None:
    aigul = await started(sandbox, "Aigul", "ky", username="aigul")
    await file_quick_report(aigul)
    (report,) = await reports_of(bot.application.db, aigul.id)
    await aigul.send("/myreports")
    await wait_text(aigul, "Сиздин кабарларыңыз")
    await aigul.press(f"{report.ref} · жаңы")
    await wait_text(aigul, "Темасы:")
    await aigul.press("➕ Толуктоо")
    await wait_text(aigul, "эмне кошкуңуз келгенин жазыңыз")
    await bot.settle()
    # Her last addition was long ago (the clock moved on): her next text is not for the report.
    bot.application.user_data[aigul.id]["report_adding_since"] = 0
    await aigul.send("салам")
    await wait_text(aigul, "Кечиресиз, бул билдирүүнү түшүнгөн жокмун.")
    full = await get_report(bot.application.db, report.id)
    assert full is not None and full.thread == ()


async def test_a_lead_never_sees_who_reported(sandbox: Sandbox, tmp_path: Path) -> None:
    runner = BotRunner(sandbox, make_settings(sandbox, tmp_path, LEADS_SEE_REPORTS="true"))
    await runner.start()
    try:
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
        await lead.forge_press(f"rep:open:{report.id}")

        def card_shown(u: SimUser) -> bool:
            return any("Status: new" in m.text for m in u.bot_messages())

        await lead.wait_for(card_shown)
        card = next(m for m in lead.bot_messages() if "Status: new" in m.text)
        assert "Reported by: known to the coordinators" in card.text
        assert "Aigul" not in lead.transcript_text() and "aigul" not in lead.transcript_text()
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
        await wait_text(user, "Кабар эмне жөнүндө?")
        await user.press("Коррупция")
        await wait_text(user, "Бул кайда болду?")
        await user.press("Нарын облусу")
        await wait_text(user, "Жери")
        await user.press("⏭ Өткөрүп жиберүү")
        await wait_text(user, "Эмне болду?")
        await user.send(f"Story number {n}: a bribe was demanded at office {n}.")
        await wait_text(user, "Кошулду.")
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
    first = await wait_text(aigul, "Сиздин кабарларыңыз")
    assert len(buttons(first)) == 11 and buttons(first)[-1] == "▶"  # 10 reports and ▶
    await aigul.press("▶")
    await aigul.wait_for(lambda u: buttons(u.last_bot_message())[-1] == "◀")
    second = aigul.last_bot_message()
    assert second is not None and len(buttons(second)) == 3  # 2 reports and ◀
    assert buttons(second)[0].startswith("R-")
