"""`python -m bot` runs the bot; `python -m bot db upgrade` applies migrations."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from bot.config import ConfigError, load_settings, load_storage_settings

EXIT_CONFIG = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot with long polling (the default)")
    sub.add_parser("key", help="print a new encryption key for DATA_KEY")
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply all migrations")
    return parser


async def _upgrade(url: str) -> None:
    from db.engine import Database

    database = Database(url)
    await database.connect()
    await database.dispose()


def _prepare_data_dir(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"Configuration error: DATA_DIR {str(path)!r} cannot be created ({exc.strerror}); "
            "use a folder the bot may write to."
        ) from None


def run_bot() -> int:
    settings = load_settings()
    from telegram.error import InvalidToken, NetworkError

    from bot.app import build_application
    from bot.logs import setup_logging

    setup_logging(settings.log_level_number, [settings.token])
    _prepare_data_dir(settings.data_dir)
    application = build_application(settings)
    log = logging.getLogger("bot")
    log.info("Starting the bot (long polling)")
    try:
        # A few retries if the network is not up yet; after start-up, python-telegram-bot
        # retries network trouble by itself.
        application.run_polling(bootstrap_retries=3, drop_pending_updates=False)
    except InvalidToken:
        print(
            "Configuration error: BOT_TOKEN was refused by the Bot API server at "
            f"{settings.telegram_api_url}; check it with @BotFather (/mybots → API Token).",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    except NetworkError as exc:
        print(
            f"Cannot reach the Bot API server at {settings.telegram_api_url} "
            f"({type(exc).__name__}); check TELEGRAM_API_URL and the network, then start again.",
            file=sys.stderr,
        )
        return 1
    log.info("Stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "key":
            from bot.services.crypto import new_key

            print(new_key())
            return 0
        if args.command == "db":
            storage = load_storage_settings()
            from bot.logs import setup_logging

            setup_logging(logging.INFO, [])
            _prepare_data_dir(storage.data_dir)
            asyncio.run(_upgrade(storage.database_url))
            logging.getLogger("bot").info("Database is up to date")
            return 0
        return run_bot()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG


if __name__ == "__main__":
    sys.exit(main())
