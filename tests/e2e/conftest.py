"""End-to-end fixtures: the real Application talking HTTP to the local Telegram stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sandbox import Sandbox
from tests.e2e.runner import BotRunner, make_settings


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    sb = Sandbox()
    await sb.start(host="127.0.0.1", port=0)
    yield sb
    await sb.stop()


@pytest.fixture
async def bot(sandbox: Sandbox, tmp_path: Path, db_url: str) -> AsyncIterator[BotRunner]:
    runner = BotRunner(sandbox, make_settings(sandbox, tmp_path, DATABASE_URL=db_url))
    await runner.start()
    yield runner
    if runner.app is not None:
        await runner.settle()
        await runner.stop()
    # Every test leaves Telegram's limits unbroken (tests that provoke a breach clear it).
    assert sandbox.breaches == [], sandbox.breaches
