"""Migration 0007 on a database the previous version filled: every row converted with the key
(ids encrypted or keyed, reporter tags salted, hashes encrypted, times made days), values written
with Fernet still read, numbering continued; refused without the key; and back down."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from cryptography.fernet import Fernet
from sqlalchemy.engine import Connection

from bot.persistence import DatabasePersistence
from bot.services.crypto import Cipher, new_key
from db import audit, members, reports, resolution, roles
from db.engine import Database
from db.migrate import alembic_config

MOMENT = datetime(2026, 11, 20, 14, 3, 22, tzinfo=UTC)
REPORTER = 700_001
COORDINATOR = 900_001
TS = sa.DateTime(timezone=True)


def _migrate(connection: Connection, url: str, action: str, revision: str, cipher: Any) -> None:
    """As db.migrate.upgrade_engine does it (foreign keys off on SQLite while tables are
    copied), in either direction."""
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        connection.commit()
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    config = alembic_config(url)
    config.attributes["connection"] = connection
    config.attributes["cipher"] = cipher
    getattr(command, action)(config, revision)
    if sqlite:
        connection.commit()
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")


def _column_names(connection: Connection, table: str) -> list[str]:
    return [c["name"] for c in sa.inspect(connection).get_columns(table)]


def _table(name: str, **columns: Any) -> sa.TableClause:
    return sa.table(name, *(sa.column(c, t) for c, t in columns.items()))


async def _fill_as_before(db: Database, key: str, files_dir: Path) -> bytes:
    """Rows as version 0006 wrote them: Fernet values, ids in clear, exact times."""
    fernet = Fernet(key.encode())
    old_tag = Cipher(key).tag  # tags were computed exactly so

    def enc(value: object) -> str:
        return fernet.encrypt(str(value).encode()).decode()

    photo = b"\xff\xd8 the photo"
    relative = "attachments/abc/1.bin"
    (files_dir / relative).parent.mkdir(parents=True)
    (files_dir / relative).write_bytes(fernet.encrypt(photo))
    rows: list[tuple[sa.TableClause, dict[str, Any]]] = [
        (
            _table("users", id=None, first_name=None, first_seen=TS, last_seen=TS, blocked=None),
            {
                "id": REPORTER,
                "first_name": enc("Айнура"),
                "first_seen": MOMENT,
                "last_seen": MOMENT,
                "blocked": False,
            },
        ),
        (
            _table("users", id=None, first_name=None, first_seen=TS, last_seen=TS, blocked=None),
            {
                "id": COORDINATOR,
                "first_name": enc("Coordinator"),
                "first_seen": MOMENT,
                "last_seen": MOMENT,
                "blocked": False,
            },
        ),
        (
            _table("ptb_user_data", user_id=None, data=None, updated_at=TS),
            {"user_id": REPORTER, "data": enc('{"report_wipe":{"1":[5,6]}}'), "updated_at": MOMENT},
        ),
        (
            _table("ptb_chat_data", chat_id=None, data=None, updated_at=TS),
            {"chat_id": -100, "data": enc('{"notice":true}'), "updated_at": MOMENT},
        ),
        (
            _table(
                "role_grants",
                user_id=None,
                role=None,
                region=None,
                granted_by=None,
                granted_at=TS,
            ),
            {
                "user_id": COORDINATOR,
                "role": "lead",
                "region": "naryn",
                "granted_by": COORDINATOR,
                "granted_at": MOMENT,
            },
        ),
        (
            _table("audit_log", at=TS, actor_id=None, action=None, target_id=None, details=None),
            {
                "at": MOMENT,
                "actor_id": COORDINATOR,
                "action": "report.viewed",
                "target_id": 1,
                "details": "{}",
            },
        ),
        (
            _table(
                "reports",
                ref=None,
                created_at=TS,
                updated_at=TS,
                category=None,
                region=None,
                occurred=None,
                danger=None,
                anonymous=None,
                text_enc=None,
                reporter_enc=None,
                reporter_tag=None,
                reporter_lang=None,
                status=None,
                assigned_to=None,
            ),
            {
                "ref": "R-2026-0007",  # the first row: id 1
                "created_at": MOMENT,
                "updated_at": MOMENT,
                "category": "torture",
                "region": "naryn",
                "occurred": "today",
                "danger": False,
                "anonymous": True,
                "text_enc": enc("what happened"),
                "reporter_enc": enc(json.dumps({"user_id": REPORTER, "name": ""})),
                "reporter_tag": old_tag(str(REPORTER)),
                "reporter_lang": "ky",
                "status": "in_review",
                "assigned_to": COORDINATOR,
            },
        ),
        (
            _table(
                "report_attachments",
                report_id=None,
                added_at=TS,
                kind=None,
                file_id_enc=None,
                size=None,
                sha256=None,
                path=None,
            ),
            {
                "report_id": 1,
                "added_at": MOMENT,
                "kind": "photo",
                "file_id_enc": enc("file-1"),
                "size": len(photo),
                "sha256": "ab" * 32,
                "path": relative,
            },
        ),
        (
            _table(
                "report_messages", report_id=None, at=TS, author=None, author_id=None, text_enc=None
            ),
            {
                "report_id": 1,
                "at": MOMENT,
                "author": "coordinator",
                "author_id": COORDINATOR,
                "text_enc": enc("we are on it"),
            },
        ),
        (
            _table(
                "resolution_versions",
                lang=None,
                source=None,
                sha256=None,
                status=None,
                official=None,
                uploaded_by=None,
                created_at=TS,
            ),
            {
                "lang": "ky",
                "source": "# A",
                "sha256": "a" * 64,
                "status": "draft",
                "official": False,
                "uploaded_by": COORDINATOR,
                "created_at": MOMENT,
            },
        ),
        (
            _table("settings", key=None, value=None, updated_by=None, updated_at=TS),
            {"key": "help", "value": "{}", "updated_by": COORDINATOR, "updated_at": MOMENT},
        ),
    ]
    async with db.engine.begin() as connection:
        for table, values in rows:
            await connection.execute(sa.insert(table).values(**values))
    return photo


async def test_rows_stored_by_the_previous_version_are_converted(
    empty_db_url: str, tmp_path: Path
) -> None:
    key = new_key()
    cipher = Cipher(key)
    raw = Database(empty_db_url, migrate=False)
    await raw.connect()
    async with raw.engine.connect() as connection:
        await connection.run_sync(_migrate, empty_db_url, "upgrade", "0006", None)
        await connection.commit()
    photo = await _fill_as_before(raw, key, tmp_path)
    # Without the key, there is no converting: refused, nothing changed.
    with pytest.raises(Exception, match="needs the data key"):
        async with raw.engine.connect() as connection:
            await connection.run_sync(_migrate, empty_db_url, "upgrade", "head", None)
    await raw.dispose()

    db = Database(empty_db_url, cipher=cipher)  # migrates at connect, with the key
    try:
        await db.connect()
        # Persisted data: found by keyed hash, the id only encrypted.
        persistence = DatabasePersistence(db)
        assert await persistence.get_user_data() == {REPORTER: {"report_wipe": {"1": [5, 6]}}}
        assert await persistence.get_chat_data() == {-100: {"notice": True}}
        assert await roles.grants_of(db, COORDINATOR) == (False, frozenset({"naryn"}))
        assert await roles.leads_of(db, "naryn") == {COORDINATOR}
        # Her report: found by its salted tag; the day kept, not the moment.
        (mine,) = await reports.reports_of(db, REPORTER)
        assert await reports.is_reporter(db, mine.id, REPORTER)
        full = await reports.get_report(db, mine.id)
        assert full is not None and full.text == "what happened"
        assert full.created_at == datetime(2026, 11, 20, tzinfo=UTC) == full.thread[0].at
        assert full.assigned_to == COORDINATOR and full.thread[0].author_id == COORDINATOR
        attachment = full.attachments[0]
        assert (attachment.sha256, attachment.size) == ("ab" * 32, len(photo))
        assert attachment.file_id == "file-1"
        assert reports.read_attachment(db, tmp_path, attachment) == photo  # a Fernet file
        entry = (await audit.audit_entries(db))[0]
        assert (entry.actor_id, entry.target_id) == (COORDINATOR, 1)
        assert entry.at == datetime(2026, 11, 20, tzinfo=UTC)
        version = await resolution.get_version(db, 1)
        assert version is not None and version.uploaded_by == COORDINATOR
        # Numbering goes on from the highest reference of the year.
        later = await reports.create_report(
            db,
            reports.ReportDraft("other", "naryn", "t", "today", False, True),
            reports.Reporter(REPORTER, ""),
            lang="ky",
            files_dir=tmp_path,
        )
        if later.created_at.year == 2026:
            assert later.ref == "R-2026-0008"
        # Nothing of the previous version's clear ids is left in the tables.
        async with db.engine.connect() as connection:
            columns = {
                (t, name)
                for t in ("role_grants", "audit_log", "reports", "report_messages", "members")
                for name in await connection.run_sync(_column_names, t)
            }
        for gone in ("user_id", "actor_id", "target_id", "assigned_to", "author_id"):
            assert not any(name == gone and t != "members" for t, name in columns)
        assert ("members", "decided_by") not in columns
        assert await members.get_member(db, REPORTER) is None

        # And back down: ids in clear again, readable as before.
        async with db.engine.connect() as connection:
            await connection.run_sync(_migrate, empty_db_url, "downgrade", "0006", cipher)
            await connection.commit()
        async with db.engine.connect() as connection:
            grant = (await connection.execute(sa.text("SELECT user_id FROM role_grants"))).one()
            tag = (await connection.execute(sa.text("SELECT reporter_tag FROM reports"))).first()
            stored = (await connection.execute(sa.text("SELECT user_id FROM ptb_user_data"))).one()
        assert grant[0] == COORDINATOR and stored[0] == REPORTER
        assert tag is not None and tag[0] == cipher.tag(str(REPORTER))
    finally:
        await db.dispose()
