"""`python -m bot` as a real process: start-up, a conversation, SIGTERM, and its log lines."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from asyncio.subprocess import DEVNULL, PIPE, Process
from pathlib import Path

from sqlalchemy import select

from bot.services.crypto import load_cipher
from db.engine import Database
from db.models import ConversationState
from db.users import get_user
from sandbox import Sandbox
from tests.conftest import SETTING_NAMES
from tests.e2e.helpers import MAIN_MENU, choose_language, wait_text
from tests.e2e.runner import TOKEN
from tests.texts import tr

ROOT = Path(__file__).resolve().parents[2]
PLACE = (  # the msgid of the question after the region, in /report
    "<b>The place</b> (optional)\n"
    "Type the town, village or institution, or send a location pin (📎 → Location), or skip."
)


async def test_process_runs_stops_cleanly_on_sigterm_and_never_logs_the_token(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.db'}"
    env = bot_env(tmp_path, sandbox.url) | {"DATABASE_URL": db_url, "LOG_LEVEL": "DEBUG"}
    process = await spawn_bot(env, tmp_path)
    try:
        # Ready once it has registered its commands and started polling.
        await sandbox.wait_for(lambda: any(m == "getUpdates" for m, _ in sandbox.calls), timeout=30)
        alia = sandbox.add_user(first_name="Alia", language_code="ky")
        await alia.send("/start")
        await alia.next_bot_message(timeout=15)
        menu = await choose_language(alia, "ru", seconds=15)
        assert menu.text.endswith(tr("ru", MAIN_MENU))
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
    # The only warning, once: a key file was created outside the data folder, to be backed up.
    assert len(warnings) == 1 and "Created a new data key" in warnings[0], log
    assert "Stopped" in lines[-1]
    key_file = tmp_path / "keys" / "data.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert not (tmp_path / "data" / "data.key").exists()
    # The data folder and the database's files are the bot's user's alone.
    assert (tmp_path / "data").stat().st_mode & 0o777 == 0o700
    for name in ("bot.db", "bot.db-wal", "bot.db-shm", "bot.lock"):
        path = tmp_path / "data" / name
        assert not path.exists() or path.stat().st_mode & 0o777 == 0o600, name

    database = Database(db_url, cipher=load_cipher(None, tmp_path / "data", key_file=key_file))
    try:
        person = await get_user(database, alia.id)
    finally:
        await database.dispose()
    assert person is not None and person.language == "ru"
    assert sandbox.breaches == []


async def spawn_bot(env: dict[str, str], cwd: Path, *, log: int | None = PIPE) -> Process:
    """`python -m bot` in its own process; its log (stderr) piped unless told otherwise."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=cwd, env=env, stdout=DEVNULL, stderr=log
    )


async def run_bot_process(env: dict[str, str], cwd: Path) -> tuple[int, str]:
    process = await spawn_bot(env, cwd)
    _stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, stderr.decode()


def bot_env(tmp_path: Path, api_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES}
    env.update(
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=api_url,
        DATA_DIR=str(tmp_path / "data"),
        KEY_FILE=str(tmp_path / "keys" / "data.key"),
        PYTHONPATH=str(ROOT),
    )
    return env


async def test_a_report_half_way_survives_the_process_being_killed(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """No clean shutdown: what the persistence wrote within its second is what survives."""
    env = bot_env(tmp_path, sandbox.url)

    async def start() -> Process:
        polls = sum(1 for m, _ in sandbox.calls if m == "getUpdates")
        process = await spawn_bot(env, tmp_path, log=DEVNULL)
        await sandbox.wait_for(
            lambda: sum(1 for m, _ in sandbox.calls if m == "getUpdates") > polls, timeout=30
        )
        return process

    first = await start()
    try:
        nurila = sandbox.add_user(first_name="Nurila", language_code="ru")
        await nurila.send("/start")
        await nurila.next_bot_message(timeout=15)
        await choose_language(nurila, "ru", seconds=15)
        await nurila.send("/report")
        await wait_text(nurila, tr("ru", "<b>What is it about?</b>"))
        await nurila.press(tr("ru", "Corruption"))
        await wait_text(nurila, tr("ru", "<b>Where did it happen?</b>"))

        database = Database(
            f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.db'}",
            cipher=load_cipher(None, tmp_path / "data", key_file=tmp_path / "keys" / "data.key"),
            migrate=False,
        )
        try:
            for _ in range(100):  # the persistence writes on a one-second timer
                async with database.transaction() as session:
                    states = list(
                        await session.scalars(
                            select(ConversationState.state).where(
                                ConversationState.name == "report"
                            )
                        )
                    )
                if states == ['"region"']:
                    break
                await asyncio.sleep(0.05)
        finally:
            await database.dispose()
        assert states == ['"region"']
    finally:
        first.kill()
        await first.wait()

    second = await start()
    try:
        await nurila.press(tr("ru", "Osh Region"))
        await wait_text(nurila, tr("ru", PLACE))
    finally:
        second.send_signal(signal.SIGTERM)
        await asyncio.wait_for(second.wait(), timeout=30)
    assert sandbox.breaches == []
