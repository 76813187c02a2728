"""Shared fixtures: a fresh, migrated database per test, on SQLite and on PostgreSQL.

Every test that uses the `db` or `db_url` fixture (directly, or through the end-to-end `bot`)
runs once per storage lane: `[sqlite]` and `[postgresql]`. `pytest --lane sqlite` (or
`--lane postgresql`) runs one lane only; `-m "not postgresql"` does the same by marker. A test
marked `@pytest.mark.sqlite_only` stays on SQLite (for what only SQLite has: files, PRAGMAs).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.services.crypto import Cipher, new_key
from db.engine import Database
from sandbox import Sandbox
from tests.postgres import (
    TEMPLATE,
    PostgresServer,
    PostgresUnavailable,
    database_of,
    find_binaries,
    start_server,
)

SETTING_NAMES = (
    "BOT_TOKEN",
    "TELEGRAM_API_URL",
    "DATABASE_URL",
    "COORDINATOR_IDS",
    "TIMEZONE",
    "DATA_DIR",
    "LOG_LEVEL",
    "DATA_KEY",
    "DATA_KEY_PREVIOUS",
    "KEY_FILE",
    "JOIN_APPROVAL",
    "LEADS_SEE_REPORTS",
    "BROADCAST_RATE",
    "WEBHOOK_URL",
    "WEBHOOK_SECRET",
    "LISTEN",
    "PORT",
)
LANES = ("sqlite", "postgresql")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--lane",
        action="append",
        choices=LANES,
        help="storage lane(s) to run: sqlite, postgresql (default: both)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite: the test runs on the SQLite lane")
    config.addinivalue_line("markers", "postgresql: the test runs on the PostgreSQL lane")
    config.addinivalue_line("markers", "sqlite_only: keep this test on the SQLite lane only")
    config.addinivalue_line(
        "markers", "at_the_limit: sends at Telegram's limit; `make test` runs it alone, last"
    )
    config.addinivalue_line("markers", "postgresql_only: run this test on PostgreSQL only")
    config.addinivalue_line(
        "markers", "webhook_too: an end-to-end journey that runs by polling and by webhook"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One run per storage lane for every test that needs a database."""
    if "db_lane" not in metafunc.fixturenames:
        return
    lanes = list(metafunc.config.getoption("lane") or LANES)
    for only in ("sqlite", "postgresql"):
        if metafunc.definition.get_closest_marker(f"{only}_only"):
            lanes = [lane for lane in lanes if lane == only]
    params = [pytest.param(lane, marks=getattr(pytest.mark, lane), id=lane) for lane in lanes]
    if not params:
        params = [pytest.param("sqlite", marks=pytest.mark.skip(reason="lane not selected"))]
    metafunc.parametrize("db_lane", params)


@pytest.fixture(autouse=True)
def no_settings_from_the_shell(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests decide every setting themselves, whatever the developer's shell exports; and a
    key file made where no KEY_FILE is set lands in the test's own folder, never in the
    developer's ~/.config."""
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole run, with a template database migrated to head."""
    try:
        find_binaries()
    except PostgresUnavailable as exc:
        pytest.skip(f"PostgreSQL lane skipped: {exc}")
    server = start_server()
    # Requested from inside a test's event loop: the template is made on a loop of its own.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, _create_template(server)).result()
    yield server
    server.stop()


async def _create_template(server: PostgresServer) -> None:
    await _admin(server, f'CREATE DATABASE "{TEMPLATE}"')
    database = Database(server.url(TEMPLATE))
    await database.connect()  # migrations, exactly as the bot applies them at start-up
    await database.dispose()


async def _admin(server: PostgresServer, *statements: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(host=str(server.socket_dir), user="postgres", database="postgres")
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture
def db_lane() -> str:
    return "sqlite"  # replaced by the parametrisation in pytest_generate_tests


async def _postgres_database(request: pytest.FixtureRequest, template: str) -> AsyncIterator[str]:
    server: PostgresServer = request.getfixturevalue("postgres")
    name = server.next_name()
    await _admin(server, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield server.url(name)
    await _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def db_url(
    db_lane: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[str]:
    """A database of this test's lane, already migrated to head (as from a previous start)."""
    if db_lane == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.db'}"
        return
    async for url in _postgres_database(request, TEMPLATE):
        yield url


@pytest.fixture
async def empty_db_url(
    db_lane: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[str]:
    """A database of this test's lane with nothing in it, not even the migrations."""
    if db_lane == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty' / 'bot.db'}"
        return
    async for url in _postgres_database(request, "template0"):
        yield url


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url, cipher=Cipher(new_key().encode()))
    await database.connect()
    yield database
    await database.dispose()


def database_bytes(db_url: str) -> bytes:
    """Everything the database keeps: SQLite's files on disk (main file and write-ahead log), or
    all that a backup of a PostgreSQL database (pg_dump) holds."""
    url = make_url(db_url)
    if url.get_backend_name() == "postgresql":
        import subprocess

        host = str(url.query["host"])
        return subprocess.run(  # noqa: S603 - our own binary and arguments
            [str(find_binaries() / "pg_dump"), "-h", host, "-U", "postgres", database_of(db_url)],
            check=True,
            capture_output=True,
            timeout=60,
        ).stdout
    path = Path(db_url.split("///", 1)[1])
    parts = [path, path.with_name(path.name + "-wal")]
    return b"".join(p.read_bytes() for p in parts if p.exists())


@pytest.fixture
async def sb() -> AsyncIterator[Sandbox]:
    """A sandbox of the test's own, on a free port, its rate limit too high to matter (the
    end-to-end tests have theirs in tests/e2e/conftest.py)."""
    sandbox = Sandbox(rate_limit=1000.0)
    await sandbox.start(host="127.0.0.1", port=0)
    try:
        yield sandbox
    finally:
        await sandbox.stop()
