"""The bot in this process against the sandbox, as the end-to-end tests set it up: the runner
itself is sandbox/runner.py (the benchmarks use it too); here, the tests' own settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.config import Settings
from sandbox import Sandbox
from sandbox.runner import TOKEN, BotRunner, sandbox_settings

__all__ = ["COORDINATOR_ID", "TOKEN", "BotRunner", "make_settings"]

COORDINATOR_ID = 9001


def make_settings(sandbox: Sandbox, tmp_path: Path, **overrides: Any) -> Settings:
    """A bot whose data lives in tmp_path/data, with one coordinator (COORDINATOR_ID)."""
    values: dict[str, Any] = {"COORDINATOR_IDS": str(COORDINATOR_ID)}
    values.update(overrides)
    return sandbox_settings(sandbox, tmp_path / "data", **values)
