"""The audit log: who did what and when. Never pass personal data in `details`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import Database
from db.models import AuditEntry
from db.types import utcnow


@dataclass(frozen=True, slots=True)
class AuditRecord:
    at: datetime
    actor_id: int | None
    action: str
    target_id: int | None
    details: dict[str, object]


def add_audit(
    session: AsyncSession,
    action: str,
    *,
    actor_id: int | None,
    target_id: int | None = None,
    **details: object,
) -> None:
    """Record an action inside the caller's transaction, so it is kept exactly when it happens."""
    session.add(
        AuditEntry(
            at=utcnow(),
            actor_id=actor_id,
            action=action,
            target_id=target_id,
            details=json.dumps(details, sort_keys=True),
        )
    )


async def audit(
    db: Database,
    action: str,
    *,
    actor_id: int | None,
    target_id: int | None = None,
    **details: object,
) -> None:
    async with db.transaction() as session:
        add_audit(session, action, actor_id=actor_id, target_id=target_id, **details)


async def audit_entries(db: Database, limit: int = 100) -> list[AuditRecord]:
    async with db.transaction() as session:
        rows = await session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit))
        return [
            AuditRecord(r.at, r.actor_id, r.action, r.target_id, json.loads(r.details))
            for r in rows
        ]


async def last_entry(db: Database, target_id: int, actions: Sequence[str]) -> AuditRecord | None:
    """The newest of these actions on `target_id` (e.g. who decided a membership request)."""
    async with db.transaction() as session:
        row = await session.scalar(
            select(AuditEntry)
            .where(AuditEntry.target_id == target_id, AuditEntry.action.in_(list(actions)))
            .order_by(AuditEntry.id.desc())
            .limit(1)
        )
        if row is None:
            return None
        return AuditRecord(row.at, row.actor_id, row.action, row.target_id, json.loads(row.details))
