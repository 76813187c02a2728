"""Small documents coordinators edit from chat (table `settings`), e.g. the help directory."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite

from db.audit import add_audit
from db.engine import Database
from db.models import Setting
from db.types import utcnow


async def get_document(db: Database, key: str) -> str | None:
    async with db.transaction() as session:
        row = await session.get(Setting, key)
        return row.value if row else None


async def put_document(db: Database, key: str, value: str, *, actor_id: int) -> None:
    async with db.transaction() as session:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        now = utcnow()
        stmt = insert(Setting).values(key=key, value=value, updated_by=actor_id, updated_at=now)
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=[Setting.key],
                set_={"value": value, "updated_by": actor_id, "updated_at": now},
            )
        )
        add_audit(session, "document.replaced", actor_id=actor_id, key=key)
