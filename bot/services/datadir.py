"""The data folder and the storage around a start: owner-only permissions, one bot per folder
(a lock), the key checked against the data before anything is written, an unfinished key
rotation finished, and storage failures (a full disk, a read-only folder) told apart."""

from __future__ import annotations

import errno
import fcntl
import logging
import os
from pathlib import Path

from sqlalchemy import inspect

from bot.services.crypto import KeySource, write_key_file
from db.engine import Database
from db.rekey import check_key, holds_data, remaining, rotate

log = logging.getLogger(__name__)

LOCK_NAME = "bot.lock"
# errno values that mean "the disk or folder will not take it", not a bug.
STORAGE_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM}
)
STORAGE_MESSAGES = (
    "database or disk is full",
    "attempt to write a readonly database",
    "disk i/o error",
    "unable to open database file",
    "could not extend file",  # PostgreSQL: no space left
    "no space left on device",
    "read-only transaction",  # PostgreSQL in recovery or set read-only
)


class SetupError(Exception):
    """The bot cannot start on this data folder; the message is one line. `code`: the exit
    code (1: could not be done, 2: a setting to fix)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def prepare_data_dir(path: Path) -> None:
    """The data folder: created owner-only (0700); an existing one is made so."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        if path.stat().st_mode & 0o077 and path.stat().st_uid == os.getuid():
            path.chmod(0o700)
    except OSError as exc:
        raise SetupError(
            f"Configuration error: DATA_DIR {str(path)!r} cannot be created ({exc.strerror}); "
            "use a folder the bot may write to.",
            2,
        ) from None


class DataDirLock:
    """One bot process per data folder: an exclusive lock on DATA_DIR/bot.lock, held while the
    process lives. The kernel releases it when the process ends, however it ends (a SIGKILL
    too), so a stale lock never blocks a restart; the file itself stays, holding the last pid."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_NAME
        self._fd: int | None = None

    def acquire(self, *, what: str = "the bot") -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                os.close(fd)
                raise
            holder = os.read(fd, 32).decode("ascii", "replace").strip() or "?"
            os.close(fd)
            raise SetupError(
                f"Another bot process (pid {holder}) is using the data folder {self.path.parent}; "
                f"stop it before starting {what}.",
                1,
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


async def _holds_tables(db: Database) -> bool:
    async with db.engine.connect() as connection:
        names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    return "users" in names


async def check_storage_key(db: Database, source: KeySource) -> None:
    """Before anything is migrated or written: does the key open what is stored? `db` is not
    yet migrated (Database(..., migrate=False)); an empty database accepts any key."""
    await db.connect()
    try:
        if not await _holds_tables(db):
            return
        if source.fresh:
            opens = False if await holds_data(db) else None
        else:
            opens = await check_key(db)
    finally:
        await db.dispose()
    if opens is not False:
        return
    if source.fresh:
        raise SetupError(
            "Key error: no data key was found (DATA_KEY is unset and the key file "
            f"{source.path} does not exist), but the database already holds data encrypted "
            "with one; put that key back (in the key file, or in DATA_KEY) and start again.",
            2,
        )
    raise SetupError(
        f"Key error: the data key from {source.describe()} does not open the data stored in "
        "the database; use the key it was written with.",
        2,
    )


async def finish_rotation(db: Database, source: KeySource, files_dir: Path) -> None:
    """Everything under the current key; then only it is kept (the key file loses the previous
    key; with DATA_KEY, the log says to remove DATA_KEY_PREVIOUS)."""
    result = await rotate(db, files_dir)
    left = await remaining(db)
    if left:
        raise SetupError(f"Key rotation left {left} values under the previous key.", 1)
    log.info(
        "Key rotation: %d rows and %d files re-encrypted, %d stray files removed, in %.1f s",
        result.total,
        result.files,
        result.orphans,
        result.seconds,
    )
    if source.path is not None:
        source.keys = source.keys[:1]
        write_key_file(source.path, source.keys)
        log.info("Key rotation done: %s holds only the new key", source.path)
    else:
        log.warning("Key rotation done: remove DATA_KEY_PREVIOUS from the settings")


def storage_failure(error: BaseException | None) -> str | None:
    """A short reason if `error` means the storage will not take a write (a full disk, a
    read-only folder or database), else None."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, OSError) and error.errno in STORAGE_ERRNOS:
            return error.strerror or str(error)
        text = str(error).lower()
        for message in STORAGE_MESSAGES:
            if message in text:
                return message
        error = getattr(error, "orig", None) or error.__cause__ or error.__context__
    return None
