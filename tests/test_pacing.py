"""The one rate limiter: never more than its rate in any second, and the most urgent first."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from bot.delivery.pacing import INTERACTIVE, PacedLimiter

ANNOUNCEMENT, DANGER = 3, 0


class Recording(PacedLimiter):
    """Notes when each message was let go, and which."""

    def __init__(self, rate: float) -> None:
        super().__init__(rate=rate)
        self.released: list[float] = []

    def _go(
        self, future: asyncio.Future[None], now: float, loop: asyncio.AbstractEventLoop
    ) -> None:
        self.released.append(now)
        super()._go(future, now, loop)


async def test_no_second_carries_more_than_the_rate_and_the_urgent_go_first() -> None:
    limiter = Recording(rate=28)
    order: list[int] = []

    async def one(priority: int) -> None:
        await limiter.acquire(priority)
        order.append(priority)

    bulk = [asyncio.create_task(one(ANNOUNCEMENT)) for _ in range(40)]
    await asyncio.sleep(0.2)
    # The event loop busy for a while (a slow step elsewhere): its timers fire late, and the
    # lost time is made up, but never beyond the rate in any second.
    time.sleep(0.15)  # noqa: ASYNC251 - the point is to block the loop
    urgent = [asyncio.create_task(one(DANGER)), asyncio.create_task(one(INTERACTIVE))]
    await asyncio.gather(*bulk, *urgent)
    await limiter.shutdown()

    times = limiter.released
    assert len(times) == 42
    assert all(sum(1 for u in times if t <= u < t + 1.0) <= 28 for t in times)
    # The urgent ones went next, before the rest of the announcements, the person's answer first.
    first_urgent = next(i for i, p in enumerate(order) if p != ANNOUNCEMENT)
    assert order[first_urgent : first_urgent + 2] == [INTERACTIVE, DANGER]
    assert first_urgent < 15


async def test_turns_given_late_and_together_still_start_within_the_rate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Turns are evenly spaced, but on a busy event loop the tasks given them may resume late,
    several together: the requests still start no more than `rate` in any second (Telegram
    counts what arrives)."""
    limiter = PacedLimiter(rate=10)

    async def all_at_once(priority: int) -> None:  # every turn given at the same moment
        return None

    monkeypatch.setattr(limiter, "acquire", all_at_once)
    started: list[float] = []
    loop = asyncio.get_running_loop()

    async def request(*args: Any, **kwargs: Any) -> bool:
        started.append(loop.time())
        return True

    calls = [limiter.process_request(request, (), {}, "sendMessage", {}, None) for _ in range(25)]
    await asyncio.gather(*calls)
    assert len(started) == 25
    for i, at in enumerate(started):
        assert sum(1 for other in started[i:] if other - at < 1.0) <= 10
    # Requests that are not messages are not counted, nor held.
    await limiter.process_request(request, (), {}, "getUpdates", {}, None)
    assert len(started) == 26
