"""Members of the community. Name, district and phone are stored encrypted (db.cipher)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from db.audit import add_audit
from db.engine import Database
from db.models import Member, User
from db.outbox import Outgoing, enqueue
from db.types import utcnow


@dataclass(frozen=True, slots=True)
class MemberDraft:
    """What the sign-up conversation gathers."""

    name: str
    region: str
    district: str | None
    occupation: str
    interests: tuple[str, ...]
    phone: str | None


@dataclass(frozen=True, slots=True)
class MemberInfo:
    user_id: int
    name: str
    region: str
    district: str | None
    occupation: str
    interests: tuple[str, ...]
    phone: str | None
    status: str
    joined_at: datetime
    notify_events: str
    notify_announcements: bool
    language: str | None


def _info(db: Database, member: Member, language: str | None) -> MemberInfo:
    cipher = db.cipher
    return MemberInfo(
        user_id=member.user_id,
        name=cipher.decrypt(member.name_enc),
        region=member.region,
        district=cipher.decrypt_optional(member.district_enc),
        occupation=member.occupation,
        interests=tuple(i for i in member.interests.split(",") if i),
        phone=cipher.decrypt_optional(member.phone_enc),
        status=member.status,
        joined_at=member.joined_at,
        notify_events=member.notify_events,
        notify_announcements=member.notify_announcements,
        language=language,
    )


async def get_member(db: Database, user_id: int) -> MemberInfo | None:
    async with db.transaction() as session:
        row = (
            await session.execute(
                select(Member, User.language)
                .join(User, User.id == Member.user_id)
                .where(Member.user_id == user_id)
            )
        ).first()
        return _info(db, row[0], row[1]) if row else None


async def create_member(
    db: Database,
    user_id: int,
    draft: MemberDraft,
    *,
    approved: bool,
    outbox: Sequence[Outgoing] = (),
) -> MemberInfo:
    """Record a sign-up (replacing an earlier one, e.g. after she left and came back); `outbox`:
    the messages that tell of it (the request to the approvers), in the same transaction."""
    now = utcnow()
    cipher = db.cipher
    async with db.transaction() as session:
        await session.execute(delete(Member).where(Member.user_id == user_id))
        session.add(
            Member(
                user_id=user_id,
                name_enc=cipher.encrypt(draft.name),
                region=draft.region,
                district_enc=cipher.encrypt_optional(draft.district),
                occupation=draft.occupation,
                interests=",".join(draft.interests),
                phone_enc=cipher.encrypt_optional(draft.phone),
                status="approved" if approved else "pending",
                consent_at=now,
                joined_at=now,
                decided_by=None,
                decided_at=now if approved else None,
                notify_events="region",
                notify_announcements=True,
            )
        )
        add_audit(
            session,
            "member.joined",
            actor_id=user_id,
            target_id=user_id,
            region=draft.region,
            status="approved" if approved else "pending",
        )
        await enqueue(session, cipher, outbox)
    member = await get_member(db, user_id)
    assert member is not None
    return member


async def update_member(
    db: Database,
    user_id: int,
    *,
    name: str | None = None,
    region: str | None = None,
    district: str | None = None,
    clear_district: bool = False,
    occupation: str | None = None,
    interests: tuple[str, ...] | None = None,
    phone: str | None = None,
    clear_phone: bool = False,
    notify_events: str | None = None,
    notify_announcements: bool | None = None,
) -> bool:
    """Change some fields of her profile; False if she is not a member."""
    cipher = db.cipher
    async with db.transaction() as session:
        member = await session.get(Member, user_id)
        if member is None:
            return False
        if name is not None:
            member.name_enc = cipher.encrypt(name)
        if region is not None:
            member.region = region
        if district is not None or clear_district:
            member.district_enc = cipher.encrypt_optional(district)
        if occupation is not None:
            member.occupation = occupation
        if interests is not None:
            member.interests = ",".join(interests)
        if phone is not None or clear_phone:
            member.phone_enc = cipher.encrypt_optional(phone)
        if notify_events is not None:
            member.notify_events = notify_events
        if notify_announcements is not None:
            member.notify_announcements = notify_announcements
        return True


async def decide(
    db: Database, user_id: int, *, approve: bool, actor_id: int, outbox: Sequence[Outgoing] = ()
) -> MemberInfo | None:
    """Approve or decline a pending membership. A declined request is erased. Returns the
    member as she was, or None if there was no pending request (already decided). `outbox`:
    the messages that tell of it, in the same transaction."""
    member = await get_member(db, user_id)
    if member is None or member.status != "pending":
        return None
    async with db.transaction() as session:
        row = await session.get(Member, user_id)
        if row is None or row.status != "pending":
            return None
        if approve:
            row.status = "approved"
            row.decided_by = actor_id
            row.decided_at = utcnow()
        else:
            await session.delete(row)
        add_audit(
            session,
            "member.approved" if approve else "member.declined",
            actor_id=actor_id,
            target_id=user_id,
            region=member.region,
        )
        await enqueue(session, db.cipher, outbox)
    return member


async def erase_member(db: Database, user_id: int, *, actor_id: int) -> bool:
    """Delete her personal data and membership; only an audit line without it remains."""
    async with db.transaction() as session:
        row = await session.get(Member, user_id)
        if row is None:
            return False
        region = row.region
        await session.delete(row)
        add_audit(session, "member.erased", actor_id=actor_id, target_id=user_id, region=region)
        return True


async def list_members(
    db: Database, *, regions: Iterable[str] | None = None, status: str | None = None
) -> list[MemberInfo]:
    """Members, optionally of some regions and one status, oldest first."""
    stmt = select(Member, User.language).join(User, User.id == Member.user_id)
    if regions is not None:
        stmt = stmt.where(Member.region.in_(list(regions)))
    if status is not None:
        stmt = stmt.where(Member.status == status)
    async with db.transaction() as session:
        rows = (await session.execute(stmt.order_by(Member.joined_at, Member.user_id))).all()
        return [_info(db, member, language) for member, language in rows]


async def count_members(
    db: Database, *, regions: Iterable[str] | None = None
) -> Counter[tuple[str, str]]:
    """How many members per (region, status)."""
    stmt = select(Member.region, Member.status)
    if regions is not None:
        stmt = stmt.where(Member.region.in_(list(regions)))
    async with db.transaction() as session:
        return Counter((region, status) for region, status in (await session.execute(stmt)).all())


async def find_members(
    db: Database, query: str, *, regions: Iterable[str] | None = None
) -> list[MemberInfo]:
    """Members whose name contains `query` (case-insensitive). Names are encrypted, so they are
    compared after decryption; the community is small enough for that."""
    needle = query.casefold().strip()
    return [m for m in await list_members(db, regions=regions) if needle in m.name.casefold()]
