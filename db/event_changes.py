"""What organisers do after announcing an event (edit it, call it off, write to those going),
its reminders and its outcome. Each change takes its messages in the same transaction."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select

from db.audit import add_audit
from db.engine import Database
from db.event_answers import _answered, _promote
from db.events import (
    CANCELLED,
    PUBLISHED,
    EventInfo,
    SeatRule,
    Tell,
    UpdateInfo,
    _counts,
    _geo_text,
    _info,
    _lock,
)
from db.models import Event, EventUpdate
from db.outbox import Outgoing, enqueue
from db.types import Cipher, utcnow


def _set_field(cipher: Cipher, row: Event, name: str, value: Any) -> None:
    if name in ("title", "description"):
        setattr(row, f"{name}_enc", cipher.encrypt(value))
    elif name in ("place", "link"):
        setattr(row, f"{name}_enc", cipher.encrypt_optional(value))
    elif name == "geo":
        row.geo_enc = cipher.encrypt_optional(_geo_text(value))
    else:
        setattr(row, name, value)


async def edit_event(
    db: Database,
    event_id: int,
    changes: dict[str, tuple[Any, Any]],
    *,
    actor_id: int,
    tell: Callable[[int, list[int]], Sequence[Outgoing]],
    seats: SeatRule,
    moved_up: Tell,
) -> bool:
    """Apply `changes` (field: (old, new), JSON-able values with datetimes as ISO text, the
    pin as [lat, lon]); everyone who answered is told (`tell(update_id, people)`), and a
    larger capacity moves people up from the waiting list. False: not a published event."""
    cipher = db.cipher
    async with db.transaction() as session:
        row = await _lock(session, event_id)
        if row is None or row.status != PUBLISHED:
            return False
        for name, (_old, new) in changes.items():
            value: Any = new
            if name == "starts_at":
                value = datetime.fromisoformat(new)
                row.reminded_day_at = row.reminded_soon_at = row.outcome_asked_at = None
            elif name == "geo" and new is not None:
                value = (float(new[0]), float(new[1]))
            _set_field(cipher, row, name, value)
        row.revision += 1
        row.updated_at = utcnow()
        body = EventUpdate(
            event_id=event_id,
            kind="edit",
            body_enc=cipher.encrypt(json.dumps({"changes": changes}, ensure_ascii=False)),
            by_enc=cipher.encrypt(str(actor_id)),
            at=utcnow(),
        )
        session.add(body)
        await session.flush()
        people = await _answered(session, event_id, ("going", "maybe", "no", "waiting"))
        await enqueue(session, cipher, tell(body.id, people))
        await _promote(session, cipher, row, seats, moved_up)
        add_audit(
            session, "event.edited", actor_id=actor_id, target_id=event_id, fields=sorted(changes)
        )
        return True


async def cancel_event(
    db: Database, event_id: int, reason: str, *, actor_id: int, tell: Tell
) -> int | None:
    """Call the event off; everyone who answered is told. Returns how many; None: not a
    published event."""
    async with db.transaction() as session:
        row = await _lock(session, event_id)
        if row is None or row.status != PUBLISHED:
            return None
        row.status = CANCELLED
        row.cancel_reason_enc = db.cipher.encrypt(reason)
        row.updated_at = utcnow()
        row.revision += 1
        people = await _answered(session, event_id, ("going", "maybe", "no", "waiting"))
        count = await enqueue(session, db.cipher, tell(people))
        add_audit(session, "event.cancelled", actor_id=actor_id, target_id=event_id)
        return count


async def message_going(
    db: Database,
    event_id: int,
    text: str,
    *,
    actor_id: int,
    tell: Callable[[int, list[int]], Sequence[Outgoing]],
) -> int | None:
    """A message from the organiser to those going; returns to how many (None: no event)."""
    async with db.transaction() as session:
        row = await session.get(Event, event_id)
        if row is None or row.status != PUBLISHED:
            return None
        body = EventUpdate(
            event_id=event_id,
            kind="message",
            body_enc=db.cipher.encrypt(json.dumps({"text": text}, ensure_ascii=False)),
            by_enc=db.cipher.encrypt(str(actor_id)),
            at=utcnow(),
        )
        session.add(body)
        await session.flush()
        people = await _answered(session, event_id, ("going",))
        count = await enqueue(session, db.cipher, tell(body.id, people))
        add_audit(session, "event.messaged", actor_id=actor_id, target_id=event_id, count=count)
        return count


async def get_update(db: Database, update_id: int) -> UpdateInfo | None:
    async with db.transaction() as session:
        row = await session.get(EventUpdate, update_id)
        if row is None:
            return None
        return UpdateInfo(
            row.id, row.event_id, row.kind, json.loads(db.cipher.decrypt(row.body_enc)), row.at
        )


# -- reminders and outcomes ------------------------------------------------------------------


async def reminder_candidates(db: Database, now: datetime, horizon: datetime) -> list[EventInfo]:
    """Published events that start before `horizon` and still have a reminder to decide on or
    an outcome to ask for."""
    async with db.transaction() as session:
        rows = await session.scalars(
            select(Event)
            .where(
                Event.status == PUBLISHED,
                Event.starts_at <= horizon,
                or_(
                    Event.reminded_day_at.is_(None),
                    Event.reminded_soon_at.is_(None),
                    Event.outcome_asked_at.is_(None),
                ),
            )
            .order_by(Event.starts_at, Event.id)
        )
        return [_info(db.cipher, row) for row in rows]


async def mark_reminders(
    db: Database,
    event_id: int,
    now: datetime,
    *,
    day: bool,
    soon: bool,
    send: str | None,
    tell: Tell,
) -> int:
    """Mark reminders done and, in the same transaction, enqueue the one to send (`send`) to
    Going and Maybe. A reminder already marked (another run, before a restart) is not sent
    again. Returns how many messages were enqueued."""
    async with db.transaction() as session:
        row = await _lock(session, event_id)
        if row is None or row.status != PUBLISHED:
            return 0
        if send == "day" and row.reminded_day_at is not None:
            send = None
        if send == "soon" and row.reminded_soon_at is not None:
            send = None
        if day and row.reminded_day_at is None:
            row.reminded_day_at = now
        if soon and row.reminded_soon_at is None:
            row.reminded_soon_at = now
        if send is None:
            return 0
        return await enqueue(
            session, db.cipher, tell(await _answered(session, event_id, ("going", "maybe")))
        )


async def mark_outcome_asked(db: Database, event_id: int, now: datetime, *, tell: Tell) -> bool:
    """Ask the organiser for the outcome, once (False: asked before)."""
    async with db.transaction() as session:
        row = await _lock(session, event_id)
        if row is None or row.outcome_asked_at is not None:
            return False
        row.outcome_asked_at = now
        await enqueue(session, db.cipher, tell([int(db.cipher.decrypt(row.organiser_enc))]))
        return True


async def save_outcome(
    db: Database, event_id: int, *, women: int, men: int, total: int, notes: str, actor_id: int
) -> bool:
    async with db.transaction() as session:
        row = await session.get(Event, event_id)
        if row is None:
            return False
        row.women, row.men, row.participants = women, men, total
        row.outcome_enc = db.cipher.encrypt(notes)
        row.outcome_by_enc = db.cipher.encrypt(str(actor_id))
        row.outcome_at = utcnow()
        row.outcome_asked_at = row.outcome_asked_at or row.outcome_at
        add_audit(session, "event.outcome", actor_id=actor_id, target_id=event_id)
        return True


async def events_between(
    db: Database, start: datetime, end: datetime, *, region: str | None = None
) -> list[EventInfo]:
    """Events (held or called off) that started in [start, end), oldest first, with their
    answers counted; `region`: one region's, "country" for the whole country's, None: all."""
    stmt = select(Event).where(Event.starts_at >= start, Event.starts_at < end)
    if region == "country":
        stmt = stmt.where(Event.region.is_(None))
    elif region is not None:
        stmt = stmt.where(Event.region == region)
    async with db.transaction() as session:
        rows = list(await session.scalars(stmt.order_by(Event.starts_at, Event.id)))
        return [_info(db.cipher, row, await _counts(session, row.id)) for row in rows]
