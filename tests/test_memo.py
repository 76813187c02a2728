"""db/memo.Memo: values read once and kept until a change; a read a change overtook is not kept
(the role grants and the members' names use it)."""

from __future__ import annotations

import asyncio

from db.engine import Database
from db.memo import Memo


async def test_read_once_then_from_memory_until_forgotten() -> None:
    db = Database("sqlite+aiosqlite://", migrate=False)
    reads: list[int] = []

    async def read(_db: Database) -> list[int]:
        reads.append(1)
        return [len(reads)]

    memo = Memo("numbers", read)
    assert await memo.get(db) == [1]
    assert await memo.get(db) == [1] and len(reads) == 1
    memo.forget(db)
    assert await memo.get(db) == [2] and len(reads) == 2


async def test_a_read_that_a_change_overtook_is_not_kept() -> None:
    db = Database("sqlite+aiosqlite://", migrate=False)
    reading, go_on = asyncio.Event(), asyncio.Event()
    values = iter(["before the change", "after the change"])

    async def read(_db: Database) -> str:
        reading.set()
        await go_on.wait()
        return next(values)

    memo = Memo("grants", read)
    first = asyncio.ensure_future(memo.get(db))
    await reading.wait()
    memo.forget(db)  # a change committed while it was being read
    go_on.set()
    assert await first == "before the change"  # its caller gets what it read...
    assert await memo.get(db) == "after the change"  # ...but the memory does not keep it
    assert await memo.get(db) == "after the change"
