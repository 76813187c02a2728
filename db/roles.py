"""Roles given from chat (coordinators besides COORDINATOR_IDS, regional leads).

Who holds a role is stored as a keyed hash (to find her grants) and her id encrypted (to list
the coordinators and leads): a copy of the database does not tell who they are.

Every privileged command and button asks who has which role, and the language press and a
newcomer's first message ask whether she has one: the grants (a few rows) are kept in memory,
read once, and read again after every change made through `set_grants`. The bot is the only
writer of this table while it runs.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select

from db.audit import add_audit
from db.engine import Database
from db.memo import Memo
from db.models import RoleGrant
from db.outbox import Outgoing, enqueue
from db.types import utcnow

Grants = dict[int, tuple[bool, frozenset[str]]]
NO_ROLE: tuple[bool, frozenset[str]] = (False, frozenset())


async def _read_grants(db: Database) -> Grants:
    """Everyone's grants: user id → (coordinator?, regions she leads)."""
    async with db.transaction() as session:
        rows = (
            await session.execute(select(RoleGrant.user_enc, RoleGrant.role, RoleGrant.region))
        ).all()
    found: dict[int, tuple[bool, set[str]]] = {}
    for user_enc, role, region in rows:
        user_id = int(db.cipher.decrypt(user_enc))
        coordinator, regions = found.setdefault(user_id, (False, set()))
        if role == "coordinator":
            coordinator = True
        elif role == "lead" and region:
            regions.add(region)
        found[user_id] = (coordinator, regions)
    return {user_id: (c, frozenset(r)) for user_id, (c, r) in found.items()}


# Kept in memory, read again after every change (forget_grants).
_GRANTS = Memo("role_grants", _read_grants)
_grants = _GRANTS.get


def forget_grants(db: Database) -> None:
    """The grants changed (committed): read them again next time."""
    _GRANTS.forget(db)


def _tags(db: Database, user_id: int) -> list[str]:
    return db.cipher.tags(f"role:{user_id}")


async def grants_of(db: Database, user_id: int) -> tuple[bool, frozenset[str]]:
    """(coordinator?, regions she leads) as granted from chat."""
    return (await _grants(db)).get(user_id, NO_ROLE)


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
    forget_grants(db)  # once committed: a read that began before is not kept either


async def coordinators_granted(db: Database) -> set[int]:
    return {user_id for user_id, (c, _) in (await _grants(db)).items() if c}


async def leads_granted(db: Database) -> set[int]:
    """Everyone who leads a region."""
    return {user_id for user_id, (_, regions) in (await _grants(db)).items() if regions}


async def leads_of(db: Database, region: str) -> set[int]:
    return {user_id for user_id, (_, regions) in (await _grants(db)).items() if region in regions}


async def privileged_ids(db: Database) -> set[int]:
    """Everyone with a role granted from chat."""
    return {user_id for user_id, (c, regions) in (await _grants(db)).items() if c or regions}
