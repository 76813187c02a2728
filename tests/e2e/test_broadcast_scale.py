"""Announcements to hundreds of members under Telegram's bad luck: some have blocked the bot,
Telegram answers 429 for a while, the bot process is killed half-way; every other member gets
it exactly once, nobody is skipped, the figures are true, no limit is broken; and a danger
alert filed meanwhile reaches the coordinators within two seconds."""

from __future__ import annotations

import asyncio
import re
import signal
import time
from asyncio.subprocess import DEVNULL, Process
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.services.crypto import Cipher, new_key
from db.engine import Database
from db.models import Delivery
from db.roles import set_grants
from db.users import get_user
from sandbox import Fault, Sandbox, SimUser
from tests.e2e.announcing import compose, make_members, preview
from tests.e2e.helpers import started, wait_text
from tests.e2e.runner import COORDINATOR_ID, BotRunner
from tests.e2e.test_alerts import ALERT, alerted
from tests.e2e.test_process import bot_env, spawn_bot
from tests.e2e.test_reports import DANGER_Q, WHEN_Q, report_until_story
from tests.texts import en, head, part, tr

# These send hundreds of messages at the sandbox's limit of 30 a second, which the sandbox
# measures when it gets round to each request: `make test` runs them after the others, alone,
# so that other tests' load on the machine does not bunch the bot's evenly spaced messages.
pytestmark = pytest.mark.at_the_limit

PROGRESS = re.compile(r"Sent: (\d+) · Blocked: (\d+) · Failed: (\d+) · Left: (\d+)")
FINAL = "Sent: {sent} · Blocked: {blocked} · Failed: {failed} · Not sent: {cancelled}"


def received(users: list[SimUser], needle: str) -> dict[int, int]:
    """How many messages with `needle` each member got."""
    return {u.id: sum(1 for m in u.bot_messages() if needle in m.text) for u in users}


def status_edits(sandbox: Sandbox, chat_id: int) -> list[tuple[int, ...]]:
    """The figures of every progress edit of her status message, in order."""
    found = []
    for method, params in sandbox.calls:
        if method == "editMessageText" and params.get("chat_id") == chat_id:
            match = PROGRESS.search(str(params.get("text", "")))
            if match:
                found.append(tuple(int(g) for g in match.groups()))
    return found


async def test_hundreds_with_blocked_members_and_a_429_storm_get_it_once(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    db = bot.application.db
    coordinator = await started(sandbox, "Gulnara", "en", user_id=COORDINATOR_ID)
    people = await make_members(sandbox, db, 200, first_id=700_001)
    blocked = people.users[::20]  # 5 %: they blocked the bot, which has not heard of it
    for user in blocked:
        user.blocked = True
    reachable = [u for u in people.users if u not in blocked]
    await compose(coordinator, "Announcement to hundreds")
    await preview(coordinator)
    await coordinator.press("📣 " + tr("en", "Send now"))
    await sandbox.wait_for(lambda: sum(received(reachable, "hundreds").values()) >= 50, timeout=30)
    storm = sandbox.faults.add(Fault("429", retry_after=1, seconds=2))
    await sandbox.wait_for(
        lambda: all(n >= 1 for n in received(reachable, "hundreds").values()), timeout=60
    )
    await bot.settle()
    final = en(FINAL, sent=190, blocked=10, failed=0, cancelled=0)
    await coordinator.wait_for(lambda u: any(final in m.text for m in u.bot_messages()))

    assert set(received(reachable, "hundreds").values()) == {1}  # exactly once each
    assert all(received(blocked, "hundreds")[u.id] == 0 for u in blocked)
    for user in blocked:  # remembered: nothing more is sent to them
        person = await get_user(db, user.id)
        assert person is not None and person.blocked
    assert sandbox.faults.served["429"] >= 1 and storm.expired()
    # The figures shown while it ran were true: they always add up to the members, and what was
    # sent only grew.
    edits = status_edits(sandbox, COORDINATOR_ID)
    assert edits and all(sum(figures) == 200 for figures in edits)
    assert [f[0] for f in edits] == sorted(f[0] for f in edits)
    # The only refusals: each blocked member once, as Telegram said; never a limit broken.
    assert sorted(b.params["chat_id"] for b in sandbox.breaches) == sorted(u.id for u in blocked)
    assert {b.error_code for b in sandbox.breaches} == {403}
    sandbox.breaches.clear()


async def test_a_danger_alert_overtakes_a_big_broadcast_within_two_seconds(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    db = bot.application.db
    coordinator = await started(sandbox, "Gulnara", "en", user_id=COORDINATOR_ID)
    second = await started(sandbox, "Saltanat", "ru")
    await set_grants(
        db, second.id, coordinator=True, lead_regions=frozenset(), actor_id=COORDINATOR_ID
    )
    people = await make_members(sandbox, db, 300, first_id=710_001)
    reporter = await started(sandbox, "Aigul", "ky")
    await compose(coordinator, "A big announcement")
    await preview(coordinator)
    await coordinator.press("📣 " + tr("en", "Send now"))
    await sandbox.wait_for(
        lambda: sum(received(people.users, "big announcement").values()) >= 30, timeout=30
    )
    await report_until_story(reporter)
    await reporter.press("✔ " + tr("ky", "Done"))
    await wait_text(reporter, head("ky", WHEN_Q))
    await reporter.press(tr("ky", "Today"))
    await wait_text(reporter, tr("ky", DANGER_Q))
    pressed = time.monotonic()
    await reporter.press("⚠️ " + tr("ky", "Yes, someone is in danger"))
    await coordinator.wait_for(alerted, timeout=10)
    await second.wait_for(alerted, timeout=10)
    for person in (coordinator, second):
        text = part(person.language_code or "en", ALERT)
        (alert,) = [m for m in person.bot_messages() if m.text.startswith("⚠️") and text in m.text]
        assert alert.at - pressed < 2.0, f"the alert took {alert.at - pressed:.2f} s"
    # The broadcast was still going when the alert went past it, and it goes on to the end.
    assert sum(received(people.users, "big announcement").values()) < 300
    await bot.settle()
    assert set(received(people.users, "big announcement").values()) == {1}


async def test_killed_half_way_and_started_again_sends_to_everyone_exactly_once(
    sandbox: Sandbox, tmp_path: Path, db_url: str
) -> None:
    """SIGKILL while Telegram hangs every request (so that none is half-done at the kill): at
    the next start what was taken is sent again, and nobody gets it twice or not at all."""
    key = new_key()
    database = Database(db_url, cipher=Cipher(key.encode()))
    await database.connect()
    env = bot_env(tmp_path, sandbox.url) | {
        "DATABASE_URL": db_url,
        "DATA_KEY": key,
        "COORDINATOR_IDS": str(COORDINATOR_ID),
    }
    processes: list[Process] = []

    async def start() -> Process:
        polls = sum(1 for m, _ in sandbox.calls if m == "getUpdates")
        process = await spawn_bot(env, tmp_path, log=DEVNULL)
        processes.append(process)
        await sandbox.wait_for(
            lambda: sum(1 for m, _ in sandbox.calls if m == "getUpdates") > polls, timeout=30
        )
        return process

    async def recorded_as_sent() -> int:
        async with database.transaction() as session:
            total = await session.scalar(
                select(func.count(Delivery.id)).where(
                    Delivery.status == "sent", Delivery.kind == "announcement"
                )
            )
            return int(total or 0)

    try:
        people = await make_members(sandbox, database, 150, first_id=720_001)
        first = await start()
        coordinator = await started(sandbox, "Gulnara", "en", user_id=COORDINATOR_ID)
        await compose(coordinator, "Survives a crash")
        await preview(coordinator)
        await coordinator.press("📣 " + tr("en", "Send now"))
        await sandbox.wait_for(
            lambda: sum(received(people.users, "crash").values()) >= 40, timeout=30
        )
        sandbox.faults.add(Fault("hang"))  # every request from now on hangs
        await sandbox.wait_for(lambda: sandbox.faults.served["hang"] >= 1, timeout=10)
        delivered = sum(received(people.users, "crash").values())
        for _ in range(200):  # another process's database: looked at, not awaited
            if await recorded_as_sent() == delivered:
                break
            await asyncio.sleep(0.05)
        assert await recorded_as_sent() == delivered < 150
        first.kill()
        await first.wait()
        sandbox.faults.clear()  # the hung requests end, with nobody to answer

        second = await start()
        await sandbox.wait_for(
            lambda: all(n >= 1 for n in received(people.users, "crash").values()), timeout=60
        )
        final = en(FINAL, sent=150, blocked=0, failed=0, cancelled=0)
        await coordinator.wait_for(
            lambda u: any(final in m.text for m in u.bot_messages()), timeout=30
        )
        second.send_signal(signal.SIGTERM)
        await asyncio.wait_for(second.wait(), timeout=30)
        assert second.returncode == 0
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()
        await database.dispose()
    assert set(received(people.users, "crash").values()) == {1}  # nobody twice, nobody skipped
    assert sandbox.breaches == []
