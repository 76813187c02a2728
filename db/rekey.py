"""Everything encrypted, under one key: key rotation (`python -m bot key rotate`), and the check
that the key given opens the data.

`rotate(db, files_dir)` rewrites, under the cipher's current key, every encrypted column of
every table (listed in ENCRYPTED), recomputes every keyed hash (TAGS) from the values they hash,
and re-encrypts every attachment file (in place: a temporary file renamed over it). It accepts
what any key the cipher knows wrote (the current one and the previous ones), so it can be
interrupted at any moment and run again: a row whose encrypted values are all under the current
key is done and skipped, a file already under it too. Rows go in batches, each batch one
transaction; a file is rewritten before its row, so a crash in between leaves a file that is
done and a row that is not, which the next run finishes.

Keyed hashes that cannot be recomputed (the draft id behind a report's `filing_tag`, kept only
in the reporter's persisted draft) are recomputed from the drafts still open, and cleared on
reports whose draft is gone (it is needed only while the draft exists).

A new encrypted or tag column must be added to ENCRYPTED or TAGS: tests/test_rekey.py fails,
naming it, for any `*_enc` or `*_tag` column left out.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Table, select, tuple_, update
from sqlalchemy.exc import DBAPIError

from db.engine import Database, sqlite_path
from db.models import Base
from db.types import Cipher

log = logging.getLogger(__name__)

BATCH = 200

# table -> its encrypted columns (text, URL-safe base64).
ENCRYPTED: dict[str, tuple[str, ...]] = {
    "users": ("first_name", "username"),
    "ptb_user_data": ("user_enc", "data"),
    "ptb_chat_data": ("chat_enc", "data"),
    "ptb_bot_data": ("data",),
    "ptb_conversations": ("key_enc",),
    "resolution_versions": ("uploaded_by_enc", "published_by_enc", "official_by_enc"),
    "members": ("name_enc", "district_enc", "phone_enc", "decided_by_enc"),
    "role_grants": ("user_enc", "granted_by_enc"),
    "audit_log": ("actor_enc", "target_enc"),
    "reports": ("text_enc", "place_enc", "reporter_enc", "assigned_enc", "history_enc"),
    "report_attachments": ("file_id_enc", "file_name_enc", "integrity_enc", "caption_enc"),
    "report_messages": ("author_enc", "text_enc", "file_id_enc"),
    "settings": ("updated_by_enc",),
    "outbox": ("recipient_enc", "params_enc"),
    "outbox_batches": ("params_enc",),
    "muted_senders": ("user_enc", "muted_by_enc"),
    "sent_copies": ("chat_enc",),
    "events": (
        "organiser_enc",
        "outcome_by_enc",
        "title_enc",
        "description_enc",
        "place_enc",
        "geo_enc",
        "link_enc",
        "cancel_reason_enc",
        "outcome_enc",
    ),
    "event_updates": ("body_enc", "by_enc"),
    "announcements": ("author_enc", "content_enc"),
}

Values = dict[str, Any]  # a row's columns, encrypted ones decrypted


def _reporter(v: Values) -> str:
    return f"reporter:{v['reporter_salt']}:{json.loads(v['reporter_enc'])['user_id']}"


# table -> {tag column: the value it is the keyed hash of, from the row (decrypted)}.
TAGS: dict[str, dict[str, Callable[[Values], str]]] = {
    "ptb_user_data": {"tag": lambda v: f"persist.user:{v['user_enc']}"},
    "ptb_chat_data": {"tag": lambda v: f"persist.chat:{v['chat_enc']}"},
    "ptb_conversations": {"key": lambda v: str(v["key_enc"])},
    "role_grants": {"user_tag": lambda v: f"role:{v['user_enc']}"},
    "reports": {"reporter_tag": _reporter},
    "outbox": {"recipient_tag": lambda v: f"chat:{v['recipient_enc']}"},
    "muted_senders": {"tag": lambda v: f"mute:{v['user_enc']}"},
    "announcements": {"author_tag": lambda v: f"announcement.author:{v['author_enc']}"},
}
# Tags whose value is not in the row: recomputed another way (see `rotate`).
OTHER_TAGS = {("reports", "filing_tag")}
# Columns a TAGS function reads besides the encrypted ones.
EXTRA = {"reports": ("reporter_salt",)}


@dataclass(slots=True)
class RotationReport:
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows rewritten
    files: int = 0  # attachment files rewritten
    orphans: int = 0  # files no row names, removed
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.rows.values())


class KeyMismatch(Exception):
    """The stored data was written with another key; the message is one line."""


def _tables() -> Iterator[Table]:
    for table in Base.metadata.sorted_tables:
        if table.name in ENCRYPTED:
            yield table


def _pk(table: Table) -> list[Any]:
    return list(table.primary_key.columns)


def _current(cipher: Cipher, row: Any, columns: Iterable[str]) -> bool:
    return all(getattr(row, c) is None or cipher.is_current(getattr(row, c)) for c in columns)


def _drafts(cipher: Cipher, stored: Iterable[str]) -> set[str]:
    """The ids of the form drafts in persisted user data (each draft has its `_id`)."""
    found: set[str] = set()
    for token in stored:
        data = json.loads(cipher.decrypt(token))
        for value in data.values() if isinstance(data, dict) else ():
            if isinstance(value, dict) and isinstance(value.get("_id"), str):
                found.add(value["_id"])
    return found


async def rotate(db: Database, files_dir: Path, *, remove_orphans: bool = True) -> RotationReport:
    """Re-encrypt everything under the current key (see the module's docstring). Run it with the
    bot stopped (`python -m bot key rotate` holds the data folder's lock)."""
    started = time.monotonic()
    cipher = db.cipher
    report = RotationReport()
    async with db.transaction() as session:
        persisted = Base.metadata.tables["ptb_user_data"]
        drafts = _drafts(cipher, (await session.scalars(select(persisted.c.data))).all())
    filings = {tag: draft for draft in drafts for tag in cipher.tags(f"filing:{draft}")}
    for table in _tables():
        report.rows[table.name] = await _rotate_table(db, table, files_dir, filings, report)
    if remove_orphans:
        report.orphans = await _remove_orphans(db, files_dir)
    await _compact(db)
    report.seconds = time.monotonic() - started
    return report


async def _rotate_table(
    db: Database,
    table: Table,
    files_dir: Path,
    filings: dict[str, str],
    report: RotationReport,
) -> int:
    cipher = db.cipher
    encrypted = ENCRYPTED[table.name]
    tags = TAGS.get(table.name, {})
    key = _pk(table)
    columns = [
        *key,
        *(table.c[c] for c in encrypted),
        *(table.c[c] for c in tags if table.c[c] not in key),
        *(table.c[c] for c in EXTRA.get(table.name, ())),
    ]
    if table.name == "reports":
        columns.append(table.c.filing_tag)
    if table.name == "report_attachments":
        columns.append(table.c.path)
    rewritten = 0
    after: tuple[Any, ...] | None = None
    while True:
        stmt = select(*columns).order_by(*key).limit(BATCH)
        if after is not None:
            stmt = stmt.where(tuple_(*key) > tuple_(*after))
        async with db.transaction() as session:
            rows = (await session.execute(stmt)).all()
        if not rows:
            return rewritten
        after = tuple(getattr(rows[-1], c.name) for c in key)
        todo = [row for row in rows if not _current(cipher, row, encrypted)]
        if table.name == "report_attachments":
            for row in rows:
                if await _rotate_file(cipher, files_dir / row.path):
                    report.files += 1
        if not todo:
            continue
        async with db.transaction() as session:
            for row in todo:
                plain = {c: cipher.decrypt_optional(getattr(row, c)) for c in encrypted}
                values: dict[str, Any] = {c: cipher.encrypt_optional(v) for c, v in plain.items()}
                context = {**row._asdict(), **plain}
                for column, preimage in tags.items():
                    values[column] = cipher.tag(preimage(context))
                if table.name == "reports" and row.filing_tag is not None:
                    draft = filings.get(row.filing_tag)
                    values["filing_tag"] = None if draft is None else cipher.tag(f"filing:{draft}")
                where = [c == getattr(row, c.name) for c in key]
                await session.execute(update(table).where(*where).values(**values))
        rewritten += len(todo)


async def _rotate_file(cipher: Cipher, path: Path) -> bool:
    """Re-encrypt one attachment file in place, if it is not under the current key yet."""

    def work() -> bool:
        try:
            with path.open("rb") as fp:
                if cipher.is_current(fp.read(8)):
                    return False
            data = path.read_bytes()
        except FileNotFoundError:
            log.error("An attachment file is missing: %s", path.name)
            return False
        fresh = cipher.encrypt_bytes(cipher.decrypt_bytes(data))
        stat = path.stat()
        temporary = path.with_name(path.name + ".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fp:
            fp.write(fresh)
            fp.flush()
            os.fsync(fp.fileno())
        os.replace(temporary, path)
        os.utime(path, (stat.st_mtime, stat.st_mtime))  # the day it was dated to
        return True

    return await asyncio.to_thread(work)


async def _remove_orphans(db: Database, files_dir: Path) -> int:
    """Files in attachments/ that no row names (left by a version that did not clean up after a
    failed write, or a temporary file of an interrupted write): removed."""
    root = files_dir / "attachments"
    if not root.is_dir():
        return 0
    table = Base.metadata.tables["report_attachments"]
    async with db.transaction() as session:
        named = {str(p) for p in (await session.scalars(select(table.c.path))).all()}
    removed = 0
    for path in sorted(root.rglob("*")):
        if path.is_file() and str(path.relative_to(files_dir)) not in named:
            path.unlink()
            removed += 1
    for folder in sorted(root.rglob("*"), reverse=True):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    return removed


async def _compact(db: Database) -> None:
    """SQLite: values written under the old key do not linger in free pages or the log."""
    path = sqlite_path(db.url)
    if path is None:
        return
    async with db.engine.connect() as connection:
        await connection.exec_driver_sql("VACUUM")
    await db.checkpoint()


async def remaining(db: Database) -> int:
    """How many rows still hold a value not under the current key (0 once a rotation is done)."""
    cipher = db.cipher
    count = 0
    for table in _tables():
        encrypted = ENCRYPTED[table.name]
        async with db.transaction() as session:
            rows = (await session.execute(select(*(table.c[c] for c in encrypted)))).all()
        count += sum(1 for row in rows if not _current(cipher, row, encrypted))
    return count


SAMPLED = ("users", "reports", "ptb_user_data", "members", "outbox")


async def holds_data(db: Database) -> bool:
    """Is anything encrypted stored (no key needed to tell)?"""
    for name in SAMPLED:
        table = Base.metadata.tables[name]
        try:
            async with db.transaction() as session:
                if await session.scalar(select(table).limit(1).exists().select()):
                    return True
        except DBAPIError:
            continue
    return False


async def check_key(db: Database) -> bool | None:
    """Does the key open the stored data? None: nothing is stored yet (any key will do)."""
    for name in SAMPLED:
        table = Base.metadata.tables[name]
        column = table.c[ENCRYPTED[name][0]]
        try:
            async with db.transaction() as session:
                token = await session.scalar(select(column).where(column.is_not(None)).limit(1))
        except DBAPIError:  # a table or column of a newer revision, not migrated yet
            continue
        if token is None:
            continue
        try:
            db.cipher.decrypt(token)
        except Exception:
            return False
        return True
    return None
