"""Updates of different people at the same time, each person's in the order they came.

python-telegram-bot handles one update at a time unless told otherwise; then one slow thing
(an export, a slow database, a Bot API that takes its time) makes everybody wait. With
`ApplicationBuilder.concurrent_updates(PerPersonProcessor(n))` up to `n` updates run at once,
but never two of the same person, nor two of the same chat: a person's updates are handled one
after the other, in the order they arrived, so her conversations (which remember where she is
between updates) see her answers in order, exactly as before.

How: each update names the keys it must keep in order (her user id, and its chat's id). Every
key has a line; an update joins the line of each of its keys at once, when it arrives, and runs
when it is first in all of them, in one of the `n` slots. Arrival order is one order for all
lines, so the earliest waiting update is always first in each of its lines: nothing can wait
for ever. Updates waiting for their turn hold no slot, so one person who sends a hundred
messages does not hold up anybody else. A line nobody stands in is dropped, so memory does not
grow with the number of people who ever wrote.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# Updates handled at the same time. Each holds at most a database connection for a short
# transaction at a time, and waits for Telegram most of the time: 16 keeps SQLite's one writer
# and the connection pool (5 + 10 overflow) out of each other's way.
DEFAULT_CONCURRENCY = 16
# What PTB's own semaphore is set to: the real bound is ours, taken after her turn has come.
_UNBOUNDED = 1 << 30

Key = tuple[str, int]


def keys_of(update: object) -> list[Key]:
    """The people and chats whose order this update must keep, in a fixed order."""
    if not isinstance(update, Update):
        return []
    keys: set[Key] = set()
    if update.effective_user is not None:
        keys.add(("user", update.effective_user.id))
    if update.effective_chat is not None:
        keys.add(("chat", update.effective_chat.id))
    return sorted(keys)


class _Ticket:
    """One update's place in the lines of its keys."""

    __slots__ = ("keys", "turn")

    def __init__(self, keys: list[Key]) -> None:
        self.keys = keys
        self.turn = asyncio.Event()  # set whenever it may be first in every line


class PerPersonProcessor(BaseUpdateProcessor):
    """At most `concurrency` updates at once; one person's (and one chat's) one at a time, in
    order."""

    def __init__(self, concurrency: int = DEFAULT_CONCURRENCY) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        super().__init__(max_concurrent_updates=_UNBOUNDED)
        self.concurrency = concurrency
        self._slots = asyncio.BoundedSemaphore(concurrency)
        self._lines: dict[Key, deque[_Ticket]] = {}
        self.running = 0  # updates being handled now (tests and the benchmark read it)
        self.peak = 0  # the most handled at once since start

    @property
    def waiting_keys(self) -> int:
        """How many people and chats have an update being handled or waiting (for tests)."""
        return len(self._lines)

    def _first(self, ticket: _Ticket) -> bool:
        return all(self._lines[key][0] is ticket for key in ticket.keys)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        # Joining the lines happens before the first await: updates reach here in the order
        # they came (PTB starts one task per update, in order).
        ticket = _Ticket(keys_of(update))
        for key in ticket.keys:
            self._lines.setdefault(key, deque()).append(ticket)
        started = False
        try:
            while not self._first(ticket):
                ticket.turn.clear()
                await ticket.turn.wait()
            async with self._slots:
                self.running += 1
                self.peak = max(self.peak, self.running)
                started = True
                try:
                    await coroutine
                finally:
                    self.running -= 1
        finally:
            if not started and asyncio.iscoroutine(coroutine):
                coroutine.close()  # cancelled while waiting: it never ran
            for key in ticket.keys:
                line = self._lines[key]
                line.remove(ticket)
                if line:
                    line[0].turn.set()
                else:
                    del self._lines[key]

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
