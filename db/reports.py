"""Incident reports, their attachments and threads. Plain data in, plain data out; everything
sensitive is encrypted with db.cipher before it is stored, and files are encrypted on disk.

What a copy of the data must not link (see README, "What a stolen database reveals"):

- a report to its reporter: she is found through a keyed hash of her id salted per report
  (`reporter_tag`, `reporter_salt`), so her reports share no value either;
- times: a report's times, its thread's and its files' are days (`Database.day`), and files on
  disk carry that day as their modification time;
- files: encrypted and padded; their SHA-256 and size are kept encrypted;
- the order of writes: after a report is stored, SQLite's write-ahead log is checkpointed.

Filing is idempotent: the draft's id, as a keyed hash (`filing_tag`, unique), makes a second
`create_report` of the same draft return the report already stored. A report raised early
(`alert=True`: someone is in danger, before she sent the form) starts its history with "alert"
instead of "new"; sending the draft then completes that report ("sent"), once. A file written
before a transaction that then fails is removed again, so no encrypted file is left that no row
names.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.audit import add_audit
from db.engine import Database, insert_for
from db.models import Report, ReportAttachment, ReportCounter, ReportMessage
from db.outbox import Outgoing, enqueue
from db.types import visible

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Reporter:
    """Who filed a report. Stored encrypted; shown to coordinators only if she allowed it."""

    user_id: int
    name: str
    username: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class FileIn:
    """A file as received from Telegram, with its bytes downloaded."""

    kind: str
    file_id: str
    data: bytes
    file_name: str | None = None
    mime_type: str | None = None
    caption: str | None = None  # what she wrote with the file


@dataclass(frozen=True, slots=True)
class ReportDraft:
    category: str
    region: str
    text: str
    occurred: str
    danger: bool
    anonymous: bool
    place: str | None = None
    files: tuple[FileIn, ...] = ()


@dataclass(frozen=True, slots=True)
class AttachmentInfo:
    id: int
    kind: str
    file_id: str
    file_name: str | None
    mime_type: str | None
    size: int
    sha256: str
    path: str
    caption: str | None = None


@dataclass(frozen=True, slots=True)
class ThreadMessage:
    at: datetime
    author: str  # reporter, coordinator or note
    author_id: int | None
    text: str
    file_kind: str | None = None  # a photo or document sent with a coordinator's reply
    file_id: str | None = None
    id: int = 0


@dataclass(frozen=True, slots=True)
class ReportInfo:
    id: int
    ref: str
    created_at: datetime
    updated_at: datetime
    category: str
    region: str
    occurred: str
    danger: bool
    anonymous: bool
    status: str
    assigned_to: int | None
    reporter_lang: str
    text: str = ""
    place: str | None = None
    attachments: tuple[AttachmentInfo, ...] = ()
    thread: tuple[ThreadMessage, ...] = field(default_factory=tuple)
    # (day, status): when it arrived, and each change since (read with the full report).
    history: tuple[tuple[datetime, str], ...] = ()

    @property
    def unsent(self) -> bool:
        """Raised by a danger alert and not sent by her (yet): only what she had written then
        (known from the full report's history)."""
        return bool(self.history) and not _is_sent(self.history)


def _is_sent(history: Iterable[tuple[datetime, str]]) -> bool:
    return any(code in ("new", "sent") for _day, code in history)


def _history(db: Database, row: Any) -> tuple[tuple[datetime, str], ...]:
    if row.history_enc is None:  # filed before the history was kept
        return ((row.created_at, "new"),)
    return tuple(
        (datetime.fromisoformat(day), status)
        for day, status in json.loads(db.cipher.decrypt(row.history_enc))
    )


def _with_event(db: Database, row: Report, status: str) -> str:
    events = [[day.isoformat(), code] for day, code in _history(db, row)]
    events.append([db.day().isoformat(), status])
    return db.cipher.encrypt(json.dumps(events))


def reference(year: int, number: int) -> str:
    """R-2026-0042: the year and the report's number within it."""
    return f"R-{year}-{number:04d}"


def _info(db: Database, row: Any) -> ReportInfo:
    """A Report, or a row of its columns (db/report_export.py)."""
    assigned = db.cipher.decrypt_optional(row.assigned_enc)
    return ReportInfo(
        id=row.id,
        ref=row.ref,
        created_at=row.created_at,
        updated_at=row.updated_at,
        category=row.category,
        region=row.region,
        occurred=row.occurred,
        danger=row.danger,
        anonymous=row.anonymous,
        status=row.status,
        assigned_to=None if assigned is None else int(assigned),
        reporter_lang=row.reporter_lang,
    )


def _reporter_tags(db: Database, salt: str, user_id: int) -> list[str]:
    return db.cipher.tags(f"reporter:{salt}:{user_id}")


def _write_encrypted(path: Path, data: bytes, day: datetime) -> None:
    """An encrypted file, owner-only, written whole or not at all (a temporary file renamed),
    dated to the day only. Blocking: call via asyncio.to_thread."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(path.name + ".tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fp:
            fp.write(data)
            fp.flush()
            os.fsync(fp.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    stamp = day.timestamp()
    os.utime(path, (stamp, stamp))
    os.utime(path.parent, (stamp, stamp))


def _remove(files_dir: Path, rows: Iterable[ReportAttachment]) -> None:
    """Files written for rows that were not stored: removed, so none is left without a row."""
    for row in rows:
        try:
            (files_dir / row.path).unlink(missing_ok=True)
        except OSError as exc:
            log.error("Could not remove an unstored attachment file: %s", exc.strerror)
        with contextlib.suppress(OSError):
            (files_dir / row.path).parent.rmdir()  # only if it is now empty


async def _store_files(
    db: Database, files_dir: Path, report_key: str, files: Iterable[FileIn]
) -> list[ReportAttachment]:
    """Hash each file as received (evidence of integrity), then keep it encrypted on disk. If
    one cannot be written (a full disk), those already written are removed and it raises."""
    rows: list[ReportAttachment] = []
    day = db.day()
    try:
        for item in files:
            relative = Path("attachments") / report_key / f"{secrets.token_hex(8)}.bin"
            encrypted = db.cipher.encrypt_bytes(item.data)
            await asyncio.to_thread(_write_encrypted, files_dir / relative, encrypted, day)
            integrity = {"sha256": hashlib.sha256(item.data).hexdigest(), "size": len(item.data)}
            rows.append(
                ReportAttachment(
                    added_at=day,
                    kind=item.kind,
                    file_id_enc=db.cipher.encrypt(item.file_id),
                    file_name_enc=db.cipher.encrypt_optional(item.file_name),
                    mime_type=(item.mime_type or "")[:128] or None,  # the column's limit
                    integrity_enc=db.cipher.encrypt(json.dumps(integrity)),
                    path=str(relative),
                    caption_enc=db.cipher.encrypt_optional(item.caption),
                )
            )
    except BaseException:
        await asyncio.to_thread(_remove, files_dir, rows)
        raise
    return rows


async def _filed(db: Database, filing_id: str) -> ReportInfo | None:
    """The report already filed from this draft, if any (with its history)."""
    async with db.transaction() as session:
        row = (
            await session.scalars(
                select(Report).where(Report.filing_tag.in_(db.cipher.tags(f"filing:{filing_id}")))
            )
        ).first()
        return replace(_info(db, row), history=_history(db, row)) if row is not None else None


def _reporter_enc(db: Database, reporter: Reporter) -> str:
    fields = {
        "user_id": reporter.user_id,
        "name": reporter.name,
        "username": reporter.username,
        "phone": reporter.phone,
    }
    return db.cipher.encrypt(json.dumps(fields))


async def _next_number(session: AsyncSession, year: int) -> int:
    """The next number of `year`, from its counter: one statement, so two writers never get the
    same number, and no report is counted or compared by time."""
    stmt = insert_for(session)(ReportCounter).values(year=year, last=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[ReportCounter.year], set_={"last": ReportCounter.last + 1}
    ).returning(ReportCounter.last)
    return int((await session.execute(stmt)).scalar_one())


async def create_report(
    db: Database,
    draft: ReportDraft,
    reporter: Reporter,
    *,
    lang: str,
    files_dir: Path,
    announce: Callable[[int], Sequence[Outgoing]] | None = None,
    filing_id: str | None = None,
    alert: bool = False,
) -> ReportInfo:
    """Store a report with its files; it gets the next reference of the year. `announce(id)`:
    the messages that tell of it, written to the outbox in the same transaction. `filing_id`:
    the draft's own id; a draft already filed is not filed again, its report is returned,
    completed first if it was raised early by an alert. `alert`: raised early, not sent yet."""
    cipher = db.cipher
    if filing_id is not None:
        filed = await _filed(db, filing_id)
        if filed is not None and filed.unsent and not alert:
            return await _complete(db, filed.id, draft, reporter, lang, files_dir, announce)
        if filed is not None:
            return filed
    attachments = await _store_files(db, files_dir, secrets.token_hex(8), draft.files)
    day = db.day()
    salt = secrets.token_hex(16)
    first = "alert" if alert else "new"
    try:
        async with db.transaction() as session:
            number = await _next_number(session, day.astimezone(db.zone).year)
            row = Report(
                ref=reference(day.astimezone(db.zone).year, number),
                created_at=day,
                updated_at=day,
                category=draft.category,
                region=draft.region,
                occurred=draft.occurred,
                danger=draft.danger,
                anonymous=draft.anonymous,
                text_enc=cipher.encrypt(draft.text),
                place_enc=cipher.encrypt_optional(draft.place),
                reporter_enc=_reporter_enc(db, reporter),
                reporter_salt=salt,
                reporter_tag=cipher.tag(f"reporter:{salt}:{reporter.user_id}"),
                reporter_lang=lang,
                filing_tag=None if filing_id is None else cipher.tag(f"filing:{filing_id}"),
                status="new",
                history_enc=cipher.encrypt(json.dumps([[day.isoformat(), first]])),
            )
            session.add(row)
            await session.flush()
            for attachment in attachments:
                attachment.report_id = row.id
                session.add(attachment)
            # The audit log names no reporter: she may have asked to stay anonymous.
            add_audit(
                session,
                "report.created",
                actor_id=None,
                target_id=row.id,
                ref=row.ref,
                files=len(attachments),
            )
            if announce is not None:
                await enqueue(session, cipher, announce(row.id))
            info = replace(_info(db, row), history=((day, first),))
    except BaseException as exc:
        await asyncio.to_thread(_remove, files_dir, attachments)
        if isinstance(exc, IntegrityError) and filing_id is not None:
            # Filed meanwhile (a second press of Send on another connection): that one stands.
            filed = await _filed(db, filing_id)
            if filed is not None:
                return filed
        raise
    await db.checkpoint()
    return info


async def _complete(
    db: Database,
    report_id: int,
    draft: ReportDraft,
    reporter: Reporter,
    lang: str,
    files_dir: Path,
    announce: Callable[[int], Sequence[Outgoing]] | None,
) -> ReportInfo:
    """She sends the form whose alert raised this report: it takes what she sent, once."""
    attachments = await _store_files(db, files_dir, f"r{report_id}", draft.files)
    try:
        async with db.transaction() as session:
            row = await session.get(Report, report_id)
            assert row is not None
            if _is_sent(_history(db, row)):  # completed meanwhile: that one stands
                await asyncio.to_thread(_remove, files_dir, attachments)
                return replace(_info(db, row), history=_history(db, row))
            row.category, row.region, row.occurred = draft.category, draft.region, draft.occurred
            row.danger, row.anonymous, row.reporter_lang = draft.danger, draft.anonymous, lang
            row.text_enc = db.cipher.encrypt(draft.text)
            row.place_enc = db.cipher.encrypt_optional(draft.place)
            row.reporter_enc = _reporter_enc(db, reporter)  # her salt and tag stay
            row.history_enc = _with_event(db, row, "sent")
            row.updated_at = db.day()
            for attachment in attachments:
                attachment.report_id = row.id
                session.add(attachment)
            add_audit(
                session, "report.sent", actor_id=None, target_id=row.id, files=len(attachments)
            )
            if announce is not None:
                await enqueue(session, db.cipher, announce(row.id))
            info = replace(_info(db, row), history=_history(db, row))
    except BaseException:
        await asyncio.to_thread(_remove, files_dir, attachments)
        raise
    await db.checkpoint()
    return info


async def add_files(
    db: Database,
    report_id: int,
    files: Iterable[FileIn],
    *,
    files_dir: Path,
    outbox: Sequence[Outgoing] = (),
) -> int:
    attachments = await _store_files(db, files_dir, f"r{report_id}", files)
    try:
        async with db.transaction() as session:
            await enqueue(session, db.cipher, outbox)
            for attachment in attachments:
                attachment.report_id = report_id
                session.add(attachment)
            await session.execute(
                update(Report).where(Report.id == report_id).values(updated_at=db.day())
            )
    except BaseException:
        await asyncio.to_thread(_remove, files_dir, attachments)
        raise
    return len(attachments)


async def get_report(db: Database, report_id: int) -> ReportInfo | None:
    """Everything about a report, decrypted (text, place, files, thread) but the reporter."""
    cipher = db.cipher
    async with db.transaction() as session:
        row = await session.get(Report, report_id)
        if row is None:
            return None
        files = (
            await session.scalars(
                select(ReportAttachment)
                .where(ReportAttachment.report_id == report_id)
                .order_by(ReportAttachment.id)
            )
        ).all()
        messages = (
            await session.scalars(
                select(ReportMessage)
                .where(ReportMessage.report_id == report_id)
                .order_by(ReportMessage.id)
            )
        ).all()
        return replace(
            _info(db, row),
            text=cipher.decrypt(row.text_enc),
            place=cipher.decrypt_optional(row.place_enc),
            history=_history(db, row),
            attachments=tuple(_attachment(db, f) for f in files),
            thread=tuple(_message(db, m) for m in messages),
        )


def _attachment(db: Database, row: Any) -> AttachmentInfo:
    """A ReportAttachment, or a row of its columns."""
    integrity = json.loads(db.cipher.decrypt(row.integrity_enc))
    name = db.cipher.decrypt_optional(row.file_name_enc)
    return AttachmentInfo(
        id=row.id,
        kind=row.kind,
        file_id=db.cipher.decrypt(row.file_id_enc),
        # Shown to coordinators: without characters that could make it read as another name.
        file_name=visible(name) or None if name is not None else None,
        mime_type=row.mime_type,
        size=int(integrity["size"]),
        sha256=str(integrity["sha256"]),
        path=row.path,
        caption=db.cipher.decrypt_optional(row.caption_enc),
    )


def _message(db: Database, row: Any) -> ThreadMessage:
    """A ReportMessage, or a row of its columns."""
    author = db.cipher.decrypt_optional(row.author_enc)
    return ThreadMessage(
        row.at,
        row.author,
        None if author is None else int(author),
        db.cipher.decrypt(row.text_enc),
        row.file_kind,
        db.cipher.decrypt_optional(row.file_id_enc),
        row.id,
    )


async def find_report(db: Database, ref: str) -> ReportInfo | None:
    """A report by its reference (R-2026-0042), with everything get_report gives."""
    async with db.transaction() as session:
        report_id = await session.scalar(select(Report.id).where(Report.ref == ref.upper()))
    return None if report_id is None else await get_report(db, report_id)


async def thread_message(db: Database, message_id: int) -> ThreadMessage | None:
    """One message of a report's thread, decrypted (to relay it when it is sent)."""
    async with db.transaction() as session:
        row = await session.get(ReportMessage, message_id)
        if row is None:
            return None
        return _message(db, row)


async def reporter_of(db: Database, report_id: int) -> Reporter | None:
    """Who filed it: for relaying messages to her, and for coordinators only when she agreed."""
    async with db.transaction() as session:
        row = await session.get(Report, report_id)
        return None if row is None else _reporter(db, row.reporter_enc)


def _reporter(db: Database, reporter_enc: str) -> Reporter:
    data = json.loads(db.cipher.decrypt(reporter_enc))
    return Reporter(data["user_id"], data["name"], data.get("username"), data.get("phone"))


async def is_reporter(db: Database, report_id: int, user_id: int) -> bool:
    async with db.transaction() as session:
        found = (
            await session.execute(
                select(Report.reporter_tag, Report.reporter_salt).where(Report.id == report_id)
            )
        ).first()
    return found is not None and found[0] in _reporter_tags(db, found[1], user_id)


async def reports_of(db: Database, user_id: int) -> list[ReportInfo]:
    """Her own reports, newest first. Each report's tag has its own salt, so every tag is
    computed and compared (a keyed hash is cheap: about a microsecond a report)."""
    async with db.transaction() as session:
        tags = (
            await session.execute(select(Report.id, Report.reporter_tag, Report.reporter_salt))
        ).all()
        hers = [i for i, tag, salt in tags if tag in _reporter_tags(db, salt, user_id)]
        if not hers:
            return []
        rows = await session.scalars(
            select(Report).where(Report.id.in_(hers)).order_by(Report.id.desc())
        )
        return [_info(db, r) for r in rows]


def read_attachment(db: Database, files_dir: Path, attachment: AttachmentInfo) -> bytes:
    """The original bytes of a stored file (decrypted). Blocking: call via asyncio.to_thread."""
    return db.cipher.decrypt_bytes((files_dir / attachment.path).read_bytes())
