"""The one rate limiter: never more than its rate in any second, and the most urgent first."""

from __future__ import annotations

import asyncio
import time

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
