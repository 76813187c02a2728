"""Key rotation: every encrypted value, keyed hash and file under the new key, on both
databases; an interrupted rotation finished by running it again; the registry of encrypted and
tag columns complete."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

import db.rekey as rekey
from bot.persistence import DatabasePersistence
from bot.services.crypto import Cipher, new_key
from db import members, outbox, reports, roles, users
from db.engine import Database
from db.models import Base, Report, ReportAttachment
from tests.test_storage_tour import tour


def test_every_encrypted_and_tag_column_is_known_to_the_rotation() -> None:
    encrypted = {(t, c) for t, columns in rekey.ENCRYPTED.items() for c in columns}
    tagged = {(t, c) for t, columns in rekey.TAGS.items() for c in columns} | rekey.OTHER_TAGS
    for table in Base.metadata.tables.values():
        for column in table.columns:
            if column.name.endswith("_enc"):
                assert (table.name, column.name) in encrypted, (
                    f"{table.name}.{column.name} is not in db/rekey.py ENCRYPTED"
                )
            if column.name.endswith("_tag"):
                assert (table.name, column.name) in tagged, (
                    f"{table.name}.{column.name} is not in db/rekey.py TAGS"
                )
    for name, column_name in encrypted | tagged:
        assert column_name in Base.metadata.tables[name].columns, f"{name}.{column_name} is gone"


async def _populate(db: Database, files_dir: Path) -> int:
    """Everything the bot stores (the storage tour), persisted data with an open draft, and a
    report filed from another draft; returns that report's id."""
    await tour(db, files_dir)
    persistence = DatabasePersistence(db)
    await persistence.update_user_data(10, {"report": {"_id": "draft-open", "text": "half"}})
    await persistence.update_chat_data(10, {"note": 1})
    await persistence.update_bot_data({"v": 1})
    await persistence.update_conversation("report", (10, 10), "story")
    filed = await reports.create_report(
        db,
        reports.ReportDraft("other", "osh_city", "filed", "today", False, True),
        reports.Reporter(10, ""),
        lang="ru",
        files_dir=files_dir,
        filing_id="draft-open",
    )
    gone = await reports.create_report(
        db,
        reports.ReportDraft("other", "osh_city", "gone", "today", False, True),
        reports.Reporter(10, ""),
        lang="ru",
        files_dir=files_dir,
        filing_id="draft-gone",
    )
    assert gone.id != filed.id
    return filed.id


async def _check_everything_reads(db: Database, files_dir: Path, filed: int) -> None:
    """With the new key alone, the bot finds and reads everything."""
    assert await rekey.remaining(db) == 0
    assert await rekey.check_key(db) is True
    person = await users.get_user(db, 10)
    assert person is not None and person.first_name == "Айнура"
    member = await members.get_member(db, 10)
    assert member is not None and member.phone == "+996700"
    assert await roles.grants_of(db, 11) == (True, frozenset({"naryn"}))
    mine = await reports.reports_of(db, 10)
    assert len(mine) == 4 and await reports.is_reporter(db, mine[-1].id, 10)
    full = await reports.get_report(db, mine[-1].id)
    assert full is not None and full.text == "Окуя"
    assert reports.read_attachment(db, files_dir, full.attachments[0]) == b"\xff\xd8 jpeg"
    fresh = DatabasePersistence(db)
    assert await fresh.get_user_data() == {10: {"report": {"_id": "draft-open", "text": "half"}}}
    assert await fresh.get_conversations("report") == {(10, 10): "story"}
    # The keyed hashes were recomputed: found under the new key.
    again = await reports.create_report(
        db,
        reports.ReportDraft("other", "osh_city", "twice", "today", False, True),
        reports.Reporter(10, ""),
        lang="ru",
        files_dir=files_dir,
        filing_id="draft-open",
    )
    assert again.id == filed
    claimed = await outbox.candidates(db, limit=10)
    assert all(c.recipient_tag == outbox.chat_tag(db.cipher, c.chat_id) for c in claimed)
    async with db.transaction() as session:
        # The filing tag of a draft that is gone was cleared (it cannot be recomputed).
        tags = dict((await session.execute(select(Report.text_enc, Report.filing_tag))).all())
        assert sum(1 for tag in tags.values() if tag is not None) == 1
        paths = (await session.scalars(select(ReportAttachment.path))).all()
    for path in paths:
        assert db.cipher.is_current((files_dir / path).read_bytes()[:8])


async def test_a_rotation_rewrites_everything_under_the_new_key(
    db_url: str, tmp_path: Path
) -> None:
    old, new = new_key(), new_key()
    before = Database(db_url, cipher=Cipher(old))
    filed = await _populate(before, tmp_path)
    await before.dispose()
    # A file no row names (left by an older version after a failed write): removed.
    stray = tmp_path / "attachments" / "lost" / "x.bin"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"junk")

    rotating = Database(db_url, cipher=Cipher(new, previous=[old]))
    assert await rekey.remaining(rotating) > 30
    result = await rekey.rotate(rotating, tmp_path)
    assert result.total > 30 and result.files == 1 and result.orphans == 1
    assert not stray.exists() and not stray.parent.exists()
    again = await rekey.rotate(rotating, tmp_path)  # nothing left to do
    assert again.total == 0 and again.files == 0
    await rotating.dispose()

    after = Database(db_url, cipher=Cipher(new))
    try:
        await _check_everything_reads(after, tmp_path, filed)
    finally:
        await after.dispose()
    stale = Database(db_url, cipher=Cipher(old))
    try:
        assert await rekey.check_key(stale) is False
    finally:
        await stale.dispose()


class Interrupted(Exception):
    pass


async def test_an_interrupted_rotation_is_finished_by_running_it_again(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = new_key(), new_key()
    before = Database(db_url, cipher=Cipher(old))
    filed = await _populate(before, tmp_path)
    await before.dispose()

    # Small batches, and the process "dies" half-way: after some tables and files are done.
    monkeypatch.setattr(rekey, "BATCH", 3)
    real = rekey._rotate_table
    done: list[str] = []

    async def dying(db: Database, table: object, *args: object) -> int:
        name = getattr(table, "name", "")
        if name == "reports":
            raise Interrupted
        done.append(name)
        return await real(db, table, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(rekey, "_rotate_table", dying)
    rotating = Database(db_url, cipher=Cipher(new, previous=[old]))
    with pytest.raises(Interrupted):
        await rekey.rotate(rotating, tmp_path)
    assert "ptb_user_data" in done and await rekey.remaining(rotating) > 0
    # Meanwhile both keys are accepted: what is done and what is not both read.
    person = await users.get_user(rotating, 10)
    full = await reports.get_report(rotating, (await reports.reports_of(rotating, 10))[-1].id)
    assert person is not None and full is not None and full.text == "Окуя"

    monkeypatch.setattr(rekey, "_rotate_table", real)
    await rekey.rotate(rotating, tmp_path)
    await rotating.dispose()
    after = Database(db_url, cipher=Cipher(new))
    try:
        await _check_everything_reads(after, tmp_path, filed)
    finally:
        await after.dispose()


async def test_a_file_rewritten_before_its_row_is_not_rewritten_again(
    db_url: str, tmp_path: Path
) -> None:
    """The crash between a file and its row: the file is done, the row is not."""
    old, new = new_key(), new_key()
    before = Database(db_url, cipher=Cipher(old))
    report = await reports.create_report(
        before,
        reports.ReportDraft("other", "osh_city", "t", "today", False, True),
        reports.Reporter(1, ""),
        lang="ru",
        files_dir=tmp_path,
    )
    await reports.add_files(
        before, report.id, [reports.FileIn("document", "f", b"data", "a.txt")], files_dir=tmp_path
    )
    full = await reports.get_report(before, report.id)
    await before.dispose()
    assert full is not None
    path = tmp_path / full.attachments[0].path
    both = Cipher(new, previous=[old])
    path.write_bytes(both.encrypt_bytes(both.decrypt_bytes(path.read_bytes())))
    written = path.read_bytes()
    rotating = Database(db_url, cipher=both)
    try:
        result = await rekey.rotate(rotating, tmp_path)
        assert result.files == 0 and path.read_bytes() == written
        assert result.rows["report_attachments"] == 1
        stored = await reports.get_report(rotating, report.id)
        assert stored is not None
        assert reports.read_attachment(rotating, tmp_path, stored.attachments[0]) == b"data"
        integrity = stored.attachments[0]
        assert (integrity.sha256, integrity.size) == (
            "3a6eb0790f39ac87c94f3856b2dd2c5d110e6811602261a9a923d3bb23adc8b7",
            4,
        )
    finally:
        await rotating.dispose()
