"""Settings: defaults, one clear line for a bad setting, exit code 2, token never logged."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings
from bot.logs import RedactingFormatter
from tests.conftest import SETTING_NAMES

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:AAAAbbbbCCCCddddEEEEffffGGGG"
SETTINGS = SETTING_NAMES


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env from the developer's checkout


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    settings = load_settings()
    assert settings.token == TOKEN
    assert settings.base_url == "https://api.telegram.org/bot"
    assert settings.base_file_url == "https://api.telegram.org/file/bot"
    assert settings.database_url == "sqlite+aiosqlite:///data/bot.db"
    assert settings.coordinator_ids == frozenset()
    assert settings.timezone == "Asia/Bishkek"
    assert settings.data_dir == Path("data")
    assert settings.log_level == "INFO"
    assert TOKEN not in repr(settings)


def test_the_database_lives_in_data_dir_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("DATA_DIR", "/srv/solidarity")
    assert load_settings().database_url == "sqlite+aiosqlite:////srv/solidarity/bot.db"
    monkeypatch.setenv("DATABASE_URL", "sqlite+aiosqlite:///elsewhere.db")
    assert load_settings().database_url == "sqlite+aiosqlite:///elsewhere.db"


def test_values_from_env_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        f"BOT_TOKEN={TOKEN}\nCOORDINATOR_IDS=111, 222\nTELEGRAM_API_URL=http://127.0.0.1:8081/\n"
        "LOG_LEVEL=debug\n"
    )
    settings = load_settings()
    assert settings.coordinator_ids == frozenset({111, 222})
    assert settings.base_url == "http://127.0.0.1:8081/bot"
    assert settings.log_level == "DEBUG"


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({}, "BOT_TOKEN is not set; get a token from @BotFather"),
        ({"BOT_TOKEN": "nonsense"}, "BOT_TOKEN is invalid"),
        ({"BOT_TOKEN": TOKEN, "COORDINATOR_IDS": "12,abc"}, "COORDINATOR_IDS is invalid"),
        ({"BOT_TOKEN": TOKEN, "TIMEZONE": "Mars/Olympus"}, "TIMEZONE is invalid"),
        ({"BOT_TOKEN": TOKEN, "LOG_LEVEL": "LOUD"}, "LOG_LEVEL is invalid"),
        ({"BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": "api.telegram.org"}, "TELEGRAM_API_URL"),
        ({"BOT_TOKEN": TOKEN, "DATABASE_URL": "bot.db"}, "DATABASE_URL is invalid"),
        ({"BOT_TOKEN": TOKEN, "DATABASE_URL": "sqlite:///x.db"}, "driver 'sqlite' is not one of"),
        ({"BOT_TOKEN": TOKEN, "WEBHOOK_URL": "https://b.org/t"}, "WEBHOOK_SECRET is not set"),
        ({"BOT_TOKEN": TOKEN, "WEBHOOK_SECRET": "abc"}, "set but WEBHOOK_URL is not"),
        (
            {"BOT_TOKEN": TOKEN, "WEBHOOK_URL": "http://b.org/t", "WEBHOOK_SECRET": "abc"},
            "WEBHOOK_URL is invalid (must be an https:// address",
        ),
        (
            {"BOT_TOKEN": TOKEN, "WEBHOOK_URL": "https://b.org/t", "WEBHOOK_SECRET": "a=b"},
            "WEBHOOK_SECRET is invalid (has characters Telegram does not accept",
        ),
        (
            {"BOT_TOKEN": TOKEN, "WEBHOOK_URL": "https://b.org/t", "WEBHOOK_SECRET": "x" * 257},
            "WEBHOOK_SECRET is invalid",
        ),
        ({"BOT_TOKEN": TOKEN, "PORT": "70000"}, "PORT is invalid"),
        ({"BOT_TOKEN": TOKEN, "LISTEN": "0.0.0.0/8"}, "LISTEN is invalid"),
    ],
)
def test_bad_setting_gives_one_line(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], needle: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert needle in message
    assert "\n" not in message


def test_webhook_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    polling = load_settings()
    assert not polling.webhook and polling.webhook_secret is None
    assert (polling.listen, polling.port) == ("127.0.0.1", 8080)
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.org/solidarity/telegram")
    monkeypatch.setenv("WEBHOOK_SECRET", "Abc_123-xyz")
    monkeypatch.setenv("LISTEN", "::1")
    monkeypatch.setenv("PORT", "8443")
    settings = load_settings()
    assert settings.webhook and settings.webhook_path == "solidarity/telegram"
    assert (settings.listen, settings.port) == ("::1", 8443)
    assert "Abc_123-xyz" not in repr(settings)
    assert settings.secrets == [TOKEN, "Abc_123-xyz"]  # neither is ever logged


def test_running_without_token_exits_2_with_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "BOT_TOKEN" in lines[0] and "@BotFather" in lines[0]
    assert "Traceback" not in result.stderr


def test_db_upgrade_needs_no_token(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    env["PYTHONPATH"] = str(ROOT)
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'x' / 'bot.db'}"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "x" / "bot.db").exists()


def test_log_lines_never_contain_the_token() -> None:
    formatter = RedactingFormatter([TOKEN])
    try:
        raise RuntimeError(f"POST https://api.telegram.org/bot{TOKEN}/getMe failed")
    except RuntimeError:
        record = logging.LogRecord(
            "httpx", logging.ERROR, __file__, 1, "url %s", (f"/bot{TOKEN}/x",), sys.exc_info()
        )
    line = formatter.format(record)
    assert TOKEN not in line
    assert "\n" not in line and "<redacted>" in line


def test_a_broadcast_rate_above_telegrams_limit_is_one_line() -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(BOT_TOKEN="123456:" + "a" * 30, BROADCAST_RATE="100", _env_file=None)
    assert str(raised.value) == (
        "Configuration error: BROADCAST_RATE is invalid (Input should be less than or equal to "
        "30); use a number of messages a second above 0 and at most 30, e.g. 25."
    )
