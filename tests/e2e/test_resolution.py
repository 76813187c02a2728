"""Reading the resolution end to end, and coordinators replacing a text."""

from __future__ import annotations

from bot.services.resolution import builtin_source
from sandbox import Sandbox
from tests.e2e.helpers import buttons, kyrgyz_reader, wait_text
from tests.e2e.runner import COORDINATOR_ID, BotRunner
from tests.texts import tr


async def test_contents_point_next_other_language_and_back(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    aigul = await kyrgyz_reader(sandbox)
    await aigul.press("📜 Резолюция")
    contents = await wait_text(aigul, "Окуу үчүн бөлүмдү тандаңыз:")
    assert "Расмий эмес котормо" in contents.text
    assert {"Преамбула", "4-пункт", "Эскертүүлөр", "📝 Кыскача мазмуну", "⬇️ Жүктөп алуу"} <= set(
        buttons(contents)
    )

    await aigul.press("4-пункт")
    point4 = await wait_text(aigul, "4-пункт · 5/10")
    assert "«Теңдик жөнүндө»" in point4.text and "[4]" in point4.text
    assert "https://t.me/solidarity_test_bot?start=res_p4_ky" in point4.text
    assert buttons(point4)[:3] == ["◀", "📑 Мазмуну", "▶"]

    await aigul.press("▶")
    point5 = await wait_text(aigul, "5-пункт · 6/10")
    assert "мониторинг топторун" in point5.text or "мониторинг топтор" in point5.text

    await aigul.press("🌐 Русский")
    russian = await wait_text(aigul, "Пункт 5 · 6/10")
    assert "мониторинговых групп" in russian.text
    assert "Неофициальный перевод" in russian.text  # the label is in the language of the text
    await aigul.press("📑 Мазмуну")
    back = await wait_text(aigul, "Окуу үчүн бөлүмдү тандаңыз:")
    assert "Пункт 1" in buttons(back)  # the contents of the Russian text she switched to
    # All of this happened in one message, edited in place.
    assert len(aigul.bot_messages()) == 2


async def test_resolution_command_with_a_point_number(sandbox: Sandbox, bot: BotRunner) -> None:
    mary = sandbox.add_user(first_name="Mary", language_code="en")
    await mary.send("/resolution 6")
    point6 = await mary.next_bot_message()
    assert point6.text.startswith("📜 Point 6 · 7/10")
    assert "local self-government bodies (LSG)" in point6.text
    assert "Unofficial translation" not in point6.text  # the English text is the original
    await mary.send("/resolution 9")
    hint = await mary.next_bot_message()
    assert hint.text.startswith("The resolution has six points")
    contents = await mary.next_bot_message()
    assert "Choose a section to read:" in contents.text


async def test_deep_link_opens_a_section_in_its_language(sandbox: Sandbox, bot: BotRunner) -> None:
    olga = sandbox.add_user(first_name="Ольга", language_code="ru")
    await olga.send("/start res_p5_ky")
    shared = await olga.next_bot_message()
    assert shared.text.startswith("📜 5-пункт · 6/10")
    # Her own interface language stays Russian; the text is the Kyrgyz one she was sent.
    assert "Ссылка, чтобы поделиться этим разделом:" in shared.text
    assert "Расмий эмес котормо" in shared.text  # the Kyrgyz text's own label
    await olga.send("/start res_p77_xx")
    invalid = await olga.next_bot_message()
    assert invalid.text.startswith("Эта ссылка больше не действует.")


async def test_download_is_uploaded_once_then_resent_by_file_id(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    aigul = await kyrgyz_reader(sandbox)
    await aigul.send("/resolution")
    await aigul.next_bot_message()
    await aigul.press("⬇️ Жүктөп алуу")
    document = await aigul.next_bot_message()
    assert document.kind == "document" and document.file_name == "resolution-ky.html"
    assert "Расмий эмес котормо" in document.text  # the caption
    assert document.file_id is not None
    content = sandbox.files[document.file_id].data.decode()
    assert '<html lang="ky">' in content and "5-пункт" in content

    nurgul = await kyrgyz_reader(sandbox, "Нургүл")
    await nurgul.send("/resolution")
    await nurgul.next_bot_message()
    await nurgul.press("⬇️ Жүктөп алуу")
    again = await nurgul.next_bot_message()
    assert again.file_id == document.file_id
    uploads = [p for m, p in sandbox.calls if m == "sendDocument"]
    assert len(uploads) == 2 and uploads[1]["document"] == document.file_id


async def test_members_cannot_replace_the_text_even_with_forged_buttons(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    aigul = await kyrgyz_reader(sandbox)
    await aigul.send("/setresolution ru")
    refusal = await aigul.next_bot_message()
    assert refusal.text == "Бул координаторлор үчүн гана."
    for forged in ("resadm:pubo:1", "resadm:mark:ru:b", "resadm:ask:ky:b"):
        answer = await aigul.callback_answer(await aigul.forge_press(forged))
        assert answer["text"] == "Бул координаторлор үчүн гана." and answer["show_alert"]
    await bot.settle()
    await aigul.send("/resolution 1")
    point1 = await aigul.next_bot_message()
    assert "Расмий эмес котормо" in point1.text


async def test_coordinator_replaces_a_text_and_marks_it_official(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    coordinator = sandbox.add_user(user_id=COORDINATOR_ID, first_name="Gulnara", language_code="ru")
    reader = sandbox.add_user(first_name="Ольга", language_code="ru")
    await reader.send("/resolution 2")
    before = await reader.next_bot_message()
    assert "Неофициальный перевод" in before.text

    await coordinator.send("/setresolution ru")
    template = await coordinator.next_bot_message()
    assert template.kind == "document" and template.file_name == "resolution-ru.md"
    instructions = await coordinator.next_bot_message()
    assert "Отправьте новый текст (Русский)" in instructions.text

    # A broken file is refused with the reasons; she can send a corrected one.
    broken = builtin_source("ru").split("## notes")[0]
    await coordinator.send_document(broken.encode(), file_name="ru.md", mime_type="text/markdown")
    refused = await coordinator.next_bot_message()
    assert "Текст не принят:" in refused.text and "Нет раздела «notes»." in refused.text

    # The bot process restarts while she is fixing the file: nothing is lost.
    await bot.restart()
    official = builtin_source("ru").replace(
        "## p2 | Пункт 2\n", "## p2 | Пункт 2\nОФИЦИАЛЬНЫЙ ТЕКСТ & <правка>.\n\n", 1
    )
    await coordinator.send_document(official.encode(), file_name="ru.md", mime_type="text/plain")
    preview = await coordinator.next_bot_message()
    assert preview.kind == "document" and preview.file_name == "preview-ru.html"
    ready = await coordinator.next_bot_message()
    draft_ready = (
        "Draft {version} ({language}) is ready: all {count} sections and {notes} notes are in "
        "place. Check the preview, then publish it."
    )
    assert ready.text == tr("ru", draft_ready, version=1, language="Русский", count=10, notes=5)

    # Readers still see the old text until it is published.
    await reader.send("/resolution 2")
    assert "ОФИЦИАЛЬНЫЙ ТЕКСТ" not in (await reader.next_bot_message()).text

    await coordinator.press("✅ Опубликовать")
    await wait_text(coordinator, "Опубликовано: читатели теперь видят версию")
    await reader.send("/resolution 2")
    published = await reader.next_bot_message()
    assert "ОФИЦИАЛЬНЫЙ ТЕКСТ &amp;" not in published.text  # escaped, shown literally
    assert "ОФИЦИАЛЬНЫЙ ТЕКСТ & <правка>." in published.text
    assert "Неофициальный перевод" in published.text

    # Marked official from the status page: the label goes.
    await coordinator.send("/setresolution")
    status = await coordinator.next_bot_message()
    assert "Русский: версия" in status.text
    await coordinator.press(tr("ru", "Mark {language} official", language="Русский"))
    await wait_text(coordinator, "Отметить действующий текст (Русский) как официальный?")
    await coordinator.press("🏛 Да, отметить как официальный")
    await wait_text(coordinator, "теперь отмечен как официальный")
    await reader.send("/resolution 2")
    final = await reader.next_bot_message()
    assert "ОФИЦИАЛЬНЫЙ ТЕКСТ" in final.text and "Неофициальный перевод" not in final.text
    # The Kyrgyz text is untouched.
    await reader.send("/start res_p2_ky")
    assert "Расмий эмес котормо" in (await reader.next_bot_message()).text


async def test_the_story_of_the_issue(sandbox: Sandbox, bot: BotRunner) -> None:
    """Read point 5 in Kyrgyz, compare with Russian, share it by link, download the text."""
    leader = await kyrgyz_reader(sandbox, "Жылдыз")
    await leader.press("📜 Резолюция")
    await wait_text(leader, "Окуу үчүн бөлүмдү тандаңыз:")
    await leader.press("5-пункт")
    kyrgyz = await wait_text(leader, "5-пункт · 6/10")
    assert "кыйноолорго дуушар болбоо" in kyrgyz.text
    await leader.press("🌐 Русский")
    await wait_text(leader, "Пункт 5 · 6/10")
    await leader.press("🌐 Кыргызча")
    back = await wait_text(leader, "5-пункт · 6/10")
    link = back.text.splitlines()[-1]
    assert link == "https://t.me/solidarity_test_bot?start=res_p5_ky"

    colleague = sandbox.add_user(first_name="Бактыгүл", language_code="ky")
    await colleague.send("/start " + link.split("start=")[1])
    shared = await colleague.next_bot_message()
    assert shared.text == back.text

    await leader.press("📑 Мазмуну")
    await wait_text(leader, "Окуу үчүн бөлүмдү тандаңыз:")
    await leader.press("⬇️ Жүктөп алуу")
    document = await leader.next_bot_message()
    assert document.kind == "document" and document.file_name == "resolution-ky.html"
