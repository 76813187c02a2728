"""Run the real bot against the sandbox in this process (tests and benchmarks)."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler

from bot.app import ALLOWED_UPDATES, build_application, webhook_arguments
from bot.config import Settings, load_settings
from bot.context import SolidarityApp
from sandbox import Sandbox

TOKEN = "424242:sandbox-token-for-end-to-end-tests"
COORDINATOR_ID = 9001
# Webhook mode: the public address Telegram would post to (the sandbox proxies it to loopback).
WEBHOOK_URL = "https://bot.example.org/telegram"
WEBHOOK_SECRET = "sandbox-webhook-secret_0123456789"


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
        """Wait until the bot has fetched and fully handled every update sent so far."""
        await self.sandbox.wait_confirmed()
        await self.application.update_queue.join()


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def make_settings(
    sandbox: Sandbox, tmp_path: Path, *, webhook: bool = False, **overrides: Any
) -> Settings:
    """The bot's settings against this sandbox; `webhook=True` for webhook mode."""
    values: dict[str, Any] = {
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": sandbox.url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.db'}",
        "DATA_DIR": str(tmp_path / "data"),
        "COORDINATOR_IDS": str(COORDINATOR_ID),
        "_env_file": None,
    }
    if webhook:
        values |= {
            "WEBHOOK_URL": WEBHOOK_URL,
            "WEBHOOK_SECRET": WEBHOOK_SECRET,
            "LISTEN": "127.0.0.1",
            "PORT": str(free_port()),
        }
    values.update(overrides)
    return load_settings(**values)
