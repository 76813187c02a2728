"""Storage: migrations, SQLite settings, user records and the persistence class."""

from __future__ import annotations

import asyncio
import sys
from asyncio.subprocess import PIPE
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import event, inspect, text

from bot.persistence import DatabasePersistence, chat_tag, user_tag
from db.engine import SCHEMA_HEAD, Database, schema_is_current
from db.migrate import alembic_config
from db.models import AuditEntry
from db.types import utcnow
from db.users import get_user, record_user, set_blocked, set_language
from tests.conftest import database_bytes

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.sqlite_only  # PRAGMAs; tests/test_storage_lanes.py checks both databases' schema
async def test_migrations_create_schema_and_sqlite_is_configured(db: Database) -> None:
    async with db.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert {"users", "ptb_user_data", "ptb_chat_data", "ptb_bot_data", "ptb_conversations"} <= (
            tables
        )
        assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == 5000
        # Deleted content is overwritten, not left in free pages of the file.
        assert (await conn.execute(text("PRAGMA secure_delete"))).scalar() == 1
        version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
        head = ScriptDirectory.from_config(alembic_config(db.url)).get_current_head()
        assert version == head
        # A new migration moves SCHEMA_HEAD too: a database at it starts without Alembic.
        assert head == SCHEMA_HEAD and await schema_is_current(db.engine)
        pk = await conn.run_sync(lambda c: inspect(c).get_pk_constraint("users"))
        assert pk["name"] == "pk_users"


async def test_database_folder_is_created_and_connect_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "deeper" / "bot.db"
    database = Database(f"sqlite+aiosqlite:///{path}")
    await database.connect()
    await database.connect()
    assert path.exists()
    await database.dispose()


async def test_record_user_creates_then_refreshes_by_the_day(db: Database) -> None:
    first = datetime(2026, 1, 1, 12, 34, tzinfo=UTC)
    info, is_new = await record_user(
        db, user_id=2**40, first_name="Айнура", username="ainura", telegram_language="ky", now=first
    )
    assert is_new and info.id == 2**40 and info.language is None
    # Only the day is kept: exact moments could be matched against a report's time.
    assert info.first_seen == datetime(2026, 1, 1, tzinfo=UTC) == info.last_seen

    info, is_new = await record_user(
        db,
        user_id=2**40,
        first_name="Ainura",
        username=None,
        telegram_language="ru",
        now=first + timedelta(days=2, hours=3),
    )
    assert not is_new
    assert info.first_seen == datetime(2026, 1, 1, tzinfo=UTC)
    assert info.last_seen == datetime(2026, 1, 3, tzinfo=UTC)
    assert info.first_name == "Ainura" and info.telegram_language == "ru"


async def test_the_same_person_on_the_same_day_costs_no_write(db: Database) -> None:
    now = datetime(2026, 5, 1, 9, tzinfo=UTC)
    await record_user(db, user_id=5, first_name="A", username=None, telegram_language="ru", now=now)
    async with db.transaction() as session:
        await session.execute(text("UPDATE users SET first_name = 'changed-behind-its-back'"))
    info, _ = await record_user(
        db,
        user_id=5,
        first_name="A",
        username=None,
        telegram_language="ru",
        now=now + timedelta(hours=5),
    )
    assert info.first_name == "A"  # served from memory, the row was not touched
    await set_language(db, 5, "ky")  # the remembered record learns her choice...
    info, _ = await record_user(
        db, user_id=5, first_name="A", username=None, telegram_language="ru", now=now
    )
    assert info.language == "ky"
    async with db.transaction() as session:
        stored = (await session.execute(text("SELECT first_name FROM users"))).scalar()
    assert stored == "changed-behind-its-back"  # ...and still costs no write
    info, _ = await record_user(
        db,
        user_id=5,
        first_name="A",
        username=None,
        telegram_language="ru",
        now=now + timedelta(days=1),
    )
    assert (info.first_name, info.language) == ("A", "ky")
    async with db.transaction() as session:  # a new day: the row was written again
        stored = (await session.execute(text("SELECT first_name FROM users"))).scalar()
    assert stored != "changed-behind-its-back"


async def test_names_of_people_who_wrote_are_encrypted(db: Database, db_url: str) -> None:
    await record_user(
        db, user_id=77, first_name="Жылдыз", username="jyldyz_k", telegram_language="ky"
    )
    info = await get_user(db, 77)
    assert info is not None and (info.first_name, info.username) == ("Жылдыз", "jyldyz_k")
    await db.dispose()
    raw = database_bytes(db_url)
    assert "Жылдыз".encode() not in raw and b"jyldyz_k" not in raw


async def test_language_and_blocked_flags(db: Database) -> None:
    await record_user(db, user_id=7, first_name="A", username=None, telegram_language=None)
    await set_language(db, 7, "ky")
    await set_blocked(db, 7, True)
    info = await get_user(db, 7)
    assert info is not None and info.language == "ky" and info.blocked
    # Writing again means she unblocked the bot.
    info, _ = await record_user(
        db, user_id=7, first_name="A", username=None, telegram_language=None
    )
    assert not info.blocked and info.language == "ky"
    assert await get_user(db, 8) is None


async def test_datetimes_are_stored_in_utc(db: Database) -> None:
    bishkek = datetime(2026, 5, 1, 18, 0, tzinfo=UTC).astimezone(
        __import__("zoneinfo").ZoneInfo("Asia/Bishkek")
    )
    async with db.transaction() as session:
        session.add(AuditEntry(at=bishkek, actor_enc=None, action="test", details="{}"))
    async with db.engine.connect() as conn:
        raw = (await conn.execute(text("SELECT at FROM audit_log"))).scalar()
    assert str(raw).startswith("2026-05-01 18:00:00")


async def test_persistence_round_trip(db: Database) -> None:
    persistence = DatabasePersistence(db)
    await persistence.update_user_data(1001, {"draft": {"step": 2, "name": "Ainura & co"}})
    await persistence.update_user_data(1001, {"draft": {"step": 3}})
    await persistence.update_chat_data(-5, {"notice": True})
    await persistence.update_bot_data({"version": 1})
    await persistence.update_conversation("language", (1001, 1001), 1)
    await persistence.update_conversation("language", (1002, 1002), 1)
    await persistence.update_conversation("language", (1002, 1002), None)

    fresh = DatabasePersistence(db)
    assert await fresh.get_user_data() == {1001: {"draft": {"step": 3}}}
    assert await fresh.get_chat_data() == {-5: {"notice": True}}
    assert await fresh.get_bot_data() == {"version": 1}
    assert await fresh.get_conversations("language") == {(1001, 1001): 1}
    assert await fresh.get_conversations("other") == {}
    assert fresh.update_interval <= 1

    await fresh.drop_user_data(1001)
    await fresh.drop_chat_data(-5)
    assert await fresh.get_user_data() == {}
    assert await fresh.get_chat_data() == {}


async def test_persisted_data_is_encrypted_at_rest(db: Database, db_url: str) -> None:
    persistence = DatabasePersistence(db)
    await persistence.update_user_data(5, {"draft": {"name": "Ainura", "phone": "+996555123456"}})
    await persistence.update_chat_data(5, {"note": "secret place"})
    await persistence.update_conversation("report", (424242, 424242), 31)
    await db.dispose()
    raw = database_bytes(db_url)
    for secret in (b"Ainura", b"+996555123456", b"secret place", b"424242"):
        assert secret not in raw  # who is writing a report right now is not readable either
    reloaded = DatabasePersistence(db)
    assert await reloaded.get_user_data() == {
        5: {"draft": {"name": "Ainura", "phone": "+996555123456"}}
    }
    assert await reloaded.get_conversations("report") == {(424242, 424242): 31}


async def test_persisted_rows_are_found_by_keyed_hash_not_by_id(db: Database, db_url: str) -> None:
    persistence = DatabasePersistence(db)
    await persistence.update_user_data(987_654_321, {"report_wipe": {"3": [1, 2]}})
    await persistence.update_chat_data(987_654_321, {"n": 1})
    await db.dispose()
    raw = database_bytes(db_url)
    assert b"987654321" not in raw
    assert (987_654_321).to_bytes(8, "big").lstrip(b"\0") not in raw  # nor as an integer
    async with db.transaction() as session:
        tags = (await session.execute(text("SELECT tag FROM ptb_user_data"))).scalars().all()
    assert tags == [user_tag(db, 987_654_321)] and tags[0] != chat_tag(db, 987_654_321)


async def test_a_round_of_changes_is_one_transaction(db: Database) -> None:
    """python-telegram-bot hands every changed key over at once: one transaction stores them."""
    persistence = DatabasePersistence(db)
    commits: list[int] = []
    event.listen(db.engine.sync_engine, "commit", lambda _conn: commits.append(1))
    await asyncio.gather(
        persistence.update_user_data(1, {"a": 1}),
        persistence.update_user_data(2, {"b": 2}),
        persistence.update_chat_data(1, {"c": 3}),
        persistence.update_bot_data({"d": 4}),
        persistence.update_conversation("report", (1, 1), "story"),
    )
    assert len(commits) == 1
    # Unchanged data costs nothing.
    await asyncio.gather(persistence.update_user_data(1, {"a": 1}), persistence.flush())
    assert len(commits) == 1
    fresh = DatabasePersistence(db)
    assert await fresh.get_user_data() == {1: {"a": 1}, 2: {"b": 2}}
    assert await fresh.get_conversations("report") == {(1, 1): "story"}


async def test_empty_data_is_not_stored(db: Database) -> None:
    persistence = DatabasePersistence(db)
    await persistence.update_user_data(1, {"a": 1})
    await persistence.update_bot_data({"v": 1})
    await persistence.update_user_data(1, {})
    await persistence.update_bot_data({})
    await persistence.update_user_data(2, {})  # never stored: no row, no write
    async with db.transaction() as session:
        for table in ("ptb_user_data", "ptb_bot_data"):
            assert await session.scalar(text(f"SELECT count(*) FROM {table}")) == 0  # noqa: S608


async def test_a_round_that_cannot_be_stored_is_stored_with_the_next(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    persistence = DatabasePersistence(db)
    real = persistence._write
    failing = [True]

    async def write(*args: Any) -> None:
        if failing.pop() if failing else False:
            raise OSError(28, "No space left on device")
        await real(*args)

    monkeypatch.setattr(persistence, "_write", write)
    results = await asyncio.gather(
        persistence.update_user_data(1, {"a": 1}),
        persistence.update_user_data(2, {"b": 2}),
        return_exceptions=True,
    )
    # One error for the round (python-telegram-bot logs each one it is given), not two.
    assert [type(r) for r in results if r is not None] == [OSError]
    assert await DatabasePersistence(db).get_user_data() == {}
    await persistence.update_bot_data({})  # the next round (every second) takes them along
    assert await DatabasePersistence(db).get_user_data() == {1: {"a": 1}, 2: {"b": 2}}


async def test_invisible_and_direction_characters_are_removed_from_names(db: Database) -> None:
    # A right-to-left override and zero-width characters could make a name read as another.
    info, _ = await record_user(
        db,
        user_id=9,
        first_name="Ai\u202enura\u200b",
        username="\u2066ai\u200dnura\u2069",
        telegram_language="ky",
    )
    assert (info.first_name, info.username) == ("Ainura", "ainura")
    info, _ = await record_user(
        db, user_id=10, first_name="\u200b\u200e", username="\u200b", telegram_language=None
    )
    assert (info.first_name, info.username) == ("", None)
    # An empty name is not an erased one: her next name is recorded.
    info, _ = await record_user(
        db,
        user_id=10,
        first_name="Aida",
        username=None,
        telegram_language=None,
        now=utcnow() + timedelta(days=1),
    )
    assert info.first_name == "Aida"


async def test_a_database_at_the_newest_migration_starts_without_alembic(db: Database) -> None:
    """Importing Alembic costs 11 MB of memory: only a database that needs migrating pays it."""
    db_url = db.url  # migrated by the fixture, as by a previous start
    probe = (
        "import asyncio, sys\n"
        "from db.engine import Database\n"
        f"database = Database({db_url!r})\n"
        "asyncio.run(database.connect())\n"
        "print('alembic' in sys.modules)\n"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", probe, cwd=ROOT, stdout=PIPE, stderr=PIPE
    )
    out, err = await process.communicate()
    assert out.decode().split() == ["False"], err.decode()[-2000:]
