"""Roles given from chat (coordinators besides COORDINATOR_IDS, regional leads).

Who holds a role is stored as a keyed hash (to find her grants) and her id encrypted (to list
the coordinators and leads): a copy of the database does not tell who they are.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select

from db.audit import add_audit
from db.engine import Database
from db.models import RoleGrant
from db.outbox import Outgoing, enqueue
from db.types import utcnow


def _tags(db: Database, user_id: int) -> list[str]:
    return db.cipher.tags(f"role:{user_id}")


async def grants_of(db: Database, user_id: int) -> tuple[bool, frozenset[str]]:
    """(coordinator?, regions she leads) as granted from chat."""
    async with db.transaction() as session:
        rows = (
            await session.execute(
                select(RoleGrant.role, RoleGrant.region).where(
                    RoleGrant.user_tag.in_(_tags(db, user_id))
                )
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
    cipher = db.cipher
    tag = cipher.tag(f"role:{user_id}")
    async with db.transaction() as session:
        await session.execute(delete(RoleGrant).where(RoleGrant.user_tag.in_(_tags(db, user_id))))
        wanted: list[tuple[str, str | None]] = [("coordinator", None)] if coordinator else []
        wanted += [("lead", region) for region in sorted(lead_regions)]
        for role, region in wanted:
            session.add(
                RoleGrant(
                    user_tag=tag,
                    user_enc=cipher.encrypt(str(user_id)),
                    role=role,
                    region=region,
                    granted_by_enc=cipher.encrypt(str(actor_id)),
                    granted_at=now,
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
        await enqueue(session, cipher, outbox)


async def _holders(db: Database, *conditions: object) -> set[int]:
    async with db.transaction() as session:
        rows = await session.scalars(select(RoleGrant.user_enc).where(*conditions))  # type: ignore[arg-type]
        return {int(db.cipher.decrypt(token)) for token in rows}


async def coordinators_granted(db: Database) -> set[int]:
    return await _holders(db, RoleGrant.role == "coordinator")


async def leads_granted(db: Database) -> set[int]:
    """Everyone who leads a region."""
    return await _holders(db, RoleGrant.role == "lead")


async def leads_of(db: Database, region: str) -> set[int]:
    return await _holders(db, RoleGrant.role == "lead", RoleGrant.region == region)


async def privileged_ids(db: Database) -> set[int]:
    """Everyone with a role granted from chat."""
    return await _holders(db)
