"""Many people at once: the project's bot against a bare echo bot, same sandbox, same run.

N new people send /start at the same moment; each waits for the bot's answer. Once with the
sandbox holding to Telegram's 30 messages a second and both bots compliant (their rate
limiters on), once with the sandbox's limit lifted and both bots without a limiter (what the bot
itself can do). Reported: answers a second, p50/p95/p99 of the time to an answer, 429s, and
the project's bot against the echo bot.
"""

from __future__ import annotations

import asyncio
import gc
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bot.services.crypto import new_key
from sandbox import Sandbox

from .common import (
    Answers,
    Latencies,
    echo_bot,
    percentile,
    project_bot,
    target,
    too_many_requests,
)

TELEGRAM_RATE = 30.0
UNLIMITED = 0  # the sandbox's rate limit off


@dataclass
class Run:
    bot: str
    people: int
    limited: bool
    elapsed: float
    latencies: Latencies
    too_many: int
    answered: int

    @property
    def rate(self) -> float:
        return self.answered / self.elapsed if self.elapsed else 0.0

    def line(self) -> str:
        return (
            f"  {self.bot:<8} {self.people:>5} people: {self.rate:6.1f} answers/s, "
            f"{self.latencies.summary()}, 429s: {self.too_many}, "
            f"answered {self.answered}/{self.people}"
        )


async def burst(sandbox: Sandbox, people: int, tag: str) -> tuple[float, Latencies, int]:
    """`people` new people send /start at once; (seconds until the last answer, latencies,
    how many were answered within the time-out)."""
    answers = Answers(sandbox)
    users = [sandbox.add_user(first_name=f"{tag}{i}", language_code="ru") for i in range(people)]
    latencies = Latencies()

    async def one(user_id: int, sent: float, future: asyncio.Future[tuple[float, object]]) -> bool:
        try:
            async with asyncio.timeout(180):
                at, _ = await future
        except TimeoutError:
            return False
        latencies.add(at - sent)
        return True

    started = time.perf_counter()
    waits = []
    for user in users:
        future = answers.expect(user.id)
        await user.send("/start")
        waits.append(one(user.id, time.perf_counter(), future))  # type: ignore[arg-type]
    results = await asyncio.gather(*waits)
    last = started + max(latencies.values, default=0.0)
    return last - started, latencies, sum(results)


async def run(quick: bool = False) -> list[str]:
    """Prints and returns the lines for docs/PERFORMANCE.md."""
    sizes = (100,) if quick else (500, 1000)
    lines: list[str] = []

    def say(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for limited in (True, False):
            say(
                "With Telegram's limit (sandbox 30/s, both bots with a rate limiter):"
                if limited
                else "Without a limit (sandbox unlimited, both bots without a rate limiter):"
            )
            for people in sizes:
                data = tmp / f"data-{people}-{limited}"
                project = await measure("project", tmp, people, limited, data)
                echo = await measure("echo", tmp, people, limited, None)
                say(project.line())
                say(echo.line())
                ratio = project.rate / echo.rate if echo.rate else 0.0
                a = percentile(project.latencies.values, 95)
                b = percentile(echo.latencies.values, 95)
                say(f"  ratio {ratio:.2f}× the echo bot's answers a second; p95 {a / b:.2f}×")
                if not limited:
                    # Not a target: how much of the difference is the HTTP client alone (the
                    # project's bot uses aiohttp, bot/transport.py; the echo bot httpx).
                    aio = await measure("echo", tmp, people, limited, None, aiohttp=True)
                    aio.bot = "echo+aio"
                    say(aio.line())
                    say(f"  the project's bot against it: {project.rate / aio.rate:.2f}×")
                all_answered = project.answered == people
                if limited:
                    lines.append(
                        target(
                            f"limiter on, {people} people: ≥ 0.95× echo and 0 × 429",
                            f"{ratio:.2f}×, {project.too_many} × 429",
                            ratio >= 0.95 and project.too_many == 0 and all_answered,
                        )
                    )
                else:
                    lines.append(
                        target(
                            f"limiter off, {people} people: ≥ 0.5× echo, p95 ≤ 2× echo's",
                            f"{ratio:.2f}×, p95 {a / b:.2f}×",
                            ratio >= 0.5 and a <= 2 * b and all_answered,
                        )
                    )
    return lines


async def measure(
    name: str, tmp: Path, people: int, limited: bool, data: Path | None, aiohttp: bool = False
) -> Run:
    """One bot (the project's with `data`, else the echo bot, over aiohttp if asked) in a
    sandbox of its own."""
    # The runs before left this process (the sandbox's and the people's side) with a large heap
    # to walk at every collection: a pause here holds up every request in flight, and the bot
    # with the most in flight suffers most. Each bot is measured from a clean heap.
    gc.collect()
    gc.freeze()
    sandbox = Sandbox(rate_limit=TELEGRAM_RATE if limited else UNLIMITED)
    await sandbox.start()
    bot = (
        project_bot(sandbox, data, rate_limit=limited, key=new_key())
        if data is not None
        else echo_bot(sandbox, rate_limit=limited, aiohttp=aiohttp)
    )
    try:
        log = f"{name}{'-aio' if aiohttp else ''}-{people}-{'on' if limited else 'off'}.log"
        await bot.start(sandbox, tmp / log)
        await burst(sandbox, 5, "warm")
        await asyncio.sleep(1.5)
        sandbox.breaches.clear()
        elapsed, latencies, answered = await burst(sandbox, people, "p")
        too_many = too_many_requests(sandbox)
    finally:
        await bot.stop()
        await sandbox.stop()
    return Run(name, people, limited, elapsed, latencies, too_many, answered)
