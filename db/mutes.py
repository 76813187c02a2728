"""Senders the coordinators muted (flooding, abuse): known only by a keyed hash of their id, so
that the list tells nobody without the key who they are."""

from __future__ import annotations

from sqlalchemy import delete, select

from db.audit import add_audit
from db.engine import Database, upsert
from db.models import MutedSender
from db.types import utcnow


def _tag(db: Database, user_id: int) -> str:
    return db.cipher.tag(f"mute:{user_id}")


async def mute(db: Database, user_id: int, *, actor_id: int) -> None:
    today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    async with db.transaction() as session:
        await upsert(
            session,
            MutedSender,
            {
                "tag": _tag(db, user_id),
                "user_enc": db.cipher.encrypt(str(user_id)),
                "muted_by_enc": db.cipher.encrypt(str(actor_id)),
                "muted_on": today,
            },
            keys=("tag",),
        )
        add_audit(session, "sender.muted", actor_id=actor_id)


async def unmute(db: Database, user_id: int, *, actor_id: int) -> bool:
    async with db.transaction() as session:
        result = await session.execute(
            delete(MutedSender).where(MutedSender.tag == _tag(db, user_id))
        )
        add_audit(session, "sender.unmuted", actor_id=actor_id)
        return bool(result.rowcount)  # type: ignore[attr-defined]


async def is_muted(db: Database, user_id: int) -> bool:
    async with db.transaction() as session:
        found = await session.scalar(
            select(MutedSender.tag).where(MutedSender.tag == _tag(db, user_id))
        )
        return found is not None
