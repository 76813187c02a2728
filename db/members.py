"""Members of the community. Name, district and phone are stored encrypted (db.cipher).

Lists are paged in SQL and only the members shown are decrypted. Searching by part of a name
cannot be done in SQL, since names are encrypted: the names (normalised) are kept in memory,
decrypted once in a worker thread and read again after any change of a member made here
(`_forget_names`). Keyed hashes of name fragments in the database would have made the search a
query, but would let anyone with a copy of the database count how often each fragment occurs
across members: with names, that gives names away. See docs/PERFORMANCE.md.
"""

from __future__ import annotations

import asyncio
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.audit import add_audit
from db.engine import Database
from db.memo import Memo
from db.models import AuditEntry, Member, RoleGrant, User
from db.outbox import Outgoing, enqueue
from db.roles import forget_grants
from db.types import utcnow
from db.users import ERASED_NAME


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


@dataclass(frozen=True, slots=True)
class MemberPage:
    """Some members (decrypted) and how many there are in all."""

    members: list[MemberInfo]
    total: int


# user id → (normalised name, region, status) of every member.
Names = dict[int, tuple[str, str, str]]


def normalise(text: str) -> str:
    """How names and searches are compared: Unicode-normalised, case-folded (Cyrillic and Latin
    alike), spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


async def _read_names(db: Database) -> Names:
    async with db.transaction() as session:
        rows = (
            await session.execute(
                select(Member.user_id, Member.name_enc, Member.region, Member.status)
            )
        ).all()
    cipher = db.cipher

    def open_all() -> Names:
        return {
            user_id: (normalise(cipher.decrypt(name)), region, status)
            for user_id, name, region, status in rows
        }

    return await asyncio.to_thread(open_all)  # CPU-bound: off the event loop


# Kept in memory (for the /roles search), read again after any change of a member.
_NAMES = Memo("member_names", _read_names)
_names = _NAMES.get
_forget_names = _NAMES.forget


def _filters(regions: Iterable[str] | None, status: str | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if regions is not None:
        conditions.append(Member.region.in_(list(regions)))
    if status is not None:
        conditions.append(Member.status == status)
    return conditions


async def _members_by_id(db: Database, ids: Sequence[int]) -> list[MemberInfo]:
    """These members, decrypted, in the order of `ids`."""
    if not ids:
        return []
    async with db.transaction() as session:
        rows = (
            await session.execute(
                select(Member, User.language)
                .join(User, User.id == Member.user_id)
                .where(Member.user_id.in_(list(ids)))
            )
        ).all()
    found = {member.user_id: _info(db, member, language) for member, language in rows}
    return [found[i] for i in ids if i in found]


async def members_page(
    db: Database,
    *,
    regions: Iterable[str] | None = None,
    status: str | None = None,
    offset: int = 0,
    limit: int = 10,
) -> MemberPage:
    """One page of the members (oldest first), optionally of some regions and one status: two
    statements, and only the members of the page are decrypted."""
    conditions = _filters(regions, status)
    async with db.transaction() as session:
        total = await session.scalar(select(func.count()).select_from(Member).where(*conditions))
        rows = (
            await session.execute(
                select(Member, User.language)
                .join(User, User.id == Member.user_id)
                .where(*conditions)
                .order_by(Member.joined_at, Member.user_id)
                .offset(offset)
                .limit(limit)
            )
        ).all()
    return MemberPage([_info(db, m, language) for m, language in rows], int(total or 0))


async def search_members(
    db: Database, query: str, *, regions: Iterable[str] | None = None, limit: int = 20
) -> MemberPage:
    """Members whose name contains `query` (case-insensitive, any script), by name: the first
    `limit` of them decrypted, and how many match in all."""
    needle = normalise(query)
    if not needle:
        return MemberPage([], 0)
    wanted = None if regions is None else set(regions)
    names = await _names(db)
    matches = sorted(
        (name, user_id)
        for user_id, (name, region, _status) in names.items()
        if needle in name and (wanted is None or region in wanted)
    )
    return MemberPage(
        await _members_by_id(db, [user_id for _, user_id in matches[:limit]]), len(matches)
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
                decided_by_enc=None,
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
    _forget_names(db)
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
    if name is not None or region is not None:
        _forget_names(db)
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
            row.decided_by_enc = db.cipher.encrypt(str(actor_id))
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
    _forget_names(db)
    return member


async def erase_member(
    db: Database, user_id: int, *, actor_id: int, outbox: Sequence[Outgoing] = ()
) -> bool:
    """She leaves: everything about her that is not evidence in a report she filed is erased,
    in one transaction. Her membership (name, district, phone, interests), the roles given to
    her in chat, her name and username on her user record (kept erased from then on), and the
    audit entries about her: those about her membership and roles are removed, those of what
    she did in a role keep the action and the day but no longer say who; one entry "a member
    left", with the day and no ids, remains. (Her persisted conversation data is the
    persistence's: the handler clears it.) Returns False if she was not a member (the rest is
    erased all the same)."""
    cipher = db.cipher
    async with db.transaction() as session:
        row = await session.get(Member, user_id)
        await session.execute(delete(Member).where(Member.user_id == user_id))
        await session.execute(
            delete(RoleGrant).where(RoleGrant.user_tag.in_(cipher.tags(f"role:{user_id}")))
        )
        await session.execute(
            update(User)
            .where(User.id == user_id)
            .values(first_name=cipher.encrypt(ERASED_NAME), username=None)
        )
        await _forget_in_audit(db, session, user_id)
        add_audit(session, "member.left", actor_id=None)
        await enqueue(session, cipher, outbox)
    db.memo.get("recent_users", {}).pop(user_id, None)
    _forget_names(db)
    forget_grants(db)
    await db.checkpoint()
    return row is not None


PERSON_TARGETS = ("member.", "role.")


async def _forget_in_audit(db: Database, session: AsyncSession, user_id: int) -> None:
    """Audit entries about her go; those of what she did to others keep no actor. Ids are
    encrypted, so every entry is read (the log of a community is small enough for that)."""
    person = str(user_id)
    entries = (await session.execute(select(AuditEntry))).scalars().all()
    for entry in entries:
        actor = db.cipher.decrypt_optional(entry.actor_enc)
        target = db.cipher.decrypt_optional(entry.target_enc)
        # Targets of member.* and role.* entries are people; of report.* entries, reports.
        if target == person and entry.action.startswith(PERSON_TARGETS):
            await session.delete(entry)
        elif actor == person:
            entry.actor_enc = None


async def list_members(
    db: Database, *, regions: Iterable[str] | None = None, status: str | None = None
) -> list[MemberInfo]:
    """Every member (optionally of some regions and one status), oldest first, decrypted: for
    exports. The decryption, CPU work for thousands, is done in a worker thread."""
    stmt = select(Member, User.language).join(User, User.id == Member.user_id)
    async with db.transaction() as session:
        rows = (
            await session.execute(
                stmt.where(*_filters(regions, status)).order_by(Member.joined_at, Member.user_id)
            )
        ).all()
    return await asyncio.to_thread(lambda: [_info(db, m, language) for m, language in rows])


async def count_members(
    db: Database, *, regions: Iterable[str] | None = None
) -> Counter[tuple[str, str]]:
    """How many members per (region, status): counted by the database (GROUP BY)."""
    stmt = (
        select(Member.region, Member.status, func.count())
        .where(*_filters(regions, None))
        .group_by(Member.region, Member.status)
    )
    async with db.transaction() as session:
        rows = (await session.execute(stmt)).all()
    return Counter({(region, status): int(n) for region, status, n in rows})


async def find_members(
    db: Database, query: str, *, regions: Iterable[str] | None = None
) -> list[MemberInfo]:
    """Every member whose name contains `query` (case-insensitive), decrypted."""
    return (await search_members(db, query, regions=regions, limit=1_000_000)).members
