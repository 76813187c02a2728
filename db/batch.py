"""Group commit: many people's small writes of one moment in one transaction.

When many people write to the bot at the same moment, each of their small writes (recording a
newcomer, say) would take a transaction of its own: a handful of round trips to the database's
thread for one row. A `GroupCommit` collects the items submitted while the previous batch is
being written and writes them all in the next one, with one statement for all. A lone person is
not kept waiting: the first item of a quiet moment goes at once (at the next turn of the event
loop, with whatever came in the same turn).

    newcomers = GroupCommit(write_them)      # write_them(items) -> one result per item
    result = await newcomers.submit(item)

If a batch fails, every caller of that batch gets the error, as each would have alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

MAX_BATCH = 500


class GroupCommit(Generic[Item, Result]):
    def __init__(
        self,
        write: Callable[[list[Item]], Awaitable[Sequence[Result]]],
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._write = write
        self._max = max_batch
        self._queue: list[tuple[Item, asyncio.Future[Result]]] = []
        self._task: asyncio.Task[None] | None = None
        self.batches = 0  # written so far (tests and the benchmarks read it)

    async def submit(self, item: Item) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        task = self._task
        if task is None or task.done() or task.get_loop() is not asyncio.get_running_loop():
            # None running (or one left behind by an event loop that ended: tests, a restart).
            self._task = asyncio.get_running_loop().create_task(self._drain())
        # Shielded: a caller that gives up does not cancel the others' batch.
        return await asyncio.shield(future)

    async def _drain(self) -> None:
        try:
            await asyncio.sleep(0)  # let the rest of this turn's items join
            while self._queue:
                batch, self._queue = self._queue[: self._max], self._queue[self._max :]
                try:
                    results = await self._write([item for item, _ in batch])
                except Exception as exc:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                except BaseException:  # cancelled (shutdown): nobody is left waiting
                    for _, future in batch:
                        future.cancel()
                    raise
                self.batches += 1
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self._task = None
            for _, future in self._queue:  # cancelled while writing: nobody is left waiting
                if not future.done():
                    future.cancel()
            if self._queue:
                self._queue = []
