"""Events, the members' answers, and what organisers told them. The organiser's words (title,
description, place, pin, link), a cancellation's reason, the outcome's notes and every update
are encrypted at rest (db.cipher).

Every change that tells people something takes the messages in the same transaction (the
callers pass a function that makes them once the ids are known), so that a change is never
kept without its notices, nor a notice sent for a change that was not kept.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, Protocol

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.audit import add_audit
from db.engine import Database
from db.models import Event, EventAnswer, EventUpdate, Member
from db.outbox import Outgoing, enqueue, new_batch
from db.types import Cipher, utcnow

PUBLISHED, CANCELLED = "published", "cancelled"


@dataclass(frozen=True, slots=True)
class EventDraft:
    """What the announcing form gathers."""

    title: str
    description: str
    kind: str
    starts_at: datetime
    region: str | None  # None: the whole country
    duration: int | None = None  # minutes
    place: str | None = None
    geo: tuple[float, float] | None = None  # latitude, longitude of a pin
    link: str | None = None
    capacity: int | None = None


@dataclass(frozen=True, slots=True)
class EventInfo:
    id: int
    organiser_id: int
    region: str | None
    kind: str
    title: str
    description: str
    place: str | None
    geo: tuple[float, float] | None
    link: str | None
    starts_at: datetime
    duration: int | None
    capacity: int | None
    status: str
    cancel_reason: str | None
    created_at: datetime
    revision: int
    reminded_day: bool
    reminded_soon: bool
    outcome_asked: bool
    women: int | None
    men: int | None
    participants: int | None
    outcome: str | None
    outcome_at: datetime | None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def cancelled(self) -> bool:
        return self.status == CANCELLED

    def draft(self) -> EventDraft:
        return EventDraft(
            self.title,
            self.description,
            self.kind,
            self.starts_at,
            self.region,
            self.duration,
            self.place,
            self.geo,
            self.link,
            self.capacity,
        )


@dataclass(frozen=True, slots=True)
class Attendee:
    user_id: int
    answer: str
    name: str | None  # None: not (or no longer) an approved member


@dataclass(frozen=True, slots=True)
class UpdateInfo:
    id: int
    event_id: int
    kind: str
    body: dict[str, Any]
    at: datetime


class SeatRule(Protocol):
    """Who gets a seat (bot/services/events.Seats): db/ keeps the answers, the rule decides."""

    def stored(self, wanted: str, previous: str | None, going: int, capacity: int | None) -> str:
        """What is kept for an answer."""
        ...

    def promoted(self, capacity: int | None, going: int, waiting: Sequence[int]) -> list[int]:
        """Who moves up from the waiting list."""
        ...


@dataclass(frozen=True, slots=True)
class AnswerResult:
    stored: str
    previous: str | None
    promoted: tuple[int, ...]


# Makes the messages of a change once the ids are known.
Tell = Callable[[list[int]], Sequence[Outgoing]]


def _geo_text(geo: tuple[float, float] | None) -> str | None:
    return None if geo is None else f"{geo[0]:.6f},{geo[1]:.6f}"


def _geo(cipher: Cipher, token: str | None) -> tuple[float, float] | None:
    text = cipher.decrypt_optional(token)
    if not text:
        return None
    lat, lon = text.split(",")
    return float(lat), float(lon)


def _info(cipher: Cipher, row: Event, counts: dict[str, int] | None = None) -> EventInfo:
    return EventInfo(
        id=row.id,
        organiser_id=int(cipher.decrypt(row.organiser_enc)),
        region=row.region,
        kind=row.kind,
        title=cipher.decrypt(row.title_enc),
        description=cipher.decrypt(row.description_enc),
        place=cipher.decrypt_optional(row.place_enc),
        geo=_geo(cipher, row.geo_enc),
        link=cipher.decrypt_optional(row.link_enc),
        starts_at=row.starts_at,
        duration=row.duration,
        capacity=row.capacity,
        status=row.status,
        cancel_reason=cipher.decrypt_optional(row.cancel_reason_enc),
        created_at=row.created_at,
        revision=row.revision,
        reminded_day=row.reminded_day_at is not None,
        reminded_soon=row.reminded_soon_at is not None,
        outcome_asked=row.outcome_asked_at is not None,
        women=row.women,
        men=row.men,
        participants=row.participants,
        outcome=cipher.decrypt_optional(row.outcome_enc),
        outcome_at=row.outcome_at,
        counts=counts or {},
    )


async def _counts(session: AsyncSession, event_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(EventAnswer.answer, func.count())
        .where(EventAnswer.event_id == event_id)
        .group_by(EventAnswer.answer)
    )
    return {answer: int(n) for answer, n in rows.all()}


async def _lock(session: AsyncSession, event_id: int) -> Event | None:
    """The event, locked until the transaction ends: a write that changes nothing takes the
    row's lock on PostgreSQL and the database's write lock on SQLite, so two people pressing
    Going for the last seat are served one after the other."""
    await session.execute(update(Event).where(Event.id == event_id).values(id=Event.id))
    return await session.get(Event, event_id, populate_existing=True)


def _audience(region: str | None) -> Any:
    """Approved members whose setting covers `region` (None: the whole country, which covers
    every region)."""
    wants = Member.notify_events == "all"
    if region is None:
        wants = or_(wants, Member.notify_events == "region")
    else:
        wants = or_(wants, (Member.notify_events == "region") & (Member.region == region))
    return select(Member.user_id).where(Member.status == "approved", wants)


# -- announcing ------------------------------------------------------------------------------


async def publish_event(
    db: Database,
    draft: EventDraft,
    *,
    organiser_id: int,
    draft_key: str,
    notices: Callable[[int, list[int]], Sequence[Outgoing]],
    batch: Callable[[int], tuple[str, dict[str, Any]]],
) -> tuple[EventInfo, int, bool]:
    """Store the event and, in the same transaction, one notice per member whose setting
    covers its region (the organiser aside), as one batch. Returns (event, how many notices,
    whether it is new): a draft published twice makes one event and one set of notices."""
    cipher = db.cipher
    now = utcnow()
    async with db.transaction() as session:
        existing = await session.scalar(select(Event).where(Event.draft_key == draft_key))
        if existing is not None:
            return _info(cipher, existing), 0, False
        row = Event(
            draft_key=draft_key,
            organiser_enc=cipher.encrypt(str(organiser_id)),
            region=draft.region,
            kind=draft.kind,
            title_enc=cipher.encrypt(draft.title),
            description_enc=cipher.encrypt(draft.description),
            place_enc=cipher.encrypt_optional(draft.place),
            geo_enc=cipher.encrypt_optional(_geo_text(draft.geo)),
            link_enc=cipher.encrypt_optional(draft.link),
            starts_at=draft.starts_at,
            duration=draft.duration,
            capacity=draft.capacity,
            status=PUBLISHED,
            created_at=now,
            updated_at=now,
            revision=0,
        )
        session.add(row)
        await session.flush()
        audience = sorted(set(await session.scalars(_audience(draft.region))) - {organiser_id})
        kind, params = batch(row.id)
        batch_id = await new_batch(session, cipher, kind, params)
        count = await enqueue(session, cipher, notices(row.id, audience), batch_id=batch_id)
        add_audit(
            session,
            "event.published",
            actor_id=organiser_id,
            target_id=row.id,
            region=draft.region,
            notices=count,
        )
        return _info(cipher, row), count, True


async def get_event(db: Database, event_id: int) -> EventInfo | None:
    async with db.transaction() as session:
        row = await session.get(Event, event_id)
        return None if row is None else _info(db.cipher, row, await _counts(session, event_id))


async def list_events(
    db: Database,
    *,
    after: datetime,
    regions: Iterable[str] | None = None,
    offset: int = 0,
    limit: int = 5,
) -> tuple[list[EventInfo], int]:
    """Published events starting after `after`, soonest first; `regions`: only those of these
    regions and of the whole country (None: all). Returns a page and the total."""
    where = [Event.status == PUBLISHED, Event.starts_at > after]
    if regions is not None:
        where.append(or_(Event.region.in_(list(regions)), Event.region.is_(None)))
    async with db.transaction() as session:
        total = int(await session.scalar(select(func.count(Event.id)).where(*where)) or 0)
        rows = await session.scalars(
            select(Event)
            .where(*where)
            .order_by(Event.starts_at, Event.id)
            .offset(offset)
            .limit(limit)
        )
        return [_info(db.cipher, row) for row in rows], total


# -- answers ---------------------------------------------------------------------------------


async def set_answer(
    db: Database,
    event_id: int,
    user_id: int,
    wanted: str,
    *,
    seats: SeatRule,
    moved_up: Tell,
) -> AnswerResult | None:
    """Keep her answer (Going past the capacity waits in line); when a seat is freed, the first
    waiting move up and are told (`moved_up`), in the same transaction. None: no such event."""
    now = utcnow()
    async with db.transaction() as session:
        event = await _lock(session, event_id)
        if event is None:
            return None
        mine = await session.get(EventAnswer, (event_id, user_id))
        previous = mine.answer if mine else None
        going = await _going(session, event_id, but=user_id)
        stored = seats.stored(wanted, previous, going, event.capacity)
        if mine is None:
            session.add(EventAnswer(event_id=event_id, user_id=user_id, answer=stored, since=now))
        elif stored != previous:
            mine.answer = stored
            mine.since = now
        await session.flush()
        promoted = await _promote(session, db.cipher, event, seats, moved_up)
        return AnswerResult(stored, previous, tuple(promoted))


async def _going(session: AsyncSession, event_id: int, *, but: int | None = None) -> int:
    stmt = select(func.count()).where(
        EventAnswer.event_id == event_id, EventAnswer.answer == "going"
    )
    if but is not None:
        stmt = stmt.where(EventAnswer.user_id != but)
    return int(await session.scalar(stmt) or 0)


async def _promote(
    session: AsyncSession, cipher: Cipher, event: Event, seats: SeatRule, moved_up: Tell
) -> list[int]:
    waiting = list(
        await session.scalars(
            select(EventAnswer.user_id)
            .where(EventAnswer.event_id == event.id, EventAnswer.answer == "waiting")
            .order_by(EventAnswer.since, EventAnswer.user_id)
        )
    )
    if not waiting:
        return []
    promoted = seats.promoted(event.capacity, await _going(session, event.id), waiting)
    if promoted:
        await session.execute(
            update(EventAnswer)
            .where(EventAnswer.event_id == event.id, EventAnswer.user_id.in_(promoted))
            .values(answer="going")
        )
        await enqueue(session, cipher, moved_up(promoted))
    return promoted


async def forget_answers(
    db: Database,
    user_id: int,
    *,
    seats: SeatRule,
    moved_up: Callable[[int, list[int]], Sequence[Outgoing]],
) -> int:
    """She leaves the community: her answers to every event go, and a place she held at an
    event still to come goes to the first waiting (told by `moved_up(event_id, people)`).
    Returns how many answers she had."""
    async with db.transaction() as session:
        answered = list(
            await session.scalars(
                select(EventAnswer.event_id).where(EventAnswer.user_id == user_id)
            )
        )
        for event_id in answered:
            event = await _lock(session, event_id)
            await session.execute(
                delete(EventAnswer).where(
                    EventAnswer.event_id == event_id, EventAnswer.user_id == user_id
                )
            )
            if event is not None and event.status == PUBLISHED and event.starts_at > utcnow():
                await session.flush()
                await _promote(session, db.cipher, event, seats, partial(moved_up, event_id))
        return len(answered)


async def answer_of(db: Database, event_id: int, user_id: int) -> str | None:
    async with db.transaction() as session:
        row = await session.get(EventAnswer, (event_id, user_id))
        return row.answer if row else None


async def attendees(db: Database, event_id: int) -> list[Attendee]:
    """Everyone who answered, in the order they did; the name only of approved members."""
    async with db.transaction() as session:
        rows = await session.execute(
            select(EventAnswer.user_id, EventAnswer.answer, Member.name_enc, Member.status)
            .outerjoin(Member, Member.user_id == EventAnswer.user_id)
            .where(EventAnswer.event_id == event_id)
            .order_by(EventAnswer.since, EventAnswer.user_id)
        )
        return [
            Attendee(
                user_id,
                answer,
                db.cipher.decrypt(name) if name and status == "approved" else None,
            )
            for user_id, answer, name, status in rows.all()
        ]


async def _answered(session: AsyncSession, event_id: int, answers: Iterable[str]) -> list[int]:
    return list(
        await session.scalars(
            select(EventAnswer.user_id)
            .where(EventAnswer.event_id == event_id, EventAnswer.answer.in_(list(answers)))
            .order_by(EventAnswer.user_id)
        )
    )


# -- organisers ------------------------------------------------------------------------------


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
