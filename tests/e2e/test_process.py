"""`python -m bot` as a real process: start-up, a conversation, SIGTERM, and its log lines."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from bot.services.crypto import load_cipher
from db.engine import Database
from db.users import get_user
from sandbox import Sandbox
from tests.e2e.runner import TOKEN

ROOT = Path(__file__).resolve().parents[2]


async def test_process_runs_stops_cleanly_on_sigterm_and_never_logs_the_token(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "TELEGRAM_"))}
    env.update(
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=sandbox.url,
        DATABASE_URL=db_url,
        DATA_DIR=str(tmp_path / "data"),
        LOG_LEVEL="DEBUG",
        PYTHONPATH=str(ROOT),
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        # Ready once it has registered its commands and started polling.
        await sandbox.wait_for(lambda: any(m == "getUpdates" for m, _ in sandbox.calls), timeout=30)
        alia = sandbox.add_user(first_name="Alia", language_code="ky")
        await alia.send("/start")
        await alia.next_bot_message(timeout=15)
        await alia.press("Русский")
        menu = await alia.next_bot_message(timeout=15)
        assert menu.text.startswith("Главное меню")
        await alia.send("my neighbour was beaten at the police station")
        await alia.next_bot_message(timeout=15)
    finally:
        process.send_signal(signal.SIGTERM)
        _stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)

    log = stderr.decode()
    assert process.returncode == 0, log
    assert "Traceback" not in log
    assert "neighbour" not in log, "what people type must never reach the logs"
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
    lines = log.strip().splitlines()
    warnings = [line for line in lines if " INFO " not in line and " DEBUG " not in line]
    # The only warnings: the key file was created, and must be backed up.
    assert len(warnings) == 2 and all("DATA_KEY is not set" in w for w in warnings), log
    assert "Stopped" in lines[-1]
    key_file = tmp_path / "data" / "data.key"
    assert key_file.stat().st_mode & 0o777 == 0o600

    database = Database(db_url, cipher=load_cipher(None, tmp_path / "data"))
    try:
        person = await get_user(database, alia.id)
    finally:
        await database.dispose()
    assert person is not None and person.language == "ru"
    assert sandbox.breaches == []
