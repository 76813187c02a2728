"""Small documents coordinators edit from chat (table `settings`), e.g. the help directory."""

from __future__ import annotations

from db.audit import add_audit
from db.engine import Database, upsert
from db.models import Setting
from db.types import utcnow


async def get_document(db: Database, key: str) -> str | None:
    async with db.transaction() as session:
        row = await session.get(Setting, key)
        return row.value if row else None


async def put_document(db: Database, key: str, value: str, *, actor_id: int) -> None:
    async with db.transaction() as session:
        values = {
            "key": key,
            "value": value,
            "updated_by_enc": db.cipher.encrypt(str(actor_id)),
            "updated_at": utcnow(),
        }
        await upsert(session, Setting, values, keys=("key",))
        add_audit(session, "document.replaced", actor_id=actor_id, key=key)
