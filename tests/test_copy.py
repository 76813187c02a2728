"""`python -m bot db copy --to URL`: a populated SQLite database moved to PostgreSQL (and back),
every row checked, encrypted fields still readable with the same key; `db backup` for SQLite."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.persistence import DatabasePersistence
from bot.services.crypto import Cipher, new_key
from bot.services.events import SEATS
from db.announcements import save_draft
from db.audit import audit
from db.copies import record_copy
from db.copy import CopyError, copy_database, tables
from db.documents import put_document
from db.engine import Database
from db.event_answers import set_answer
from db.event_changes import message_going
from db.events import EventDraft, publish_event
from db.members import MemberDraft, create_member, decide, get_member
from db.mutes import mute
from db.outbox import Outgoing, send_later
from db.report_desk import add_message
from db.reports import FileIn, ReportDraft, Reporter, create_report, get_report, reporter_of
from db.resolution import add_draft, cache_file_id, publish
from db.roles import set_grants
from db.types import utcnow
from db.users import record_user, set_language
from tests.conftest import SETTING_NAMES

ROOT = Path(__file__).resolve().parent.parent
BIG = 2**52 + 7
STORY = "Мени кармап, милицияда урушту. 🕊️"


async def populate(db: Database, files_dir: Path) -> dict[str, Any]:
    """A little of everything the bot stores."""
    people = [BIG + i for i in range(30)]
    for n, user_id in enumerate(people):
        await record_user(
            db,
            user_id=user_id,
            first_name=f"Айгүл {n}",
            username=f"aigul{n}",
            telegram_language="ky",
        )
        await set_language(db, user_id, ("ky", "ru", "en")[n % 3])
    for n, user_id in enumerate(people[:12]):
        draft = MemberDraft(f"Айгүл {n}", "naryn", "Кочкор", "activist", ("rights",), "+996700")
        await create_member(db, user_id, draft, approved=False)
        if n % 2:
            await decide(db, user_id, approve=True, actor_id=people[-1])
    await set_grants(
        db, people[1], coordinator=True, lead_regions=frozenset({"naryn"}), actor_id=people[-1]
    )
    version = await add_draft(db, lang="ky", source="# Резолюция", sha256="0" * 64, user_id=BIG)
    await publish(db, version, user_id=BIG, official=True)
    await cache_file_id(db, "resolution:ky", "BQACAgIAAxk-file")
    await put_document(db, "help_contacts", '{"contacts": []}', actor_id=BIG)
    reports = []
    for n in range(5):
        report = await create_report(
            db,
            ReportDraft(
                "torture",
                "naryn",
                f"{STORY} {n}",
                "today",
                n == 0,
                n % 2 == 0,
                place="Нарын",
                files=(
                    FileIn(
                        "document",
                        f"file-{n}",
                        b"%PDF evidence",
                        "a.pdf",
                        "application/pdf",
                        "Справка",
                    ),
                ),
            ),
            Reporter(people[n], f"Айгүл {n}", None, "+996700111222"),
            lang="ky",
            files_dir=files_dir,
        )
        reply = await add_message(
            db,
            report.id,
            author="coordinator",
            text="Биз жардам беребиз",
            author_id=BIG,
            file=("photo", f"photo-{n}"),
        )
        await record_copy(db, "report.reply", reply, people[n], 100 + n)
        reports.append(report.id)
    await audit(db, "export.members", actor_id=BIG, rows=12)
    event, _count, _new = await publish_event(
        db,
        EventDraft("Диалог", STORY, "dialogue", utcnow(), "naryn", 90, "Нарын", (41.4, 75.9)),
        organiser_id=people[1],
        draft_key="copy",
        notices=lambda _event, members: [Outgoing(m, "event.notice") for m in members],
        batch=lambda event_id: ("event.notices", {"event": event_id}),
    )
    await set_answer(db, event.id, people[3], "going", seats=SEATS, moved_up=lambda _p: [])
    await message_going(db, event.id, STORY, actor_id=people[1], tell=lambda _u, members: [])
    await send_later(
        db,
        [Outgoing(people[2], "member.decided", {"approved": True})],
        batch=("stale", {"reports": reports}),
    )
    await mute(db, people[3], actor_id=BIG)
    await save_draft(db, people[1], {"regions": ["naryn"]}, {"text": ["<b>Жыйын</b>", 5]})
    persistence = DatabasePersistence(db)
    await persistence.update_user_data(BIG, {"draft": {"text": STORY}})
    await persistence.update_chat_data(-1_001_234_567_890, {"notice": True})
    await persistence.update_bot_data({"version": 1})
    await persistence.update_conversation("report", (BIG, BIG), 31)
    return {"people": people, "reports": reports}


async def all_rows(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, as the application reads it."""
    database = Database(url, migrate=False)
    await database.connect()
    try:
        async with database.engine.connect() as conn:
            return {
                table.name: [
                    row._asdict()
                    for row in await conn.execute(
                        select(table).order_by(*table.primary_key.columns)
                    )
                ]
                for table in tables()
            }
    finally:
        await database.dispose()


@pytest.mark.postgresql_only
async def test_a_populated_sqlite_database_moves_to_postgresql_and_back(
    tmp_path: Path, empty_db_url: str
) -> None:
    key = Cipher(new_key().encode())
    sqlite_url = f"sqlite+aiosqlite:///{tmp_path / 'old' / 'bot.db'}"
    old = Database(sqlite_url, cipher=key)
    made = await populate(old, tmp_path)
    await old.dispose()
    before = await all_rows(sqlite_url)
    assert all(before[t.name] for t in tables()), "every table has rows to copy"

    seen: list[tuple[str, int]] = []
    report = await copy_database(
        sqlite_url, empty_db_url, batch_size=7, progress=lambda t, n: seen.append((t, n))
    )
    assert report.rows == {name: len(rows) for name, rows in before.items()}
    assert [t for t, _ in seen] == [t.name for t in tables()]
    assert await all_rows(empty_db_url) == before  # every row, every value

    # The same key reads the encrypted fields; the ids go on after the copied ones.
    moved = Database(empty_db_url, cipher=key)
    try:
        first = await get_report(moved, made["reports"][0])
        assert first is not None and first.text == f"{STORY} 0" and first.place == "Нарын"
        reporter = await reporter_of(moved, made["reports"][0])
        assert reporter is not None and reporter.phone == "+996700111222"
        member = await get_member(moved, made["people"][0])
        assert member is not None and member.district == "Кочкор"
        assert await DatabasePersistence(moved).get_user_data() == {BIG: {"draft": {"text": STORY}}}
        newer = await create_report(
            moved,
            ReportDraft("torture", "naryn", "new", "today", False, True),
            Reporter(BIG, "A"),
            lang="ky",
            files_dir=tmp_path,
        )
        assert newer.id == max(made["reports"]) + 1
        await audit(moved, "after.copy", actor_id=BIG)
    finally:
        await moved.dispose()

    # A second copy into the same database is refused: it is not empty any more.
    with pytest.raises(CopyError, match="not empty"):
        await copy_database(sqlite_url, empty_db_url)

    # And back to SQLite, should a community ever need to.
    back_url = f"sqlite+aiosqlite:///{tmp_path / 'back' / 'bot.db'}"
    await copy_database(empty_db_url, back_url)
    assert await all_rows(back_url) == await all_rows(empty_db_url)


async def test_refusals_are_one_line(tmp_path: Path, db_url: str) -> None:
    missing = f"sqlite+aiosqlite:///{tmp_path / 'nowhere' / 'bot.db'}"
    with pytest.raises(CopyError, match="does not exist"):
        await copy_database(missing, db_url)
    assert not (tmp_path / "nowhere").exists()
    with pytest.raises(CopyError, match="is the source"):
        await copy_database(db_url, db_url)

    key = Cipher(new_key().encode())
    source = f"sqlite+aiosqlite:///{tmp_path / 'src' / 'bot.db'}"
    database = Database(source, cipher=key)
    await record_user(database, user_id=1, first_name="A", username=None, telegram_language=None)
    await database.dispose()
    target = Database(db_url, cipher=key)
    await record_user(target, user_id=2, first_name="B", username=None, telegram_language=None)
    await target.dispose()
    with pytest.raises(CopyError, match=r"not empty \(users has 1 rows\)"):
        await copy_database(source, db_url)


def run_cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES}
    full.update(env, PYTHONPATH=str(ROOT))
    return subprocess.run(  # noqa: S603 - our own module
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.postgresql_only
async def test_the_copy_command(tmp_path: Path, empty_db_url: str) -> None:
    key = new_key()
    sqlite_url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.db'}"
    database = Database(sqlite_url, cipher=Cipher(key.encode()))
    await populate(database, tmp_path)
    await database.dispose()
    env = {"DATABASE_URL": sqlite_url, "DATA_DIR": str(tmp_path / "data")}

    done = run_cli("db", "copy", "--to", empty_db_url, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert "every table verified" in last and "the same one" in last
    assert await all_rows(empty_db_url) == await all_rows(sqlite_url)

    again = run_cli("db", "copy", "--to", empty_db_url, env=env, cwd=tmp_path)
    assert again.returncode == 1
    assert (
        again.stderr.strip()
        .splitlines()[-1]
        .startswith("Copy failed: the target database is not empty")
    )

    bad = run_cli("db", "copy", "--to", "mysql://x/y", env=env, cwd=tmp_path)
    assert bad.returncode == 2
    assert (
        bad.stderr.strip().splitlines() == [bad.stderr.strip().splitlines()[-1]]
        and "--to is invalid" in bad.stderr
    )


def test_sqlite_backup_is_consistent_and_owner_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with sqlite3.connect(data / "bot.db") as live:
        live.execute("PRAGMA journal_mode=WAL")
        live.execute("CREATE TABLE t (x)")
        live.execute("INSERT INTO t VALUES (42)")
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{data / 'bot.db'}"}
    done = run_cli("db", "backup", str(tmp_path / "backups" / "bot.db"), env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    copy = tmp_path / "backups" / "bot.db"
    assert copy.stat().st_mode & 0o777 == 0o600
    with sqlite3.connect(copy) as restored:
        assert restored.execute("SELECT x FROM t").fetchall() == [(42,)]
    again = run_cli("db", "backup", str(copy), env=env, cwd=tmp_path)
    assert again.returncode == 1 and "exists already" in again.stderr
    postgres = run_cli(
        "db", "backup", "x.db", env={"DATABASE_URL": "postgresql+asyncpg://u@h/d"}, cwd=tmp_path
    )
    assert postgres.returncode == 2 and "pg_dump" in postgres.stderr


def test_an_unreachable_target_is_one_line_without_its_password(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a free port with nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data = tmp_path / "data"
    data.mkdir()
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{data / 'bot.db'}"}
    upgraded = run_cli("db", "upgrade", env=env, cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    target = f"postgresql+asyncpg://bot:s3cret-pw@127.0.0.1:{port}/solidarity"
    done = run_cli("db", "copy", "--to", target, env=env, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "s3cret-pw" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("Copy failed: cannot reach or open a database"), done.stderr
    assert "Traceback" not in done.stderr
