"""Queries about the people who write to the bot. Plain data in, plain data out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update

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


def _info(db: Database, user: User) -> UserInfo:
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
    async with db.transaction() as session:
        existing = await session.get(User, user_id)
        existed = existing is not None
        if existing is not None and _erased(db, existing):
            # She left (/leave erased her name): her name is not recorded again.
            first_name, username = ERASED_NAME, None
        stmt = insert_for(session)(User).values(
            id=user_id,
            # Even that she wrote to this bot can endanger someone: names are encrypted too.
            first_name=db.cipher.encrypt(first_name[:256]),
            username=db.cipher.encrypt_optional(username),
            # PostgreSQL enforces the column's 16 characters (SQLite would not): a client can
            # send anything here.
            telegram_language=(telegram_language or "")[:16] or None,
            first_seen=day,
            last_seen=day,
            blocked=False,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[User.id],
            set_={
                "first_name": stmt.excluded.first_name,
                "username": stmt.excluded.username,
                "telegram_language": stmt.excluded.telegram_language,
                "last_seen": stmt.excluded.last_seen,
                "blocked": False,
                "blocked_at": None,
            },
        )
        returning = stmt.returning(User).execution_options(populate_existing=True)
        info = _info(db, (await session.scalars(returning)).one())
    if len(recent) >= RECENT_LIMIT:
        recent.clear()
    recent[user_id] = (identity, info)
    return info, not existed


def _erased(db: Database, user: User) -> bool:
    """Her name was erased when she left."""
    try:
        return db.cipher.decrypt(user.first_name) == ERASED_NAME
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
    db.memo.get("recent_users", {}).pop(user_id, None)
    async with db.transaction() as session:
        await session.execute(update(User).where(User.id == user_id).values(language=language))


async def set_blocked(db: Database, user_id: int, blocked: bool) -> None:
    """Remember that she blocked (or unblocked) the bot, so nothing more is sent to her."""
    db.memo.get("recent_users", {}).pop(user_id, None)
    async with db.transaction() as session:
        await session.execute(
            update(User)
            .where(User.id == user_id)
            .values(blocked=blocked, blocked_at=db.day() if blocked else None)
        )
