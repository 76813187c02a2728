"""Reading the resolution end to end, and coordinators replacing a text."""

from __future__ import annotations

from bot.services.resolution import builtin_source
from sandbox import Sandbox
from tests.e2e.helpers import buttons, kyrgyz_reader, menu_buttons, wait_text
from tests.e2e.runner import COORDINATOR_ID, BotRunner
from tests.texts import tr

CHOOSE_SECTION = "Choose a section to read:"
UNOFFICIAL = "Unofficial translation"
RESOLUTION_KY = menu_buttons("ky")[0]  # 📜 in the main menu
CONTENTS_KY = "📑 " + tr("ky", "Contents")
DOWNLOAD_KY = "⬇️ " + tr("ky", "Download")


async def test_contents_point_next_other_language_and_back(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    aigul = await kyrgyz_reader(sandbox)
    await aigul.press(RESOLUTION_KY)
    contents = await wait_text(aigul, tr("ky", CHOOSE_SECTION))
    assert tr("ky", UNOFFICIAL) in contents.text
    summary = "📝 " + tr("ky", "Short summary")
    # Section titles come from the text itself (bot/content/resolution/ky.md).
    expected = {"Преамбула", "4-пункт", "Эскертүүлөр", summary, DOWNLOAD_KY}
    assert expected <= set(buttons(contents))

    await aigul.press("4-пункт")
    point4 = await wait_text(aigul, "4-пункт · 5/10")
    assert "«Теңдик жөнүндө»" in point4.text and "[4]" in point4.text
    assert "https://t.me/solidarity_test_bot?start=res_p4_ky" in point4.text
    assert buttons(point4)[:3] == ["◀", CONTENTS_KY, "▶"]

    await aigul.press("▶")
    point5 = await wait_text(aigul, "5-пункт · 6/10")
    assert "мониторинг топторун" in point5.text or "мониторинг топтор" in point5.text

    await aigul.press("🌐 Русский")
    russian = await wait_text(aigul, "Пункт 5 · 6/10")
    assert "мониторинговых групп" in russian.text
    assert tr("ru", UNOFFICIAL) in russian.text  # the label is in the language of the text
    await aigul.press(CONTENTS_KY)
    back = await wait_text(aigul, tr("ky", CHOOSE_SECTION))
    assert "Пункт 1" in buttons(back)  # the contents of the Russian text she switched to
    # All of this happened in one message, edited in place: the language picker became the
    # menu, and the menu the resolution.
    assert len(aigul.bot_messages()) == 1


async def test_resolution_command_with_a_point_number(sandbox: Sandbox, bot: BotRunner) -> None:
    mary = sandbox.add_user(first_name="Mary", language_code="en")
    await mary.send("/resolution 6")
    point6 = await mary.next_bot_message()
    assert point6.text.startswith("📜 Point 6 · 7/10")
    assert "local self-government bodies (LSG)" in point6.text
    assert tr("en", UNOFFICIAL) not in point6.text  # the English text is the original
    await mary.send("/resolution 9")
    hint = await mary.next_bot_message()
    assert hint.text == tr(
        "en",
        "The resolution has six points: send /resolution and a number from 1 to 6, "
        "for example /resolution 5.",
    )
    contents = await mary.next_bot_message()
    assert tr("en", CHOOSE_SECTION) in contents.text


async def test_deep_link_opens_a_section_in_its_language(sandbox: Sandbox, bot: BotRunner) -> None:
    olga = sandbox.add_user(first_name="Ольга", language_code="ru")
    await olga.send("/start res_p5_ky")
    shared = await olga.next_bot_message()
    assert shared.text.startswith("📜 5-пункт · 6/10")
    # Her own interface language stays Russian; the text is the Kyrgyz one she was sent.
    assert tr("ru", "Link to share this section:") in shared.text
    assert tr("ky", UNOFFICIAL) in shared.text  # the Kyrgyz text's own label
    await olga.send("/start res_p77_xx")
    invalid = await olga.next_bot_message()
    assert invalid.text == tr("ru", "This link is not valid any more. Here is the resolution:")


async def test_download_is_uploaded_once_then_resent_by_file_id(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    aigul = await kyrgyz_reader(sandbox)
    await aigul.send("/resolution")
    await aigul.next_bot_message()
    await aigul.press(DOWNLOAD_KY)
    document = await aigul.next_bot_message()
    assert document.kind == "document" and document.file_name == "resolution-ky.html"
    assert tr("ky", UNOFFICIAL) in document.text  # the caption
    assert document.file_id is not None
    content = sandbox.files[document.file_id].data.decode()
    assert '<html lang="ky">' in content and "5-пункт" in content

    nurgul = await kyrgyz_reader(sandbox, "Нургүл")
    await nurgul.send("/resolution")
    await nurgul.next_bot_message()
    await nurgul.press(DOWNLOAD_KY)
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
    coordinators_only = tr("ky", "This is only for coordinators.")
    assert refusal.text == coordinators_only
    for forged in ("resadm:pubo:1", "resadm:mark:ru:b", "resadm:ask:ky:b"):
        answer = await aigul.callback_answer(await aigul.forge_press(forged))
        assert answer["text"] == coordinators_only and answer["show_alert"]
    await bot.settle()
    await aigul.send("/resolution 1")
    point1 = await aigul.next_bot_message()
    assert tr("ky", UNOFFICIAL) in point1.text


async def test_coordinator_replaces_a_text_and_marks_it_official(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    coordinator = sandbox.add_user(user_id=COORDINATOR_ID, first_name="Gulnara", language_code="ru")
    reader = sandbox.add_user(first_name="Ольга", language_code="ru")
    await reader.send("/resolution 2")
    before = await reader.next_bot_message()
    unofficial = tr("ru", UNOFFICIAL)
    assert unofficial in before.text

    await coordinator.send("/setresolution ru")
    template = await coordinator.next_bot_message()
    assert template.kind == "document" and template.file_name == "resolution-ru.md"
    instructions = await coordinator.next_bot_message()
    send_new = (
        "Send the new {language} text as a file (.md or .txt, UTF-8) in the same format: the "
        "title on the first line after “# ”, then each section after a heading such as "
        "“## p1 | Point 1”, with the section names {sections}. Nothing changes for readers "
        "until you publish. /cancel to stop."
    )
    sections = "preamble, p1, p2, p3, p4, p5, p6, appeal, participants, notes"
    assert instructions.text == tr("ru", send_new, language="Русский", sections=sections)

    # A broken file is refused with the reasons; she can send a corrected one.
    broken = builtin_source("ru").split("## notes")[0]
    await coordinator.send_document(broken.encode(), file_name="ru.md", mime_type="text/markdown")
    refused = await coordinator.next_bot_message()
    assert tr("ru", "The text was not accepted:") in refused.text
    assert tr("ru", "Section “{section}” is missing.", section="notes") in refused.text

    # The bot process restarts while she is fixing the file: nothing is lost.
    await bot.restart()
    official = builtin_source("ru").replace(
        "## p2 | Пункт 2\n", "## p2 | Пункт 2\nОФИЦИАЛЬНЫЙ ТЕКСТ & <правка>.\n\n", 1
    )
    await coordinator.send_document(official.encode(), file_name="ru.md", mime_type="text/plain")
    preview = await coordinator.next_bot_message()
    assert preview.kind == "document" and preview.file_name == "preview-ru.html"
    ready = await coordinator.next_bot_message()
    draft = (
        "Draft {version} ({language}) is ready: all {count} sections and {notes} notes are in "
        "place. Check the preview, then publish it."
    )
    assert ready.text == tr("ru", draft, version=1, language="Русский", count=10, notes=5)

    # Readers still see the old text until it is published.
    await reader.send("/resolution 2")
    assert "ОФИЦИАЛЬНЫЙ ТЕКСТ" not in (await reader.next_bot_message()).text

    await coordinator.press("✅ " + tr("ru", "Publish"))
    now_published = "Published: readers now see version {version} in {language}."
    await wait_text(coordinator, tr("ru", now_published, version=1, language="Русский"))
    await reader.send("/resolution 2")
    published = await reader.next_bot_message()
    assert "ОФИЦИАЛЬНЫЙ ТЕКСТ &amp;" not in published.text  # escaped, shown literally
    assert "ОФИЦИАЛЬНЫЙ ТЕКСТ & <правка>." in published.text
    assert unofficial in published.text

    # Marked official from the status page: the label goes.
    await coordinator.send("/setresolution")
    status = await coordinator.next_bot_message()
    version_1 = tr("ru", "version {version}", version=1)
    assert f"Русский: {version_1}, {tr('ru', 'unofficial translation')}" in status.text
    await coordinator.press(tr("ru", "Mark {language} official", language="Русский"))
    ask = (
        "Mark the {language} text in force as official? Readers will no longer see the "
        "“unofficial translation” label."
    )
    await wait_text(coordinator, tr("ru", ask, language="Русский"))
    await coordinator.press("🏛 " + tr("ru", "Yes, mark it official"))
    marked = "The {language} text (version {version}) is now marked official."
    await wait_text(coordinator, tr("ru", marked, language="Русский", version=1))
    await reader.send("/resolution 2")
    final = await reader.next_bot_message()
    assert "ОФИЦИАЛЬНЫЙ ТЕКСТ" in final.text and unofficial not in final.text
    # The Kyrgyz text is untouched.
    await reader.send("/start res_p2_ky")
    assert tr("ky", UNOFFICIAL) in (await reader.next_bot_message()).text


async def test_the_story_of_the_issue(sandbox: Sandbox, bot: BotRunner) -> None:
    """Read point 5 in Kyrgyz, compare with Russian, share it by link, download the text."""
    leader = await kyrgyz_reader(sandbox, "Жылдыз")
    await leader.press(RESOLUTION_KY)
    await wait_text(leader, tr("ky", CHOOSE_SECTION))
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

    await leader.press(CONTENTS_KY)
    await wait_text(leader, tr("ky", CHOOSE_SECTION))
    await leader.press(DOWNLOAD_KY)
    document = await leader.next_bot_message()
    assert document.kind == "document" and document.file_name == "resolution-ky.html"
