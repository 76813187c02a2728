"""Every storage function, once, on each database (SQLite and PostgreSQL).

The rest of the suite runs on both lanes too, but may not call every function; this tour does,
and `test_the_tour_calls_every_storage_function` fails when a function is added to db/ without
being called here. To add one: call it in `tour()` below through its module (`users.x(...)`, not
an imported name, so that the call is seen), with an assertion on what it returns.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import db as db_package
from db import audit, documents, members, outbox, reports, resolution, roles, users
from db.engine import Database
from db.types import utcnow

# Modules of db/ that are machinery, not storage functions called by the bot's features.
MACHINERY = {"db.engine", "db.migrate", "db.models", "db.types", "db.copy", "db.backup"}


def storage_functions() -> dict[str, Callable[..., Any]]:
    """Every public function defined in a storage module of db/, by qualified name."""
    found: dict[str, Callable[..., Any]] = {}
    for info in pkgutil.walk_packages(db_package.__path__, "db."):
        if info.name in MACHINERY or info.name.startswith("db.migrations"):
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(value):
                continue
            if value.__module__ == info.name:
                found[f"{info.name}.{name}"] = value
    return found


async def tour(db: Database, files_dir: Path) -> None:
    """Call every storage function the way the bot does, checking what comes back."""
    # users
    person, is_new = await users.record_user(
        db, user_id=10, first_name="Айнура", username="ainura", telegram_language="ky"
    )
    assert is_new and person.first_name == "Айнура"
    await users.set_language(db, 10, "ky")
    await users.set_blocked(db, 10, False)
    found = await users.get_user(db, 10)
    assert found is not None and found.language == "ky"
    for user_id in (11, 12):
        await users.record_user(
            db, user_id=user_id, first_name="Lead", username=None, telegram_language="ru"
        )

    # members
    draft = members.MemberDraft("Айнура", "naryn", "Кочкор", "activist", ("rights",), "+996700")
    assert (await members.create_member(db, 10, draft, approved=False)).status == "pending"
    assert await members.update_member(db, 10, district="Нарын", notify_events="all")
    assert (await members.decide(db, 10, approve=True, actor_id=11)) is not None
    member = await members.get_member(db, 10)
    assert member is not None and member.status == "approved" and member.district == "Нарын"
    assert [m.user_id for m in await members.list_members(db, regions=["naryn"])] == [10]
    assert (await members.count_members(db))[("naryn", "approved")] == 1
    assert [m.user_id for m in await members.find_members(db, "айнУРА")] == [10]
    assert members.normalise("  АЙНУРА  Ömür ") == "айнура ömür"
    listed = await members.members_page(db, regions=["naryn"], status="approved", limit=5)
    assert (listed.total, [m.name for m in listed.members]) == (1, ["Айнура"])
    named = await members.search_members(db, "НУР", regions=["naryn"], limit=5)
    assert (named.total, [m.user_id for m in named.members]) == (1, [10])
    await members.create_member(db, 12, draft, approved=True)
    assert await members.erase_member(db, 12, actor_id=12)

    # roles
    await roles.set_grants(db, 11, coordinator=True, lead_regions=frozenset({"naryn"}), actor_id=99)
    assert await roles.grants_of(db, 11) == (True, frozenset({"naryn"}))
    assert await roles.coordinators_granted(db) == {11}
    assert await roles.leads_of(db, "naryn") == {11}
    assert await roles.privileged_ids(db) == {11}

    # audit and documents
    async with db.transaction() as session:
        audit.add_audit(session, "tour.in_transaction", actor_id=11)
    await audit.audit(db, "tour.alone", actor_id=11, target_id=10)
    actions = [e.action for e in await audit.audit_entries(db, limit=2)]
    assert actions == ["tour.alone", "tour.in_transaction"]
    await documents.put_document(db, "help_contacts", "{}", actor_id=11)
    await documents.put_document(db, "help_contacts", '{"v": 2}', actor_id=11)
    assert await documents.get_document(db, "help_contacts") == '{"v": 2}'

    # resolution texts and the file cache
    first = await resolution.add_draft(db, lang="ky", source="# A", sha256="a" * 64, user_id=11)
    assert await resolution.publish(db, first, user_id=11, official=False)
    assert await resolution.mark_official(db, first, user_id=11)
    second = await resolution.add_draft(db, lang="ky", source="# B", sha256="b" * 64, user_id=11)
    assert await resolution.discard(db, second)
    assert not await resolution.publish(db, second, user_id=11, official=False)
    third = await resolution.publish_copy(
        db, lang="ru", source="# C", sha256="c" * 64, user_id=11, official=True
    )
    current = await resolution.current_version(db, "ky")
    assert current is not None and current.id == first and current.official
    version = await resolution.get_version(db, third)
    assert version is not None and version.status == "published"
    assert await resolution.version_source(db, third) == "# C"
    await resolution.cache_file_id(db, "k", "file-1")
    assert await resolution.cached_file_id(db, "k") == "file-1"
    await resolution.forget_file_id(db, "k")
    assert await resolution.cached_file_id(db, "k") is None

    # reports
    report = await reports.create_report(
        db,
        reports.ReportDraft("torture", "naryn", "Окуя", "today", True, False, place="Нарын"),
        reports.Reporter(10, "Айнура", "ainura", "+996700"),
        lang="ky",
        files_dir=files_dir,
    )
    file = reports.FileIn("photo", "photo-1", b"\xff\xd8 jpeg", None, "image/jpeg")
    assert await reports.add_files(db, report.id, [file], files_dir=files_dir) == 1
    await reports.add_message(db, report.id, author="reporter", text="Дагы")
    await reports.add_message(db, report.id, author="coordinator", text="Жооп", author_id=11)
    await reports.record_view(db, report.id, actor_id=11)
    assert await reports.assign(db, report.id, actor_id=11)
    assert await reports.set_status(db, report.id, "in_review", actor_id=11) == "new"
    full = await reports.get_report(db, report.id)
    assert full is not None and full.text == "Окуя" and len(full.thread) == 2
    assert reports.read_attachment(db, files_dir, full.attachments[0]) == b"\xff\xd8 jpeg"
    reporter = await reports.reporter_of(db, report.id)
    assert reporter is not None and reporter.phone == "+996700"
    assert await reports.is_reporter(db, report.id, 10)
    assert [r.id for r in await reports.reports_of(db, 10)] == [report.id]
    page, total = await reports.list_reports(db, regions=["naryn"], category="torture")
    assert total == 1 and page[0].status == "in_review"
    assert await reports.count_by_status(db) == {"in_review": 1}
    batches = reports.stream_reports(db, status="in_review", regions=["naryn"], partition=1)
    ((sealed,),) = [batch async for batch in batches]
    opened, whose = reports.open_sealed(db.cipher, sealed)
    assert opened == full and whose == reporter
    assert [b async for b in reports.stream_reports(db, category="corruption")] == []
    later = utcnow() + timedelta(hours=49)
    newer = await reports.create_report(
        db,
        reports.ReportDraft("torture", "naryn", "Экинчи", "today", False, True),
        reports.Reporter(10, "Айнура"),
        lang="ky",
        files_dir=files_dir,
    )
    cutoff = later - timedelta(hours=48)
    assert [r.id for r in await reports.still_new(db, cutoff)] == [newer.id]
    await reports.mark_raised(db, [newer.id], later)
    assert await reports.still_new(db, cutoff) == []
    reply = full.thread[1]
    first_message = await reports.add_message(db, report.id, author="note", text="Эскертүү")
    told = await reports.thread_message(db, first_message)
    assert told is not None and told.text == "Эскертүү" and reply.text == "Жооп"

    # the outbox
    await outbox_tour(db)


async def outbox_tour(db: Database) -> None:
    """Messages to others: enqueued, taken, finished, retried, in batches."""
    note = outbox.Outgoing(10, "member.decided", {"approved": True})
    await outbox.send_later(db, [note])
    (row,) = await outbox.candidates(db, limit=10)
    assert row.chat_id == 10 and row.params == {"approved": True}
    assert row.recipient_tag == outbox.chat_tag(db.cipher, 10)
    assert await outbox.take(db, [row.id]) == [row.id]
    assert await outbox.take(db, [row.id]) == []  # taken once
    assert await outbox.due_count(db) == 1 and await outbox.pending_count(db) == 1
    assert await outbox.recover(db) == 1  # as after a crash
    await outbox.retry_later(db, row.id, utcnow() + timedelta(minutes=5))
    assert await outbox.candidates(db, limit=10) == [] and await outbox.next_due(db) is not None
    await outbox.finish(db, row.id, outbox.SENT)  # delivered alone: no trace left
    assert await outbox.pending_count(db) == 0
    batch_id = await outbox.send_later(
        db, [note, outbox.Outgoing(11, "member.decided")], batch=("stale", {"reports": [1]})
    )
    assert batch_id is not None
    async with db.transaction() as session:
        counts = await outbox.batch_counts(session, batch_id)
        assert counts == {outbox.PENDING: 2}
        other = await outbox.new_batch(session, db.cipher, "danger", {}, deadline=utcnow())
        await outbox.enqueue(session, db.cipher, [note], batch_id=other)
    await outbox.clear_deadline(db, other)
    assert await outbox.cancel_batch(db, other) == 1
    first, second = await outbox.candidates(db, limit=10)
    await outbox.take(db, [first.id, second.id])
    await outbox.finish(db, first.id, outbox.SENT)
    await outbox.finish(db, second.id, outbox.BLOCKED)
    running = await outbox.running_batches(db)
    assert [b.id for b in running] == [batch_id, other]
    closed = await outbox.close_batch(db, batch_id)
    assert closed is not None and closed.counts[outbox.SENT] == 1
    assert closed.counts[outbox.BLOCKED] == 1 and await outbox.close_batch(db, batch_id) is None
    again = await outbox.get_batch(db, batch_id)
    assert again is not None and again.status == "done" and again.params == {"reports": [1]}


async def test_every_storage_function_on_this_database(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    called: set[str] = set()
    for qualified, function in storage_functions().items():
        module_name, name = qualified.rsplit(".", 1)
        monkeypatch.setattr(importlib.import_module(module_name), name, _noting(function, called))
    await tour(db, tmp_path)
    missing = sorted(set(storage_functions()) - called)
    assert not missing, (
        f"storage functions the tour does not call: {', '.join(missing)}; call them in "
        "tests/test_storage_tour.py (see its docstring) so they run on SQLite and PostgreSQL"
    )


def _noting(function: Callable[..., Any], called: set[str]) -> Callable[..., Any]:
    key = f"{function.__module__}.{function.__name__}"
    if inspect.iscoroutinefunction(function):

        @functools.wraps(function)
        async def noted_async(*args: Any, **kwargs: Any) -> Any:
            called.add(key)
            return await function(*args, **kwargs)

        return noted_async

    @functools.wraps(function)
    def noted(*args: Any, **kwargs: Any) -> Any:
        called.add(key)
        return function(*args, **kwargs)

    return noted
