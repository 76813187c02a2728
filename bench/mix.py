"""What people do, many at once: each opens the bot, picks her language, reads the resolution,
starts signing up and gives her name, cancels, starts a report and picks what it is about,
cancels; with a pause between steps, as people take, and all of them starting within a few
seconds of each other.

Two measurements:
- 1,000 people, the sandbox's limit lifted and the bot without its rate limiter: what the bot
  itself can do under a realistic load (answers a second, time to an answer per kind of step);
- replies before bulk: fewer people (what Telegram's 30 messages a second allows) with the
  limit on, once alone and once while an announcement to 1,000 other people goes out through
  the outbox: the answers should not wait for the announcement.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.i18n import get_translator
from bot.services.crypto import Cipher, new_key
from db.engine import Database
from db.outbox import Outgoing, send_later
from db.users import record_user
from sandbox import Sandbox, SimUser

from .botproc import BULK_KIND
from .common import Answers, Latencies, percentile, project_bot, target

LANGUAGES = {"ky": "Кыргызча", "ru": "Русский", "en": "English"}
ANNOUNCEMENT = 3  # the outbox's priority of announcements (bot/delivery)


def _first_button(user: SimUser) -> str:
    message = user.last_bot_message()
    assert message is not None and message.buttons, user.transcript_text()
    return message.buttons[0][0]


def _visible(user: SimUser, label: str) -> bool:
    message = user.last_bot_message()
    return message is not None and any(label in row for row in message.buttons)


async def press_when_shown(user: SimUser, label: str) -> None:
    """Press a button as soon as the message that has it is there (an answer may come in two
    messages, and the first is what was timed)."""
    await user.wait_for(lambda u: _visible(u, label), timeout=60)
    await user.press(label)


async def person(
    user: SimUser,
    lang: str,
    answers: Answers,
    rng: random.Random,
    start_within: float,
    timings: dict[str, Latencies],
) -> int:
    """One person's visit; returns how many answers she got."""
    t = get_translator(lang, "Asia/Bishkek")
    steps: list[tuple[str, Callable[[], Awaitable[object]]]] = [
        ("/start", lambda: user.send("/start")),
        ("language", lambda: press_when_shown(user, LANGUAGES[lang])),
        ("resolution", lambda: press_when_shown(user, "📜 " + t.gettext("Resolution"))),
        ("resolution page", lambda: user.press(_first_button(user))),
        ("/join", lambda: user.send("/join")),
        ("join step", lambda: user.send("Айгүл Асанова")),
        ("/cancel", lambda: user.send("/cancel")),
        ("/report", lambda: user.send("/report")),
        ("report step", lambda: press_when_shown(user, t.gettext("Corruption"))),
        ("/cancel", lambda: user.send("/cancel")),
    ]
    await asyncio.sleep(rng.uniform(0, start_within))
    answered = 0
    for name, act in steps:
        future = answers.expect(user.id)
        started = time.perf_counter()
        try:
            await act()
            async with asyncio.timeout(120):
                at, _ = await future
        except (TimeoutError, LookupError, AssertionError) as exc:
            print(f"  {user.first_name}: no answer to {name}: {str(exc).splitlines()[0]}")
            return answered
        timings[name].add(at - started)
        timings["all"].add(at - started)
        answered += 1
        await asyncio.sleep(rng.uniform(0.3, 1.5))  # reading, thinking, typing
    return answered


async def visit(
    people: int, *, limited: bool, bulk: int, start_within: float, tmp: Path
) -> tuple[dict[str, Latencies], float, int, int, int]:
    """(latencies by step, seconds, answers, 429s, bulk messages delivered meanwhile)"""
    sandbox = Sandbox(rate_limit=30 if limited else 0)
    await sandbox.start()
    key = new_key()
    data = tmp / f"mix-{people}-{limited}-{bulk}"
    bot = project_bot(sandbox, data, rate_limit=limited, key=key)
    answers = Answers(sandbox)
    timings: dict[str, Latencies] = defaultdict(Latencies)
    rng = random.Random(14)
    try:
        await bot.start(sandbox, tmp / f"mix-{people}-{limited}-{bulk}.log")
        receivers = [sandbox.add_user(first_name=f"R{i}", language_code="ru") for i in range(bulk)]
        delivered_before = 0
        if bulk:
            for receiver in receivers:
                receiver._open_chat(None)  # she has a chat with the bot (she wrote to it once)
            db = Database(f"sqlite+aiosqlite:///{data / 'bot.db'}", cipher=Cipher(key.encode()))
            for receiver in receivers:  # people the bot knows: Telegram lets it write to them
                await record_user(
                    db,
                    user_id=receiver.id,
                    first_name=receiver.first_name,
                    username=None,
                    telegram_language="ru",
                )
            await send_later(
                db, [Outgoing(r.id, BULK_KIND, {}, priority=ANNOUNCEMENT) for r in receivers]
            )
            await db.dispose()
            # The bot's sender looks at the outbox every second: the announcement is under way
            # before the people come.
            await sandbox.wait_for(
                lambda: sum(len(r.bot_messages()) for r in receivers) > 0, timeout=30
            )
            delivered_before = sum(len(r.bot_messages()) for r in receivers)
        users = [
            sandbox.add_user(first_name=f"M{i}", language_code=list(LANGUAGES)[i % 3])
            for i in range(people)
        ]
        sandbox.breaches.clear()
        started = time.perf_counter()
        counts = await asyncio.gather(
            *(
                person(u, list(LANGUAGES)[i % 3], answers, rng, start_within, timings)
                for i, u in enumerate(users)
            )
        )
        elapsed = time.perf_counter() - started
        delivered = sum(len(r.bot_messages()) for r in receivers) - delivered_before
        too_many = sum(1 for b in sandbox.breaches if b.error_code == 429)
    finally:
        await bot.stop()
        await sandbox.stop()
    return timings, elapsed, sum(counts), too_many, delivered


async def run(quick: bool = False) -> list[str]:
    lines: list[str] = []

    def say(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    people = 200 if quick else 1000
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        timings, elapsed, answered, too_many, _ = await visit(
            people, limited=False, bulk=0, start_within=10, tmp=tmp
        )
        say(
            f"{people} people, 10 steps each, starting within 10 s (no limit): {answered} answers"
            f" in {elapsed:.1f} s, {answered / elapsed:.0f} answers/s"
        )
        for name, latencies in timings.items():
            say(f"  {name:<16} {latencies.summary()}")
        lines.append(
            target(
                f"every step of {people} people answered", str(answered), answered == people * 10
            )
        )

        few = 30 if quick else 60
        alone = await visit(few, limited=True, bulk=0, start_within=20, tmp=tmp)
        during = await visit(few, limited=True, bulk=1000, start_within=20, tmp=tmp)
        for title, (timings, elapsed, answered, too_many, delivered) in (
            ("alone", alone),
            ("during an announcement to 1,000", during),
        ):
            say(
                f"{few} people with Telegram's limit, {title}: {answered} answers in"
                f" {elapsed:.1f} s, {timings['all'].summary()}, 429s: {too_many}"
                + (f", announcement messages sent meanwhile: {delivered}" if delivered else "")
            )
        p95_alone = percentile(alone[0]["all"].values, 95)
        p95_during = percentile(during[0]["all"].values, 95)
        lines.append(
            target(
                "replies before bulk: p95 during an announcement ≤ p95 alone + 100 ms",
                f"{1000 * p95_during:.0f} ms vs {1000 * p95_alone:.0f} ms",
                p95_during <= p95_alone + 0.1 and during[4] > 0,
            )
        )
    return lines
