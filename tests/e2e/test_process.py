"""`python -m bot` as a real process: start-up, a conversation, SIGTERM, and its log lines."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from asyncio.subprocess import DEVNULL, PIPE, Process
from pathlib import Path

from aiohttp import web
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
        menu = await choose_language(alia, "ru", timeout=15)
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
        PYTHONPATH=str(ROOT),
    )
    return env


async def test_a_refused_token_is_one_line_without_the_token(tmp_path: Path) -> None:
    async def unauthorized(request: web.Request) -> web.Response:
        return web.json_response(
            {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", unauthorized)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        code, log = await run_bot_process(bot_env(tmp_path, f"http://127.0.0.1:{port}"), tmp_path)
    finally:
        await runner.cleanup()
    assert code == 2, log
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
    lines = log.strip().splitlines()
    assert lines[-1].startswith("Configuration error: BOT_TOKEN was refused")
    assert all(line.startswith("20") for line in lines[:-1]), "only one-line log events"


async def test_an_unreachable_api_server_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a free port with nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code, log = await run_bot_process(bot_env(tmp_path, f"http://127.0.0.1:{port}"), tmp_path)
    assert code == 1, log
    assert TOKEN not in log
    lines = log.strip().splitlines()
    assert lines[-1].startswith("Cannot reach the Bot API server")
    assert all(line.startswith("20") for line in lines[:-1]), "only one-line log events"


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
        await choose_language(nurila, "ru", timeout=15)
        await nurila.send("/report")
        await wait_text(nurila, tr("ru", "<b>What is it about?</b>"))
        await nurila.press(tr("ru", "Corruption"))
        await wait_text(nurila, tr("ru", "<b>Where did it happen?</b>"))

        database = Database(
            f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bot.db'}",
            cipher=load_cipher(None, tmp_path / "data"),
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
