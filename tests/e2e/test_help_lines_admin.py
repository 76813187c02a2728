"""/setcontacts from a phone (issue 12, item 13, and the translator's "to be confirmed"): the
help lines as a list, adding one with a short form, changing and removing one with buttons,
/cancel back to the menu, the JSON file as the bulk way; and the note under the help lines
until a coordinator marks the numbers as checked."""

from __future__ import annotations

import json

from bot.i18n import load_catalog
from bot.services.help_contacts import current_text, line_tag, parse_directory
from db.members import MemberDraft, create_member
from db.roles import set_grants
from sandbox import Sandbox, SimUser
from tests.conftest import SETTING_NAMES
from tests.e2e.helpers import MAIN_MENU, buttons, started, wait_text
from tests.e2e.runner import COORDINATOR_ID, BotRunner
from tests.e2e.test_reports import file_quick_report
from tests.texts import head, tr

UNCHECKED = "These numbers are still being checked by the coordinators."


def ru(msgid: str, **values: object) -> str:
    return tr("ru", msgid, **values)


async def toggle(user: SimUser, label: str) -> None:
    """Tap a choice and wait until it shows ✅ (before its name, cut if need be)."""
    await user.press(label)
    start = "✅ " + label[:20]
    await user.wait_for(lambda u: any(b.startswith(start) for b in buttons(u.last_bot_message())))


async def test_a_coordinator_adds_changes_and_removes_a_help_line_from_her_phone(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    coordinator = await started(sandbox, "Гульнара", "ru", user_id=COORDINATOR_ID)
    await coordinator.send("/setcontacts")
    listing = await wait_text(coordinator, ru("Help lines"))
    assert "1. 112 — Служба 112 🚨" in listing.text
    assert head("ru", "Not checked yet") in listing.text
    assert {"➕ " + ru("Add a help line"), "📄 " + ru("As a file (JSON)")} <= set(buttons(listing))

    # A new line: one short question at a time, then a summary to save.
    await coordinator.press("➕ " + ru("Add a help line"))
    await wait_text(coordinator, head("ru", "<b>The number</b>"))
    await coordinator.send("not a number")
    await wait_text(coordinator, head("ru", "That does not look like a phone number"))
    await coordinator.send("+996 555 000 111")
    await wait_text(coordinator, head("ru", "<b>Its name in Kyrgyz</b>"))
    await coordinator.send("Ош кризистик борбору")
    await wait_text(coordinator, head("ru", "<b>Its name in Russian</b>"))
    await coordinator.send("Кризисный центр Оша")
    await wait_text(coordinator, head("ru", "<b>Its name in English</b>"))
    await coordinator.send("Osh crisis centre")
    await wait_text(coordinator, head("ru", "<b>Show it at once when someone says"))
    await coordinator.press(ru("No"))
    await wait_text(coordinator, head("ru", "<b>Which reports is it for?</b>"))
    await toggle(coordinator, ru("Violence against women, at home"))
    await toggle(coordinator, ru("Bride kidnapping"))
    await coordinator.press("✔ " + ru("Done"))
    await wait_text(coordinator, head("ru", "<b>In which regions?</b>"))
    await toggle(coordinator, ru("Osh Region"))
    await toggle(coordinator, ru("Osh (city)"))
    await coordinator.press("✔ " + ru("Done"))
    summary = await wait_text(coordinator, ru("A new help line"))
    assert ru("Osh Region") + ", " + ru("Osh (city)") in summary.text
    await coordinator.press("✅ " + ru("Save"))
    saved = await wait_text(coordinator, "8. +996 555 000 111 — Кризисный центр Оша")

    contacts = parse_directory(await current_text(bot.application.db))
    added = contacts[-1]
    assert added.names["ky"] == "Ош кризистик борбору" and not added.emergency
    assert added.categories == {"violence_women", "bride_kidnapping"}
    assert added.regions == {"osh_region", "osh_city"}

    # Its card: change the number, show it at once in danger, then remove it.
    await coordinator.press("8. +996 555 000 111", message_id=saved.message_id)
    card = await wait_text(coordinator, ru("Name in Kyrgyz: {value}", value="Ош кризистик борбору"))
    await coordinator.press("✏️ " + ru("Number"), message_id=card.message_id)
    await wait_text(coordinator, ru("Now: {value}", value="+996 555 000 111"))
    await coordinator.send("+996 555 000 222")
    changed = await wait_text(coordinator, "📞 +996 555 000 222")
    await coordinator.press("🚨 " + ru("At once in danger"), message_id=changed.message_id)
    await wait_text(
        coordinator, ru("Shown at once when someone is in danger: {value}", value=ru("yes"))
    )
    stored = parse_directory(await current_text(bot.application.db))[-1]
    assert stored.number == "+996 555 000 222" and stored.emergency and stored.id == added.id

    await coordinator.press("🗑 " + ru("Remove"))
    await wait_text(
        coordinator,
        ru(
            "Remove {number} — {name} from the help lines?",
            number="+996 555 000 222",
            name="Кризисный центр Оша",
        ),
    )
    await coordinator.press("🗑 " + ru("Yes, remove"))
    back = await wait_text(coordinator, ru("Help lines"))
    assert "+996 555 000 222" not in back.text
    assert len(parse_directory(await current_text(bot.application.db))) == 7

    # A button of a line that has moved since does not act on another one.
    stale = f"hc:rm:6:{line_tag(added.id)}:yes"
    answer = await coordinator.callback_answer(await coordinator.forge_press(stale))
    assert answer["text"] == ru(
        "The help lines have changed meanwhile; here they are as they are now."
    )
    assert len(parse_directory(await current_text(bot.application.db))) == 7


async def test_cancel_returns_to_the_menu_and_members_are_refused(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    coordinator = await started(sandbox, "Gulnara", "ky", user_id=COORDINATOR_ID)
    await coordinator.send("/setcontacts")
    await wait_text(coordinator, tr("ky", "Help lines"))
    await coordinator.press("➕ " + tr("ky", "Add a help line"))
    await wait_text(coordinator, head("ky", "<b>The number</b>"))
    await coordinator.send("112")
    await wait_text(coordinator, head("ky", "<b>Its name in Kyrgyz</b>"))
    await coordinator.send("/cancel")
    await wait_text(coordinator, head("ky", "Discard this draft?"))
    await coordinator.press("🗑 " + tr("ky", "Yes, discard"))
    await wait_text(coordinator, tr("ky", MAIN_MENU).split("\n")[0])
    assert any(
        tr("ky", "Nothing was added to the help lines.") in m.text
        for m in coordinator.bot_messages()
    )

    # The bulk way: the file, and /cancel from it back to the menu.
    await coordinator.send("/setcontacts")
    await wait_text(coordinator, tr("ky", "Help lines"))
    await coordinator.press("📄 " + tr("ky", "As a file (JSON)"))
    await coordinator.wait_for(lambda u: any(m.kind == "document" for m in u.bot_messages()))
    template = next(m for m in coordinator.bot_messages() if m.kind == "document")
    assert template.file_name == "help_contacts.json"
    await coordinator.send("/cancel")
    stopped = await wait_text(coordinator, tr("ky", "Stopped. The help lines were not changed."))
    assert tr("ky", MAIN_MENU).split("\n")[0] in stopped.text

    mallory = await started(sandbox, "Mallory", "en")
    before = await current_text(bot.application.db)
    tag = line_tag(parse_directory(before)[0].id)
    for forged in (
        "hc:dir",
        f"hc:rm:0:{tag}:yes",
        f"hc:sos:0:{tag}",
        "hc:ok",
        "hc:add",
        f"hc:edit:0:{tag}:number",
    ):
        answer = await mallory.callback_answer(await mallory.forge_press(forged))
        assert answer["show_alert"] and answer["text"] == tr(
            "en", "This is only for coordinators."
        ), forged
    await mallory.send("/setcontacts")
    await wait_text(mallory, tr("en", "This is only for coordinators."))
    assert await current_text(bot.application.db) == before


async def test_help_lines_say_they_are_being_checked_until_marked(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    coordinator = await started(sandbox, "Gulnara", "en", user_id=COORDINATOR_ID, username="c")
    aigul = await started(sandbox, "Aigul", "ky", username="aigul")
    await file_quick_report(aigul)
    done = aigul.last_bot_message()
    assert done is not None and tr("ky", UNCHECKED) in done.text
    await bot.settle()  # the coordinator's notice of the report comes first

    await coordinator.send("/setcontacts")
    await wait_text(coordinator, tr("en", "Help lines"))
    await coordinator.press("✅ " + tr("en", "Mark as checked"))
    checked = await wait_text(
        coordinator, tr("en", "The numbers were checked by the coordinators.")
    )
    assert "✅ " + tr("en", "Mark as checked") not in buttons(checked)
    data = json.loads(await current_text(bot.application.db))
    assert data["_status"] == "confirmed" and len(data["contacts"]) == 7

    await file_quick_report(aigul)
    again = aigul.last_bot_message()
    assert again is not None and "📞 112 — " in again.text and tr("ky", UNCHECKED) not in again.text


async def test_no_setting_names_in_kyrgyz_or_russian(sandbox: Sandbox, bot: BotRunner) -> None:
    for lang in ("ky", "ru"):
        for message in load_catalog(lang)._catalog.values():
            texts = message if isinstance(message, tuple) else (message,)
            assert not any(name in text for text in texts for name in SETTING_NAMES), message
    main = await started(sandbox, "Gulnara", "ru", user_id=COORDINATOR_ID)
    second = await started(sandbox, "Second", "ky")
    draft = MemberDraft("Gulnara Main", "bishkek", None, "ngo", ("human_rights",), None)
    await create_member(bot.application.db, main.id, draft, approved=True)
    await set_grants(
        bot.application.db, second.id, coordinator=True, lead_regions=frozenset(), actor_id=1
    )
    await second.send("/roles")
    await second.next_bot_message()
    await second.send("gulnara")
    await second.next_bot_message()
    await second.press(f"Gulnara Main · {tr('ky', 'Bishkek (city)')}")
    card = await wait_text(second, head("ky", "She is a coordinator named in the bot's settings"))
    assert "COORDINATOR_IDS" not in card.text
