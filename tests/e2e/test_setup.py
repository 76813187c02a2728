"""Set-up, as someone running the bot for the first time meets it (issue 12, item 18): the token's
shape is said where a token is asked for; a Bot API server that cannot be reached, or that
refuses the token, is one line and an exit code, with no traceback logged before it; README's
default DATABASE_URL is the one the bot uses. (The warning about the key file is another
engineer's part.)"""

from __future__ import annotations

import re
import socket
from pathlib import Path

from aiohttp import web

from bot.config import StorageSettings
from bot.services.crypto import new_key
from tests.e2e.runner import TOKEN
from tests.e2e.test_process import ROOT, bot_env, run_bot_process

TOKEN_SHAPE = "a token is digits, a colon and 35 letters, digits, - or _"


def events(log: str) -> list[str]:
    """The log's lines other than the key-file warnings (another engineer's part)."""
    return [line for line in log.strip().splitlines() if "DATA_KEY is not set" not in line]


async def test_an_unreachable_api_server_is_one_line_with_no_traceback(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a free port with nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = bot_env(tmp_path, f"http://127.0.0.1:{port}") | {"DATA_KEY": new_key()}  # no key file
    code, log = await run_bot_process(env, tmp_path)
    assert code == 1, log
    assert "Traceback" not in log and "⏎" not in log, log
    *before, last = events(log)
    assert last.startswith(f"Cannot reach the Bot API server at http://127.0.0.1:{port}")
    assert all(" INFO " in line for line in before), log  # "Starting the bot", nothing worse
    assert all(line.startswith("20") for line in before), "only one-line log events"
    assert TOKEN not in log


async def test_a_refused_token_says_the_shape_of_a_token_with_no_traceback(tmp_path: Path) -> None:
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
    assert "Traceback" not in log and TOKEN not in log and TOKEN.split(":")[1] not in log, log
    *before, last = events(log)
    assert last.startswith("Configuration error: BOT_TOKEN was refused") and TOKEN_SHAPE in last
    assert all(line.startswith("20") for line in before), "only one-line log events"


async def test_a_malformed_token_says_the_shape_of_a_token(tmp_path: Path) -> None:
    env = bot_env(tmp_path, "http://127.0.0.1:9") | {"BOT_TOKEN": "123456:short"}
    code, log = await run_bot_process(env, tmp_path)
    assert code == 2, log
    (line,) = log.strip().splitlines()
    assert line.startswith("Configuration error: BOT_TOKEN is invalid") and TOKEN_SHAPE in line


def test_readme_says_the_token_shape_and_the_database_default_the_bot_uses(
    tmp_path: Path,
) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "digits, a colon and 35" in readme
    row = next(line for line in readme.splitlines() if line.startswith("| `DATABASE_URL`"))
    default = re.findall(r"`([^`]*)`", row.split("|")[2])
    assert default == ["DATA_DIR/bot.db"], row
    settings = StorageSettings(_env_file=None, DATA_DIR=str(tmp_path / "somewhere"))  # type: ignore[call-arg]
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'somewhere' / 'bot.db'}"
