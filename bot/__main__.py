"""`python -m bot` runs the bot; `python -m bot db upgrade` applies migrations."""
# Exit codes: 0 done; 1 could not be done (a server unreachable, a copy refused, another bot on
# the data folder); 2 a setting or an argument to fix (a key missing or not the data's).

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import ConfigError, StorageSettings, load_settings, load_storage_settings

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.context import SolidarityApp
    from bot.services.crypto import KeySource
    from db.engine import Database

EXIT_CONFIG = 2
LISTEN_ERRORS = frozenset({errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES})


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser(
        "run", help="run the bot (the default): long polling, or a webhook with WEBHOOK_URL"
    )
    key = sub.add_parser(
        "key", help="print a new encryption key for DATA_KEY; `key rotate`: re-encrypt everything"
    )
    key.add_argument(
        "action",
        nargs="?",
        choices=["rotate"],
        help="rotate: a new key, and everything stored re-encrypted under it (bot stopped)",
    )
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


async def _prepare_storage(storage: StorageSettings, source: KeySource) -> Database | None:
    """Before the bot (or `db upgrade`) writes anything: the key opens the stored data (or
    there is none yet), migrations applied (they need the key to convert data), an unfinished
    key rotation finished. Returns the database (disconnected), None without a key."""
    from bot.services.datadir import check_storage_key, finish_rotation
    from db.engine import Database

    cipher = None if source.fresh and source.path is None else source.cipher()
    await check_storage_key(
        Database(storage.database_url, migrate=False, cipher=cipher, zone=storage.tz), source
    )
    database = Database(storage.database_url, cipher=cipher, zone=storage.tz)
    try:
        await database.connect()
        if cipher is not None and cipher.rotating:
            await finish_rotation(database, source, storage.data_dir)
    finally:
        await database.dispose()
    return database


def _upgrade(storage: StorageSettings) -> int:
    """`db upgrade`: migrations, with the key if there is one (a new key is not made here)."""
    from bot.services.datadir import DataDirLock, SetupError, prepare_data_dir

    prepare_data_dir(storage.data_dir)
    source = storage.key_source()
    if source.fresh:
        source.path = None  # nothing to save: no key is made by an upgrade
    lock = DataDirLock(storage.data_dir)
    try:
        lock.acquire(what="the upgrade")
        asyncio.run(_prepare_storage(storage, source))
    except SetupError as exc:
        print(exc, file=sys.stderr)
        return exc.code
    finally:
        lock.release()
    logging.getLogger("bot").info("Database is up to date")
    return 0


def rotate_key() -> int:
    """`key rotate`: a new key, everything re-encrypted under it; resumable (see README)."""
    from bot.logs import setup_logging
    from bot.services.crypto import new_key, write_key_file
    from bot.services.datadir import DataDirLock, SetupError, prepare_data_dir

    storage = load_storage_settings()
    setup_logging(logging.INFO, [])
    log = logging.getLogger("bot")
    prepare_data_dir(storage.data_dir)
    lock = DataDirLock(storage.data_dir)
    try:
        lock.acquire(what="a key rotation")
        source = storage.key_source()
        if source.fresh:
            raise SetupError(
                f"Key error: there is no data key to rotate (DATA_KEY is unset and the key file "
                f"{source.path} does not exist).",
                2,
            )
        if source.path is None and len(source.keys) == 1:
            raise SetupError(
                "Key rotation with DATA_KEY: put a new key (`python -m bot key`) in DATA_KEY and "
                "the present one in DATA_KEY_PREVIOUS, run `python -m bot key rotate`, then "
                "remove DATA_KEY_PREVIOUS.",
                2,
            )
        if source.path is not None and len(source.keys) == 1:
            # The new key first, the old one after it: from this moment both are accepted, and
            # an interrupted rotation goes on with the same new key when run again.
            source.keys = [new_key(), *source.keys]
            write_key_file(source.path, source.keys)
            log.info("New data key written to %s (the previous one kept beside it)", source.path)
        else:
            log.info("Continuing the key rotation to the key in %s", source.describe())
        asyncio.run(_prepare_storage(storage, source))
    except SetupError as exc:
        print(exc, file=sys.stderr)
        return exc.code
    finally:
        lock.release()
    if source.path is not None:
        log.info("Key rotated: keep a copy of the new key in %s apart from backups", source.path)
    return 0


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
    from bot.app import build_application, tune_gc
    from bot.logs import setup_logging
    from bot.services.crypto import key_warning
    from bot.services.datadir import DataDirLock, SetupError, prepare_data_dir

    setup_logging(settings.log_level_number, settings.secrets)
    logging.getLogger("telegram.ext").addFilter(QuietBootstrap())
    log = logging.getLogger("bot")
    # Everything the bot creates (database, its -wal and -shm, files, keys) is owner-only.
    os.umask(0o077)
    prepare_data_dir(settings.data_dir)
    lock = DataDirLock(settings.data_dir)
    try:
        lock.acquire()
        source = settings.key_source()
        warning = key_warning(source)
        database = asyncio.run(_prepare_storage(settings, source))
        assert database is not None
        if source.fresh:
            try:
                source.save()
            except OSError as exc:
                raise SetupError(
                    f"Key error: the new data key cannot be written to {source.path} "
                    f"({exc.strerror}); set KEY_FILE to a file the bot may write, or DATA_KEY.",
                    2,
                ) from None
    except SetupError as exc:
        lock.release()
        print(exc, file=sys.stderr)
        return exc.code
    if warning:
        log.warning("%s", warning)
    try:
        tune_gc()
        return _run(settings, build_application(settings, database))
    finally:
        lock.release()


def _run(settings: Settings, application: SolidarityApp) -> int:
    from telegram.error import InvalidToken, NetworkError

    from bot.app import ALLOWED_UPDATES, webhook_arguments

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
        "KEY_FILE) is not in the database: the bot on the new database needs the same one",
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
    from bot.services.crypto import KeyProblem

    try:
        if args.command == "key":
            if args.action == "rotate":
                return rotate_key()
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
            return _upgrade(storage)
        return run_bot()
    except (ConfigError, KeyProblem) as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG


if __name__ == "__main__":
    sys.exit(main())
