"""The outbox: every message to someone other than the person being answered is written down
first and sent by the one sender, in her language, paced, and never to someone who blocked the
bot; a refusal never stops the others."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select, update

from db.models import Delivery
from db.outbox import BLOCKED, FAILED, SENDING, Outgoing, recover, send_later
from db.users import get_user, record_user
from sandbox import Sandbox
from tests.e2e.helpers import started, wait_text
from tests.e2e.runner import BotRunner
from tests.texts import tr

NEVER_IN_TELEGRAM = 4_400_000_001  # in our records, but Telegram knows no chat with her
APPROVED = "Your membership of the solidarity community is approved. Welcome!"


def approved(chat_id: int) -> Outgoing:
    return Outgoing(chat_id, "member.decided", {"approved": True})


async def statuses(bot: BotRunner) -> list[str]:
    async with bot.application.db.transaction() as session:
        return list(await session.scalars(select(Delivery.status).order_by(Delivery.id)))


async def test_each_recipient_in_her_language_and_blocked_ones_marked(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    aina = await started(sandbox, "Aina", "ky")
    aigul = await started(sandbox, "Aigul", "ru")
    olga = await started(sandbox, "Olga", "en")
    await bot.settle()
    aina.blocked = True  # she blocked the bot; the bot has not heard of it yet
    await send_later(bot.application.db, [approved(u.id) for u in (aina, aigul, olga)])
    bot.application.wake_sender()
    await wait_text(aigul, tr("ru", APPROVED))
    await wait_text(olga, tr("en", APPROVED))
    await bot.settle()
    person = await get_user(bot.application.db, aina.id)
    assert person is not None and person.blocked
    (refused,) = sandbox.breaches
    assert refused.error_code == 403 and "blocked" in refused.description
    sandbox.breaches.clear()
    assert await statuses(bot) == [BLOCKED]  # delivered ones leave no trace

    # Known to be blocked: Telegram is not even asked.
    sends = sum(1 for method, _ in sandbox.calls if method == "sendMessage")
    await send_later(bot.application.db, [approved(aina.id)])
    bot.application.wake_sender()
    await bot.settle()
    assert sum(1 for method, _ in sandbox.calls if method == "sendMessage") == sends
    assert await statuses(bot) == [BLOCKED, BLOCKED]


async def test_a_bad_request_is_logged_and_survived(
    sandbox: Sandbox, bot: BotRunner, caplog: pytest.LogCaptureFixture
) -> None:
    db = bot.application.db
    await record_user(
        db, user_id=NEVER_IN_TELEGRAM, first_name="Ghost", username=None, telegram_language="en"
    )
    olga = await started(sandbox, "Olga", "en")
    caplog.set_level(logging.INFO, logger="bot.delivery.sender")
    await send_later(db, [approved(NEVER_IN_TELEGRAM), approved(olga.id)])
    bot.application.wake_sender()
    await wait_text(olga, tr("en", APPROVED))
    await bot.settle()
    (refused,) = sandbox.breaches
    assert refused.error_code == 400 and "chat not found" in refused.description
    sandbox.breaches.clear()
    person = await get_user(db, NEVER_IN_TELEGRAM)
    assert person is not None and not person.blocked  # a 400 is not a block
    assert await statuses(bot) == [FAILED]
    logged = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert logged and all(str(NEVER_IN_TELEGRAM) not in r.getMessage() for r in caplog.records)
    # Someone who never wrote to the bot at all is not tried.
    await send_later(db, [approved(4_400_000_002)])
    bot.application.wake_sender()
    await bot.settle()
    assert sandbox.breaches == [] and await statuses(bot) == [FAILED, FAILED]


async def test_messages_taken_before_a_crash_are_sent_after_it(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    olga = await started(sandbox, "Olga", "en")
    await bot.settle()
    db = bot.application.db
    sender = bot.application.sender
    assert sender is not None
    await sender.stop()
    await send_later(db, [approved(olga.id)])
    async with db.transaction() as session:  # taken, as if the process died while sending
        await session.execute(update(Delivery).values(status=SENDING))
    assert await statuses(bot) == [SENDING]
    await bot.stop()
    await bot.start()  # a new process: what was taken goes back to the queue, and out
    await wait_text(olga, tr("en", APPROVED))
    await bot.settle()
    assert await statuses(bot) == []
    assert await recover(bot.application.db) == 0
