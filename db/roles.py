"""Roles given from chat (coordinators besides COORDINATOR_IDS, regional leads)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select

from db.audit import add_audit
from db.engine import Database
from db.models import RoleGrant
from db.outbox import Outgoing, enqueue
from db.types import utcnow


async def grants_of(db: Database, user_id: int) -> tuple[bool, frozenset[str]]:
    """(coordinator?, regions she leads) as granted from chat."""
    async with db.transaction() as session:
        rows = (
            await session.execute(
                select(RoleGrant.role, RoleGrant.region).where(RoleGrant.user_id == user_id)
            )
        ).all()
    coordinator = any(role == "coordinator" for role, _ in rows)
    regions = frozenset(region for role, region in rows if role == "lead" and region)
    return coordinator, regions


async def set_grants(
    db: Database,
    user_id: int,
    *,
    coordinator: bool,
    lead_regions: frozenset[str],
    actor_id: int,
    outbox: Sequence[Outgoing] = (),
) -> None:
    """Replace her roles; the change goes to the audit log, and `outbox` (telling her) to the
    outbox, in the same transaction."""
    before = await grants_of(db, user_id)
    now = utcnow()
    async with db.transaction() as session:
        await session.execute(delete(RoleGrant).where(RoleGrant.user_id == user_id))
        if coordinator:
            session.add(
                RoleGrant(
                    user_id=user_id,
                    role="coordinator",
                    region=None,
                    granted_by=actor_id,
                    granted_at=now,
                )
            )
        for region in sorted(lead_regions):
            session.add(
                RoleGrant(
                    user_id=user_id, role="lead", region=region, granted_by=actor_id, granted_at=now
                )
            )
        add_audit(
            session,
            "role.changed",
            actor_id=actor_id,
            target_id=user_id,
            coordinator_before=before[0],
            lead_before=sorted(before[1]),
            coordinator=coordinator,
            lead=sorted(lead_regions),
        )
        await enqueue(session, db.cipher, outbox)


async def coordinators_granted(db: Database) -> set[int]:
    async with db.transaction() as session:
        rows = await session.scalars(
            select(RoleGrant.user_id).where(RoleGrant.role == "coordinator")
        )
        return set(rows)


async def leads_of(db: Database, region: str) -> set[int]:
    async with db.transaction() as session:
        rows = await session.scalars(
            select(RoleGrant.user_id).where(RoleGrant.role == "lead", RoleGrant.region == region)
        )
        return set(rows)


async def privileged_ids(db: Database) -> set[int]:
    """Everyone with a role granted from chat."""
    async with db.transaction() as session:
        return set(await session.scalars(select(RoleGrant.user_id).distinct()))
