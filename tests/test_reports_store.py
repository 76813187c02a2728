"""Report storage: encrypted at rest, reporter linked only by a keyed hash, files with SHA-256."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

from bot.services.reports import due_for_raising, move_report
from db.engine import Database
from db.report_desk import add_message, list_reports, mark_raised
from db.reports import (
    FileIn,
    ReportDraft,
    Reporter,
    add_files,
    create_report,
    get_report,
    is_reporter,
    read_attachment,
    reporter_of,
    reports_of,
)
from db.types import utcnow
from tests.conftest import database_bytes

SECRET_TEXT = "He was beaten in the cell of the Osh police station"
PHONE = "+996700111222"


def draft(**changes: object) -> ReportDraft:
    values: dict[str, object] = {
        "category": "torture",
        "region": "osh_region",
        "text": SECRET_TEXT,
        "occurred": "yesterday",
        "danger": False,
        "anonymous": True,
        "place": "Kara-Suu district",
        "files": (
            FileIn("document", "file-1", b"%PDF-1.4 evidence", "medical.pdf", "application/pdf"),
        ),
    }
    values.update(changes)
    return ReportDraft(**values)  # type: ignore[arg-type]


async def test_report_is_encrypted_and_linked_to_its_reporter_only_by_a_tag(
    db: Database, db_url: str, tmp_path: Path
) -> None:
    reporter = Reporter(424242, "Aigul", "aigul_k", PHONE)
    report = await create_report(db, draft(), reporter, lang="ky", files_dir=tmp_path)
    assert report.ref == f"R-{utcnow().year}-0001"
    second = await create_report(
        db, draft(anonymous=False), reporter, lang="ky", files_dir=tmp_path
    )
    assert second.ref.endswith("-0002")

    full = await get_report(db, report.id)
    assert full is not None and full.text == SECRET_TEXT and full.place == "Kara-Suu district"
    (attachment,) = full.attachments
    assert attachment.sha256 == hashlib.sha256(b"%PDF-1.4 evidence").hexdigest()
    assert read_attachment(db, tmp_path, attachment) == b"%PDF-1.4 evidence"
    stored = (tmp_path / attachment.path).read_bytes()
    assert b"evidence" not in stored

    assert await reporter_of(db, report.id) == reporter
    assert await is_reporter(db, report.id, 424242)
    assert not await is_reporter(db, report.id, 1)
    assert [r.ref for r in await reports_of(db, 424242)] == [second.ref, report.ref]
    assert await reports_of(db, 1) == []

    await add_message(db, report.id, author="reporter", text="More: the officer's name is X")
    await db.dispose()
    raw = database_bytes(db_url)
    for secret in (SECRET_TEXT, "Kara-Suu", PHONE, "Aigul", "aigul_k", "officer", "424242"):
        assert secret.encode() not in raw, secret


async def test_status_moves_follow_the_rules(db: Database, tmp_path: Path) -> None:
    report = await create_report(
        db, draft(files=()), Reporter(1, "A"), lang="ru", files_dir=tmp_path
    )
    assert await move_report(db, report.id, "resolved", actor_id=9) is None  # not from new
    assert await move_report(db, report.id, "in_review", actor_id=9) == "new"
    assert await move_report(db, report.id, "in_review", actor_id=9) is None  # already there
    assert await move_report(db, report.id, "nonsense", actor_id=9) is None
    assert await move_report(db, report.id, "referred", actor_id=9) == "in_review"
    assert await move_report(db, report.id, "resolved", actor_id=9) == "referred"
    page, total = await list_reports(db, status="resolved")
    assert total == 1 and page[0].assigned_to == 9


async def test_new_reports_are_raised_again_after_48_hours(db: Database, tmp_path: Path) -> None:
    report = await create_report(
        db, draft(files=()), Reporter(1, "A"), lang="ru", files_dir=tmp_path
    )
    now = utcnow()
    assert await due_for_raising(db, now) == []
    # Only its day is kept: it may have come at the last second of that day, so it is raised
    # 48 hours after the day's end, never sooner than 48 hours after it came.
    day_end = report.created_at + timedelta(days=1)
    assert report.created_at <= now < day_end
    assert await due_for_raising(db, day_end + timedelta(hours=48, seconds=-1)) == []
    later = day_end + timedelta(hours=48)
    assert later - now >= timedelta(hours=48)
    assert [r.id for r in await due_for_raising(db, later)] == [report.id]
    await mark_raised(db, [report.id], later)
    # Again 48 hours after the end of the day it was raised on.
    raised_end = db.day(later) + timedelta(days=1)
    assert await due_for_raising(db, later + timedelta(hours=1)) == []
    assert await due_for_raising(db, raised_end + timedelta(hours=48, seconds=-1)) == []
    again = raised_end + timedelta(hours=48)
    assert [r.id for r in await due_for_raising(db, again)] == [report.id]


async def test_shown_file_names_lose_invisible_characters(db: Database, tmp_path: Path) -> None:
    report = await create_report(
        db, draft(files=()), Reporter(1, "A"), lang="ru", files_dir=tmp_path
    )
    # Stored before names were cleaned on the way in: "invoice\u202egpj.exe" reads as
    # "invoiceexe.jpg".
    await add_files(
        db,
        report.id,
        [FileIn("document", "f", b"x", file_name="invoice\u202egpj.exe")],
        files_dir=tmp_path,
    )
    full = await get_report(db, report.id)
    assert full is not None and full.attachments[0].file_name == "invoicegpj.exe"


async def test_her_reports_share_no_tag_and_no_hash_is_in_clear(
    db: Database, db_url: str, tmp_path: Path
) -> None:
    first = await create_report(db, draft(), Reporter(7, ""), lang="ky", files_dir=tmp_path)
    second = await create_report(db, draft(), Reporter(7, ""), lang="ky", files_dir=tmp_path)
    assert [r.id for r in await reports_of(db, 7)] == [second.id, first.id]
    async with db.transaction() as session:
        tags = (await session.execute(text("SELECT reporter_tag FROM reports"))).scalars().all()
        times = (await session.execute(text("SELECT created_at FROM reports"))).scalars().all()
    assert len(set(tags)) == 2
    # Days only: the moment is not kept.
    assert all("00:00:00" in str(t) for t in times)
    (attachment,) = (await get_report(db, first.id)).attachments  # type: ignore[union-attr]
    await db.dispose()
    raw = database_bytes(db_url)
    assert attachment.sha256.encode() not in raw
    assert hashlib.sha256(b"%PDF-1.4 evidence").digest() not in raw


async def test_a_draft_is_filed_once(db: Database, tmp_path: Path) -> None:
    """Send pressed twice, or again after a crash between storing and clearing the draft."""
    first = await create_report(
        db, draft(), Reporter(7, ""), lang="ky", files_dir=tmp_path, filing_id="d1"
    )
    again = await create_report(
        db, draft(), Reporter(7, ""), lang="ky", files_dir=tmp_path, filing_id="d1"
    )
    other = await create_report(
        db, draft(), Reporter(7, ""), lang="ky", files_dir=tmp_path, filing_id="d2"
    )
    assert again == first and other.id != first.id
    assert len(await reports_of(db, 7)) == 2
    # The second press stored no second copy of the files either.
    assert len(list((tmp_path / "attachments").rglob("*.bin"))) == 2


async def test_a_report_raised_by_an_alert_is_completed_once_when_she_sends_it(
    db: Database, tmp_path: Path
) -> None:
    early = await create_report(
        db,
        draft(text="So far", danger=True, files=()),
        Reporter(7, ""),
        lang="ky",
        files_dir=tmp_path,
        filing_id="d1",
        alert=True,
    )
    assert early.unsent
    stored = await get_report(db, early.id)
    assert stored is not None and stored.unsent and stored.text == "So far"
    final = draft(text="The whole story", anonymous=False, danger=True)
    named = Reporter(7, "Aigul", "aigul", PHONE)
    sent = await create_report(
        db, final, named, lang="ru", files_dir=tmp_path, filing_id="d1", announce=lambda _id: []
    )
    again = await create_report(db, final, named, lang="ru", files_dir=tmp_path, filing_id="d1")
    assert sent.id == again.id == early.id and not sent.unsent and not again.unsent
    stored = await get_report(db, early.id)
    assert stored is not None and stored.text == "The whole story" and not stored.anonymous
    assert stored.reporter_lang == "ru" and len(stored.attachments) == 1
    assert [code for _day, code in stored.history] == ["alert", "sent"]
    assert await reporter_of(db, early.id) == named
    assert [r.id for r in await reports_of(db, 7)] == [early.id]
    # Sent twice, the files are stored once.
    assert len(list((tmp_path / "attachments").rglob("*.bin"))) == 1
