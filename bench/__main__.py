"""`python -m bench`: how fast the bot answers through the sandbox, and how much memory it uses.

Many simulated people do the first conversation at once (/start, choose a language, /help) against
the real Application over HTTP. Reported: updates handled per second, the latency from a person's
message to the bot's answer (p50/p95/max), and the peak resident memory of this process.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import tempfile
import time
from pathlib import Path

from bench import broadcast
from bot.services.crypto import new_key
from sandbox import Sandbox, SimUser
from sandbox.runner import BotRunner, sandbox_settings

LANG_LABELS = {"ky": "Кыргызча", "ru": "Русский", "en": "English"}


async def one_person(user: SimUser, lang: str, latencies: list[float]) -> int:
    """The first conversation; returns how many updates she sent."""
    started = time.perf_counter()
    await user.send("/start")
    await user.next_bot_message(timeout=60)
    latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await user.press(LANG_LABELS[lang])
    await user.next_bot_message(timeout=60)
    latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await user.send("/help")
    await user.next_bot_message(timeout=60)
    latencies.append(time.perf_counter() - started)
    return 3


async def run(people: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        # The sandbox's own rate limit is lifted: this measures the bot, not Telegram's limit.
        sandbox = Sandbox(rate_limit=1_000_000)
        await sandbox.start()
        # Without AIORateLimiter, which holds the bot to Telegram's ~30 messages per second:
        # this measures the bot's own cost per update, not that cap.
        settings = sandbox_settings(sandbox, Path(tmp) / "data", DATA_KEY=new_key())
        runner = BotRunner(sandbox, settings, rate_limit=False)
        await runner.start()
        langs = list(LANG_LABELS)
        users = [
            sandbox.add_user(first_name=f"P{i}", language_code=langs[i % 3]) for i in range(people)
        ]
        latencies: list[float] = []
        started = time.perf_counter()
        counts = await asyncio.gather(
            *(one_person(u, langs[i % 3], latencies) for i, u in enumerate(users))
        )
        elapsed = time.perf_counter() - started
        await runner.stop()
        await sandbox.stop()
        assert not sandbox.breaches, sandbox.breaches

    updates = sum(counts)
    latencies.sort()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"people: {people}, updates: {updates}, elapsed: {elapsed:.2f} s")
    print(f"throughput: {updates / elapsed:.0f} updates/s")
    p50 = 1000 * statistics.median(latencies)
    p95 = 1000 * latencies[int(0.95 * (len(latencies) - 1))]
    print(f"latency: p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {1000 * latencies[-1]:.1f} ms")
    print(f"peak RSS (bot + sandbox in one process): {peak_mb:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--people", type=int, default=200)
    # An announcement (bench/broadcast.py): to this many members, the sandbox's limit this high.
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--cap", type=float, default=200.0)
    args = parser.parse_args()
    asyncio.run(run(args.people))
    asyncio.run(broadcast.run(args.members, args.cap))


if __name__ == "__main__":
    main()
