"""Shared fixtures: a fresh, migrated database per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.services.crypto import Cipher, new_key
from db.engine import Database

SETTING_NAMES = (
    "BOT_TOKEN",
    "TELEGRAM_API_URL",
    "DATABASE_URL",
    "COORDINATOR_IDS",
    "TIMEZONE",
    "DATA_DIR",
    "LOG_LEVEL",
    "DATA_KEY",
    "JOIN_APPROVAL",
    "LEADS_SEE_REPORTS",
)


@pytest.fixture(autouse=True)
def no_settings_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests decide every setting themselves, whatever the developer's shell exports."""
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.db'}"


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url, cipher=Cipher(new_key().encode()))
    await database.connect()
    yield database
    await database.dispose()


def database_bytes(db_url: str) -> bytes:
    """Everything SQLite has on disk for this database (main file and write-ahead log)."""
    path = Path(db_url.split("///", 1)[1])
    parts = [path, path.with_name(path.name + "-wal")]
    return b"".join(p.read_bytes() for p in parts if p.exists())
