"""The bot process killed (SIGKILL) at the worst moments, then started again: nothing lost,
nothing doubled, no text relayed to the wrong person."""

from __future__ import annotations

import asyncio
import signal
from asyncio.subprocess import DEVNULL, Process
from pathlib import Path

from sqlalchemy import func, select

from bot.services.crypto import load_cipher
from db.engine import Database
from db.models import Delivery
from db.roles import set_grants
from sandbox import Fault, Sandbox, SimUser
from tests.e2e.helpers import choose_language, wait_text
from tests.e2e.runner import COORDINATOR_ID
from tests.e2e.test_alerts import ALERT, say_danger
from tests.e2e.test_process import bot_env, spawn_bot
from tests.e2e.test_reports import file_quick_report
from tests.texts import head, ntr, part, tr

REPLY = "Reply from the coordinators about your report {ref}:"
SAVED = "Saved. It goes to the reporter now; you will be told here if it cannot be delivered."


class Bot:
    """`python -m bot` against the sandbox, started and killed at will."""

    def __init__(self, sandbox: Sandbox, tmp_path: Path) -> None:
        self.sandbox = sandbox
        self.tmp_path = tmp_path
        self.env = bot_env(tmp_path, sandbox.url) | {"COORDINATOR_IDS": str(COORDINATOR_ID)}
        self.process: Process | None = None

    async def start(self) -> None:
        polls = self._polls()
        self.process = await spawn_bot(self.env, self.tmp_path, log=DEVNULL)
        await self.sandbox.wait_for(lambda: self._polls() > polls, timeout=30)

    def _polls(self) -> int:
        return sum(1 for method, _ in self.sandbox.calls if method == "getUpdates")

    async def kill(self) -> None:
        assert self.process is not None
        self.process.kill()  # SIGKILL: no clean shutdown, nothing flushed
        await self.process.wait()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(self.process.wait(), timeout=30)


async def person(sandbox: Sandbox, name: str, lang: str, user_id: int | None = None) -> SimUser:
    user = sandbox.add_user(first_name=name, language_code=lang, user_id=user_id)
    await user.send("/start")
    await user.next_bot_message(timeout=15)
    await choose_language(user, lang, seconds=15)
    return user


async def sent_rows(tmp_path: Path, count: int) -> None:
    """Wait until the process's outbox has recorded `count` deliveries (in batches)."""
    database = Database(
        f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.db'}",
        cipher=load_cipher(None, tmp_path / "data", key_file=tmp_path / "keys" / "data.key"),
        migrate=False,
    )
    try:
        async with asyncio.timeout(15):
            while True:
                async with database.transaction() as session:
                    sent = await session.scalar(
                        select(func.count(Delivery.id)).where(Delivery.status == "sent")
                    )
                if sent == count:
                    return
                await asyncio.sleep(0.02)  # another process's database: nothing to await
    finally:
        await database.dispose()


def got(user: SimUser, text: str) -> int:
    return sum(1 for m in user.bot_messages() if text in m.text)


async def test_a_reply_stored_just_before_a_crash_is_delivered_once_and_nothing_else_is(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    bot = Bot(sandbox, tmp_path)
    await bot.start()
    try:
        coordinator = await person(sandbox, "Zhyldyz", "en", COORDINATOR_ID)
        aigul = await person(sandbox, "Aigul", "ky")
        await file_quick_report(aigul, anonymous=True)
        await wait_text(coordinator, "New report")
        ref = coordinator.bot_messages()[-1].text.split()[2]
        await coordinator.press("📂 " + tr("en", "Open"))
        await wait_text(coordinator, f"Report {ref}")
        await coordinator.press("✉️ " + tr("en", "Reply to the reporter"))
        await wait_text(coordinator, head("en", "Write your reply to the reporter of {ref}"))
        # Her phone does not answer for now: the reply is stored, and waits in the outbox.
        sandbox.faults.add(Fault("hang", chat_id=aigul.id))
        await coordinator.send("Can we call you tomorrow at ten?")
        await wait_text(coordinator, tr("en", SAVED))
        await bot.kill()  # at once: the conversation's end was made durable before the reply

        sandbox.faults.clear()
        await bot.start()
        # Her next message is for whoever takes it, never for the reporter.
        await coordinator.send("Note to self: call the lawyer")
        await coordinator.next_bot_message(timeout=15)
        heading = tr("ky", REPLY, ref=ref)
        await aigul.wait_for(lambda u: got(u, heading) == 1, timeout=15)
        await bot.stop()
        assert got(aigul, heading) == 1
        assert got(aigul, "Can we call you tomorrow at ten?") == 1
        assert got(aigul, "lawyer") == 0
    finally:
        await bot.stop()


async def test_an_alert_on_its_way_when_the_bot_dies_reaches_everyone_once(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    bot = Bot(sandbox, tmp_path)
    await bot.start()
    try:
        first = await person(sandbox, "Coordinator", "en", COORDINATOR_ID)
        second = await person(sandbox, "Second", "ru")
        # The second is made a coordinator in the process's own database, while it is stopped:
        # a running bot is the only writer of its roles and keeps them in memory (db/roles.py;
        # README, "One bot per data folder").
        await bot.stop()
        database = Database(
            f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.db'}",
            cipher=load_cipher(None, tmp_path / "data", key_file=tmp_path / "keys" / "data.key"),
            migrate=False,
        )
        try:
            await set_grants(
                database,
                second.id,
                coordinator=True,
                lead_regions=frozenset(),
                actor_id=COORDINATOR_ID,
            )
        finally:
            await database.dispose()
        await bot.start()
        sandbox.faults.add(Fault("hang", chat_id=second.id))
        aigul = await person(sandbox, "Aigul", "ky")
        await say_danger(aigul)
        alert = part("en", ALERT)
        await first.wait_for(lambda u: got(u, alert) == 1, timeout=15)
        await sandbox.wait_for(lambda: sandbox.faults.served["hang"] >= 1, timeout=15)
        # The first's delivery recorded (killing in the milliseconds before that is the one
        # window where a message would be sent twice: README, "Messages to others").
        await sent_rows(tmp_path, 1)
        await bot.kill()  # the second's alert was taken, not delivered

        sandbox.faults.clear()
        await bot.start()
        ru_alert = part("ru", ALERT)
        await second.wait_for(lambda u: got(u, ru_alert) == 1, timeout=20)
        reached = ntr(
            "ky",
            "✅ Your alert has reached {count} coordinator.",
            "✅ Your alert has reached {count} coordinators.",
            2,
        )
        await aigul.wait_for(lambda u: got(u, reached) == 1, timeout=20)
        await bot.stop()
        assert got(first, alert) == 1 and got(second, ru_alert) == 1
    finally:
        await bot.stop()
