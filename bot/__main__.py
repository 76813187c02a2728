"""`python -m bot` runs the bot; `python -m bot db upgrade` applies migrations."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

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


def run_bot() -> int:
    settings = load_settings()
    from bot.app import build_application
    from bot.logs import setup_logging

    setup_logging(settings.log_level_number, [settings.token])
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    application = build_application(settings)
    logging.getLogger("bot").info("Starting the bot (long polling)")
    application.run_polling(allowed_updates=None, drop_pending_updates=False)
    logging.getLogger("bot").info("Stopped")
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
            asyncio.run(_upgrade(storage.database_url))
            logging.getLogger("bot").info("Database is up to date")
            return 0
        return run_bot()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG


if __name__ == "__main__":
    sys.exit(main())
