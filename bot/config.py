"""Settings from the environment and `.env` (pydantic-settings).

A missing or malformed setting stops the bot with one line that names the setting and says how
to fix it (see `load_settings`).
"""

from __future__ import annotations

import importlib.util
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

if TYPE_CHECKING:
    from bot.services.crypto import KeySource

# SQLAlchemy async drivers the bot can use, and the package each needs.
ASYNC_DRIVERS = {"sqlite+aiosqlite": "aiosqlite", "postgresql+asyncpg": "asyncpg"}
TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{20,}$")
# What Telegram accepts as a webhook's secret_token.
WEBHOOK_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

# How to fix each setting, shown when it is missing or malformed.
HINTS: dict[str, str] = {
    "BOT_TOKEN": (
        "get a token from @BotFather in Telegram (send /newbot), then put "
        "BOT_TOKEN=123456789:AAH... in .env or the environment; a token is digits, a colon and "
        "35 letters, digits, - or _"
    ),
    "TELEGRAM_API_URL": (
        "use the root of a Bot API server, e.g. https://api.telegram.org or http://127.0.0.1:8081"
    ),
    "DATABASE_URL": (
        "use an SQLAlchemy async URL, e.g. sqlite+aiosqlite:///data/bot.db or "
        "postgresql+asyncpg://user:password@host/db, or leave it unset for DATA_DIR/bot.db"
    ),
    "COORDINATOR_IDS": "use comma-separated numeric Telegram user ids, e.g. 12345,67890",
    "TIMEZONE": "use an IANA time zone name, e.g. Asia/Bishkek",
    "DATA_DIR": "use a folder path, e.g. data",
    "LOG_LEVEL": "use one of " + ", ".join(LOG_LEVELS),
    "DATA_KEY": "generate one with `python -m bot key` (or leave it unset to use a key file)",
    "DATA_KEY_PREVIOUS": (
        "set it only during a key rotation, to the key DATA_KEY replaces (see README, The key)"
    ),
    "KEY_FILE": (
        "use the path of the key file, outside DATA_DIR (e.g. /etc/solidarity-bot/data.key), "
        "or leave it unset for ~/.config/solidarity-bot/data.key"
    ),
    "JOIN_APPROVAL": "use true or false",
    "LEADS_SEE_REPORTS": "use true or false",
    "BROADCAST_RATE": "use a number of messages a second above 0 and at most 30, e.g. 25",
    "WEBHOOK_URL": (
        "use the public https address Telegram should post updates to, e.g. "
        "https://bot.example.org/telegram, with WEBHOOK_SECRET; leave both unset for polling"
    ),
    "WEBHOOK_SECRET": (
        "use 1-256 characters of A-Z, a-z, 0-9, _ and - (e.g. the output of "
        "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'), together with "
        "WEBHOOK_URL; leave both unset for polling"
    ),
    "LISTEN": "use the address the webhook server listens on, e.g. 127.0.0.1",
    "PORT": "use a port number between 1 and 65535, e.g. 8080",
}


def check_database_url(value: str) -> str:
    """An SQLAlchemy async URL with a driver the bot can use, and that driver installed."""
    value = value.strip()
    try:
        url = make_url(value)
    except ArgumentError:
        raise ValueError("is not a database URL") from None
    if url.drivername not in ASYNC_DRIVERS:
        raise ValueError(f"the driver {url.drivername!r} is not one of {', '.join(ASYNC_DRIVERS)}")
    module = ASYNC_DRIVERS[url.drivername]
    if importlib.util.find_spec(module) is None:
        extra = " (pip install -e '.[postgres]')" if module == "asyncpg" else ""
        raise ValueError(f"the {module} package is not installed{extra}")
    return value


def _check_key(value: SecretStr | None) -> SecretStr | None:
    if value is None or not value.get_secret_value().strip():
        return None
    from bot.services.crypto import check_key

    return SecretStr(check_key(value.get_secret_value()))


class StorageSettings(BaseSettings):
    """What `python -m bot db upgrade` and `key rotate` need: where the data and its key live
    (no token required)."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # Unset: an SQLite file in DATA_DIR (DATA_DIR/bot.db).
    database_url: str = Field(default="", validation_alias="DATABASE_URL")
    data_dir: Path = Field(default=Path("data"), validation_alias="DATA_DIR")
    data_key: SecretStr | None = Field(default=None, validation_alias="DATA_KEY")
    # During a key rotation with DATA_KEY: the key being replaced (read, never written).
    data_key_previous: SecretStr | None = Field(default=None, validation_alias="DATA_KEY_PREVIOUS")
    # Unset: the user's config folder (bot.services.crypto.default_key_file), not DATA_DIR.
    key_file: Path | None = Field(default=None, validation_alias="KEY_FILE")
    # Shown dates are days in this zone; report times are stored as those days.
    timezone: str = Field(default="Asia/Bishkek", validation_alias="TIMEZONE")

    @field_validator("data_key", "data_key_previous")
    @classmethod
    def _check_data_key(cls, value: SecretStr | None) -> SecretStr | None:
        return _check_key(value)

    @field_validator("key_file", mode="before")
    @classmethod
    def _check_key_file(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("unknown time zone") from exc
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def key_source(self) -> KeySource:
        """Where the data key comes from (DATA_KEY, or the key file; a new one if neither)."""
        from bot.services.crypto import key_source

        return key_source(
            self.data_key.get_secret_value() if self.data_key else None,
            self.data_key_previous.get_secret_value() if self.data_key_previous else None,
            self.key_file,
            self.data_dir,
        )

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        value = value.strip()
        return check_database_url(value) if value else value

    @model_validator(mode="after")
    def _default_database_in_data_dir(self) -> StorageSettings:
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{self.data_dir / 'bot.db'}"
        return self


class Settings(StorageSettings):
    """Every setting of the bot; see `.env.example` for what each one means."""

    bot_token: SecretStr = Field(validation_alias="BOT_TOKEN")
    telegram_api_url: str = Field(
        default="https://api.telegram.org", validation_alias="TELEGRAM_API_URL"
    )
    coordinator_ids: Annotated[frozenset[int], NoDecode] = Field(
        default=frozenset(), validation_alias="COORDINATOR_IDS"
    )
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")
    join_approval: bool = Field(default=True, validation_alias="JOIN_APPROVAL")
    leads_see_reports: bool = Field(default=False, validation_alias="LEADS_SEE_REPORTS")
    # Announcements leave at most this many messages a second (within Telegram's 30 in all).
    broadcast_rate: float = Field(default=25.0, gt=0, le=30, validation_alias="BROADCAST_RATE")
    # Webhook mode (both set) instead of long polling (neither set).
    webhook_url: str = Field(default="", validation_alias="WEBHOOK_URL")
    webhook_secret: SecretStr | None = Field(
        default=None, validation_alias="WEBHOOK_SECRET", validate_default=True
    )
    listen: str = Field(default="127.0.0.1", validation_alias="LISTEN")
    port: int = Field(default=8080, ge=1, le=65535, validation_alias="PORT")

    @field_validator("webhook_url")
    @classmethod
    def _check_webhook_url(cls, value: str) -> str:
        value = value.strip()
        if not value:
            return value
        parsed = urlsplit(value)
        if parsed.scheme != "https" or not parsed.hostname:
            raise ValueError("must be an https:// address (Telegram posts only to https)")
        if parsed.query or parsed.fragment:
            raise ValueError("must have no ?query or #fragment")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _check_webhook_secret(
        cls, value: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        secret = value.get_secret_value().strip() if value is not None else ""
        url = info.data.get("webhook_url", "")
        if secret and not WEBHOOK_SECRET_RE.match(secret):
            raise ValueError("has characters Telegram does not accept, or is too long")
        if url and not secret:
            # Reported as missing: without it anyone could post updates in Telegram's name.
            raise PydanticCustomError("missing", "is needed with WEBHOOK_URL")
        if secret and not url:
            raise ValueError("is set but WEBHOOK_URL is not")
        return SecretStr(secret) if secret else None

    @field_validator("listen")
    @classmethod
    def _check_listen(cls, value: str) -> str:
        value = value.strip()
        if not value or any(c.isspace() or c in "/@" for c in value):
            raise ValueError("is not an address")
        return value

    @field_validator("bot_token")
    @classmethod
    def _check_token(cls, value: SecretStr) -> SecretStr:
        if not TOKEN_RE.match(value.get_secret_value().strip()):
            raise ValueError("does not look like a bot token")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("telegram_api_url")
    @classmethod
    def _check_api_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must start with http:// or https://")
        if value.endswith("/bot"):
            raise ValueError("give the server root, without /bot")
        return value

    @field_validator("coordinator_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            for part in parts:
                if not re.fullmatch(r"\d{1,20}", part):
                    raise ValueError(f"{part!r} is not a numeric Telegram user id")
            return frozenset(int(p) for p in parts)
        return value

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        value = value.strip().upper()
        if value not in LOG_LEVELS:
            raise ValueError("unknown log level")
        return value

    @property
    def token(self) -> str:
        return self.bot_token.get_secret_value()

    @property
    def base_url(self) -> str:
        return f"{self.telegram_api_url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.telegram_api_url}/file/bot"

    @property
    def webhook(self) -> bool:
        """Updates come by webhook (WEBHOOK_URL) rather than by long polling."""
        return bool(self.webhook_url)

    @property
    def webhook_path(self) -> str:
        """The path the local webhook server answers on: the public URL's own path."""
        return urlsplit(self.webhook_url).path.strip("/")

    @property
    def secrets(self) -> list[str]:
        """What must never reach a log line."""
        found = [self.token]
        for secret in (self.webhook_secret, self.data_key, self.data_key_previous):
            if secret is not None:
                found.append(secret.get_secret_value())
        return found

    @property
    def log_level_number(self) -> int:
        return int(logging.getLevelName(self.log_level))


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line for the person running the bot."""


def describe_error(error: ValidationError) -> str:
    """Turn pydantic's report into one line naming the first bad setting and how to fix it."""
    first = error.errors()[0]
    loc = first.get("loc") or ("?",)
    name = str(loc[0]).upper()
    hint = HINTS.get(name, "check its value")
    if first.get("type") == "missing":
        return f"Configuration error: {name} is not set; {hint}."
    reason = str(first.get("msg", "invalid")).removeprefix("Value error, ")
    return f"Configuration error: {name} is invalid ({reason}); {hint}."


def load_settings(**overrides: Any) -> Settings:
    """Read settings; raise ConfigError with a one-line explanation when one is wrong."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(describe_error(exc)) from None


def load_storage_settings(**overrides: Any) -> StorageSettings:
    """Read only the storage settings (for `db upgrade`)."""
    try:
        return StorageSettings(**overrides)
    except ValidationError as exc:
        raise ConfigError(describe_error(exc)) from None
