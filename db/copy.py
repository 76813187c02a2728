"""Copy every row of one database into another, empty one (`python -m bot db copy --to URL`).

Made for moving a community from SQLite to PostgreSQL (and back, if ever needed). The rows are
copied as stored: encrypted fields stay encrypted, so the same key (DATA_KEY or the key file)
reads them on the other side, and the copy itself never needs the key.

1. The source must be at the newest migration (the bot applies them at start-up).
2. The target is migrated to the same revision; it must hold no rows (and no other tables).
3. Tables are copied in foreign-key order, in batches, all in one transaction on the target: if
   anything fails, the target keeps nothing.
4. PostgreSQL's id sequences are moved past the copied ids.
5. Every table is compared, source against target: the number of rows and a digest of their
   contents.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import Integer, Table, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from db.engine import Database, sqlite_path
from db.migrate import alembic_config, upgrade_engine
from db.models import Base

BATCH_SIZE = 1000
# Tables a database has of its own, not ours.
BOOKKEEPING_TABLES = frozenset({"alembic_version", "sqlite_sequence"})


class CopyError(Exception):
    """The copy cannot be made or did not come out right; the message is one line."""


@dataclass(frozen=True, slots=True)
class CopyReport:
    revision: str
    rows: dict[str, int]  # table -> rows copied, in the order they were copied

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def safe_url(url: str) -> str:
    """The URL as it may be shown: the password hidden."""
    return make_url(url).render_as_string(hide_password=True)


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def tables() -> list[Table]:
    """Every table of the bot, parents before children."""
    return list(Base.metadata.sorted_tables)


async def _table_names(conn: AsyncConnection) -> set[str]:
    return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))


async def _revision(conn: AsyncConnection) -> str | None:
    if "alembic_version" not in await _table_names(conn):
        return None
    return (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()


@asynccontextmanager
async def _snapshot(database: Database) -> AsyncIterator[AsyncConnection]:
    """A connection that reads one consistent state of the database from start to end."""
    async with database.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execution_options(isolation_level="REPEATABLE READ")
        async with conn.begin():
            if conn.dialect.name == "sqlite":
                # The SQLite driver opens a transaction only before writes; a read snapshot
                # has to be asked for.
                await conn.exec_driver_sql("BEGIN")
            yield conn


def _order(table: Table) -> list[Any]:
    return list(table.primary_key.columns)


async def _batches(conn: AsyncConnection, table: Table, size: int) -> AsyncIterator[list[Any]]:
    result = await conn.stream(select(table).order_by(*_order(table)))
    async for partition in result.partitions(size):
        yield [row._asdict() for row in partition]


def _canonical(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return repr(value)


async def _fingerprint(conn: AsyncConnection, table: Table) -> tuple[int, str]:
    """(rows, digest of every value of every row), the same for equal contents on any database."""
    digest = hashlib.sha256()
    count = 0
    async for batch in _batches(conn, table, BATCH_SIZE):
        for row in batch:
            count += 1
            digest.update("\x1f".join(_canonical(row[c.name]) for c in table.columns).encode())
            digest.update(b"\x1e")
    return count, digest.hexdigest()


async def _check_source(conn: AsyncConnection, head: str) -> None:
    revision = await _revision(conn)
    if revision is None:
        raise CopyError("the source database has no tables of this bot; check DATABASE_URL")
    if revision != head:
        raise CopyError(
            f"the source database is at migration {revision}, this version needs {head}; "
            "run `python -m bot db upgrade` first"
        )
    unknown = await _table_names(conn) - {t.name for t in tables()} - BOOKKEEPING_TABLES
    if unknown:
        raise CopyError(
            "the source database has tables this version does not know "
            f"({', '.join(sorted(unknown))}); nothing was copied"
        )


async def _check_target_is_empty(conn: AsyncConnection) -> None:
    ours = {t.name for t in tables()}
    foreign = await _table_names(conn) - ours - BOOKKEEPING_TABLES
    if foreign:
        raise CopyError(
            f"the target database is not empty (it has the table {sorted(foreign)[0]}); "
            "give an empty database"
        )
    for table in tables():
        if table.name in await _table_names(conn):
            rows = (await conn.execute(select(func.count()).select_from(table))).scalar_one()
            if rows:
                raise CopyError(
                    f"the target database is not empty ({table.name} has {rows} rows); "
                    "give an empty database"
                )


async def _reset_sequences(conn: AsyncConnection) -> None:
    """After explicit ids, PostgreSQL's sequences must continue past the largest one."""
    for table in tables():
        for column in table.primary_key.columns:
            if not isinstance(column.type, Integer) or column.autoincrement is False:
                continue
            sequence = (
                await conn.execute(
                    text("SELECT pg_get_serial_sequence(:table, :column)"),
                    {"table": table.name, "column": column.name},
                )
            ).scalar()
            if sequence is None:
                continue
            await conn.execute(
                text(
                    f'SELECT setval(:sequence, COALESCE(MAX("{column.name}"), 1), '  # noqa: S608
                    f'MAX("{column.name}") IS NOT NULL) FROM "{table.name}"'
                ),
                {"sequence": sequence},
            )


async def copy_database(
    source_url: str,
    target_url: str,
    *,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[str, int], None] | None = None,
) -> CopyReport:
    """Copy everything from `source_url` into the empty database at `target_url`, and verify."""
    if make_url(source_url) == make_url(target_url):
        raise CopyError("the target is the source database; give another DATABASE URL")
    path = sqlite_path(source_url)
    if path is not None and not path.exists():
        raise CopyError(f"the source database {path} does not exist; check DATABASE_URL")
    head = head_revision()
    source = Database(source_url, migrate=False)
    target = Database(target_url, migrate=False)
    try:
        await source.connect()
        await target.connect()
        async with source.engine.connect() as conn:
            await _check_source(conn, head)
        async with target.engine.connect() as conn:
            await _check_target_is_empty(conn)
        await upgrade_engine(target.engine)

        copied: dict[str, int] = {}
        async with _snapshot(source) as reader, target.engine.begin() as writer:
            await _check_target_is_empty(writer)
            for table in tables():
                count = 0
                async for batch in _batches(reader, table, batch_size):
                    await writer.execute(table.insert(), batch)
                    count += len(batch)
                copied[table.name] = count
                if progress is not None:
                    progress(table.name, count)
            if writer.dialect.name == "postgresql":
                await _reset_sequences(writer)

        async with _snapshot(source) as left, _snapshot(target) as right:
            for table in tables():
                before = await _fingerprint(left, table)
                after = await _fingerprint(right, table)
                if before != after:
                    raise CopyError(
                        f"the copy of {table.name} differs from the source "
                        f"({before[0]} rows there, {after[0]} here); do not use the target"
                    )
        return CopyReport(revision=head, rows=copied)
    except DBAPIError as exc:
        # The driver's own words, without the statement and its values.
        original = exc.orig if exc.orig is not None else exc
        reason = str(original).strip().splitlines()[0] if str(original).strip() else ""
        raise CopyError(f"{type(original).__name__}: {reason}".rstrip(": ")) from None
    finally:
        await source.dispose()
        await target.dispose()
