"""The database handle: engine, session factory and migrations, created on first use.

The same code runs on SQLite (the default) and PostgreSQL; where the two differ, the difference
is handled here, in one place: connection settings (`engine_options`), upserts (`insert_for`,
`upsert`, `upsert_many`) and claiming rows for one worker (`locked_for_claim`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from sqlalchemy import Select, Table, event, false, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Result, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.sql.util import find_tables

from db.types import Cipher, utcnow

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 5000
# How long a checkpoint may keep writers waiting for readers to finish (Database.checkpoint).
CHECKPOINT_WAIT_MS = 50
# The newest migration (db/migrations/versions): a database at it needs no Alembic at start.
# tests/test_storage.py checks it against Alembic's own head.
SCHEMA_HEAD = "0010"
# The write-ahead log is checkpointed at most this long after a write (Database.keep_log_short).
CHECKPOINT_INTERVAL = 1.0


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL for concurrent readers, foreign keys enforced, wait instead of failing when busy;
    deleted content overwritten with zeros (secure_delete), so that an erased name or a removed
    draft does not linger in free pages of the file."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def _owner_only(path: Path) -> None:
    """The database file (and its -wal and -shm, which SQLite creates with the file's mode)
    readable by the bot's user only; the folder too."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if part.stat().st_mode & 0o077:
                part.chmod(0o600)
        except FileNotFoundError:
            continue


def engine_options(url: str) -> dict[str, Any]:
    """create_async_engine's options for this database."""
    if make_url(url).get_backend_name() != "postgresql":
        return {}
    return {
        # A managed server (or a restart of it) closes idle connections: check before use.
        "pool_pre_ping": True,
        "connect_args": {
            # Sessions in UTC, so that raw SQL and server-side defaults agree with the code.
            "server_settings": {"timezone": "UTC", "application_name": "solidarity-bot"},
        },
    }


def is_postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def insert_for(session: AsyncSession) -> Any:
    """INSERT with ON CONFLICT for this session's database (SQLite or PostgreSQL)."""
    return postgresql.insert if is_postgresql(session) else sqlite.insert


async def upsert(
    session: AsyncSession, model: Any, values: dict[str, Any], *, keys: Sequence[str]
) -> None:
    """Insert a row, or update the one with the same `keys`."""
    stmt = insert_for(session)(model).values(**values)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[getattr(model, k) for k in keys],
            set_={k: v for k, v in values.items() if k not in keys},
        )
    )


async def upsert_many(
    session: AsyncSession, model: Any, rows: Sequence[dict[str, Any]], *, keys: Sequence[str]
) -> None:
    """Insert many rows, or update those with the same `keys`: one statement for all (the rows
    have the same columns)."""
    if not rows:
        return
    table = model.__table__
    stmt = insert_for(session)(table)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[table.c[k] for k in keys],
            set_={k: stmt.excluded[k] for k in rows[0] if k not in keys},
        ),
        list(rows),
    )


async def locked_for_claim(stmt: Select[Any], session: AsyncSession) -> Result[Any]:
    """Run `stmt` to claim rows that no other worker may claim until this transaction ends.

    For queues that several workers drain (the outbox): select the rows to take, mark them as
    taken in the same transaction (`db.transaction()`), and return; the commit releases them.

    - PostgreSQL: `SELECT ... FOR UPDATE SKIP LOCKED`. Rows another transaction has claimed
      are skipped, not waited for, so workers run side by side and never take the same row.
    - SQLite has no row locks; one writer at a time is its lock. The database's write lock is
      taken first (a write that changes nothing), so a second claimer waits (busy timeout) until
      this transaction ends and then sees the rows as marked. Keep claim transactions short,
      and never await Telegram inside one.

        async with db.transaction() as session:
            rows = (await locked_for_claim(select(Outbox).where(...).limit(20), session)).scalars()
            for row in rows: row.claimed_at = utcnow()
    """
    if is_postgresql(session):
        return await session.execute(stmt.with_for_update(skip_locked=True))
    # The write lock is the whole database's: any table of the statement will do to take it.
    table = next(t for t in find_tables(stmt, include_joins=True) if isinstance(t, Table))
    column = next(iter(table.primary_key.columns))
    await session.execute(update(table).where(false()).values({column.name: column}))
    return await session.execute(stmt)


async def schema_is_current(engine: AsyncEngine) -> bool:
    """The database is at SCHEMA_HEAD, the newest migration (no Alembic needed to tell)."""
    try:
        async with engine.connect() as connection:
            result = await connection.exec_driver_sql("SELECT version_num FROM alembic_version")
            versions = list(result.scalars())
    except Exception:  # a new database: no table yet
        return False
    return versions == [SCHEMA_HEAD]


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite URL, or None for other databases and in-memory SQLite."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or not parsed.database:
        return None
    if parsed.database == ":memory:":
        return None
    return Path(parsed.database)


class Database:
    """Owns the engine and session factory. `connect()` creates them (and migrates) once."""

    def __init__(
        self,
        url: str,
        *,
        migrate: bool = True,
        cipher: Cipher | None = None,
        zone: tzinfo = UTC,
    ) -> None:
        self.url = url
        self.migrate = migrate
        self._cipher = cipher
        # The zone whose days report times are kept to (the bot's TIMEZONE).
        self.zone = zone
        # Small per-database caches of the query modules (e.g. people seen today).
        self.memo: dict[str, Any] = {}
        self._engine: AsyncEngine | None = None
        self._sessions: async_sessionmaker[AsyncSession] | None = None
        self._lock = asyncio.Lock()
        self._written = False  # a write since the last checkpoint (SQLite)
        self._keeper: asyncio.Task[None] | None = None
        self._closing = asyncio.Event()  # tells the keeper to stop
        self.log_checkpointed = asyncio.Event()  # set by the keeper after each checkpoint

    @property
    def connected(self) -> bool:
        return self._engine is not None

    async def connect(self) -> None:
        """Create the engine and apply migrations; safe to call more than once."""
        async with self._lock:
            if self._engine is not None:
                return
            path = sqlite_path(self.url)
            if path is not None:
                _owner_only(path)
            engine = create_async_engine(self.url, **engine_options(self.url))
            if engine.dialect.name == "sqlite":
                event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
                event.listen(engine.sync_engine, "after_cursor_execute", self._note_write)
            if self.migrate and not await schema_is_current(engine):
                # Alembic only when there is something to migrate: importing it is 11 MB.
                from db.migrate import upgrade_engine

                await upgrade_engine(engine, cipher=self._cipher, zone=self.zone)
            self._engine = engine
            self._sessions = async_sessionmaker(engine, expire_on_commit=False)
            log.info("Database ready (%s)", engine.dialect.name)

    @property
    def cipher(self) -> Cipher:
        """Encrypts what is kept at rest (phones, reports, persisted conversation data)."""
        if self._cipher is None:
            raise RuntimeError("this Database was opened without an encryption key")
        return self._cipher

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError("Database.connect() has not been awaited")
        return self._engine

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One short unit of work: a session inside a transaction, committed on success.
        `session.info["db"]` is this Database (for helpers given only a session, such as
        db.audit.add_audit, which need its cipher and its days)."""
        if self._sessions is None:
            await self.connect()
        assert self._sessions is not None
        async with self._sessions() as session, session.begin():
            session.info["db"] = self
            yield session

    def day(self, moment: datetime | None = None) -> datetime:
        """The start of the day of `moment` (now) in the bot's zone, as a UTC datetime: what is
        kept of a report's times, so that a copy of the data cannot match them against anything
        finer."""
        local = (moment or utcnow()).astimezone(self.zone)
        start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        return start.astimezone(UTC)

    async def checkpoint(self) -> None:
        """SQLite: move the write-ahead log into the database file and truncate it, so that the
        order of recent writes (which row changed right after a report) is not left in it.
        Nothing to do on PostgreSQL.

        A truncating checkpoint waits for every reader to finish and keeps writers out while it
        waits: behind a long read (a 10,000-report export), everyone's writes would wait too. So
        it waits CHECKPOINT_WAIT_MS at most; a busy database is left as it is, and the keeper
        (keep_log_short) tries again within a second."""
        if self._engine is None or self._engine.dialect.name != "sqlite":
            return
        self._written = False
        try:
            async with self._engine.connect() as connection:
                await connection.exec_driver_sql(f"PRAGMA busy_timeout={CHECKPOINT_WAIT_MS}")
                try:
                    result = await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                    busy = result.scalar()
                finally:
                    await connection.exec_driver_sql(
                        f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}"
                    )
        except Exception as exc:  # never fail the work it follows
            log.warning("Could not checkpoint the write-ahead log: %s", exc)
            busy = 1
        if busy:
            self._written = True  # the keeper tries again

    def _note_write(
        self, _conn: Any, _cursor: Any, _sql: str, _params: Any, context: Any, _many: bool
    ) -> None:
        if context is not None and (context.isinsert or context.isupdate or context.isdelete):
            self._written = True

    def keep_log_short(self, interval: float = CHECKPOINT_INTERVAL) -> None:
        """SQLite: checkpoint the write-ahead log at most every `interval` seconds after any
        write (each one's order is then out of it within that time), instead of after each write;
        what must not wait a second (a report filed) checkpoints at once itself. Runs until
        `dispose()`."""
        if (
            self._keeper is None
            and self._engine is not None
            and self._engine.dialect.name == "sqlite"
        ):
            self._closing = asyncio.Event()
            self._keeper = asyncio.get_running_loop().create_task(self._keep(interval))

    async def _keep(self, interval: float) -> None:
        # Stopped by an event, not by cancelling: a cancellation that lands inside a database
        # call can be absorbed on its way out, and the loop would then go on for ever.
        while not self._closing.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), interval)
            if self._written and not self._closing.is_set():
                await self.checkpoint()
                self.log_checkpointed.set()

    async def dispose(self) -> None:
        if self._keeper is not None:
            self._closing.set()
            await asyncio.wait([self._keeper])  # at most the checkpoint under way
            self._keeper = None
        if self._written:
            await self.checkpoint()
        async with self._lock:
            if self._engine is not None:
                await self._engine.dispose()
                self._engine = None
                self._sessions = None
