"""What the coordinators' desk does with reports: lists and counts, status changes, taking a
report, thread messages (replies, notes, her additions), views in the audit log, and the
48-hour reminder of reports still new. Reading and filing are in db/reports.py."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, func, select, update

from db.audit import add_audit
from db.engine import Database
from db.models import Report, ReportMessage
from db.outbox import Outgoing, enqueue
from db.reports import ReportInfo, _info, _with_event


async def new_before(
    db: Database, cutoff: datetime, *, regions: Iterable[str] | None = None
) -> list[ReportInfo]:
    """Reports still new that arrived before `cutoff` (raised or not), oldest first."""
    conditions = [Report.status == "new", Report.created_at <= cutoff]
    if regions is not None:
        conditions.append(Report.region.in_(list(regions)))
    async with db.transaction() as session:
        rows = await session.scalars(select(Report).where(*conditions).order_by(Report.id))
        return [_info(db, r) for r in rows]


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
        return [_info(db, r) for r in rows], int(total or 0)


def _conditions(
    status: str | None, regions: Iterable[str] | None, category: str | None
) -> list[ColumnElement[bool]]:
    """Reports of this status, these regions, this category (each unless None)."""
    conditions: list[ColumnElement[bool]] = []
    if status is not None:
        conditions.append(Report.status == status)
    if regions is not None:
        conditions.append(Report.region.in_(list(regions)))
    if category is not None:
        conditions.append(Report.category == category)
    return conditions


async def set_status(
    db: Database,
    report_id: int,
    status: str,
    *,
    actor_id: int | None,
    only_from: Collection[str] | None = None,
    outbox: Callable[[int | None], Sequence[Outgoing]] | Sequence[Outgoing] = (),
    reply: str | None = None,
) -> str | None:
    """Move a report to `status` if it is now in one of `only_from` (checked and changed in
    one transaction, so two coordinators cannot both move it); returns the previous status, or
    None if it was not moved. The rules of which moves are allowed are the caller's
    (bot/services/reports.py); without `only_from` any move is made. `reply`: what the
    reporter is told with it (a reason in the coordinator's words), kept in the thread as a
    reply to her; `outbox` may be a function of that message's id (None without `reply`)."""
    async with db.transaction() as session:
        row = await session.get(Report, report_id)
        if row is None or (only_from is not None and row.status not in only_from):
            return None
        previous = row.status
        row.status = status
        row.history_enc = _with_event(db, row, status)
        row.updated_at = db.day()
        message_id = None
        if reply is not None:
            message = ReportMessage(
                report_id=report_id,
                at=row.updated_at,
                author="coordinator",
                author_enc=db.cipher.encrypt(str(actor_id)),
                text_enc=db.cipher.encrypt(reply),
            )
            session.add(message)
            await session.flush()
            message_id = message.id
            add_audit(session, "report.replied", actor_id=actor_id, target_id=report_id)
        if row.assigned_enc is None and actor_id is not None:  # not when she withdraws it
            row.assigned_enc = db.cipher.encrypt(str(actor_id))
        add_audit(
            session,
            "report.status",
            actor_id=actor_id,
            target_id=report_id,
            before=previous,
            after=status,
        )
        await enqueue(session, db.cipher, outbox(message_id) if callable(outbox) else outbox)
        return previous


async def assign(db: Database, report_id: int, *, actor_id: int) -> bool:
    async with db.transaction() as session:
        row = await session.get(Report, report_id)
        if row is None:
            return False
        row.assigned_enc = db.cipher.encrypt(str(actor_id))
        row.updated_at = db.day()
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
    file: tuple[str, str] | None = None,
) -> int:
    """A line in the thread: the reporter's addition, a reply to her, or an internal note;
    returns its id. `outbox`: the messages that tell of it (or a function of its id), written
    in the same transaction. `file`: (kind, Telegram file_id) of a photo or document that goes
    with a reply."""
    async with db.transaction() as session:
        day = db.day()
        message = ReportMessage(
            report_id=report_id,
            at=day,
            author=author,
            author_enc=(
                db.cipher.encrypt(str(author_id))
                if author != "reporter" and author_id is not None
                else None
            ),
            text_enc=db.cipher.encrypt(text),
            file_kind=file[0] if file else None,
            file_id_enc=db.cipher.encrypt(file[1]) if file else None,
        )
        session.add(message)
        await session.flush()
        await enqueue(session, db.cipher, outbox(message.id) if callable(outbox) else outbox)
        await session.execute(update(Report).where(Report.id == report_id).values(updated_at=day))
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
        return [_info(db, r) for r in rows]


async def mark_raised(db: Database, report_ids: Iterable[int], now: datetime | None = None) -> None:
    ids = list(report_ids)
    if not ids:
        return
    async with db.transaction() as session:
        await session.execute(
            update(Report).where(Report.id.in_(ids)).values(raised_at=db.day(now))
        )


async def count_by_status(
    db: Database, *, regions: Iterable[str] | None = None, category: str | None = None
) -> dict[str, int]:
    """How many reports are in each status (statuses with none are absent)."""
    conditions = _conditions(None, regions, category)
    async with db.transaction() as session:
        rows = await session.execute(
            select(Report.status, func.count(Report.id)).where(*conditions).group_by(Report.status)
        )
        return {status: int(count) for status, count in rows.all()}
