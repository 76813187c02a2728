"""`python -m bot db backup FILE`: a consistent copy of a live SQLite database.

SQLite's online backup API copies the database page by page while the bot keeps running (no
need to stop it), which copying the file (and its -wal beside it) would not do safely.
PostgreSQL has its own tool for this: pg_dump (see README, "Backups").
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path


class BackupError(Exception):
    """The backup cannot be made; the message is one line."""


def backup_sqlite(database: Path, target: Path) -> int:
    """Write a backup of `database` to `target` (a new file, owner-only); returns its size."""
    if not database.exists():
        raise BackupError(f"the database {database} does not exist; check DATABASE_URL")
    if target.exists():
        raise BackupError(f"{target} exists already; give a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    # Owner-only from the first byte: the backup holds everything the database holds.
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        with (
            closing(sqlite3.connect(database)) as source,
            closing(sqlite3.connect(target)) as copy,
        ):
            source.backup(copy)
            # A single file: the backup needs no -wal beside it.
            copy.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as exc:
        target.unlink(missing_ok=True)
        raise BackupError(f"the backup failed ({exc})") from None
    return target.stat().st_size
