"""Incident reports, their attachments and threads. Plain data in, plain data out; everything
sensitive is encrypted with db.cipher before it is stored, and files are encrypted on disk."""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
from collections.abc import AsyncGenerator, Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, func, select, update

from db.audit import add_audit
from db.engine import Database
from db.models import Report, ReportAttachment, ReportMessage
from db.outbox import Outgoing, enqueue
from db.types import Cipher, utcnow


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


@dataclass(frozen=True, slots=True)
class ThreadMessage:
    at: datetime
    author: str  # reporter, coordinator or note
    author_id: int | None
    text: str


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


def reference(year: int, number: int) -> str:
    """R-2026-0042: the year and the report's number within it."""
    return f"R-{year}-{number:04d}"


def _info(row: Any) -> ReportInfo:
    """A Report, or a row with its columns."""
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
        assigned_to=row.assigned_to,
        reporter_lang=row.reporter_lang,
    )


def _write_encrypted(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_bytes(data)
    path.chmod(0o600)


async def _store_files(
    db: Database, files_dir: Path, report_key: str, files: Iterable[FileIn]
) -> list[ReportAttachment]:
    """Hash each file as received (evidence of integrity), then keep it encrypted on disk."""
    rows = []
    now = utcnow()
    for item in files:
        relative = Path("attachments") / report_key / f"{secrets.token_hex(8)}.bin"
        encrypted = db.cipher.encrypt_bytes(item.data)
        await asyncio.to_thread(_write_encrypted, files_dir / relative, encrypted)
        rows.append(
            ReportAttachment(
                added_at=now,
                kind=item.kind,
                file_id_enc=db.cipher.encrypt(item.file_id),
                file_name_enc=db.cipher.encrypt_optional(item.file_name),
                mime_type=(item.mime_type or "")[:128] or None,  # the column's limit
                size=len(item.data),
                sha256=hashlib.sha256(item.data).hexdigest(),
                path=str(relative),
            )
        )
    return rows


async def create_report(
    db: Database,
    draft: ReportDraft,
    reporter: Reporter,
    *,
    lang: str,
    files_dir: Path,
    announce: Callable[[int], Sequence[Outgoing]] | None = None,
) -> ReportInfo:
    """Store a report with its files; it gets the next reference of the year. `announce(id)`:
    the messages that tell of it, written to the outbox in the same transaction."""
    cipher = db.cipher
    attachments = await _store_files(db, files_dir, secrets.token_hex(8), draft.files)
    now = utcnow()
    async with db.transaction() as session:
        year_start = now.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
        count = await session.scalar(
            select(func.count(Report.id)).where(Report.created_at >= year_start)
        )
        row = Report(
            ref=reference(now.year, (count or 0) + 1),
            created_at=now,
            updated_at=now,
            category=draft.category,
            region=draft.region,
            occurred=draft.occurred,
            danger=draft.danger,
            anonymous=draft.anonymous,
            text_enc=cipher.encrypt(draft.text),
            place_enc=cipher.encrypt_optional(draft.place),
            reporter_enc=cipher.encrypt(
                json.dumps(
                    {
                        "user_id": reporter.user_id,
                        "name": reporter.name,
                        "username": reporter.username,
                        "phone": reporter.phone,
                    }
                )
            ),
            reporter_tag=cipher.tag(str(reporter.user_id)),
            reporter_lang=lang,
            status="new",
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
        return _info(row)


async def add_files(
    db: Database,
    report_id: int,
    files: Iterable[FileIn],
    *,
    files_dir: Path,
    outbox: Sequence[Outgoing] = (),
) -> int:
    attachments = await _store_files(db, files_dir, f"r{report_id}", files)
    async with db.transaction() as session:
        await enqueue(session, db.cipher, outbox)
        for attachment in attachments:
            attachment.report_id = report_id
            session.add(attachment)
        await session.execute(
            update(Report).where(Report.id == report_id).values(updated_at=utcnow())
        )
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
            _info(row),
            text=cipher.decrypt(row.text_enc),
            place=cipher.decrypt_optional(row.place_enc),
            attachments=tuple(
                AttachmentInfo(
                    id=f.id,
                    kind=f.kind,
                    file_id=cipher.decrypt(f.file_id_enc),
                    file_name=cipher.decrypt_optional(f.file_name_enc),
                    mime_type=f.mime_type,
                    size=f.size,
                    sha256=f.sha256,
                    path=f.path,
                )
                for f in files
            ),
            thread=tuple(
                ThreadMessage(m.at, m.author, m.author_id, cipher.decrypt(m.text_enc))
                for m in messages
            ),
        )


async def thread_message(db: Database, message_id: int) -> ThreadMessage | None:
    """One message of a report's thread, decrypted (to relay it when it is sent)."""
    async with db.transaction() as session:
        row = await session.get(ReportMessage, message_id)
        if row is None:
            return None
        return ThreadMessage(row.at, row.author, row.author_id, db.cipher.decrypt(row.text_enc))


async def reporter_of(db: Database, report_id: int) -> Reporter | None:
    """Who filed it: for relaying messages to her, and for coordinators only when she agreed."""
    async with db.transaction() as session:
        row = await session.get(Report, report_id)
        if row is None:
            return None
        data = json.loads(db.cipher.decrypt(row.reporter_enc))
        return Reporter(data["user_id"], data["name"], data.get("username"), data.get("phone"))


async def is_reporter(db: Database, report_id: int, user_id: int) -> bool:
    async with db.transaction() as session:
        tag = await session.scalar(select(Report.reporter_tag).where(Report.id == report_id))
    return tag is not None and tag == db.cipher.tag(str(user_id))


async def reports_of(db: Database, user_id: int) -> list[ReportInfo]:
    """Her own reports, newest first."""
    async with db.transaction() as session:
        rows = await session.scalars(
            select(Report)
            .where(Report.reporter_tag == db.cipher.tag(str(user_id)))
            .order_by(Report.id.desc())
        )
        return [_info(r) for r in rows]


async def list_reports(
    db: Database,
    *,
    status: str | None = None,
    regions: Iterable[str] | None = None,
    category: str | None = None,
    offset: int = 0,
    limit: int = 10,
) -> tuple[list[ReportInfo], int]:
    """A page of reports (newest first) and how many match in all."""
    conditions = _conditions(status, regions, category)
    async with db.transaction() as session:
        total = await session.scalar(select(func.count(Report.id)).where(*conditions))
        rows = await session.scalars(
            select(Report).where(*conditions).order_by(Report.id.desc()).offset(offset).limit(limit)
        )
        return [_info(r) for r in rows], int(total or 0)


@dataclass(frozen=True, slots=True)
class SealedReport:
    """A report as stored, its sensitive fields still encrypted: what an export reads from the
    database in a few statements, to decrypt later, off the event loop (`open_sealed`)."""

    info: ReportInfo
    text_enc: str
    place_enc: str | None
    reporter_enc: str
    attachments: tuple[tuple[int, str, str, str | None, str | None, int, str, str], ...]
    thread: tuple[tuple[datetime, str, int | None, str], ...]


def _conditions(
    status: str | None, regions: Iterable[str] | None, category: str | None
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if status is not None:
        conditions.append(Report.status == status)
    if regions is not None:
        conditions.append(Report.region.in_(list(regions)))
    if category is not None:
        conditions.append(Report.category == category)
    return conditions


EXPORT_PARTITION = 500  # reports handed over at a time


async def stream_reports(
    db: Database,
    *,
    status: str | None = None,
    regions: Iterable[str] | None = None,
    category: str | None = None,
    partition: int = EXPORT_PARTITION,
) -> AsyncGenerator[list[SealedReport], None]:
    """Every report that matches (newest first), with its files and thread, still encrypted,
    `partition` at a time as they are read: three statements whatever their number (their
    files, their threads, the reports). Nothing is decrypted here: that is CPU work for a
    worker thread (`open_sealed`), done while the next ones are read. Iterate to the end, or
    close it (contextlib.aclosing): it holds a read transaction until then."""
    conditions = _conditions(status, regions, category)
    matching = select(Report.id).where(*conditions)
    files: dict[int, list[tuple[int, str, str, str | None, str | None, int, str, str]]] = {}
    thread: dict[int, list[tuple[datetime, str, int | None, str]]] = {}
    async with db.transaction() as session:
        for a in await session.execute(
            select(
                ReportAttachment.report_id,
                ReportAttachment.id,
                ReportAttachment.kind,
                ReportAttachment.file_id_enc,
                ReportAttachment.file_name_enc,
                ReportAttachment.mime_type,
                ReportAttachment.size,
                ReportAttachment.sha256,
                ReportAttachment.path,
            )
            .where(ReportAttachment.report_id.in_(matching))
            .order_by(ReportAttachment.id)
        ):
            files.setdefault(a[0], []).append(tuple(a[1:]))  # type: ignore[arg-type]
        for m in await session.execute(
            select(
                ReportMessage.report_id,
                ReportMessage.at,
                ReportMessage.author,
                ReportMessage.author_id,
                ReportMessage.text_enc,
            )
            .where(ReportMessage.report_id.in_(matching))
            .order_by(ReportMessage.id)
        ):
            thread.setdefault(m[0], []).append(tuple(m[1:]))  # type: ignore[arg-type]
        # Rows, not ORM objects: thousands of reports are read, none is changed.
        result = await session.stream(
            select(*Report.__table__.columns).where(*conditions).order_by(Report.id.desc())
        )
        async for rows in result.partitions(partition):
            yield [
                SealedReport(
                    info=_info(row),
                    text_enc=row.text_enc,
                    place_enc=row.place_enc,
                    reporter_enc=row.reporter_enc,
                    attachments=tuple(files.pop(row.id, ())),
                    thread=tuple(thread.pop(row.id, ())),
                )
                for row in rows
            ]


def open_sealed(cipher: Cipher, sealed: SealedReport) -> tuple[ReportInfo, Reporter | None]:
    """A sealed report decrypted: everything, and the reporter unless she asked to stay
    anonymous. No database; CPU only, so an export calls it from a worker thread."""
    reporter = None
    if not sealed.info.anonymous:
        data = json.loads(cipher.decrypt(sealed.reporter_enc))
        reporter = Reporter(data["user_id"], data["name"], data.get("username"), data.get("phone"))
    report = replace(
        sealed.info,
        text=cipher.decrypt(sealed.text_enc),
        place=cipher.decrypt_optional(sealed.place_enc),
        attachments=tuple(
            AttachmentInfo(
                id=a_id,
                kind=kind,
                file_id=cipher.decrypt(file_id),
                file_name=cipher.decrypt_optional(file_name),
                mime_type=mime,
                size=size,
                sha256=sha,
                path=path,
            )
            for a_id, kind, file_id, file_name, mime, size, sha, path in sealed.attachments
        ),
        thread=tuple(
            ThreadMessage(at, author, author_id, cipher.decrypt(text))
            for at, author, author_id, text in sealed.thread
        ),
    )
    return report, reporter


async def set_status(
    db: Database,
    report_id: int,
    status: str,
    *,
    actor_id: int,
    only_from: Collection[str] | None = None,
    outbox: Sequence[Outgoing] = (),
) -> str | None:
    """Move a report to `status` if it is now in one of `only_from` (checked and changed in
    one transaction, so two coordinators cannot both move it); returns the previous status, or
    None if it was not moved. The rules of which moves are allowed are the caller's
    (bot/services/reports.py); without `only_from` any move is made."""
    async with db.transaction() as session:
        row = await session.get(Report, report_id)
        if row is None or (only_from is not None and row.status not in only_from):
            return None
        previous = row.status
        row.status = status
        row.updated_at = utcnow()
        if row.assigned_to is None:
            row.assigned_to = actor_id
        add_audit(
            session,
            "report.status",
            actor_id=actor_id,
            target_id=report_id,
            before=previous,
            after=status,
        )
        await enqueue(session, db.cipher, outbox)
        return previous


async def assign(db: Database, report_id: int, *, actor_id: int) -> bool:
    async with db.transaction() as session:
        row = await session.get(Report, report_id)
        if row is None:
            return False
        row.assigned_to = actor_id
        row.updated_at = utcnow()
        add_audit(session, "report.taken", actor_id=actor_id, target_id=report_id)
        return True


async def add_message(
    db: Database,
    report_id: int,
    *,
    author: str,
    text: str,
    author_id: int | None = None,
    outbox: Callable[[int], Sequence[Outgoing]] | Sequence[Outgoing] = (),
) -> int:
    """A line in the thread: the reporter's addition, a reply to her, or an internal note;
    returns its id. `outbox`: the messages that tell of it (or a function of its id), written
    in the same transaction."""
    async with db.transaction() as session:
        message = ReportMessage(
            report_id=report_id,
            at=utcnow(),
            author=author,
            author_id=author_id if author != "reporter" else None,
            text_enc=db.cipher.encrypt(text),
        )
        session.add(message)
        await session.flush()
        await enqueue(session, db.cipher, outbox(message.id) if callable(outbox) else outbox)
        await session.execute(
            update(Report).where(Report.id == report_id).values(updated_at=utcnow())
        )
        if author != "reporter":
            action = "report.replied" if author == "coordinator" else "report.noted"
            add_audit(session, action, actor_id=author_id, target_id=report_id)
        return message.id


async def record_view(db: Database, report_id: int, *, actor_id: int, what: str = "card") -> None:
    async with db.transaction() as session:
        add_audit(session, "report.viewed", actor_id=actor_id, target_id=report_id, what=what)


async def still_new(db: Database, cutoff: datetime) -> list[ReportInfo]:
    """Reports still new that arrived before `cutoff` and were not raised since then."""
    async with db.transaction() as session:
        rows = await session.scalars(
            select(Report).where(
                Report.status == "new",
                Report.created_at <= cutoff,
                (Report.raised_at.is_(None)) | (Report.raised_at <= cutoff),
            )
        )
        return [_info(r) for r in rows]


async def mark_raised(db: Database, report_ids: Iterable[int], now: datetime | None = None) -> None:
    ids = list(report_ids)
    if not ids:
        return
    async with db.transaction() as session:
        await session.execute(
            update(Report).where(Report.id.in_(ids)).values(raised_at=now or utcnow())
        )


def read_attachment(db: Database, files_dir: Path, attachment: AttachmentInfo) -> bytes:
    """The original bytes of a stored file (decrypted). Blocking: call via asyncio.to_thread."""
    return db.cipher.decrypt_bytes((files_dir / attachment.path).read_bytes())


async def count_by_status(
    db: Database, *, regions: Iterable[str] | None = None, category: str | None = None
) -> dict[str, int]:
    """How many reports are in each status (statuses with none are absent)."""
    conditions: list[ColumnElement[bool]] = []
    if regions is not None:
        conditions.append(Report.region.in_(list(regions)))
    if category is not None:
        conditions.append(Report.category == category)
    async with db.transaction() as session:
        rows = await session.execute(
            select(Report.status, func.count(Report.id)).where(*conditions).group_by(Report.status)
        )
        return {status: int(count) for status, count in rows.all()}
