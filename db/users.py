"""Queries about the people who write to the bot. Plain data in, plain data out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import Database
from db.models import User
from db.types import utcnow


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


def _info(db: Database, user: User) -> UserInfo:
    return UserInfo(
        id=user.id,
        first_name=db.cipher.decrypt(user.first_name),
        username=db.cipher.decrypt_optional(user.username),
        language=user.language,
        telegram_language=user.telegram_language,
        first_seen=user.first_seen,
        last_seen=user.last_seen,
        blocked=user.blocked,
    )


def _insert(session: AsyncSession) -> type[sqlite.Insert] | type[postgresql.Insert]:
    name = session.get_bind().dialect.name
    return postgresql.Insert if name == "postgresql" else sqlite.Insert


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

    Writing to the bot also means she has not blocked it (any more).
    """
    now = now or utcnow()
    async with db.transaction() as session:
        insert = _insert(session)
        stmt = insert(User).values(
            id=user_id,
            # Even that she wrote to this bot can endanger someone: names are encrypted too.
            first_name=db.cipher.encrypt(first_name[:256]),
            username=db.cipher.encrypt_optional(username),
            telegram_language=(telegram_language or None),
            first_seen=now,
            last_seen=now,
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
        user = (await session.scalars(returning)).one()
        return _info(db, user), user.first_seen == now


async def get_user(db: Database, user_id: int) -> UserInfo | None:
    async with db.transaction() as session:
        user = await session.get(User, user_id)
        return _info(db, user) if user else None


async def set_language(db: Database, user_id: int, language: str) -> None:
    async with db.transaction() as session:
        await session.execute(update(User).where(User.id == user_id).values(language=language))


async def set_blocked(db: Database, user_id: int, blocked: bool) -> None:
    """Remember that she blocked (or unblocked) the bot, so nothing more is sent to her."""
    async with db.transaction() as session:
        await session.execute(
            update(User)
            .where(User.id == user_id)
            .values(blocked=blocked, blocked_at=utcnow() if blocked else None)
        )
