"""bot/notify.deliver, the one way to write to someone who did not just write to the bot: in
her language, never to someone who blocked the bot, and a refusal never stops the caller."""

from __future__ import annotations

import logging

import pytest
from telegram import InlineKeyboardMarkup

from bot.context import BotContext
from bot.i18n import Translator
from bot.notify import deliver, notify_each
from db.users import get_user, record_user
from sandbox import Sandbox
from tests.e2e.helpers import started
from tests.e2e.runner import BotRunner
from tests.texts import tr

NEVER_IN_TELEGRAM = 4_400_000_001  # in our records, but Telegram knows no chat with her


def render(t: Translator) -> tuple[str, InlineKeyboardMarkup | None]:
    return t.gettext("Main menu"), None


async def test_a_person_who_blocked_the_bot_is_marked_and_not_written_to_again(
    sandbox: Sandbox, bot: BotRunner, caplog: pytest.LogCaptureFixture
) -> None:
    aina = await started(sandbox, "Aina", "ky")
    aigul = await started(sandbox, "Aigul", "ru")
    await bot.settle()
    aina.blocked = True  # she blocked the bot; the bot has not heard of it yet
    context = BotContext(bot.application)

    who = "the reporter of report 7"
    caplog.set_level(logging.INFO, logger="bot.notify")
    assert await deliver(context, aina.id, render, who=who) is False
    person = await get_user(bot.application.db, aina.id)
    assert person is not None and person.blocked
    (refused,) = sandbox.breaches
    assert refused.error_code == 403 and "blocked" in refused.description
    sandbox.breaches.clear()
    # Named in the logs as the caller asked, never by her id (she may be anonymous).
    told = "\n".join(r.getMessage() for r in caplog.records if r.name == "bot.notify")
    assert who in told and str(aina.id) not in told

    # Known to be blocked: Telegram is not even asked; the others still get theirs.
    sends = sum(1 for method, _ in sandbox.calls if method == "sendMessage")
    assert await notify_each(context, [aina.id, aigul.id], render) == 1
    assert sum(1 for method, _ in sandbox.calls if method == "sendMessage") == sends + 1
    assert aigul.bot_messages()[-1].text == tr("ru", "Main menu")


async def test_a_bad_request_is_logged_and_survived(
    sandbox: Sandbox, bot: BotRunner, caplog: pytest.LogCaptureFixture
) -> None:
    db = bot.application.db
    await record_user(
        db, user_id=NEVER_IN_TELEGRAM, first_name="Ghost", username=None, telegram_language="en"
    )
    context = BotContext(bot.application)
    assert await deliver(context, NEVER_IN_TELEGRAM, render) is False
    (refused,) = sandbox.breaches
    assert refused.error_code == 400 and "chat not found" in refused.description
    sandbox.breaches.clear()
    person = await get_user(db, NEVER_IN_TELEGRAM)
    assert person is not None and not person.blocked  # a 400 is not a block
    assert any(r.levelno == logging.WARNING and "Could not reach" in r.msg for r in caplog.records)
    # Someone who never wrote to the bot at all is not tried.
    assert await deliver(context, 4_400_000_002, render) is False
    assert sandbox.breaches == []
