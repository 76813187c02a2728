"""Announcements to members (/broadcast). The text is encrypted; the audience is kept as codes
(regions, roles, interests, a language), which name nobody.

An announcement's life: draft (previewed, not sent) → scheduled (a moment in the future) →
sending (its messages are an outbox batch) → done, or cancelled at any point before done.
Going from draft or scheduled to sending happens in one transaction with writing its messages
into the outbox, so it is started once and only once, whoever (a coordinator's tap, the
scheduler after a restart) gets there first.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update

from db.audit import add_audit
from db.engine import Database
from db.models import Announcement, DeliveryBatch, Member, User
from db.outbox import Outgoing, batch_counts, cancel_rows, enqueue, new_batch
from db.types import utcnow

DRAFT, SCHEDULED, SENDING, DONE, CANCELLED = "draft", "scheduled", "sending", "done", "cancelled"
BATCH_KIND = "announcement"  # the outbox batch of an announcement's messages


@dataclass(frozen=True, slots=True)
class AnnouncementInfo:
    id: int
    author_id: int
    status: str
    audience: dict[str, Any]
    content: dict[str, Any]
    created_at: datetime
    scheduled_for: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    recipients: int
    batch_id: int | None
    status_message_id: int | None


@dataclass(frozen=True, slots=True)
class AudienceMember:
    """An approved member who wants announcements: what the audience rules look at."""

    user_id: int
    region: str
    interests: tuple[str, ...]
    language: str | None
    telegram_language: str | None


def _info(db: Database, row: Announcement) -> AnnouncementInfo:
    return AnnouncementInfo(
        id=row.id,
        author_id=int(db.cipher.decrypt(row.author_enc)),
        status=row.status,
        audience=json.loads(row.audience),
        content=json.loads(db.cipher.decrypt(row.content_enc)),
        created_at=row.created_at,
        scheduled_for=row.scheduled_for,
        started_at=row.started_at,
        finished_at=row.finished_at,
        recipients=row.recipients,
        batch_id=row.batch_id,
        status_message_id=row.status_message_id,
    )


def _author(user_id: int) -> str:
    return f"announcement.author:{user_id}"


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


async def save_draft(
    db: Database,
    author_id: int,
    audience: dict[str, Any],
    content: dict[str, Any],
    *,
    replacing: int | None = None,
) -> int:
    """Keep a composed announcement as a draft (to preview, then send or schedule); `replacing`:
    her earlier draft of it, changed. Returns its id."""
    async with db.transaction() as session:
        row = await session.get(Announcement, replacing) if replacing is not None else None
        if (
            row is None
            or row.author_tag not in db.cipher.tags(_author(author_id))
            or row.status != DRAFT
        ):
            row = Announcement(
                author_enc=db.cipher.encrypt(str(author_id)),
                author_tag=db.cipher.tag(_author(author_id)),
                status=DRAFT,
                recipients=0,
            )
            session.add(row)
        row.created_at = utcnow()
        row.audience = _json(audience)
        row.content_enc = db.cipher.encrypt(_json(content))
        await session.flush()
        return row.id


async def get_announcement(db: Database, announcement_id: int) -> AnnouncementInfo | None:
    async with db.transaction() as session:
        row = await session.get(Announcement, announcement_id)
        return _info(db, row) if row is not None else None


CONTENT_CACHE = 32  # announcements whose content is kept in memory while they are sent


async def content_of(db: Database, announcement_id: int) -> dict[str, Any] | None:
    """What it says; kept in memory once it has left the drafts (it never changes after), so
    that 10,000 messages do not decrypt it 10,000 times."""
    cache: dict[int, dict[str, Any]] = db.memo.setdefault("announcement_content", {})
    if announcement_id in cache:
        return cache[announcement_id]
    async with db.transaction() as session:
        row = await session.get(Announcement, announcement_id)
        if row is None:
            return None
        content: dict[str, Any] = json.loads(db.cipher.decrypt(row.content_enc))
        if row.status != DRAFT:
            if len(cache) >= CONTENT_CACHE:
                cache.clear()
            cache[announcement_id] = content
        return content


async def discard_draft(db: Database, announcement_id: int) -> bool:
    """Delete a draft (never one that was scheduled or sent)."""
    async with db.transaction() as session:
        result = await session.execute(
            delete(Announcement).where(
                Announcement.id == announcement_id, Announcement.status == DRAFT
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


async def schedule(
    db: Database, announcement_id: int, when: datetime, *, actor_id: int, status_message_id: int
) -> bool:
    """A draft (or a scheduled one, moved) goes at `when`; False if it has started or gone."""
    async with db.transaction() as session:
        result = await session.execute(
            update(Announcement)
            .where(
                Announcement.id == announcement_id,
                Announcement.status.in_((DRAFT, SCHEDULED)),
            )
            .values(status=SCHEDULED, scheduled_for=when, status_message_id=status_message_id)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            return False
        add_audit(
            session,
            "announcement.scheduled",
            actor_id=actor_id,
            announcement=announcement_id,
            at=when.isoformat(),
        )
        return True


async def start(
    db: Database,
    announcement_id: int,
    messages: Sequence[Outgoing],
    *,
    actor_id: int,
    status_message_id: int | None = None,
) -> int | None:
    """Mark it as sending and write its messages into the outbox (one batch), in one
    transaction: started once, whoever asks first. Returns the batch id, or None if it was not
    a draft or scheduled any more (already started, cancelled, discarded)."""
    async with db.transaction() as session:
        values: dict[str, Any] = {"status": SENDING, "started_at": utcnow()}
        if status_message_id is not None:
            values["status_message_id"] = status_message_id
        claimed = await session.execute(
            update(Announcement)
            .where(
                Announcement.id == announcement_id,
                Announcement.status.in_((DRAFT, SCHEDULED)),
            )
            .values(**values)
        )
        if not claimed.rowcount:  # type: ignore[attr-defined]
            return None
        batch_id = await new_batch(
            session, db.cipher, BATCH_KIND, {"announcement": announcement_id}
        )
        count = await enqueue(session, db.cipher, messages, batch_id=batch_id)
        await session.execute(
            update(Announcement)
            .where(Announcement.id == announcement_id)
            .values(batch_id=batch_id, recipients=count)
        )
        add_audit(
            session,
            "announcement.sent",
            actor_id=actor_id,
            announcement=announcement_id,
            recipients=count,
        )
        return batch_id


async def due(db: Database, now: datetime | None = None) -> list[AnnouncementInfo]:
    """Scheduled announcements whose moment has come, oldest first."""
    async with db.transaction() as session:
        rows = await session.scalars(
            select(Announcement)
            .where(
                Announcement.status == SCHEDULED,
                Announcement.scheduled_for <= (now or utcnow()),
            )
            .order_by(Announcement.scheduled_for, Announcement.id)
        )
        return [_info(db, row) for row in rows]


async def cancel(db: Database, announcement_id: int, *, actor_id: int) -> str | None:
    """Stop it: a scheduled one never goes; of one being sent, what has not gone yet never
    will (what is on its way still arrives). Returns the status it had, or None if there was
    nothing to cancel (a draft, done, already cancelled)."""
    async with db.transaction() as session:
        row = await session.get(Announcement, announcement_id)
        if row is None or row.status not in (SCHEDULED, SENDING):
            return None
        before = row.status
        row.status = CANCELLED
        if before == SCHEDULED:
            row.finished_at = utcnow()
        elif row.batch_id is not None:
            await cancel_rows(session, row.batch_id)
        add_audit(session, "announcement.cancelled", actor_id=actor_id, announcement=row.id)
        return before


async def finish(db: Database, announcement_id: int) -> AnnouncementInfo | None:
    """Its batch is done: done (or cancelled, if it was), with the time."""
    async with db.transaction() as session:
        row = await session.get(Announcement, announcement_id)
        if row is None:
            return None
        if row.status == SENDING:
            row.status = DONE
        if row.finished_at is None:
            row.finished_at = utcnow()
        return _info(db, row)


async def unfinished(db: Database) -> list[int]:
    """Announcements still marked as sending whose batch is no longer running (the process
    stopped between the two): to be finished."""
    async with db.transaction() as session:
        rows = await session.scalars(
            select(Announcement.id)
            .outerjoin(DeliveryBatch, DeliveryBatch.id == Announcement.batch_id)
            .where(
                Announcement.status.in_((SENDING, CANCELLED)),
                Announcement.finished_at.is_(None),
                (DeliveryBatch.id.is_(None)) | (DeliveryBatch.status != "running"),
            )
        )
        return list(rows)


async def figures(db: Database, batch_id: int) -> dict[str, int]:
    """How its messages went: counted while it runs, kept when it is done."""
    async with db.transaction() as session:
        batch = await session.get(DeliveryBatch, batch_id)
        if batch is None:
            return {}
        if batch.status == "running":
            return await batch_counts(session, batch_id)
        return {
            "sent": batch.sent,
            "blocked": batch.blocked,
            "failed": batch.failed,
            "cancelled": batch.cancelled,
        }


async def list_announcements(
    db: Database, *, author_id: int | None = None, offset: int = 0, limit: int = 10
) -> tuple[list[AnnouncementInfo], int]:
    """Announcements scheduled, being sent or past (not drafts), newest first; `author_id`:
    hers only. Returns a page and the total."""
    where = [Announcement.status != DRAFT]
    if author_id is not None:
        where.append(Announcement.author_tag.in_(db.cipher.tags(_author(author_id))))
    async with db.transaction() as session:
        total = await session.scalar(select(func.count(Announcement.id)).where(*where))
        rows = await session.scalars(
            select(Announcement)
            .where(*where)
            .order_by(Announcement.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return [_info(db, row) for row in rows], int(total or 0)


async def audience_members(
    db: Database, *, regions: Iterable[str] | None = None
) -> list[AudienceMember]:
    """Approved members who have not turned announcements off (of some regions), by id. Nothing
    is decrypted: a 10,000-member community is one quick query."""
    stmt = (
        select(
            Member.user_id,
            Member.region,
            Member.interests,
            User.language,
            User.telegram_language,
        )
        .join(User, User.id == Member.user_id)
        .where(Member.status == "approved", Member.notify_announcements.is_(True))
        .order_by(Member.user_id)
    )
    if regions is not None:
        stmt = stmt.where(Member.region.in_(list(regions)))
    async with db.transaction() as session:
        rows = (await session.execute(stmt)).all()
    return [
        AudienceMember(
            user_id=user_id,
            region=region,
            interests=tuple(i for i in interests.split(",") if i),
            language=language,
            telegram_language=telegram_language,
        )
        for user_id, region, interests, language, telegram_language in rows
    ]


async def purge_drafts(db: Database, before: datetime) -> int:
    """Drafts previewed but never sent nor scheduled, older than `before`, are deleted."""
    async with db.transaction() as session:
        result = await session.execute(
            delete(Announcement).where(
                Announcement.status == DRAFT, Announcement.created_at < before
            )
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
