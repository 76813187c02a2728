"""The audit log: who did what and on which day. Never pass personal data in `details`.

Who acted and on what (a person's id, a report's number) are stored encrypted: a copy of the
database shows that reports were viewed, not who viewed which. The day, not the moment: the
order of entries is kept by their number.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditEntry

if TYPE_CHECKING:
    from db.engine import Database


@dataclass(frozen=True, slots=True)
class AuditRecord:
    at: datetime
    actor_id: int | None
    action: str
    target_id: int | None
    details: dict[str, object]


def _database(session: AsyncSession) -> Database:
    db: Database | None = session.info.get("db")
    if db is None:
        raise RuntimeError("add_audit needs a session from Database.transaction()")
    return db


def add_audit(
    session: AsyncSession,
    action: str,
    *,
    actor_id: int | None,
    target_id: int | None = None,
    **details: object,
) -> None:
    """Record an action inside the caller's transaction, so it is kept exactly when it happens."""
    db = _database(session)
    session.add(
        AuditEntry(
            at=db.day(),
            actor_enc=db.cipher.encrypt_optional(None if actor_id is None else str(actor_id)),
            action=action,
            target_enc=db.cipher.encrypt_optional(None if target_id is None else str(target_id)),
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


def _int(db: Database, token: str | None) -> int | None:
    value = db.cipher.decrypt_optional(token)
    return None if value is None else int(value)


async def audit_entries(db: Database, limit: int = 100) -> list[AuditRecord]:
    async with db.transaction() as session:
        rows = await session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit))
        return [
            AuditRecord(
                r.at,
                _int(db, r.actor_enc),
                r.action,
                _int(db, r.target_enc),
                json.loads(r.details),
            )
            for r in rows
        ]


async def last_entry(db: Database, target_id: int, actions: Sequence[str]) -> AuditRecord | None:
    """The newest of these actions on `target_id` (e.g. who decided a membership request).
    Targets are encrypted: the entries of these actions are read newest first."""
    async with db.transaction() as session:
        rows = await session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action.in_(list(actions)))
            .order_by(AuditEntry.id.desc())
        )
        for row in rows:
            if _int(db, row.target_enc) == target_id:
                return AuditRecord(
                    row.at,
                    _int(db, row.actor_enc),
                    row.action,
                    target_id,
                    json.loads(row.details),
                )
        return None
