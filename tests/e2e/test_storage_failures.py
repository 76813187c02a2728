"""A full disk or a read-only database: she is told in her language that it was not saved, the
log has one line, no encrypted file is left without its row, and once the storage is back her
draft is filed, once.

A full disk is a file-size limit on the test's process (RLIMIT_FSIZE, with SIGXFSZ ignored):
SQLite's log and the attachment files cannot grow, as on a full disk; a read-only database is
PRAGMA query_only (the tests may run as root, whom folder permissions do not stop).
"""

from __future__ import annotations

import logging
import resource
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from db.reports import reports_of
from sandbox import Sandbox, SimUser
from tests.e2e.helpers import started, wait_text
from tests.e2e.runner import BotRunner
from tests.e2e.test_reports import CONTACT_Q, DANGER_Q, SUMMARY, WHEN_Q, report_until_story
from tests.texts import head, tr

pytestmark = pytest.mark.sqlite_only  # SQLite's own limits and pragmas

NOT_SAVED = "⚠️ Not saved: the bot cannot store anything just now. Please try again later."
SENT = "✅ <b>Your report has been sent.</b>"
BIG_PHOTO = b"\xff\xd8" + bytes(range(256)) * 8000  # about 2 MB
ADDED_FILE = "File {number} of at most {max} added. Send more, or tap “Done”."


async def up_to_summary(user: SimUser, lang: str = "ru", *, photos: tuple[bytes, ...] = ()) -> None:
    await report_until_story(user, lang)
    for number, photo in enumerate(photos, start=1):
        await user.send_photo(photo)
        await wait_text(user, tr(lang, ADDED_FILE, number=number, max=10))
    await user.press("✔ " + tr(lang, "Done"))
    await wait_text(user, head(lang, WHEN_Q))
    await user.press(tr(lang, "Today"))
    await wait_text(user, tr(lang, DANGER_Q))
    await user.press(tr(lang, "No"))
    await wait_text(user, head(lang, CONTACT_Q))
    await user.press("🕶 " + tr(lang, "Keep me anonymous"))
    await wait_text(user, tr(lang, SUMMARY))


@contextmanager
def pragma_on_every_connection(bot: BotRunner, pragma: Callable[[], str]) -> Iterator[None]:
    """New connections of the bot's database run `pragma()` first (the pool is emptied, so every
    connection from now on is new)."""
    engine = bot.application.db.engine.sync_engine

    def apply(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(pragma())
        cursor.close()

    event.listen(engine, "connect", apply)
    try:
        yield
    finally:
        event.remove(engine, "connect", apply)


def attachment_files(tmp_path: Path) -> list[Path]:
    root = tmp_path / "data" / "attachments"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def send_and_resume(user: SimUser, lang: str = "ru") -> None:
    """After a failure she sends /report again: her draft, at the summary, with Send."""
    await user.send("/report")
    await wait_text(user, tr(lang, SUMMARY))
    await user.press("📨 " + tr(lang, "Send the report"))
    await wait_text(user, head(lang, SENT))


@contextmanager
def disk_full_beyond(limit: int) -> Iterator[None]:
    """No file of this process grows beyond `limit` bytes: writes there fail as on a full disk
    (SIGXFSZ ignored, so they fail with EFBIG instead of ending the process)."""
    previous_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous_handler)


async def test_a_full_disk_is_not_saved_tells_her_and_leaves_no_file(
    sandbox: Sandbox, bot: BotRunner, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    aida = await started(sandbox, "Aida", "ru")
    await up_to_summary(aida)
    db = bot.application.db
    await db.checkpoint()  # the write-ahead log is empty: the next write must grow it
    caplog.set_level(logging.INFO)
    with disk_full_beyond(1024):
        await aida.press("📨 " + tr("ru", "Send the report"))
        await wait_text(aida, tr("ru", NOT_SAVED))
    await bot.settle()
    assert await reports_of(db, aida.id) == []
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any(
        r.getMessage().startswith("Not saved (storage: ")
        and "while handling update" in r.getMessage()
        for r in errors
    ), [r.getMessage() for r in errors]
    assert not any(r.exc_info for r in errors), "one line, no traceback"
    # Space again: her draft was kept, and is filed once.
    await send_and_resume(aida)
    assert len(await reports_of(db, aida.id)) == 1


async def test_a_read_only_database_is_not_saved_and_tells_her(
    sandbox: Sandbox, bot: BotRunner, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    nurila = await started(sandbox, "Nurila", "ky")
    await up_to_summary(nurila, "ky", photos=(b"\xff\xd8 small",))
    db = bot.application.db
    with pragma_on_every_connection(bot, lambda: "PRAGMA query_only=ON"):
        await db.engine.dispose()
        await nurila.press("📨 " + tr("ky", "Send the report"))
        await wait_text(nurila, tr("ky", NOT_SAVED))
        await bot.settle()
    await db.engine.dispose()
    assert attachment_files(tmp_path) == []
    assert any(
        "Not saved (storage: attempt to write a readonly database)" in r.getMessage()
        for r in caplog.records
    )
    await send_and_resume(nurila, "ky")
    assert len(await reports_of(db, nurila.id)) == 1


async def test_files_that_cannot_be_written_leave_none_behind(
    sandbox: Sandbox, bot: BotRunner, tmp_path: Path
) -> None:
    """The first file is written, the second will not fit on the disk: the first is removed
    again, nothing is stored, she is told."""
    gulnara = await started(sandbox, "Gulnara", "ru")
    await up_to_summary(gulnara, photos=(b"\xff\xd8 small", BIG_PHOTO))
    with disk_full_beyond(len(BIG_PHOTO) // 2):
        await gulnara.press("📨 " + tr("ru", "Send the report"))
        await wait_text(gulnara, tr("ru", NOT_SAVED))
    await bot.settle()
    assert attachment_files(tmp_path) == []
    assert await reports_of(bot.application.db, gulnara.id) == []
    await send_and_resume(gulnara)
    assert len(attachment_files(tmp_path)) == 2
