"""Apply Alembic migrations from code (start-up, `python -m bot db upgrade`, tests)."""

from __future__ import annotations

from datetime import tzinfo
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from db.types import Cipher

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _upgrade(connection: Connection, config: Config, revision: str) -> None:
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def upgrade_engine(
    engine: AsyncEngine,
    revision: str = "head",
    *,
    cipher: Cipher | None = None,
    zone: tzinfo | None = None,
) -> None:
    """Bring the schema of `engine` to `revision`, sharing its connection with Alembic.
    `cipher`: for migrations that convert stored data (0007 encrypts ids that were in clear);
    they refuse to run without it when there is data to convert."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    config.attributes["cipher"] = cipher
    config.attributes["zone"] = zone
    if engine.dialect.name != "sqlite":
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade, config, revision)
        return
    # SQLite alters a table by copying it into a new one and dropping the old: with foreign keys
    # enforced, dropping a parent (reports) would delete its children (attachments, threads).
    # They are off while migrating (the pragma works only outside a transaction), and checked
    # after.
    async with engine.connect() as connection:
        await connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        await connection.commit()
        try:
            async with connection.begin():
                await connection.run_sync(_upgrade, config, revision)
                broken = (await connection.exec_driver_sql("PRAGMA foreign_key_check")).all()
                if broken:
                    raise RuntimeError(f"migration left rows without their parent: {broken[:3]}")
        finally:
            await connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            await connection.commit()
