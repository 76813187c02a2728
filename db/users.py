"""Queries about the people who write to the bot. Plain data in, plain data out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update

from db.batch import GroupCommit
from db.engine import Database, insert_for
from db.models import User
from db.types import utcnow, visible


@dataclass(frozen=True, slots=True)
class UserInfo:
    id: int
    first_name: str
    username: str | None
    language: str | None
    telegram_language: str | None
    first_seen: datetime
    last_seen: datetime
    blocked: bool


# What her name is replaced with when she leaves (an empty name, from Telegram, is a name too).
ERASED_NAME = "\x00erased"

# What a person's record is read as (Core rows: no ORM objects on the path of every update).
_COLUMNS = (
    User.id,
    User.first_name,
    User.username,
    User.language,
    User.telegram_language,
    User.first_seen,
    User.last_seen,
    User.blocked,
)


def _info(db: Database, user: Any) -> UserInfo:
    """A User, or a row of _COLUMNS."""
    name = db.cipher.decrypt(user.first_name)
    return UserInfo(
        id=user.id,
        first_name="" if name == ERASED_NAME else name,
        username=db.cipher.decrypt_optional(user.username),
        language=user.language,
        telegram_language=user.telegram_language,
        first_seen=user.first_seen,
        last_seen=user.last_seen,
        blocked=user.blocked,
    )


async def record_user(
    db: Database,
    *,
    user_id: int,
    first_name: str,
    username: str | None,
    telegram_language: str | None,
    now: datetime | None = None,
) -> tuple[UserInfo, bool]:
    """Create or refresh a person; returns her record and whether she is new.

    Writing to the bot also means she has not blocked it (any more). Invisible and
    direction-control characters are removed from her name and username (db.types.visible).
    One statement for someone new (an insert, one for everyone new at the same moment: see
    db/batch.py) and for someone already seen by this process
    (an update), none at all when nothing changed today; someone else is first looked up, since
    the name of one who left (/leave) is not recorded again.
    """
    first_name = visible(first_name).strip()
    username = visible(username).strip() or None if username else None
    # Days, not moments: an exact "last seen" next to an exact report time would tell who sent
    # it. It also spares a write for every message: once a day per person is enough.
    day = (now or utcnow()).astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    identity = (first_name, username, telegram_language, day)
    recent: dict[int, tuple[object, UserInfo]] = db.memo.setdefault("recent_users", {})
    cached = recent.get(user_id)
    if cached is not None and cached[0] == identity and not cached[1].blocked:
        return cached[1], False
    values = {
        # Even that she wrote to this bot can endanger someone: names are encrypted too.
        "first_name": db.cipher.encrypt(first_name[:256]),
        "username": db.cipher.encrypt_optional(username),
        # PostgreSQL enforces the column's 16 characters (SQLite would not): a client can
        # send anything here.
        "telegram_language": (telegram_language or "")[:16] or None,
        "last_seen": day,
        "blocked": False,
        "blocked_at": None,
    }
    if cached is None:  # perhaps new: try to insert her, with the others new this moment
        row = await _newcomers(db).submit({"id": user_id, "first_seen": day, **values})
        if row is not None:
            return _remember(recent, user_id, identity, _info(db, row)), True
    async with db.transaction() as session:
        is_new = False
        if cached is None or not cached[1].first_name:
            # Known, but not (or, erased, without a name) to this process: did she leave?
            stored = await session.scalar(select(User.first_name).where(User.id == user_id))
            if stored is not None and _erased(db, stored):
                # She left (/leave erased her name): her name is not recorded again.
                values["first_name"] = db.cipher.encrypt(ERASED_NAME)
                values["username"] = None
        updated = await session.execute(
            update(User).where(User.id == user_id).values(**values).returning(*_COLUMNS)
        )
        row = updated.first()
        if row is None:  # not there after all (a record seen before another database)
            row = (
                await session.execute(
                    insert_for(session)(User)
                    .values(id=user_id, first_seen=day, **values)
                    .returning(*_COLUMNS)
                )
            ).one()
            is_new = True
        info = _info(db, row)
    return _remember(recent, user_id, identity, info), is_new


def _remember(
    recent: dict[int, tuple[object, UserInfo]], user_id: int, identity: object, info: UserInfo
) -> UserInfo:
    if len(recent) >= RECENT_LIMIT:
        recent.clear()
    recent[user_id] = (identity, info)
    return info


def _newcomers(db: Database) -> GroupCommit[dict[str, Any], Any]:
    """Everyone new of one moment is inserted in one transaction, with one statement."""
    batcher: GroupCommit[dict[str, Any], Any] | None = db.memo.get("newcomers")
    if batcher is None:

        async def insert_new(rows: list[dict[str, Any]]) -> list[Any]:
            unique = list({row["id"]: row for row in rows}.values())
            async with db.transaction() as session:
                inserted = await session.execute(
                    insert_for(session)(User.__table__)
                    .on_conflict_do_nothing(index_elements=[User.id])
                    .returning(*_COLUMNS),
                    unique,
                )
                by_id = {row.id: row for row in inserted}
            # The same person twice in a batch: the first is new, the second is not.
            return [by_id.pop(row["id"], None) for row in rows]

        batcher = db.memo["newcomers"] = GroupCommit(insert_new)
    return batcher


def _erased(db: Database, first_name: str) -> bool:
    """Her name (as stored) was erased when she left."""
    try:
        return db.cipher.decrypt(first_name) == ERASED_NAME
    except Exception:  # not ours to judge here: the row is rewritten all the same
        return False


async def get_user(db: Database, user_id: int) -> UserInfo | None:
    async with db.transaction() as session:
        user = await session.get(User, user_id)
        return _info(db, user) if user else None


RECENT_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class Reach:
    """What the outbox's sender needs to know of a recipient: her language, and whether she
    blocked the bot (nothing decrypted)."""

    language: str | None
    telegram_language: str | None
    blocked: bool


async def reach_of(db: Database, user_ids: Iterable[int]) -> dict[int, Reach]:
    """Language and blocked flag of many people at once (those who never wrote are absent)."""
    wanted = sorted(set(user_ids))
    found: dict[int, Reach] = {}
    async with db.transaction() as session:
        for start in range(0, len(wanted), 500):
            rows = await session.execute(
                select(User.id, User.language, User.telegram_language, User.blocked).where(
                    User.id.in_(wanted[start : start + 500])
                )
            )
            for user_id, language, telegram_language, blocked in rows.all():
                found[user_id] = Reach(language, telegram_language, bool(blocked))
    return found


async def set_language(db: Database, user_id: int, language: str) -> None:
    """Her choice of language; her remembered record (if any) learns it too, so her next
    message costs no write."""
    recent: dict[int, tuple[object, UserInfo]] = db.memo.get("recent_users", {})
    cached = recent.pop(user_id, None)
    async with db.transaction() as session:
        await session.execute(update(User).where(User.id == user_id).values(language=language))
    if cached is not None:
        recent[user_id] = (cached[0], replace(cached[1], language=language))


async def set_blocked(db: Database, user_id: int, blocked: bool) -> None:
    """Remember that she blocked (or unblocked) the bot, so nothing more is sent to her."""
    db.memo.get("recent_users", {}).pop(user_id, None)
    async with db.transaction() as session:
        await session.execute(
            update(User)
            .where(User.id == user_id)
            .values(blocked=blocked, blocked_at=db.day() if blocked else None)
        )
