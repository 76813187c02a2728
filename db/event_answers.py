"""Members' answers to events: Going, Maybe, Can't come, and the waiting list past the
capacity (its rule comes in as db.events.SeatRule); when a place comes free, the first
waiting move up and are told in the same transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import partial

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import Database
from db.events import (
    PUBLISHED,
    AnswerResult,
    Attendee,
    SeatRule,
    Tell,
    _lock,
)
from db.models import Event, EventAnswer, Member
from db.outbox import Outgoing, enqueue
from db.types import Cipher, utcnow


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
