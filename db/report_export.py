"""Reports read for an export: every report that matches, with its files and thread, in a few
statements whatever their number, and decrypted later, off the event loop.

`stream_reports` reads three statements (the files, the thread messages, then the reports,
streamed a partition at a time) and decrypts nothing: the rows stay sealed (`SealedReport`).
`open_sealed` decrypts one (CPU only, no database), so an export calls it from a worker thread
while everyone else is answered. What it gives is what `db.reports.get_report` and
`db.reports.reporter_of` give for that report.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select

from db.engine import Database
from db.models import Report, ReportAttachment, ReportMessage
from db.report_desk import _conditions
from db.reports import Reporter, ReportInfo, _attachment, _history, _info, _message, _reporter


@dataclass(frozen=True, slots=True)
class SealedReport:
    """A report as stored (rows of its columns), its sensitive fields still encrypted."""

    row: Any
    files: tuple[Any, ...]
    messages: tuple[Any, ...]


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
    `partition` at a time as they are read. Iterate to the end, or close it
    (contextlib.aclosing): it holds a read transaction until then, so make no other query of
    the database meanwhile."""
    conditions = _conditions(status, regions, category)
    matching = select(Report.id).where(*conditions)
    files: dict[int, list[Any]] = {}
    thread: dict[int, list[Any]] = {}
    async with db.transaction() as session:
        # Rows, not ORM objects: thousands of reports are read, none is changed.
        for row in await session.execute(
            select(*ReportAttachment.__table__.columns)
            .where(ReportAttachment.report_id.in_(matching))
            .order_by(ReportAttachment.id)
        ):
            files.setdefault(row.report_id, []).append(row)
        for row in await session.execute(
            select(*ReportMessage.__table__.columns)
            .where(ReportMessage.report_id.in_(matching))
            .order_by(ReportMessage.id)
        ):
            thread.setdefault(row.report_id, []).append(row)
        result = await session.stream(
            select(*Report.__table__.columns).where(*conditions).order_by(Report.id.desc())
        )
        async for rows in result.partitions(partition):
            yield [
                SealedReport(row, tuple(files.pop(row.id, ())), tuple(thread.pop(row.id, ())))
                for row in rows
            ]


def open_sealed(db: Database, sealed: SealedReport) -> tuple[ReportInfo, Reporter | None]:
    """A sealed report decrypted: everything, and the reporter unless she asked to stay
    anonymous. No database (its cipher only): an export calls it from a worker thread."""
    cipher = db.cipher
    row = sealed.row
    report = replace(
        _info(db, row),
        text=cipher.decrypt(row.text_enc),
        place=cipher.decrypt_optional(row.place_enc),
        history=_history(db, row),
        attachments=tuple(_attachment(db, f) for f in sealed.files),
        thread=tuple(_message(db, m) for m in sealed.messages),
    )
    return report, None if report.anonymous else _reporter(db, row.reporter_enc)
