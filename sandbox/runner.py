"""Run the real bot against the sandbox in this process: for the end-to-end tests and the
benchmarks. The one module of sandbox/ that knows the bot; the sandbox itself never imports
it (`python -m sandbox` runs without the bot)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler

from bot.app import ALLOWED_UPDATES, build_application, webhook_arguments
from bot.config import Settings, load_settings
from bot.context import SolidarityApp

from .server import Sandbox

# A token of the right shape; the sandbox accepts any.
TOKEN = "424242:sandbox-token-for-end-to-end-tests"  # noqa: S105


class BotRunner:
    """Starts and stops the bot exactly as `Application.run_polling` (or `run_webhook`, when the
    settings have WEBHOOK_URL) does, minus the signals."""

    def __init__(self, sandbox: Sandbox, settings: Settings, *, rate_limit: bool = True) -> None:
        self.sandbox = sandbox
        self.settings = settings
        self.rate_limit = rate_limit
        self.app: SolidarityApp | None = None
        self.starts = 0

    @property
    def application(self) -> SolidarityApp:
        assert self.app is not None, "bot not running"
        return self.app

    async def start(self) -> None:
        app = build_application(self.settings, rate_limit=self.rate_limit)
        await app.initialize()
        if app.post_init:
            await app.post_init(app)
        assert app.updater is not None
        if self.settings.webhook:
            # The sandbox stands in for Telegram and the reverse proxy: it posts to LISTEN:PORT.
            self.sandbox.webhook_proxy = f"http://{self.settings.listen}:{self.settings.port}"
            await app.updater.start_webhook(**webhook_arguments(self.settings))
        else:
            await app.updater.start_polling(
                timeout=5, poll_interval=0, allowed_updates=ALLOWED_UPDATES
            )
        await app.start()
        self.app = app
        self.starts += 1

    async def stop(self) -> None:
        app = self.application
        assert app.updater is not None
        await app.updater.stop()
        await app.stop()
        if app.post_stop:
            await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)
        self.app = None

    async def restart(self) -> None:
        """A new bot process on the same database: only what was persisted survives."""
        await self.settle()
        await self.stop()
        await self.start()

    def add_feature_handler(self, handler: BaseHandler[Update, Any, Any]) -> None:
        """A test-only handler, first in the feature group, as a feature's own would be."""
        self.application.handlers.setdefault(0, []).insert(0, handler)

    async def settle(self) -> None:
        """Wait until the bot has fetched and fully handled every update sent so far, and its
        outbox has sent what it may send now."""
        await self.sandbox.wait_confirmed()
        await self.application.update_queue.join()
        if self.application.sender is not None:
            async with asyncio.timeout(15):
                await self.application.sender.drained()


def sandbox_settings(sandbox: Sandbox, data_dir: Path, **overrides: Any) -> Settings:
    """Settings of a bot that talks to `sandbox` and keeps its data in `data_dir`; nothing is
    read from the environment or a .env file."""
    values: dict[str, Any] = {
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": sandbox.url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{data_dir / 'bot.db'}",
        "DATA_DIR": str(data_dir),
        # The key beside the data folder, not in it (and never in the user's own config).
        "KEY_FILE": str(data_dir.parent / "keys" / "data.key"),
        "_env_file": None,
    }
    values.update(overrides)
    return load_settings(**values)
