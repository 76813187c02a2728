"""End-to-end fixtures: the real Application talking HTTP to the local Telegram stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_application
from bot.config import Settings, load_settings
from bot.context import SolidarityApp
from sandbox import Sandbox

TOKEN = "424242:sandbox-token-for-end-to-end-tests"
COORDINATOR_ID = 9001


class BotRunner:
    """Starts and stops the bot exactly as `Application.run_polling` does, minus the signals."""

    def __init__(self, sandbox: Sandbox, settings: Settings) -> None:
        self.sandbox = sandbox
        self.settings = settings
        self.app: SolidarityApp | None = None
        self.starts = 0

    @property
    def application(self) -> SolidarityApp:
        assert self.app is not None, "bot not running"
        return self.app

    async def start(self) -> None:
        app = build_application(self.settings)
        await app.initialize()
        if app.post_init:
            await app.post_init(app)
        assert app.updater is not None
        await app.updater.start_polling(timeout=5, poll_interval=0)
        await app.start()
        self.app = app
        self.starts += 1

    async def stop(self) -> None:
        app = self.application
        assert app.updater is not None
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)
        self.app = None

    async def restart(self) -> None:
        """A new bot process on the same database: only what was persisted survives."""
        await self.settle()
        await self.stop()
        await self.start()

    async def settle(self) -> None:
        """Wait until the bot has fetched and fully handled every update sent so far."""
        await self.sandbox.wait_confirmed()
        await self.application.update_queue.join()


def make_settings(sandbox: Sandbox, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": sandbox.url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.db'}",
        "DATA_DIR": str(tmp_path / "data"),
        "COORDINATOR_IDS": str(COORDINATOR_ID),
        "_env_file": None,
    }
    values.update(overrides)
    return load_settings(**values)


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    sb = Sandbox()
    await sb.start(host="127.0.0.1", port=0)
    yield sb
    await sb.stop()


@pytest.fixture
async def bot(sandbox: Sandbox, tmp_path: Path) -> AsyncIterator[BotRunner]:
    runner = BotRunner(sandbox, make_settings(sandbox, tmp_path))
    await runner.start()
    yield runner
    if runner.app is not None:
        await runner.settle()
        await runner.stop()
    # Every test leaves Telegram's limits unbroken (tests that provoke a breach clear it).
    assert sandbox.breaches == [], sandbox.breaches
