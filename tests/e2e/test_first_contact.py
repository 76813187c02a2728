"""First contact (issue 12, items 14–17): the welcome stays once she has chosen her language;
a phone number shared in a form is not said to be saved; switching language in the middle of a
form says the form is still open and how to go back; a shared section carries its title and
first line. (The one-line welcome of a first visit by a shared link is in test_resolution.py.)"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from sandbox import Sandbox
from tests.e2e.helpers import LANGUAGE_BUTTONS, MAIN_MENU, choose_language, started, wait_text
from tests.e2e.runner import BotRunner
from tests.e2e.test_membership import join_until_summary
from tests.texts import head, tr

WELCOME = "Welcome, {name}! This is the bot of the Women's Initiative for the Solidarity Community."
PURPOSE = (
    "Here you can read the resolution of the women leaders of Kyrgyzstan, join their "
    "solidarity community, and report a rights violation safely, in your language."
)
FORM_OPEN = (
    "The form you started is still open, and everything you entered is kept: send {command} to "
    "go back to it."
)


async def test_the_welcome_that_says_what_the_bot_is_for_stays(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    dinara = sandbox.add_user(first_name="Динара", language_code="en")
    await dinara.send("/start")
    greeting = await dinara.next_bot_message()
    menu = await choose_language(dinara, "ru")
    assert menu.message_id == greeting.message_id  # one edit, no second message
    assert menu.text.startswith(tr("ru", WELCOME, name="Динара") + "\n" + tr("ru", PURPOSE))
    assert menu.text.endswith(tr("ru", MAIN_MENU))
    assert tr("ru", "Language: {language}", language=LANGUAGE_BUTTONS["ru"]) not in menu.text


async def test_a_shared_number_is_not_said_to_be_saved_before_she_confirms(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    olga = await started(sandbox, "Ольга", "ru", phone="+996555123456")
    await join_until_summary(olga, "ru", "Ольга Петрова")
    said = [m.text for m in olga.bot_messages()]
    assert tr("ru", "Got it.") in said
    assert not any(tr("ru", "Saved.") in text for text in said)
    intro = head("ru", "<b>Joining the solidarity community</b>")
    assert any(intro in text for text in said)


async def test_switching_language_in_a_form_says_it_is_still_open(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    aigul = await started(sandbox, "Aigul", "ru")
    await aigul.send("/report")
    await wait_text(aigul, tr("ru", "<b>What is it about?</b>"))
    await aigul.press(tr("ru", "Corruption"))
    await wait_text(aigul, tr("ru", "<b>Where did it happen?</b>"))

    await aigul.send("/language")
    await wait_text(aigul, tr("ru", "Please choose your language:"))
    chosen = await choose_language(aigul, "ky")
    assert tr("ky", FORM_OPEN, command="/report") in chosen.text
    await aigul.send("/report")
    await wait_text(aigul, tr("ky", "<b>Where did it happen?</b>"))
    said = [m.text for m in aigul.bot_messages()]
    assert any(head("ky", "You have a draft you have not finished.") in text for text in said)

    # Without a form open, nothing is said about one.
    mira = await started(sandbox, "Mira", "en")
    await mira.send("/language")
    await wait_text(mira, tr("en", "Please choose your language:"))
    plain = await choose_language(mira, "ru")
    assert tr("ru", FORM_OPEN, command="/report") not in plain.text


async def test_a_shared_section_carries_its_title_and_first_line(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    reader = await started(sandbox, "Айгүл", "ky")
    await reader.send("/resolution 5")
    await wait_text(reader, "5-пункт · 6/10")
    urls = [
        button["url"]
        for method, params in sandbox.calls
        if isinstance(params.get("reply_markup"), dict)
        for row in params["reply_markup"].get("inline_keyboard", [])
        for button in row
        if "share/url" in str(button.get("url", ""))
    ]
    shared = parse_qs(urlsplit(urls[-1]).query)
    assert shared["url"] == ["https://t.me/solidarity_test_bot?start=res_p5_ky"]
    (text,) = shared["text"]
    title, first_line = text.split(" — ", 1)
    assert title == "5-пункт"
    assert first_line.startswith("БУУнун Коопсуздук Кеңешинин 1325-резолюциясын")
    assert len(first_line) <= 160 and "[" not in first_line
