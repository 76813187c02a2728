"""Many people's small writes of one moment in one transaction: db/batch.GroupCommit, the
newcomers' records (db/users.record_user) and persistence rounds (one statement per kind)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from bot.persistence import DatabasePersistence
from db.batch import GroupCommit
from db.engine import Database
from db.users import get_user, record_user


class Recorder:
    """A write function that records its batches; it waits for `gate` when one is given."""

    def __init__(self, gate: asyncio.Event | None = None, fail: bool = False) -> None:
        self.batches: list[list[int]] = []
        self.writing = asyncio.Event()  # set when a batch is being written
        self.gate = gate
        self.fail = fail

    async def __call__(self, items: list[int]) -> list[int]:
        self.batches.append(list(items))
        self.writing.set()
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            raise OSError(28, "No space left on device")
        return [item * 10 for item in items]


async def test_what_comes_at_the_same_moment_is_written_together() -> None:
    write = Recorder()
    batcher = GroupCommit(write)
    results = await asyncio.gather(*(batcher.submit(i) for i in range(5)))
    assert results == [0, 10, 20, 30, 40]  # each caller gets her own result
    assert write.batches == [[0, 1, 2, 3, 4]]
    assert await batcher.submit(7) == 70  # a lone item later goes at once, alone
    assert write.batches[-1] == [7] and batcher.batches == 2


async def test_what_comes_during_a_write_goes_with_the_next_one() -> None:
    gate = asyncio.Event()
    write = Recorder(gate)
    batcher = GroupCommit(write, max_batch=3)
    first = asyncio.ensure_future(batcher.submit(1))
    await write.writing.wait()  # the first batch is being written
    later = [asyncio.ensure_future(batcher.submit(i)) for i in (2, 3, 4, 5)]
    await asyncio.sleep(0)
    gate.set()
    assert await first == 10
    assert await asyncio.gather(*later) == [20, 30, 40, 50]
    # Two more batches: at most three items each.
    assert write.batches == [[1], [2, 3, 4], [5]]


async def test_a_failed_batch_fails_each_of_its_callers_and_the_next_one_is_written() -> None:
    write = Recorder(fail=True)
    batcher = GroupCommit(write)
    results = await asyncio.gather(*(batcher.submit(i) for i in (1, 2)), return_exceptions=True)
    assert [type(r) for r in results] == [OSError, OSError]
    write.fail = False
    assert await batcher.submit(3) == 30


async def test_a_caller_who_gives_up_does_not_cancel_the_others() -> None:
    gate = asyncio.Event()
    write = Recorder(gate)
    batcher = GroupCommit(write)
    mine = asyncio.ensure_future(batcher.submit(1))
    hers = asyncio.ensure_future(batcher.submit(2))
    await write.writing.wait()
    mine.cancel()
    gate.set()
    assert await hers == 20
    with pytest.raises(asyncio.CancelledError):
        await mine


def count_statements(db: Database) -> list[str]:
    seen: list[str] = []

    def note(*args: Any) -> None:
        seen.append(str(args[2]).split()[0].upper())

    event.listen(db.engine.sync_engine, "before_cursor_execute", note)
    return seen


async def test_newcomers_of_one_moment_are_recorded_with_one_statement(db: Database) -> None:
    await db.connect()
    statements = count_statements(db)
    people = range(100, 120)
    results = await asyncio.gather(
        *(
            record_user(
                db, user_id=i, first_name=f"Айгүл {i}", username=None, telegram_language="ky"
            )
            for i in people
        )
    )
    assert [(info.id, info.first_name, new) for info, new in results] == [
        (i, f"Айгүл {i}", True) for i in people
    ]
    assert statements.count("INSERT") == 1
    for i in people:
        stored = await get_user(db, i)
        assert stored is not None and stored.first_name == f"Айгүл {i}"


async def test_the_same_newcomer_twice_at_once_is_new_once(db: Database) -> None:
    results = await asyncio.gather(
        record_user(db, user_id=7, first_name="Aida", username=None, telegram_language="ru"),
        record_user(db, user_id=7, first_name="Aida", username="aida", telegram_language="ru"),
    )
    assert sorted(new for _, new in results) == [False, True]
    stored = await get_user(db, 7)
    assert stored is not None and stored.first_name == "Aida"


async def test_someone_known_is_not_taken_for_new(db: Database) -> None:
    await record_user(db, user_id=8, first_name="Aida", username=None, telegram_language="ru")
    db.memo.clear()  # as after a restart: this process has not seen her
    info, new = await record_user(
        db, user_id=8, first_name="Aida B", username=None, telegram_language="ru"
    )
    assert not new and info.first_name == "Aida B"


async def test_a_persistence_round_writes_one_statement_per_kind_of_row(db: Database) -> None:
    persistence = DatabasePersistence(db)
    await persistence.update_user_data(99, {"gone": True})
    await persistence.update_conversation("join", (99, 99), 2)
    await db.connect()
    statements = count_statements(db)
    await asyncio.gather(
        *(persistence.update_user_data(i, {"step": i}) for i in range(1, 30)),
        *(persistence.update_conversation("language", (i, i), 1) for i in range(1, 30)),
        persistence.update_user_data(99, {}),
        persistence.update_conversation("join", (99, 99), None),
    )
    # Two upserts (user data, conversations) and two deletes, whatever the number of people.
    assert sorted(statements) == ["DELETE", "DELETE", "INSERT", "INSERT"]
    fresh = DatabasePersistence(db)
    assert await fresh.get_user_data() == {i: {"step": i} for i in range(1, 30)}
    assert await fresh.get_conversations("language") == {(i, i): 1 for i in range(1, 30)}
    assert await fresh.get_conversations("join") == {}


@pytest.mark.sqlite_only  # PostgreSQL has no write-ahead log file to keep short
async def test_the_write_ahead_log_is_emptied_soon_after_a_write(db: Database) -> None:
    await db.connect()
    path = Path(db.engine.url.database or "")
    wal = path.with_name(path.name + "-wal")
    await record_user(db, user_id=5, first_name="Aida", username=None, telegram_language=None)
    assert wal.stat().st_size > 0  # her record is in the log, in the order it was written
    db.keep_log_short(interval=0.01)
    await db.log_checkpointed.wait()
    assert wal.stat().st_size == 0
    await db.dispose()  # stops the keeper


@pytest.mark.sqlite_only
async def test_a_long_read_does_not_hold_up_the_checkpoint_nor_the_writes_behind_it(
    db: Database,
) -> None:
    """A truncating checkpoint waits for readers and keeps writers out meanwhile: behind an
    export, it gives up at once (CHECKPOINT_WAIT_MS) and the keeper tries again after."""
    await db.connect()
    path = Path(db.engine.url.database or "")
    wal = path.with_name(path.name + "-wal")
    await record_user(db, user_id=1, first_name="Aida", username=None, telegram_language=None)
    async with db.engine.connect() as reader:  # an export's long read transaction
        await reader.exec_driver_sql("BEGIN")
        await reader.exec_driver_sql("SELECT count(*) FROM users")
        await db.checkpoint()  # cannot truncate under the reader: gives up
        assert wal.stat().st_size > 0
        # Writers are not kept out.
        await record_user(db, user_id=2, first_name="Bermet", username=None, telegram_language=None)
        await reader.exec_driver_sql("COMMIT")
    db.keep_log_short(interval=0.01)  # the keeper tries again, now that the read is over
    await db.log_checkpointed.wait()
    assert wal.stat().st_size == 0
    await db.dispose()
