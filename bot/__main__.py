"""`python -m bot` runs the bot; `python -m bot db upgrade` applies migrations."""
# Exit codes: 0 done; 1 could not be done (a server unreachable, a copy refused); 2 a setting or
# an argument to fix.

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import sys
from pathlib import Path

from bot.config import ConfigError, load_settings, load_storage_settings

EXIT_CONFIG = 2
LISTEN_ERRORS = frozenset({errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES})


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser(
        "run", help="run the bot (the default): long polling, or a webhook with WEBHOOK_URL"
    )
    sub.add_parser("key", help="print a new encryption key for DATA_KEY")
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply all migrations")
    copy = db_sub.add_parser(
        "copy", help="copy every row of DATABASE_URL into another, empty database"
    )
    copy.add_argument("--to", required=True, metavar="URL", help="the target database's URL")
    backup = db_sub.add_parser("backup", help="write a consistent copy of an SQLite database")
    backup.add_argument("file", type=Path, help="the backup file to create")
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


class QuietBootstrap(logging.Filter):
    """A start-up that fails (the Bot API server cannot be reached, or refuses the token) is
    said in one line by `run_bot`; python-telegram-bot would log it before that with the whole
    traceback. Its retries and everything after start-up are logged as usual."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        failed = record.exc_info is not None and bool(args)
        return not (failed and str(args[0]).startswith("Network Retry Loop (Bootstrap"))


def run_bot() -> int:
    settings = load_settings()
    from telegram.error import InvalidToken, NetworkError

    from bot.app import ALLOWED_UPDATES, build_application, webhook_arguments
    from bot.logs import setup_logging

    setup_logging(settings.log_level_number, settings.secrets)
    logging.getLogger("telegram.ext").addFilter(QuietBootstrap())
    _prepare_data_dir(settings.data_dir)
    application = build_application(settings)
    log = logging.getLogger("bot")
    try:
        # A few retries if the network is not up yet; after start-up, python-telegram-bot
        # retries network trouble by itself.
        if settings.webhook:
            log.info(
                "Starting the bot (webhook %s, listening on %s:%s)",
                settings.webhook_url,
                settings.listen,
                settings.port,
            )
            application.run_webhook(
                **webhook_arguments(settings), bootstrap_retries=3, drop_pending_updates=False
            )
        else:
            log.info("Starting the bot (long polling)")
            application.run_polling(
                allowed_updates=ALLOWED_UPDATES, bootstrap_retries=3, drop_pending_updates=False
            )
    except InvalidToken:
        print(
            "Configuration error: BOT_TOKEN was refused by the Bot API server at "
            f"{settings.telegram_api_url}; check it with @BotFather (/mybots → API Token): a "
            "token is digits, a colon and 35 letters, digits, - or _.",
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
    except OSError as exc:
        # The webhook server's address is taken or not ours (LISTEN, PORT).
        if not settings.webhook or exc.errno not in LISTEN_ERRORS:
            raise
        print(
            f"Cannot listen on {settings.listen}:{settings.port} ({exc.strerror or exc}); "
            "check LISTEN and PORT.",
            file=sys.stderr,
        )
        return 1
    log.info("Stopped")
    return 0


def copy_db(target_url: str) -> int:
    """`db copy --to URL`: every row of DATABASE_URL into an empty database, verified."""
    from bot.config import HINTS, check_database_url

    storage = load_storage_settings()
    try:
        target_url = check_database_url(target_url)
    except ValueError as exc:
        raise ConfigError(
            f"Configuration error: --to is invalid ({exc}); {HINTS['DATABASE_URL']}."
        ) from None
    from db.copy import CopyError, copy_database, safe_url

    log = logging.getLogger("bot")
    source, target = safe_url(storage.database_url), safe_url(target_url)
    log.info("Copying %s to %s (stop the bot first: later changes are not copied)", source, target)
    try:
        report = asyncio.run(
            copy_database(
                storage.database_url,
                target_url,
                progress=lambda table, rows: log.info("Copied %s: %d rows", table, rows),
            )
        )
    except CopyError as exc:
        print(f"Copy failed: {exc}.", file=sys.stderr)
        return 1
    except OSError as exc:
        print(
            "Copy failed: cannot reach or open a database "
            f"({type(exc).__name__}: {exc.strerror or exc}).",
            file=sys.stderr,
        )
        return 1
    log.info(
        "Copied %d rows in %d tables to %s; every table verified. The data key (DATA_KEY or "
        "DATA_DIR/data.key) is not in the database: the bot on the new database needs the same one",
        report.total,
        len(report.rows),
        target,
    )
    return 0


def backup_db(file: Path) -> int:
    """`db backup FILE`: a consistent copy of the live SQLite database."""
    from db.backup import BackupError, backup_sqlite
    from db.engine import sqlite_path

    storage = load_storage_settings()
    path = sqlite_path(storage.database_url)
    if path is None:
        print(
            "Backup refused: DATABASE_URL is not an SQLite file; back PostgreSQL up with pg_dump "
            "(see README, Backups).",
            file=sys.stderr,
        )
        return 2
    try:
        size = backup_sqlite(path, file)
    except BackupError as exc:
        print(f"Backup failed: {exc}.", file=sys.stderr)
        return 1
    logging.getLogger("bot").info(
        "Backed up %s to %s (%d bytes); keep the data key apart from it", path, file, size
    )
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
            if args.db_command == "copy":
                return copy_db(args.to)
            if args.db_command == "backup":
                return backup_db(args.file)
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
