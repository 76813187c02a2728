"""The outbox: every message to someone other than the person being answered, kept until it is
delivered. Rows are written in the same transaction as the change they announce, and hold ids
and parameters, never text: the text is rendered when the message is sent, in the recipient's
language. The recipient is encrypted; a keyed hash of her chat lets the sender pace each chat.

A row's life: pending → sending → (deleted | sent, when it belongs to a batch) or blocked,
failed, cancelled. A row found `sending` after a crash was perhaps delivered and perhaps not:
it is sent again (see README, "Messages to others").
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import Database, locked_for_claim
from db.models import Delivery, DeliveryBatch
from db.types import Cipher, utcnow

PENDING, SENDING, SENT, BLOCKED, FAILED, CANCELLED = (
    "pending",
    "sending",
    "sent",
    "blocked",
    "failed",
    "cancelled",
)
FINAL = (SENT, BLOCKED, FAILED, CANCELLED)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message to send: to whom, what kind (its renderer), with which parameters."""

    chat_id: int
    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    priority: int = 1


@dataclass(frozen=True, slots=True)
class Claimed:
    """A row taken by the sender."""

    id: int
    chat_id: int
    recipient_tag: str
    kind: str
    params: dict[str, Any]
    priority: int
    attempts: int
    batch_id: int | None


@dataclass(frozen=True, slots=True)
class BatchInfo:
    id: int
    kind: str
    status: str
    params: dict[str, Any]
    counts: dict[str, int]
    deadline: datetime | None


def chat_tag(cipher: Cipher, chat_id: int) -> str:
    """The keyed hash that stands for a chat in the outbox."""
    return cipher.tag(f"chat:{chat_id}")


ENQUEUE_CHUNK = 500  # rows written at a time: a big batch never holds the event loop for long


async def enqueue(
    session: AsyncSession,
    cipher: Cipher,
    messages: Iterable[Outgoing],
    *,
    batch_id: int | None = None,
) -> int:
    """Add messages to the outbox inside the caller's transaction; returns how many.

    Written in chunks (an announcement to 10,000 members is 20 statements, with the event loop
    free between them), all in the caller's one transaction: all of them or none. Messages with
    the same parameters (every message of an announcement) share one encrypted copy of them."""
    params_enc: dict[str, str] = {}
    count = 0
    chunk: list[dict[str, Any]] = []
    for m in messages:
        params = json.dumps(m.params, separators=(",", ":"), sort_keys=True)
        if params not in params_enc:
            params_enc[params] = cipher.encrypt(params)
        chunk.append(
            {
                "priority": m.priority,
                "kind": m.kind,
                "recipient_tag": chat_tag(cipher, m.chat_id),
                "recipient_enc": cipher.encrypt(str(m.chat_id)),
                "params_enc": params_enc[params],
                "batch_id": batch_id,
                "status": PENDING,
                "attempts": 0,
            }
        )
        if len(chunk) >= ENQUEUE_CHUNK:
            count += await _insert(session, chunk)
            chunk = []
            await asyncio.sleep(0)
    if chunk:
        count += await _insert(session, chunk)
    return count


async def _insert(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    await session.execute(insert(Delivery), rows)
    return len(rows)


async def new_batch(
    session: AsyncSession,
    cipher: Cipher,
    kind: str,
    params: dict[str, Any],
    *,
    deadline: datetime | None = None,
) -> int:
    """A batch of deliveries whose progress is counted (an announcement, a danger alert)."""
    row = DeliveryBatch(
        kind=kind,
        status="running",
        params_enc=cipher.encrypt(json.dumps(params, separators=(",", ":"))),
        deadline=deadline,
        total=0,
        sent=0,
        blocked=0,
        failed=0,
        cancelled=0,
    )
    session.add(row)
    await session.flush()
    return row.id


async def send_later(
    db: Database, messages: Sequence[Outgoing], *, batch: tuple[str, dict[str, Any]] | None = None
) -> int | None:
    """Enqueue messages in a transaction of their own (for callers with nothing else to store);
    returns the batch id if a batch was asked for."""
    async with db.transaction() as session:
        batch_id = None
        if batch is not None:
            batch_id = await new_batch(session, db.cipher, batch[0], batch[1])
        await enqueue(session, db.cipher, messages, batch_id=batch_id)
        return batch_id


async def recover(db: Database) -> int:
    """At start-up: rows a crashed sender had taken go back to the queue."""
    async with db.transaction() as session:
        result = await session.execute(
            update(Delivery).where(Delivery.status == SENDING).values(status=PENDING)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def candidates(db: Database, *, limit: int, max_priority: int | None = None) -> list[Claimed]:
    """The next pending rows by priority (not yet taken): the sender picks among them."""
    now = utcnow()
    stmt = (
        select(Delivery)
        .where(
            Delivery.status == PENDING,
            (Delivery.not_before.is_(None)) | (Delivery.not_before <= now),
        )
        .order_by(Delivery.priority, Delivery.id)
        .limit(limit)
    )
    if max_priority is not None:
        stmt = stmt.where(Delivery.priority <= max_priority)
    async with db.transaction() as session:
        rows = (await session.scalars(stmt)).all()
        known: dict[str, dict[str, Any]] = {}
        return [_claimed(db.cipher, row, known) for row in rows]


@dataclass(frozen=True, slots=True)
class Finished:
    """A row the sender is done with: its final status (`in_batch`: the row belongs to a batch,
    whose figures count it, so it stays until the batch is closed)."""

    id: int
    status: str
    in_batch: bool


async def take(db: Database, ids: Sequence[int], *, finished: Sequence[Finished] = ()) -> list[int]:
    """Mark rows as being sent; returns those that were still pending (taken by this call).
    `finished`: rows the sender is done with, recorded in the same transaction (one write for
    both, which keeps a fast sender's writes few)."""
    if not ids and not finished:
        return []
    async with db.transaction() as session:
        await _record(session, finished)
        if not ids:
            return []
        stmt = select(Delivery.id).where(Delivery.id.in_(ids), Delivery.status == PENDING)
        taken = list((await locked_for_claim(stmt, session)).scalars())
        if taken:
            await session.execute(
                update(Delivery)
                .where(Delivery.id.in_(taken), Delivery.status == PENDING)
                .values(status=SENDING, attempts=Delivery.attempts + 1)
            )
        return taken


async def finish(db: Database, delivery_id: int, status: str) -> None:
    """A row is done: delivered rows outside a batch leave no trace; rows of a batch stay (for
    its figures) until the batch is closed."""
    async with db.transaction() as session:
        row = await session.get(Delivery, delivery_id)
        if row is not None:
            await _record(session, [Finished(delivery_id, status, row.batch_id is not None)])


async def _record(session: AsyncSession, finished: Sequence[Finished]) -> None:
    gone = [f.id for f in finished if f.status == SENT and not f.in_batch]
    if gone:
        await session.execute(delete(Delivery).where(Delivery.id.in_(gone)))
    by_status: dict[str, list[int]] = {}
    for f in finished:
        if f.status != SENT or f.in_batch:
            by_status.setdefault(f.status, []).append(f.id)
    for status, ids in by_status.items():
        await session.execute(
            update(Delivery).where(Delivery.id.in_(ids)).values(status=status, not_before=None)
        )


async def retry_later(db: Database, delivery_id: int, when: datetime) -> None:
    async with db.transaction() as session:
        await session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id)
            .values(status=PENDING, not_before=when)
        )


async def pending_count(db: Database) -> int:
    async with db.transaction() as session:
        total = await session.scalar(
            select(func.count(Delivery.id)).where(Delivery.status.in_((PENDING, SENDING)))
        )
        return int(total or 0)


async def due_count(db: Database) -> int:
    """Rows that may be sent now, or are being sent."""
    now = utcnow()
    async with db.transaction() as session:
        total = await session.scalar(
            select(func.count(Delivery.id)).where(
                (Delivery.status == SENDING)
                | (
                    (Delivery.status == PENDING)
                    & ((Delivery.not_before.is_(None)) | (Delivery.not_before <= now))
                )
            )
        )
        return int(total or 0)


async def next_due(db: Database) -> datetime | None:
    """When the earliest postponed row may be tried again (None: nothing postponed)."""
    async with db.transaction() as session:
        return await session.scalar(
            select(func.min(Delivery.not_before)).where(
                Delivery.status == PENDING, Delivery.not_before.is_not(None)
            )
        )


# -- batches -------------------------------------------------------------------------------


async def batch_counts(session: AsyncSession, batch_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(Delivery.status, func.count(Delivery.id))
        .where(Delivery.batch_id == batch_id)
        .group_by(Delivery.status)
    )
    return {status: int(count) for status, count in rows.all()}


async def get_batch(db: Database, batch_id: int) -> BatchInfo | None:
    async with db.transaction() as session:
        row = await session.get(DeliveryBatch, batch_id)
        if row is None:
            return None
        return await _batch_info(session, db.cipher, row)


async def _batch_info(session: AsyncSession, cipher: Cipher, row: DeliveryBatch) -> BatchInfo:
    if row.status == "running":
        counts = await batch_counts(session, row.id)
    else:
        counts = {
            SENT: row.sent,
            BLOCKED: row.blocked,
            FAILED: row.failed,
            CANCELLED: row.cancelled,
        }
    return BatchInfo(
        id=row.id,
        kind=row.kind,
        status=row.status,
        params=json.loads(cipher.decrypt(row.params_enc)),
        counts=counts,
        deadline=row.deadline,
    )


async def running_batches(db: Database) -> list[BatchInfo]:
    async with db.transaction() as session:
        rows = (
            await session.scalars(
                select(DeliveryBatch)
                .where(DeliveryBatch.status == "running")
                .order_by(DeliveryBatch.id)
            )
        ).all()
        return [await _batch_info(session, db.cipher, row) for row in rows]


async def close_batch(
    db: Database, batch_id: int, *, status: str = "done", outbox: Sequence[Outgoing] = ()
) -> BatchInfo | None:
    """Keep a finished batch's figures and forget its rows; `outbox`: the messages that tell of
    it, kept only if this closes it. None if it was already closed."""
    async with db.transaction() as session:
        row = await session.get(DeliveryBatch, batch_id)
        if row is None or row.status != "running":
            return None
        counts = await batch_counts(session, batch_id)
        row.status = status
        row.sent = counts.get(SENT, 0)
        row.blocked = counts.get(BLOCKED, 0)
        row.failed = counts.get(FAILED, 0)
        row.cancelled = counts.get(CANCELLED, 0) + counts.get(PENDING, 0)
        row.total = sum(counts.values())
        deadline, row.deadline = row.deadline, None
        await session.execute(delete(Delivery).where(Delivery.batch_id == batch_id))
        await enqueue(session, db.cipher, outbox)
        # As it was: a deadline still set means nothing was done about it yet.
        return replace(await _batch_info(session, db.cipher, row), deadline=deadline)


async def clear_deadline(db: Database, batch_id: int, *, outbox: Sequence[Outgoing] = ()) -> bool:
    """The batch's deadline has been acted on; `outbox`: the messages that tell of it, kept
    only if this clears it. False if it was cleared already."""
    async with db.transaction() as session:
        result = await session.execute(
            update(DeliveryBatch)
            .where(DeliveryBatch.id == batch_id, DeliveryBatch.deadline.is_not(None))
            .values(deadline=None)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            return False
        await enqueue(session, db.cipher, outbox)
        return True


async def cancel_batch(db: Database, batch_id: int) -> int:
    """Stop a running batch: what was not sent yet never will be. Returns how many stopped."""
    async with db.transaction() as session:
        return await cancel_rows(session, batch_id)


async def cancel_rows(session: AsyncSession, batch_id: int) -> int:
    """`cancel_batch` inside the caller's transaction (with the change that cancels it)."""
    result = await session.execute(
        update(Delivery)
        .where(Delivery.batch_id == batch_id, Delivery.status == PENDING)
        .values(status=CANCELLED)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _claimed(cipher: Cipher, row: Delivery, known: dict[str, dict[str, Any]]) -> Claimed:
    params = known.get(row.params_enc)
    if params is None:  # the rows of one batch share one encrypted copy: decrypted once
        params = known[row.params_enc] = json.loads(cipher.decrypt(row.params_enc))
    return Claimed(
        id=row.id,
        chat_id=int(cipher.decrypt(row.recipient_enc)),
        recipient_tag=row.recipient_tag,
        kind=row.kind,
        params=dict(params),
        priority=row.priority,
        attempts=row.attempts,
        batch_id=row.batch_id,
    )
