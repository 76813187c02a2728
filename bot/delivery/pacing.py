"""Telegram's limits on sending, kept by one rate limiter for every request the bot makes.

At most `rate` messages a second leave the bot in all (Telegram allows about 30), spaced evenly
(and never more than `rate` in any one second),
and when several wait, the most urgent goes first: answers to the person who is using the bot,
then the outbox by its priority (danger alerts, notices, event notices, announcements). So a big
announcement never makes anyone wait for her answer, nor a danger alert for its turn.

A 429 "retry after N" holds back bulk sending (event notices and announcements) for N seconds;
an answer to a person is tried again after N seconds; an outbox message gets the error back, and
the sender postpones that one message (bot/delivery/sender.py).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

# Requests that put a message in a chat or change one: the ones Telegram counts.
SENDING = frozenset(
    {
        "editMessageText",
        "editMessageCaption",
        "editMessageMedia",
        "editMessageReplyMarkup",
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendAudio",
        "sendVideo",
        "sendVoice",
        "sendVideoNote",
        "sendAnimation",
        "sendSticker",
        "sendLocation",
        "sendVenue",
        "sendContact",
        "sendPoll",
        "sendDice",
        "sendMediaGroup",
        "copyMessage",
        "copyMessages",
        "forwardMessage",
        "forwardMessages",
    }
)
INTERACTIVE = -1  # an answer to the person being served: before any outbox priority
BULK = 2  # outbox priorities from here on (event notices, announcements) are bulk

RateLimitArgs = dict[str, Any]


class PacedLimiter(BaseRateLimiter[RateLimitArgs]):
    """One queue for every message the bot sends, most urgent first, `rate` a second.

    `rate_limit_args` of a request: {"priority": n} (the outbox's priority; none means an answer
    to the person being served), {"outbox": True} to get a 429 back instead of a retry.
    """

    def __init__(self, rate: float = 28.0, max_retries: int = 5) -> None:
        self.set_rate(rate)
        self.max_retries = max_retries
        self._next = 0.0  # loop time at which the next message may leave
        self._left: deque[float] = deque()  # when the messages of the last second left
        # When the requests of the last second really started. A task given its turn may start
        # its request late (the event loop busy with other people's updates), and late turns
        # bunch up: no more than `per_second` start in any one second, whatever happened between
        # the turn and the start (Telegram counts what arrives).
        self._started: deque[float] = deque()
        self._bulk_paused_until = 0.0
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._timer: asyncio.Handle | None = None

    def set_rate(self, rate: float) -> None:
        """`rate` messages a second, evenly spaced (the benchmark raises it with the sandbox's
        limit)."""
        self.interval = 1.0 / rate
        # No one-second window carries more than this many (by the time they leave).
        self.per_second = max(1, int(rate))

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for _, _, future in self._waiting:
            if not future.done():
                future.cancel()
        self._waiting.clear()

    def pause_bulk(self, seconds: float) -> None:
        """Hold back bulk sending (event notices, announcements) for a while."""
        loop = asyncio.get_running_loop()
        self._bulk_paused_until = max(self._bulk_paused_until, loop.time() + seconds)
        self._schedule(loop)

    async def acquire(self, priority: int) -> None:
        """Wait for this message's turn."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        heapq.heappush(self._waiting, (priority, next(self._order), future))
        self._schedule(loop)
        await future

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = loop.call_soon(self._release, loop)

    def _release(self, loop: asyncio.AbstractEventLoop) -> None:
        """Let the most urgent waiting message go, if its time has come; else wake up then."""
        self._timer = None
        while self._waiting and self._waiting[0][2].done():  # given up (cancelled)
            heapq.heappop(self._waiting)
        if not self._waiting:
            return
        now = loop.time()
        priority = self._waiting[0][0]
        start = self._next
        while self._left and self._left[0] <= now - 1.0:
            self._left.popleft()
        if len(self._left) >= self.per_second:
            start = max(start, self._left[0] + 1.0)
        if priority >= BULK:  # the most urgent waiting is bulk: nothing else waits
            start = max(start, self._bulk_paused_until)
        if now < start:
            self._timer = loop.call_at(start, self._release, loop)
            return
        _, _, future = heapq.heappop(self._waiting)
        self._go(future, now, loop)

    def _go(
        self, future: asyncio.Future[None], now: float, loop: asyncio.AbstractEventLoop
    ) -> None:
        future.set_result(None)
        self._left.append(now)
        # The next one is due an interval after this one was due, not after it left: a timer
        # that fires late (the event loop was busy) does not slow the pace; the lost time is
        # made up by at most one interval, and never beyond `per_second` in any second.
        self._next = max(now - self.interval, self._next) + self.interval
        if self._waiting:
            self._timer = loop.call_at(self._next, self._release, loop)

    async def _start_in_window(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            while self._started and self._started[0] <= now - 1.0:
                self._started.popleft()
            if len(self._started) < self.per_second:
                self._started.append(now)
                return
            await asyncio.sleep(self._started[0] + 1.0 - now)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: RateLimitArgs | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if endpoint not in SENDING:
            return await callback(*args, **kwargs)
        options = rate_limit_args or {}
        priority = int(options.get("priority", INTERACTIVE))
        attempt = 0
        while True:
            await self.acquire(priority)
            await self._start_in_window()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                wait = retry_seconds(exc)
                log.warning("Telegram asked to slow down (retry after %s s) on %s", wait, endpoint)
                self.pause_bulk(wait)
                attempt += 1
                if options.get("outbox") or attempt > self.max_retries:
                    raise
                await asyncio.sleep(wait)


def retry_seconds(exc: RetryAfter) -> float:
    """How long Telegram asked to wait (an int, or a timedelta in newer PTB settings)."""
    value: Any = exc.retry_after
    return float(value.total_seconds() if hasattr(value, "total_seconds") else value)
