"""Where SQLite and PostgreSQL differ, the bot behaves the same: every test here runs on both.

Migrations (each step, down and up again, and the schema they make equal to the models), big
Telegram ids, moments in time, upserts, claiming rows for one worker, large persisted data,
case-insensitive search, and the limits PostgreSQL enforces that SQLite does not.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.persistence import DatabasePersistence
from bot.services.community import INTERESTS, OCCUPATIONS, REGIONS
from bot.services.resolution import ResolutionFormatError, decode_upload
from db.audit import audit_entries
from db.engine import Database, locked_for_claim
from db.members import (
    MemberDraft,
    create_member,
    erase_member,
    find_members,
    search_members,
    update_member,
)
from db.models import Base, Member, User
from db.report_desk import assign
from db.reports import FileIn, ReportDraft, Reporter, create_report, get_report
from db.resolution import cache_file_id, cached_file_id
from db.roles import grants_of, set_grants
from db.users import get_user, record_user

# Telegram ids use up to 52 bits; chat ids of supergroups are negative (-100...).
BIG_ID = 2**52 + 12345
CHAT_ID = -1_001_234_567_890_123
ID_NAME = re.compile(r"(_id|_by)$|^assigned_to$")
NOT_PEOPLE = {("file_cache", "file_id")}  # Telegram's file ids are strings


def telegram_id_columns() -> set[tuple[str, str]]:
    """Columns that hold a Telegram id: users.id, and *_id / *_by / assigned_to columns that do
    not point at one of our own integer keys (such as report_id)."""
    found = {("users", "id")}
    for table in Base.metadata.tables.values():
        for column in table.columns:
            if not ID_NAME.search(column.name):
                continue
            if any(fk.column.table.name != "users" for fk in column.foreign_keys):
                continue
            if (table.name, column.name) in NOT_PEOPLE:
                continue
            found.add((table.name, column.name))
    return found


def test_every_telegram_id_column_is_a_big_integer() -> None:
    columns = telegram_id_columns()
    # Ids of people acting in a role (deciding, granting, taking a report) are encrypted now
    # (*_enc columns), so only members' and users' own ids are left in clear.
    assert {("users", "id"), ("members", "user_id")} <= columns
    for table, name in columns:
        column_type = Base.metadata.tables[table].columns[name].type
        assert isinstance(column_type, BigInteger), f"{table}.{name} is {column_type}"


def test_the_fixed_lists_fit_their_columns() -> None:
    """PostgreSQL refuses a value longer than its column; SQLite would keep it silently."""

    def length(name: str) -> int:
        column_type = Member.__table__.c[name].type
        assert isinstance(column_type, String) and column_type.length is not None
        return column_type.length

    assert len(",".join(INTERESTS)) <= length("interests")
    assert max(map(len, REGIONS)) <= length("region")
    assert max(map(len, OCCUPATIONS)) <= length("occupation")


def test_text_postgresql_cannot_store_is_refused_before_the_database() -> None:
    with pytest.raises(ResolutionFormatError):
        decode_upload(b"# Title\n\n## p1 | One\n\nA NUL \x00 byte")


# -- migrations ------------------------------------------------------------------------------


def _run(connection: Connection, url: str, action: str, revision: str) -> None:
    from db.migrate import alembic_config

    config = alembic_config(url)
    config.attributes["connection"] = connection
    getattr(command, action)(config, revision)


def _schema_differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def _migrate(conn: AsyncConnection, url: str, action: str, revision: str) -> None:
    await conn.run_sync(_run, url, action, revision)


async def test_each_migration_up_then_all_down_and_up_again(empty_db_url: str) -> None:
    from db.migrate import alembic_config

    database = Database(empty_db_url, migrate=False)
    await database.connect()
    engine = database.engine
    script = ScriptDirectory.from_config(alembic_config(empty_db_url))
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    assert revisions[0] == "0001" and len(revisions) >= 5
    try:
        for revision in revisions:
            async with engine.begin() as conn:
                await _migrate(conn, empty_db_url, "upgrade", revision)
            if revision == "0004":
                # A row written before 0005, as SQLite and PostgreSQL stored it then: naive UTC.
                async with engine.begin() as conn:
                    await conn.execute(
                        text(
                            "INSERT INTO users (id, first_name, first_seen, last_seen, blocked) "
                            "VALUES (:id, 'x', '2026-05-01 18:00:00', '2026-05-02 00:00:00', "
                            "false)"
                        ),
                        {"id": BIG_ID},
                    )
        async with engine.connect() as conn:
            assert await conn.run_sync(_schema_differences) == []
        async with database.transaction() as session:
            first_seen = await session.scalar(text("SELECT first_seen FROM users"))
        # Read back as the moment it was: 18:00 UTC (on PostgreSQL now with its time zone).
        assert first_seen is not None
        if isinstance(first_seen, str):  # SQLite: text
            first_seen = datetime.fromisoformat(first_seen)
        moment = first_seen if first_seen.tzinfo else first_seen.replace(tzinfo=UTC)
        assert moment == datetime(2026, 5, 1, 18, tzinfo=UTC)

        async with engine.begin() as conn:
            await _migrate(conn, empty_db_url, "downgrade", "base")
        async with engine.connect() as conn:
            left = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert left <= {"alembic_version"}
        async with engine.begin() as conn:
            await _migrate(conn, empty_db_url, "upgrade", "head")
        async with engine.connect() as conn:
            assert await conn.run_sync(_schema_differences) == []
    finally:
        await database.dispose()


async def test_the_schema_has_big_integers_where_telegram_ids_go(db: Database) -> None:
    def reflected(connection: Connection) -> dict[tuple[str, str], object]:
        found: dict[tuple[str, str], object] = {}
        for table in {t for t, _ in telegram_id_columns()}:
            for column in inspect(connection).get_columns(table):
                found[(table, column["name"])] = column["type"]
        return found

    async with db.engine.connect() as conn:
        types = await conn.run_sync(reflected)
    for key in sorted(telegram_id_columns()):
        assert isinstance(types[key], BigInteger), (key, types[key])


# -- values ----------------------------------------------------------------------------------


async def test_big_telegram_ids_round_trip(db: Database, tmp_path: Path) -> None:
    lead = BIG_ID + 1
    for user_id in (BIG_ID, lead):
        await record_user(
            db, user_id=user_id, first_name="Айнура", username=None, telegram_language="ky"
        )
    draft = MemberDraft("Айнура", "naryn", None, "activist", ("rights",), None)
    await create_member(db, BIG_ID, draft, approved=False)
    await set_grants(
        db, lead, coordinator=False, lead_regions=frozenset({"naryn"}), actor_id=BIG_ID
    )
    assert await grants_of(db, lead) == (False, frozenset({"naryn"}))
    report = await create_report(
        db,
        ReportDraft("torture", "naryn", "text", "today", False, True),
        Reporter(BIG_ID, "Айнура"),
        lang="ky",
        files_dir=tmp_path,
    )
    assert await assign(db, report.id, actor_id=lead)
    full = await get_report(db, report.id)
    assert full is not None and full.assigned_to == lead
    entries = await audit_entries(db)
    assert {(e.actor_id, e.target_id) for e in entries if e.action == "role.changed"} == {
        (BIG_ID, lead)
    }
    persistence = DatabasePersistence(db)
    await persistence.update_chat_data(CHAT_ID, {"notice": True})
    assert await DatabasePersistence(db).get_chat_data() == {CHAT_ID: {"notice": True}}


async def test_moments_are_kept_whatever_the_time_zone(db: Database) -> None:
    bishkek = datetime(2026, 3, 8, 23, 30, tzinfo=ZoneInfo("Asia/Bishkek"))
    await record_user(
        db, user_id=5, first_name="A", username=None, telegram_language=None, now=bishkek
    )
    person = await get_user(db, 5)
    assert person is not None
    # The day is the UTC day of that moment (17:30 UTC on 8 March), returned in UTC.
    assert person.first_seen == datetime(2026, 3, 8, tzinfo=UTC)
    assert person.first_seen.tzinfo == UTC
    with pytest.raises(Exception, match="naive datetime"):
        async with db.transaction() as session:
            naive = datetime(2026, 3, 8)
            await session.execute(update(User).values(last_seen=naive))


@pytest.mark.postgresql_only  # SQLite keeps naive UTC text (tests/test_storage.py)
async def test_postgresql_stores_moments_with_their_time_zone(db: Database) -> None:
    await record_user(db, user_id=5, first_name="A", username=None, telegram_language=None)
    async with db.engine.begin() as conn:
        column_type = await conn.scalar(
            text(
                "SELECT data_type FROM information_schema.columns "
                "WHERE table_name = 'users' AND column_name = 'first_seen'"
            )
        )
        assert column_type == "timestamp with time zone"
        # Someone reading with psql in Bishkek sees the same moment, in her time zone.
        await conn.execute(text("SET LOCAL TIME ZONE 'Asia/Bishkek'"))
        shown = await conn.scalar(text("SELECT first_seen::text FROM users"))
    assert shown is not None and shown.endswith("06:00:00+06")


async def test_upserts_insert_then_replace(db: Database) -> None:
    assert await cached_file_id(db, "resolution:ky") is None
    await cache_file_id(db, "resolution:ky", "file-1")
    await cache_file_id(db, "resolution:ky", "file-2")
    assert await cached_file_id(db, "resolution:ky") == "file-2"


async def test_large_persisted_data_round_trips(db: Database) -> None:
    """Persistence keeps JSON as (encrypted) text: megabytes fit on both databases."""
    story = "Менин окуям 🕊️ " * 100_000  # about 1.7 MB of text, 2.3 MB encrypted
    persistence = DatabasePersistence(db)
    await persistence.update_user_data(BIG_ID, {"draft": {"text": story}})
    assert await DatabasePersistence(db).get_user_data() == {BIG_ID: {"draft": {"text": story}}}


async def test_search_by_name_ignores_case_in_every_script(db: Database) -> None:
    names = {1: "Айнура Өмүрова", 2: "GÜLNARA Asanova", 3: "Жылдыз Үсөнова"}
    for user_id, name in names.items():
        await record_user(
            db, user_id=user_id, first_name=name, username=None, telegram_language=None
        )
        draft = MemberDraft(name, "osh_region", None, "activist", (), None)
        await create_member(db, user_id, draft, approved=True)

    async def found(query: str) -> set[int]:
        return {m.user_id for m in await find_members(db, query)}

    assert await found("өмүр") == {1}
    assert await found("gülnara") == {2}
    assert await found("ЖЫЛДЫЗ") == {3}
    assert await found("ова") == {1, 3}  # Cyrillic, not the Latin "ova" of Asanova
    assert await found("ÜSÖ") == set()  # Latin Ü is not Cyrillic Ү
    assert await found("  айнура ") == {1}
    # Remembered names follow every change: a new name, a new member, a member erased.
    await update_member(db, 1, name="Айнура Касымова")
    assert await found("өмүр") == set() and await found("касым") == {1}
    draft = MemberDraft("Өмүрбүбү", "naryn", None, "activist", (), None)
    await record_user(db, user_id=4, first_name="Ө", username=None, telegram_language=None)
    await create_member(db, 4, draft, approved=False)
    assert await found("өмүр") == {4}
    assert (await search_members(db, "өмүр", regions=["osh_region"])).total == 0
    await erase_member(db, 4, actor_id=4)
    assert await found("өмүр") == set()
    # Only the first ones are decrypted; the count is of all.
    page = await search_members(db, "ова", limit=1)
    assert page.total == 2 and len(page.members) == 1


async def test_values_longer_than_postgresql_allows_are_cut_where_a_client_sends_them(
    db: Database, tmp_path: Path
) -> None:
    info, _ = await record_user(
        db, user_id=7, first_name="A", username=None, telegram_language="x" * 40
    )
    assert info.telegram_language == "x" * 16
    report = await create_report(
        db,
        ReportDraft(
            "torture",
            "naryn",
            "text",
            "today",
            False,
            True,
            files=(FileIn("document", "f", b"data", "a.bin", "application/" + "x" * 300),),
        ),
        Reporter(7, "A"),
        lang="en",
        files_dir=tmp_path,
    )
    full = await get_report(db, report.id)
    assert full is not None and len(full.attachments[0].mime_type or "") == 128


# -- claiming rows for one worker (the future outbox) ----------------------------------------

claims = Table(
    "claim_test",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("claimed_by", String(16)),
)


async def _make_queue(db: Database, rows: int) -> None:
    async with db.engine.begin() as conn:
        await conn.run_sync(claims.create)
        await conn.execute(claims.insert(), [{"id": i} for i in range(1, rows + 1)])


async def _claim(db: Database, worker: str, limit: int) -> list[int]:
    async with db.transaction() as session:
        return await _claim_in(session, worker, limit)


async def _claim_in(session: object, worker: str, limit: int) -> list[int]:
    from sqlalchemy.ext.asyncio import AsyncSession

    assert isinstance(session, AsyncSession)
    stmt = select(claims.c.id).where(claims.c.claimed_by.is_(None)).order_by(claims.c.id)
    ids = list((await locked_for_claim(stmt.limit(limit), session)).scalars())
    if ids:
        await session.execute(update(claims).where(claims.c.id.in_(ids)).values(claimed_by=worker))
    return ids


async def test_workers_never_claim_the_same_row(db: Database) -> None:
    await _make_queue(db, 40)

    async def worker(name: str) -> list[int]:
        taken: list[int] = []
        while batch := await _claim(db, name, 3):
            taken.extend(batch)
        return taken

    results = await asyncio.gather(*(worker(f"w{i}") for i in range(4)))
    everything = [row for taken in results for row in taken]
    assert sorted(everything) == list(range(1, 41))  # each row exactly once
    async with db.engine.connect() as conn:
        by = dict((await conn.execute(select(claims.c.id, claims.c.claimed_by))).all())
    for name, taken in zip([f"w{i}" for i in range(4)], results, strict=True):
        assert all(by[row] == name for row in taken)


async def test_a_claim_held_open_is_skipped_on_postgresql_and_waited_for_on_sqlite(
    db: Database,
) -> None:
    await _make_queue(db, 6)
    release = asyncio.Event()
    first_claimed = asyncio.Event()
    order: list[str] = []

    async def slow_worker() -> list[int]:
        async with db.transaction() as session:
            taken = await _claim_in(session, "slow", 3)
            first_claimed.set()
            await release.wait()
        order.append("slow committed")
        return taken

    slow = asyncio.create_task(slow_worker())
    await first_claimed.wait()
    quick = asyncio.create_task(_claim(db, "quick", 6))
    if db.engine.dialect.name == "postgresql":
        # SKIP LOCKED: the other rows at once, while the first claim is still open.
        assert await asyncio.wait_for(quick, timeout=10) == [4, 5, 6]
        order.append("quick claimed")
        release.set()
        assert await slow == [1, 2, 3]
        assert order == ["quick claimed", "slow committed"]
    else:
        # One writer at a time: the second claim waits, then sees the first one's marks.
        release.set()
        assert await slow == [1, 2, 3]
        assert await asyncio.wait_for(quick, timeout=10) == [4, 5, 6]


async def test_claims_work_with_a_join(db: Database) -> None:
    """The helper takes any select, e.g. rows of a queue joined with the people they are for."""
    await record_user(db, user_id=1, first_name="A", username=None, telegram_language=None)
    draft = MemberDraft("A", "naryn", None, "activist", (), None)
    await create_member(db, 1, draft, approved=True)
    async with db.transaction() as session:
        stmt = select(Member.user_id).join(User, User.id == Member.user_id)
        result = await locked_for_claim(stmt.where(User.blocked.is_(False)), session)
        assert list(result.scalars()) == [1]
