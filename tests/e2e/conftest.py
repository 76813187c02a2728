"""End-to-end fixtures: the real Application talking HTTP to the local Telegram stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sandbox import Sandbox
from tests.e2e.button_layout import unexpected_wide_buttons
from tests.e2e.runner import BotRunner, make_settings


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    sb = Sandbox()
    await sb.start(host="127.0.0.1", port=0)
    yield sb
    await sb.stop()
    # Every button it was sent fits its row on a phone (tests/e2e/button_layout.py).
    wide = unexpected_wide_buttons(sb.calls)
    assert not wide, "\n".join(map(str, wide))


@pytest.fixture
def delivery() -> str:
    """How updates reach the bot: long polling, unless a test is marked `webhook_too`."""
    return "polling"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Journeys marked `@pytest.mark.webhook_too` run by polling and by webhook."""
    if "delivery" in metafunc.fixturenames and metafunc.definition.get_closest_marker(
        "webhook_too"
    ):
        metafunc.parametrize("delivery", ["polling", "webhook"])


@pytest.fixture
async def bot(
    sandbox: Sandbox, tmp_path: Path, db_url: str, delivery: str
) -> AsyncIterator[BotRunner]:
    settings = make_settings(sandbox, tmp_path, webhook=delivery == "webhook", DATABASE_URL=db_url)
    runner = BotRunner(sandbox, settings)
    await runner.start()
    yield runner
    if runner.app is not None:
        await runner.settle()
        await runner.stop()
    # Every test leaves Telegram's limits unbroken (tests that provoke a breach clear it).
    assert sandbox.breaches == [], sandbox.breaches
    if delivery == "webhook":
        # Every update came by webhook; the bot never polled.
        assert not any(m == "getUpdates" for m, _ in sandbox.calls)
