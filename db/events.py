"""Events, the members' answers, and what organisers told them. The organiser's words (title,
description, place, pin, link), a cancellation's reason, the outcome's notes and every update
are encrypted at rest (db.cipher).

Every change that tells people something takes the messages in the same transaction (the
callers pass a function that makes them once the ids are known), so that a change is never
kept without its notices, nor a notice sent for a change that was not kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.audit import add_audit
from db.engine import Database
from db.models import Event, EventAnswer, Member
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
