"""The bot in this process against the sandbox, as the end-to-end tests set it up: the runner
itself is sandbox/runner.py (the benchmarks use it too); here, the tests' own settings."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from bot.config import Settings
from sandbox import Sandbox
from sandbox.runner import TOKEN, BotRunner, sandbox_settings

__all__ = ["COORDINATOR_ID", "TOKEN", "WEBHOOK_SECRET", "WEBHOOK_URL", "BotRunner", "make_settings"]

COORDINATOR_ID = 9001
# Webhook mode: the public address Telegram would post to (the sandbox proxies it to loopback).
WEBHOOK_URL = "https://bot.example.org/telegram"
WEBHOOK_SECRET = "sandbox-webhook-secret_0123456789"


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def make_settings(
    sandbox: Sandbox, tmp_path: Path, *, webhook: bool = False, **overrides: Any
) -> Settings:
    """A bot whose data lives in tmp_path/data, with one coordinator (COORDINATOR_ID);
    `webhook=True` for webhook mode."""
    values: dict[str, Any] = {"COORDINATOR_IDS": str(COORDINATOR_ID)}
    if webhook:
        values |= {
            "WEBHOOK_URL": WEBHOOK_URL,
            "WEBHOOK_SECRET": WEBHOOK_SECRET,
            "LISTEN": "127.0.0.1",
            "PORT": str(free_port()),
        }
    values.update(overrides)
    return sandbox_settings(sandbox, tmp_path / "data", **values)
