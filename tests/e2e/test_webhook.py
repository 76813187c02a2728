"""Webhook mode: setWebhook at start, Telegram's secret header checked, retries, a real process.

The journeys marked `webhook_too` (the first conversation, reports) run in this mode as well;
these tests are about the webhook itself.
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import ALLOWED_UPDATES
from sandbox import Sandbox, SimUser
from tests.e2e.helpers import choose_language
from tests.e2e.runner import TOKEN, WEBHOOK_SECRET, WEBHOOK_URL, BotRunner, free_port
from tests.e2e.test_process import bot_env, run_bot_process, spawn_bot

webhook_only = pytest.mark.parametrize("delivery", ["webhook"])


def start_update(user: SimUser, update_id: int) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "from": user.to_json(),
            "chat": {"id": user.id, "type": "private", "first_name": user.first_name},
            "date": int(time.time()),
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


@webhook_only
async def test_the_webhook_is_set_at_start_with_the_secret_and_allowed_updates(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    (params,) = [p for m, p in sandbox.calls if m == "setWebhook"]
    assert params["url"] == WEBHOOK_URL
    assert params["secret_token"] == WEBHOOK_SECRET
    assert params["allowed_updates"] == ALLOWED_UPDATES
    info = await bot.application.bot.get_webhook_info()
    assert info.url == WEBHOOK_URL and info.pending_update_count == 0
    assert list(info.allowed_updates or ()) == ALLOWED_UPDATES


@webhook_only
async def test_a_request_without_the_right_secret_is_refused(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    aida = sandbox.add_user(first_name="Aida", language_code="en")
    await aida.send("/start")
    await aida.next_bot_message()
    await bot.settle()
    before = len(aida.bot_messages())
    address = f"http://127.0.0.1:{bot.settings.port}/{bot.settings.webhook_path}"
    header = "X-Telegram-Bot-Api-Secret-Token"
    async with httpx.AsyncClient(timeout=10) as http:
        for n, headers in enumerate(({}, {header: "guess"}, {header: WEBHOOK_SECRET[:-1]})):
            forged = await http.post(
                address,
                content=json.dumps(start_update(aida, 900 + n)),
                headers={"Content-Type": "application/json", **headers},
            )
            assert forged.status_code == 403
        await bot.settle()
        assert len(aida.bot_messages()) == before  # nothing forged reached the bot

        genuine = await http.post(
            address,
            content=json.dumps(start_update(aida, 999)),
            headers={"Content-Type": "application/json", header: WEBHOOK_SECRET},
        )
        assert genuine.status_code == 200
    greeting = await aida.next_bot_message()
    assert "Please choose your language" in greeting.text


@webhook_only
async def test_an_update_the_bot_refuses_is_posted_again_until_it_is_taken(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    """A webhook registered with another secret (say, after a botched redeploy): the bot answers
    403, Telegram keeps the update and tries again; once the webhook is right, it arrives."""
    telegram_bot = bot.application.bot
    await telegram_bot.set_webhook(
        WEBHOOK_URL, secret_token="an-old-secret", allowed_updates=ALLOWED_UPDATES
    )
    nuriza = sandbox.add_user(first_name="Nuriza", language_code="ky")
    await nuriza.send("/start")
    update_id = sandbox.updates[-1]["update_id"]
    await sandbox.wait_for(
        lambda: [s for u, s in sandbox.deliveries if u == update_id][:2] == [403, 403]
    )
    info = await telegram_bot.get_webhook_info()
    assert info.pending_update_count == 1
    assert info.last_error_message == "Wrong response from the webhook: 403 Forbidden"
    assert nuriza.bot_messages() == []

    await telegram_bot.set_webhook(
        WEBHOOK_URL, secret_token=WEBHOOK_SECRET, allowed_updates=ALLOWED_UPDATES
    )
    greeting = await nuriza.next_bot_message()
    assert "Кош келиңиз, Nuriza!" in greeting.text
    assert [s for u, s in sandbox.deliveries if u == update_id][-1] == 200


async def test_the_bot_process_runs_by_webhook_and_stops_cleanly(tmp_path: Path) -> None:
    """`python -m bot` with WEBHOOK_URL: listens on LISTEN:PORT behind the (sandbox) proxy."""
    port = free_port()
    sandbox = Sandbox(webhook_proxy=f"http://127.0.0.1:{port}")
    await sandbox.start(host="127.0.0.1", port=0)
    env = bot_env(tmp_path, sandbox.url) | {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.db'}",
        "WEBHOOK_URL": WEBHOOK_URL,
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
        "LISTEN": "127.0.0.1",
        "PORT": str(port),
        "LOG_LEVEL": "DEBUG",
    }
    process = await spawn_bot(env, tmp_path)
    try:
        await sandbox.wait_for(lambda: sandbox.webhook is not None, timeout=30)
        alia = sandbox.add_user(first_name="Alia", language_code="ru")
        await alia.send("/start")
        await alia.next_bot_message(timeout=15)
        menu = await choose_language(alia, "ru", timeout=15)
        assert "Главное меню" in menu.text
        await alia.send("my neighbour was taken to the police station")
        await alia.next_bot_message(timeout=15)
    finally:
        process.send_signal(signal.SIGTERM)
        _stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
        await sandbox.stop()
    log = stderr.decode()
    assert process.returncode == 0, log
    assert "Traceback" not in log
    assert f"Starting the bot (webhook {WEBHOOK_URL}, listening on 127.0.0.1:{port})" in log
    assert WEBHOOK_SECRET not in log and TOKEN not in log
    assert "neighbour" not in log, "what people type must never reach the logs"
    assert not any(m == "getUpdates" for m, _ in sandbox.calls)
    # python-telegram-bot calls setWebhook a moment before its server listens: an update sent
    # in that moment is refused, and posted again, as Telegram does. Every one arrived.
    delivered = {u for u, status in sandbox.deliveries if status == 200}
    assert delivered == {u for u, _ in sandbox.deliveries}, sandbox.deliveries
    assert sandbox.breaches == []


async def test_a_taken_port_is_one_line(tmp_path: Path) -> None:
    sandbox = Sandbox()
    await sandbox.start(host="127.0.0.1", port=0)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = bot_env(tmp_path, sandbox.url) | {
            "WEBHOOK_URL": WEBHOOK_URL,
            "WEBHOOK_SECRET": WEBHOOK_SECRET,
            "PORT": str(port),
        }
        try:
            code, log = await run_bot_process(env, tmp_path)
        finally:
            await sandbox.stop()
    assert code == 1, log
    lines = log.strip().splitlines()
    assert lines[-1] == (
        f"Cannot listen on 127.0.0.1:{port} (Address already in use); check LISTEN and PORT."
    ), log
    assert all(line.startswith("20") for line in lines[:-1]), "only one-line log events"
