"""Someone holding a copy of the data folder, without the key, tries to find out who sent each
anonymous report. Used by tests/e2e/test_attacker.py; nothing here knows the bot's code or
its key: only SQLite, the files, and what Fernet and SQLite put on disk in clear.

The attacks (the three of the audit in issue 9, and two more it named):

(a) times: a report's time (its `created_at`, the time Fernet writes in clear into every value
    it encrypts, the modification time of its files) set beside the times kept with rows that
    name a person by her Telegram id (her persisted conversation data, rewritten within a
    second of her report: the `updated_at` column, and the Fernet time of its `data`);
(b) sizes: between two copies, the persisted data of one person appeared or grew by the bytes
    of a "remove from my phone" entry while a new anonymous report appeared;
(c) the write-ahead log: replaying it commit by commit, the first persisted conversation data
    written after the commit that inserted a report is the reporter's;
(d) the reporter tag: reports with the same tag come from the same person;
(e) attachments: whoever has the photo finds its SHA-256 in the database, or a file whose size
    is exactly what encrypting a file of its size gives.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import shutil
import sqlite3
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Columns that hold a Telegram id in clear, by table (what the previous version stored).
ID_COLUMNS = {
    "users": "id",
    "ptb_user_data": "user_id",
    "ptb_chat_data": "chat_id",
    "members": "user_id",
    "role_grants": "user_id",
}
PERSISTED = ("ptb_user_data", "user_id")
MOMENT = re.compile(r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d")
WINDOW_SECONDS = 3.0


@dataclass
class Copy:
    """A copy of the data folder, as found."""

    folder: Path
    label: str

    @property
    def database(self) -> Path:
        return self.folder / "bot.db"


def copy_folder(source: Path, target: Path, label: str) -> Copy:
    """Everything in the folder, as it is this moment: the database, its -wal and -shm."""
    shutil.copytree(source, target, copy_function=shutil.copy2)
    return Copy(target, label)


def _open(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path)
    connection.row_factory = sqlite3.Row
    return connection


def readable(copy: Copy, work: Path) -> Path:
    """A scratch copy to open (opening a database with a log may change the files)."""
    work.mkdir(parents=True, exist_ok=True)
    for part in ("bot.db", "bot.db-wal"):
        if (copy.folder / part).exists():
            shutil.copy2(copy.folder / part, work / part)
    return work / "bot.db"


def _columns(connection: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]


def _tables(connection: sqlite3.Connection) -> list[str]:
    return [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")]


def fernet_time(value: object) -> float | None:
    """The moment a Fernet token was made: in clear, bytes 1-8 after its version byte 0x80."""
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if not isinstance(value, str) or len(value) < 80 or not value.startswith("gAAAAA"):
        return None
    try:
        raw = base64.urlsafe_b64decode(value.encode("ascii"))
    except (binascii.Error, ValueError):
        return None
    return float(struct.unpack(">Q", raw[1:9])[0])


def moment(value: object) -> float | None:
    if isinstance(value, str) and MOMENT.match(value):
        parsed = datetime.fromisoformat(value.replace(" ", "T")[:26])
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
    return None


def times_of(row: sqlite3.Row) -> list[float]:
    found = []
    for value in tuple(row):
        for when in (fernet_time(value), moment(value)):
            if when is not None:
                found.append(when)
    return found


@dataclass
class Report:
    ref: str
    anonymous: bool
    times: list[float]
    tag: str | None
    paths: list[str] = field(default_factory=list)


def reports_in(database: Path, folder: Path) -> dict[str, Report]:
    connection = _open(database)
    try:
        found: dict[str, Report] = {}
        for row in connection.execute("SELECT * FROM reports"):
            found[row["ref"]] = Report(
                ref=row["ref"],
                anonymous=bool(row["anonymous"]),
                times=times_of(row),
                tag=row["reporter_tag"],
            )
        rows = connection.execute(
            "SELECT r.ref, a.* FROM report_attachments a JOIN reports r ON r.id = a.report_id"
        )
        for row in rows:
            report = found[row["ref"]]
            report.paths.append(row["path"])
            report.times += times_of(row)
            path = folder / row["path"]
            if path.exists():
                report.times.append(path.stat().st_mtime)
                report.times += [t for t in [fernet_time(path.read_bytes()[:120])] if t]
        return found
    finally:
        connection.close()


def people_times(database: Path) -> dict[int, list[float]]:
    """Every time kept beside a Telegram id in clear."""
    connection = _open(database)
    found: dict[int, list[float]] = {}
    try:
        tables = _tables(connection)
        for table, column in ID_COLUMNS.items():
            if table not in tables or column not in _columns(connection, table):
                continue
            for row in connection.execute(f"SELECT * FROM {table}"):  # noqa: S608
                found.setdefault(int(row[column]), []).extend(times_of(row))
        return found
    finally:
        connection.close()


def attack_times(database: Path, folder: Path) -> dict[str, int]:
    """(a): for each anonymous report, the one person with a time just after one of its
    times (within a few seconds): her data was written as her report was."""
    links: dict[str, int] = {}
    people = people_times(database)
    for ref, report in reports_in(database, folder).items():
        if not report.anonymous:
            continue
        best: list[tuple[float, int]] = []
        for person, times in people.items():
            gaps = [
                when - at
                for at in report.times
                for when in times
                if -0.5 <= when - at <= WINDOW_SECONDS
            ]
            if gaps:
                best.append((min(abs(g) for g in gaps), person))
        best.sort()
        if best and (len(best) == 1 or best[0][0] < best[1][0]):
            links[ref] = best[0][1]
    return links


def persisted_sizes(database: Path) -> dict[int, int]:
    connection = _open(database)
    try:
        table, column = PERSISTED
        if column not in _columns(connection, table):
            return {}  # no ids in clear: nothing to weigh
        return {
            int(row[column]): len(row["data"])
            for row in connection.execute(f"SELECT * FROM {table}")  # noqa: S608
        }
    finally:
        connection.close()


def attack_sizes(before: Path, after: Path, folder: Path) -> dict[str, int]:
    """(b): one new anonymous report between two copies, and one person whose persisted data
    grew by a few dozen bytes (a "remove from my phone" entry) meanwhile."""
    new = [
        ref
        for ref, r in reports_in(after, folder).items()
        if r.anonymous and ref not in reports_in(before, folder)
    ]
    old_sizes, new_sizes = persisted_sizes(before), persisted_sizes(after)
    # Appeared (nothing was stored while her data was empty) or grew, by no more than a list
    # of message ids takes.
    grown = [
        person for person, size in new_sizes.items() if 0 < size - old_sizes.get(person, 0) <= 400
    ]
    if len(new) == 1 and len(grown) == 1:
        return {new[0]: grown[0]}
    return {}


def _wal_commits(copy: Copy) -> Iterator[int]:
    """Byte lengths of the log up to each commit frame (a commit frame has the database size
    in its header), so that a prefix of the log is the database as of that commit."""
    wal = copy.folder / "bot.db-wal"
    if not wal.exists() or wal.stat().st_size < 32:
        return
    data = wal.read_bytes()
    page_size = struct.unpack(">I", data[8:12])[0]
    frame = 24 + page_size
    offset = 32
    while offset + frame <= len(data):
        if struct.unpack(">I", data[offset + 4 : offset + 8])[0] != 0:
            yield offset + frame
        offset += frame


def _state_at(copy: Copy, length: int, work: Path) -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)
    shutil.copy2(copy.database, work / "bot.db")
    (work / "bot.db-wal").write_bytes((copy.folder / "bot.db-wal").read_bytes()[:length])
    connection = _open(work / "bot.db")
    try:
        if "reports" not in _tables(connection):  # the schema itself is still in the log
            return {"persisted": {}, "reports": set()}
        table, column = PERSISTED
        columns = _columns(connection, table)
        persisted = {
            (row[column] if column in columns else None): tuple(row)
            for row in connection.execute(f"SELECT * FROM {table}")  # noqa: S608
        }
        anonymous = {r[0] for r in connection.execute("SELECT ref FROM reports WHERE anonymous")}
        return {"persisted": persisted, "reports": anonymous}
    finally:
        connection.close()
        shutil.rmtree(work)


def attack_wal(copy: Copy, work: Path) -> dict[str, int]:
    """(c): replay the log commit by commit; after the commit that adds an anonymous report, the
    first commit that changes persisted conversation data names the person whose row it is."""
    links: dict[str, int] = {}
    states = [_state_at(copy, 32, work / "start")] if (copy.folder / "bot.db-wal").exists() else []
    for number, length in enumerate(_wal_commits(copy)):
        states.append(_state_at(copy, length, work / f"c{number}"))
    for i in range(1, len(states)):
        new = states[i]["reports"] - states[i - 1]["reports"]
        if len(new) != 1:
            continue
        for later in states[i + 1 :]:
            before, after = states[i]["persisted"], later["persisted"]
            changed = [k for k in set(before) | set(after) if before.get(k) != after.get(k)]
            if changed:
                if len(changed) == 1 and changed[0] is not None:
                    links[next(iter(new))] = int(changed[0])
                break
    return links


def attack_tags(database: Path, folder: Path) -> list[set[str]]:
    """(d): groups of reports that share a reporter tag (the same person)."""
    groups: dict[str, set[str]] = {}
    for ref, report in reports_in(database, folder).items():
        if report.tag:
            groups.setdefault(report.tag, set()).add(ref)
    return [refs for refs in groups.values() if len(refs) > 1]


def fernet_size(n: int) -> int:
    """What Fernet makes of n bytes: base64 of version, time, IV, padded ciphertext, HMAC."""
    raw = 1 + 8 + 16 + (n // 16 + 1) * 16 + 32
    return 4 * ((raw + 2) // 3)


def attack_attachment(database: Path, folder: Path, photo: bytes) -> list[str]:
    """(e): the reports this photo is in, by its SHA-256 in the database or by the exact size
    of an encrypted file."""
    digest = hashlib.sha256(photo).hexdigest()
    connection = _open(database)
    try:
        hits: set[str] = set()
        for table in _tables(connection):
            for row in connection.execute(f"SELECT * FROM {table}"):  # noqa: S608
                if any(isinstance(v, str) and digest in v for v in tuple(row)):
                    hits.add(table)
        rows = connection.execute(
            "SELECT r.ref, a.path FROM report_attachments a JOIN reports r ON r.id = a.report_id"
        ).fetchall()
    finally:
        connection.close()
    found = [ref for ref, path in rows if (folder / path).stat().st_size == fernet_size(len(photo))]
    return found + sorted(f"sha256 in {table}" for table in hits)
