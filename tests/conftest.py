"""Shared fixtures: a fresh, migrated database per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.services.crypto import Cipher, new_key
from db.engine import Database


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
