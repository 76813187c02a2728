"""The first conversation end to end: languages, menu, help, cancel, groups, errors, restarts."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from sqlalchemy import select
from telegram import Update
from telegram.ext import CommandHandler

from bot.context import BotContext
from db.models import ConversationState
from db.users import get_user
from sandbox import Sandbox, scope_key
from tests.e2e.helpers import (
    LANGUAGE_BUTTONS,
    MAIN_MENU,
    choose_language,
    menu_buttons,
    wait_text,
)
from tests.e2e.runner import COORDINATOR_ID, TOKEN, BotRunner
from tests.texts import tr

CHOOSE = "Please choose your language:"
WELCOME = "Welcome, {name}! This is the bot of the Women's Initiative for the Solidarity Community."
PURPOSE = (
    "Here you can read the resolution of the women leaders of Kyrgyzstan, join their "
    "solidarity community, and report a rights violation safely, in your language."
)
NOT_UNDERSTOOD = "Sorry, I did not understand that. Please use the buttons below."


@pytest.mark.webhook_too
async def test_first_start_in_kyrgyz_then_menu_and_help(sandbox: Sandbox, bot: BotRunner) -> None:
    ainura = sandbox.add_user(first_name="Ainura", language_code="ky")
    await ainura.send("/start")
    greeting = await ainura.next_bot_message()
    assert greeting.text == tr("ky", WELCOME, name="Ainura") + "\n\n" + tr("ky", CHOOSE)
    assert [b for row in greeting.buttons for b in row] == list(LANGUAGE_BUTTONS.values())

    # The greeting becomes, in one edit, the welcome that says what the bot is for, and the
    # menu: no second message, and no bare "Language: Кыргызча" in place of the welcome.
    menu = await choose_language(ainura, "ky")
    assert menu.message_id == greeting.message_id and menu.edited
    assert menu.text == "\n".join(
        [tr("ky", WELCOME, name="Ainura"), tr("ky", PURPOSE), "", tr("ky", MAIN_MENU)]
    )
    assert [b for row in menu.buttons for b in row] == menu_buttons("ky")
    await bot.settle()
    assert len(ainura.bot_messages()) == 1

    await ainura.send("/help")
    help_message = await ainura.next_bot_message()
    commands = tr("ky", "<b>Commands</b>")
    assert commands in help_message.text
    assert "/language — " + tr("ky", "Change the language") in help_message.text
    back = "◀ " + tr("ky", "Main menu")
    assert help_message.buttons == [[back]]

    await ainura.press(back)
    await wait_text(ainura, tr("ky", MAIN_MENU))
    await ainura.press(menu_buttons("ky")[-1])  # Help
    await wait_text(ainura, commands)
    person = await get_user(bot.application.db, ainura.id)
    assert person is not None and person.language == "ky" and person.first_name == "Ainura"


async def test_unknown_language_is_asked_in_all_three(sandbox: Sandbox, bot: BotRunner) -> None:
    hans = sandbox.add_user(first_name="Hans", language_code="de")
    await hans.send("/start")
    prompt = await hans.next_bot_message()
    for lang in ("ky", "ru", "en"):
        assert tr(lang, CHOOSE) in prompt.text
    await hans.send("hello?")
    reminder = await hans.next_bot_message()
    assert reminder.text.startswith(tr("en", "Please choose a language with the buttons below."))
    menu = await choose_language(hans, "en", message_id=reminder.message_id)
    assert menu.text.endswith(tr("en", MAIN_MENU))


@pytest.mark.webhook_too
async def test_several_users_at_once_each_in_her_language(sandbox: Sandbox, bot: BotRunner) -> None:
    users = {
        "ky": sandbox.add_user(first_name="Гүлнара", language_code="ky"),
        "ru": sandbox.add_user(first_name="Ольга", language_code="ru"),
        "en": sandbox.add_user(first_name="Mary", language_code="en-US"),
    }
    await asyncio.gather(*(u.send("/start") for u in users.values()))
    for user in users.values():
        await user.next_bot_message()
    menus = await asyncio.gather(*(choose_language(u, lang) for lang, u in users.items()))
    for (lang, user), menu in zip(users.items(), menus, strict=True):
        assert menu.text.endswith(tr(lang, MAIN_MENU)), user.transcript_text()


@pytest.mark.webhook_too
async def test_language_choice_survives_a_restart(sandbox: Sandbox, bot: BotRunner) -> None:
    olga = sandbox.add_user(first_name="Ольга", language_code="en")
    await olga.send("/start")
    await olga.next_bot_message()
    await choose_language(olga, "ru")

    await bot.restart()
    await olga.send("/start")
    again = await olga.next_bot_message()
    assert again.text == tr("ru", "Welcome back, {name}!", name="Ольга") + "\n\n" + tr(
        "ru", MAIN_MENU
    )
    # /language re-renders the menu in the new language.
    await olga.send("/language")
    await olga.next_bot_message()
    menu = await choose_language(olga, "ky")
    chosen = tr("ky", "Language: {language}", language=LANGUAGE_BUTTONS["ky"])
    assert menu.text == chosen + "\n\n" + tr("ky", MAIN_MENU)


async def test_conversation_state_is_written_soon_and_survives_a_restart(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    aida = sandbox.add_user(first_name="Aida", language_code="ru")
    await aida.send("/start")
    await aida.next_bot_message()
    await bot.settle()

    # Written by the persistence loop within about a second, not at shutdown only.
    async def stored_states() -> list[str]:
        async with bot.application.db.transaction() as session:
            rows = await session.execute(select(ConversationState.state))
            return list(rows.scalars())

    for _ in range(60):
        if await stored_states():
            break
        await asyncio.sleep(0.05)  # the persistence loop runs on a timer; nothing to await
    assert await stored_states() == ["1"]

    await bot.restart()
    await aida.send("что это?")
    reminder = await aida.next_bot_message()
    assert reminder.text.startswith(tr("ru", "Please choose a language with the buttons below."))


async def test_cancel(sandbox: Sandbox, bot: BotRunner) -> None:
    mary = sandbox.add_user(first_name="Mary", language_code="en")
    await mary.send("/start")
    await mary.next_bot_message()
    await mary.send("/cancel")
    cancelled = await mary.next_bot_message()
    main_menu = tr("en", MAIN_MENU)
    assert cancelled.text == tr("en", "Cancelled. Nothing was changed.") + "\n\n" + main_menu
    await mary.send("/cancel")
    nothing = await mary.next_bot_message()
    assert nothing.text == tr("en", "There is nothing to cancel.") + "\n\n" + main_menu
    # Out of the picker: a text is not taken as a wrong language answer any more.
    await mary.send("hello")
    hint = await mary.next_bot_message()
    assert hint.text == tr("en", NOT_UNDERSTOOD) + "\n\n" + main_menu


async def test_unknown_text_command_and_sticker_get_a_hint_and_the_menu(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    zarina = sandbox.add_user(first_name="Zarina", language_code="ru")
    await zarina.send("/start")
    await zarina.next_bot_message()
    await choose_language(zarina, "ru")

    await zarina.send("<b>привет</b> & пока")
    hint = await zarina.next_bot_message()
    assert hint.text.startswith(tr("ru", NOT_UNDERSTOOD))
    assert [b for row in hint.buttons for b in row] == menu_buttons("ru")
    await zarina.send("/frobnicate")
    unknown = await zarina.next_bot_message()
    assert unknown.text.startswith(
        tr("ru", "I don't know this command. Send /help to see what I can do.")
    )
    await zarina.send_sticker()
    sticker_hint = await zarina.next_bot_message()
    assert sticker_hint.text.startswith(tr("ru", NOT_UNDERSTOOD))


async def test_group_chat_gets_one_answer(sandbox: Sandbox, bot: BotRunner) -> None:
    group = sandbox.add_group(title="Osh leaders")
    gulnara = sandbox.add_user(first_name="Gulnara", language_code="ru")
    aisha = sandbox.add_user(first_name="Aisha", language_code="en")
    await gulnara.send("/start", chat=group)
    notice = await gulnara.next_bot_message(chat=group)
    assert notice.text == tr(
        "ru",
        "I work only in a private chat, to keep what you tell me safe. "
        "Please write to me directly.",
    )
    assert notice.buttons == [["@solidarity_test_bot"]]
    await aisha.send("/help", chat=group)
    await gulnara.send("hello everyone", chat=group)
    await bot.settle()
    assert len(gulnara.bot_messages(chat=group)) == 1, gulnara.transcript_text(chat=group)
    assert gulnara.bot_messages() == []


async def test_error_in_a_handler_reaches_the_error_handler(
    sandbox: Sandbox, bot: BotRunner, caplog: pytest.LogCaptureFixture
) -> None:
    async def boom(update: Update, context: BotContext) -> None:
        raise RuntimeError("internal detail that must not reach the user")

    bot.add_feature_handler(CommandHandler("boom", boom))
    kanykei = sandbox.add_user(first_name="Kanykei", language_code="ky")
    with caplog.at_level(logging.ERROR):
        await kanykei.send("/boom")
        apology = await kanykei.next_bot_message()
        await bot.settle()
    assert apology.text == tr(
        "ky",
        "Sorry, something went wrong on our side. Please try again in a moment, or send /start "
        "to open the menu.",
    )
    assert len(kanykei.bot_messages()) == 1, kanykei.transcript_text()
    assert "internal detail" not in apology.text
    errors = [r for r in caplog.records if r.name == "bot.handlers.errors"]
    assert errors and errors[0].exc_info is not None
    assert "RuntimeError" in caplog.text and TOKEN not in caplog.text


@pytest.mark.webhook_too
async def test_blocking_the_bot_is_remembered(sandbox: Sandbox, bot: BotRunner) -> None:
    nurgul = sandbox.add_user(first_name="Nurgul", language_code="ky")
    await nurgul.send("/start")
    await nurgul.next_bot_message()
    await nurgul.block()
    await bot.settle()
    person = await get_user(bot.application.db, nurgul.id)
    assert person is not None and person.blocked
    await nurgul.unblock()
    await nurgul.send("/start")
    await nurgul.next_bot_message()
    person = await get_user(bot.application.db, nurgul.id)
    assert person is not None and not person.blocked


async def test_commands_are_registered_per_language(sandbox: Sandbox, bot: BotRunner) -> None:
    default = sandbox.commands[('{"type":"default"}', "")]
    assert [c["command"] for c in default] == [
        "start",
        "resolution",
        "join",
        "profile",
        "leave",
        "events",
        "report",
        "helplines",
        "myreports",
        "help",
        "language",
        "cancel",
    ]
    assert default[0]["description"] == tr("en", "Open the main menu")
    for lang in ("ru", "ky"):
        language = sandbox.commands[('{"type":"default"}', lang)][10]
        assert language["description"] == tr(lang, "Change the language")


async def test_too_many_requests_are_retried_not_lost(sandbox: Sandbox, bot: BotRunner) -> None:
    bermet = sandbox.add_user(first_name="Bermet", language_code="en")
    await bermet.send("/start")
    await bermet.next_bot_message()
    await bot.settle()
    sandbox.set_rate_limit(3)
    await asyncio.gather(
        *(bot.application.bot.send_message(bermet.id, f"note {i}") for i in range(6))
    )
    texts = [m.text for m in bermet.bot_messages()]
    assert sorted(t for t in texts if t.startswith("note")) == [f"note {i}" for i in range(6)]
    assert sandbox.breaches and all(b.error_code == 429 for b in sandbox.breaches)
    sandbox.breaches.clear()


async def test_sending_to_someone_who_blocked_the_bot_does_not_crash(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    asel = sandbox.add_user(first_name="Asel", language_code="ru")
    await asel.send("/start")
    await asel.next_bot_message()
    # Blocked, as seen by the sandbox, before the bot has heard of it.
    asel.blocked = True

    async def tell_asel(update: Update, context: BotContext) -> None:
        await context.bot.send_message(asel.id, "news")

    bot.add_feature_handler(CommandHandler("tell", tell_asel))
    coordinator = sandbox.add_user(first_name="Coordinator", language_code="en")
    await coordinator.send("/tell")
    await bot.settle()
    person = await get_user(bot.application.db, coordinator.id)
    assert person is not None and not person.blocked, "the 403 was about someone else"
    assert coordinator.bot_messages() == [], coordinator.transcript_text()
    assert [b.error_code for b in sandbox.breaches] == [403]
    sandbox.breaches.clear()
    # The bot is still alive for everyone else.
    await coordinator.send("/help")
    assert tr("en", "<b>Commands</b>") in (await coordinator.next_bot_message()).text


async def test_unknown_or_forged_button_is_answered_not_ignored(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    cholpon = sandbox.add_user(first_name="Cholpon", language_code="ky")
    await cholpon.send("/start")
    await cholpon.next_bot_message()
    answer = await cholpon.callback_answer(await cholpon.forge_press("admin:approve:1"))
    stale = "This button is no longer active. Send /start to open the menu."
    assert answer["text"] == tr("ky", stale)
    # A forged language code is not taken either.
    await cholpon.forge_press("lang:xx")
    await bot.settle()
    person = await get_user(bot.application.db, cholpon.id)
    assert person is not None and person.language is None


async def test_a_coordinators_own_command_menu_follows_her_language(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    coordinator = sandbox.add_user(user_id=COORDINATOR_ID, first_name="Gulnara", language_code="en")
    await coordinator.send("/start")
    await coordinator.next_bot_message()
    await choose_language(coordinator, "ru")
    await bot.settle()
    own = sandbox.commands[(scope_key({"type": "chat", "chat_id": COORDINATOR_ID}), "")]
    commands = {c["command"]: c["description"] for c in own}
    assert {"members", "roles", "setresolution", "reports", "setcontacts"} <= set(commands)
    assert commands["language"] == tr("ru", "Change the language")
    # Members keep the public menu only.
    public = sandbox.commands[('{"type":"default"}', "")]
    assert "roles" not in [c["command"] for c in public]


async def test_someone_whose_language_we_cannot_tell_is_asked_whatever_she_writes(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    hans = sandbox.add_user(first_name="Hans", language_code="de")
    await hans.send("hallo")
    asked = await hans.next_bot_message()
    assert asked.text == "\n".join(tr(lang, CHOOSE) for lang in ("ky", "ru", "en"))
    assert [b for row in asked.buttons for b in row] == list(LANGUAGE_BUTTONS.values())
    menu = await choose_language(hans, "ru")
    assert menu.text.endswith(tr("ru", MAIN_MENU))


@pytest.mark.webhook_too
async def test_edited_messages_are_not_taken_as_new_answers(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    mary = sandbox.add_user(first_name="Mary", language_code="en")
    await mary.send("/start")
    await mary.next_bot_message()
    await choose_language(mary, "en")
    await bot.settle()
    before = len(mary.bot_messages())
    sandbox.push_update(
        "edited_message",
        {
            "message_id": 1,
            "from": mary.to_json(),
            "chat": {"id": mary.id, "type": "private", "first_name": "Mary"},
            "date": int(time.time()) - 5,
            "edit_date": int(time.time()),
            "text": "/start please",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    )
    await bot.settle()
    assert len(mary.bot_messages()) == before
