"""The models and the migrations describe the same schema: a fresh database brought to the
newest revision by Alembic differs in nothing from what db/models.py declares."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from db.engine import Database
from db.models import Base


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, Base.metadata))


async def test_models_and_migrations_agree(db: Database) -> None:
    async with db.engine.connect() as connection:  # migrated by the fixture, as at start-up
        differences = await connection.run_sync(_differences)
    assert differences == []
