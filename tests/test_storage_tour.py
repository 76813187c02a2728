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
from sqlalchemy import select, update

import db as db_package
from bot.services.events import SEATS
from db import (
    announcements,
    audit,
    copies,
    documents,
    event_answers,
    event_changes,
    events,
    members,
    mutes,
    outbox,
    report_desk,
    report_export,
    reports,
    resolution,
    roles,
    users,
)
from db.engine import Database
from db.models import Delivery
from db.types import utcnow

# Modules of db/ that are machinery, not storage functions called by the bot's features.
MACHINERY = {
    "db.engine",
    "db.migrate",
    "db.models",
    "db.types",
    "db.copy",
    "db.backup",
    "db.rekey",  # key rotation: tests/test_rekey.py, on both databases
}


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
    assert await users.reach_of(db, [10, 404]) == {10: users.Reach("ky", "ky", False)}
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
    decided = await audit.last_entry(db, 10, ("member.approved", "member.declined"))
    assert decided is not None and decided.action == "member.approved" and decided.actor_id == 11
    assert await audit.last_entry(db, 10, ("report.closed",)) is None
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
    file = reports.FileIn("photo", "photo-1", b"\xff\xd8 jpeg", None, "image/jpeg", "Сүрөт")
    assert await reports.add_files(db, report.id, [file], files_dir=files_dir) == 1
    await report_desk.add_message(db, report.id, author="reporter", text="Дагы")
    await report_desk.add_message(
        db, report.id, author="coordinator", text="Жооп", author_id=11, file=("photo", "ph-2")
    )
    await report_desk.record_view(db, report.id, actor_id=11)
    assert await report_desk.assign(db, report.id, actor_id=11)
    assert await report_desk.set_status(db, report.id, "in_review", actor_id=11) == "new"
    full = await reports.get_report(db, report.id)
    assert full is not None and full.text == "Окуя" and len(full.thread) == 2
    assert full.attachments[0].caption == "Сүрөт" and full.thread[1].file_id == "ph-2"
    by_ref = await reports.find_report(db, report.ref.lower())
    assert by_ref is not None and by_ref.id == report.id
    assert await reports.find_report(db, "R-1") is None
    assert reports.read_attachment(db, files_dir, full.attachments[0]) == b"\xff\xd8 jpeg"
    reporter = await reports.reporter_of(db, report.id)
    assert reporter is not None and reporter.phone == "+996700"
    assert await reports.is_reporter(db, report.id, 10)
    assert [r.id for r in await reports.reports_of(db, 10)] == [report.id]
    page, total = await report_desk.list_reports(db, regions=["naryn"], category="torture")
    assert total == 1 and page[0].status == "in_review"
    assert await report_desk.count_by_status(db) == {"in_review": 1}
    batches = report_export.stream_reports(db, status="in_review", regions=["naryn"], partition=1)
    ((sealed,),) = [batch async for batch in batches]
    opened, whose = report_export.open_sealed(db, sealed)
    assert opened == full and whose == reporter
    assert [b async for b in report_export.stream_reports(db, category="corruption")] == []
    later = utcnow() + timedelta(hours=49)
    newer = await reports.create_report(
        db,
        reports.ReportDraft("torture", "naryn", "Экинчи", "today", False, True),
        reports.Reporter(10, "Айнура"),
        lang="ky",
        files_dir=files_dir,
    )
    cutoff = later - timedelta(hours=48)
    assert [r.id for r in await report_desk.still_new(db, cutoff)] == [newer.id]
    assert [r.id for r in await report_desk.new_before(db, later, regions=["naryn"])] == [newer.id]
    await report_desk.mark_raised(db, [newer.id], later)
    assert await report_desk.still_new(db, cutoff) == []
    reply = full.thread[1]
    first_message = await report_desk.add_message(db, report.id, author="note", text="Эскертүү")
    told = await reports.thread_message(db, first_message)
    assert told is not None and told.text == "Эскертүү" and reply.text == "Жооп"
    closing = await report_desk.set_status(
        db,
        report.id,
        "closed",
        actor_id=11,
        reply="Себеби",
        outbox=lambda mid: [outbox.Outgoing(10, "report.status", {"message": mid})],
    )
    assert closing == "in_review"
    (status_notice,) = await outbox.candidates(db, limit=10)
    reason = await reports.thread_message(db, int(status_notice.params["message"]))
    assert reason is not None and reason.text == "Себеби" and reason.author == "coordinator"
    await outbox.finish(db, status_notice.id, outbox.SENT)

    # copies of delivered messages
    await copies.record_copy(db, "member.request", 10, 11, 501)
    await copies.record_copy(db, "member.request", 10, 12, 502)
    await copies.record_copy(db, "report.reply", 7, 10, 503)
    kept = await copies.copies_of(db, "member.request", [10])
    assert [(c.chat_id, c.message_id) for c in kept] == [(11, 501), (12, 502)]
    assert await copies.forget_copies(db, "member.request", [10]) == 2
    assert await copies.copies_of(db, "member.request", [10]) == []
    assert [c.subject_id for c in await copies.copies_of(db, "report.reply", [7, 8])] == [7]

    # the outbox, and muted senders
    await outbox_tour(db)
    await mutes.mute(db, 10, actor_id=11)
    assert await mutes.is_muted(db, 10) and not await mutes.is_muted(db, 12)
    assert await mutes.unmute(db, 10, actor_id=11) and not await mutes.is_muted(db, 10)
    # events
    await events_tour(db)


async def events_tour(db: Database) -> None:
    """An event: published with its notices, answered (a waiting list), edited, messaged,
    reminded, its outcome recorded, called off."""
    seats = SEATS  # the rule of bot/services/events.py, which db/ takes as a protocol

    def tell(people: list[int]) -> list[outbox.Outgoing]:
        return [outbox.Outgoing(p, "event.x") for p in people]

    starts = utcnow() + timedelta(days=2)
    draft = events.EventDraft(
        "Диалог", "Сүрөттөмө", "dialogue", starts, "naryn", 90, "Нарын", (41.4, 75.9), None, 1
    )
    event, count, new = await events.publish_event(
        db,
        draft,
        organiser_id=11,
        draft_key="tour",
        notices=lambda eid, people: tell(people),
        batch=lambda eid: ("event.notices", {"event": eid}),
    )
    assert new and count == 1 and event.geo == (41.4, 75.9)  # member 10 of Naryn, set to "all"
    again = await events.publish_event(
        db,
        draft,
        organiser_id=11,
        draft_key="tour",
        notices=lambda e, p: [],
        batch=lambda e: ("x", {}),
    )
    assert again[0].id == event.id and not again[2]
    got = await events.get_event(db, event.id)
    assert got is not None and got.title == "Диалог" and got.place == "Нарын"
    page, total = await events.list_events(db, after=utcnow(), regions=["naryn"])
    assert total == 1 and page[0].id == event.id
    first = await event_answers.set_answer(db, event.id, 10, "going", seats=seats, moved_up=tell)
    second = await event_answers.set_answer(db, event.id, 11, "going", seats=seats, moved_up=tell)
    assert first is not None and first.stored == "going"
    assert second is not None and second.stored == "waiting"
    moved = await event_answers.set_answer(db, event.id, 10, "no", seats=seats, moved_up=tell)
    assert moved is not None and moved.promoted == (11,)
    assert await event_answers.answer_of(db, event.id, 11) == "going"
    people = await event_answers.attendees(db, event.id)
    assert sorted((p.user_id, p.answer, p.name) for p in people) == [
        (10, "no", "Айнура"),
        (11, "going", None),
    ]
    assert await event_changes.edit_event(
        db,
        event.id,
        {"title": ("Диалог", "Жаңы"), "starts_at": (starts.isoformat(), starts.isoformat())},
        actor_id=11,
        tell=lambda update_id, people: tell(people),
        seats=seats,
        moved_up=tell,
    )
    sent = await event_changes.message_going(
        db, event.id, "Кездешкенче", actor_id=11, tell=lambda update_id, people: tell(people)
    )
    assert sent == 1
    async with db.transaction() as session:
        from db.models import EventUpdate

        update_ids = [u.id for u in (await session.scalars(select(EventUpdate))).all()]
    change = await event_changes.get_update(db, update_ids[0])
    assert change is not None and change.body["changes"]["title"] == ["Диалог", "Жаңы"]
    due = await event_changes.reminder_candidates(db, utcnow(), starts + timedelta(hours=1))
    assert [e.id for e in due] == [event.id]
    assert (
        await event_changes.mark_reminders(
            db, event.id, utcnow(), day=True, soon=False, send="day", tell=tell
        )
        == 1
    )
    assert (
        await event_changes.mark_reminders(
            db, event.id, utcnow(), day=True, soon=False, send="day", tell=tell
        )
        == 0
    )
    assert await event_changes.mark_outcome_asked(db, event.id, utcnow(), tell=tell)
    assert not await event_changes.mark_outcome_asked(db, event.id, utcnow(), tell=tell)
    assert await event_changes.save_outcome(
        db, event.id, women=20, men=5, total=30, notes="Чечим", actor_id=11
    )
    held = await event_changes.events_between(
        db, starts - timedelta(days=1), starts + timedelta(days=1)
    )
    assert held[0].participants == 30 and held[0].outcome == "Чечим"
    assert (
        await event_changes.events_between(
            db, starts - timedelta(days=1), starts + timedelta(days=1), region="country"
        )
        == []
    )
    assert await event_changes.cancel_event(db, event.id, "Суу басты", actor_id=11, tell=tell) == 2
    assert await event_changes.cancel_event(db, event.id, "again", actor_id=11, tell=tell) is None
    assert (
        await event_answers.forget_answers(db, 11, seats=seats, moved_up=lambda e, p: tell(p)) == 1
    )
    assert await event_answers.answer_of(db, event.id, 11) is None

    # announcements
    await announcements_tour(db)


async def outbox_tour(db: Database) -> None:
    """Messages to others: enqueued, taken, finished, retried, in batches."""
    note = outbox.Outgoing(10, "member.decided", {"approved": True})
    await outbox.send_later(db, [note])
    (row,) = await outbox.candidates(db, limit=10)
    assert row.chat_id == 10 and row.params == {"approved": True}
    assert row.recipient_tag == outbox.chat_tag(db.cipher, 10)
    assert await outbox.take(db, [row.id]) == [row.id]
    assert await outbox.take(db, [row.id]) == []  # taken once
    # what the sender is done with is written with the next take
    assert await outbox.take(db, [], finished=[outbox.Finished(row.id, outbox.FAILED, False)]) == []
    assert await outbox.due_count(db) == 0
    async with db.transaction() as session:  # taken again, as if it had never failed
        await session.execute(
            update(Delivery).where(Delivery.id == row.id).values(status=outbox.SENDING)
        )
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
    told = [outbox.Outgoing(12, "danger.unreached")]
    assert await outbox.clear_deadline(db, other, outbox=told)
    assert not await outbox.clear_deadline(db, other, outbox=told)  # the hook ran again
    assert await outbox.pending_count(db) == 4  # two of the batch, the note, one "unreached"
    assert await outbox.cancel_batch(db, other) == 1
    first, second = [
        c for c in await outbox.candidates(db, limit=10) if c.kind != "danger.unreached"
    ]
    await outbox.take(db, [first.id, second.id])
    await outbox.finish(db, first.id, outbox.SENT)
    await outbox.finish(db, second.id, outbox.BLOCKED)
    running = await outbox.running_batches(db)
    assert [b.id for b in running] == [batch_id, other]
    done = [outbox.Outgoing(13, "danger.reached")]
    closed = await outbox.close_batch(db, batch_id, outbox=done)
    assert closed is not None and closed.counts[outbox.SENT] == 1
    assert closed.counts[outbox.BLOCKED] == 1
    # Closed once: a hook run again after a crash adds nothing.
    assert await outbox.close_batch(db, batch_id, outbox=done) is None
    reached = [m for m in await outbox.candidates(db, limit=10) if m.kind == "danger.reached"]
    assert len(reached) == 1
    again = await outbox.get_batch(db, batch_id)
    assert again is not None and again.status == "done" and again.params == {"reports": [1]}


async def announcements_tour(db: Database) -> None:
    """Composed, scheduled, started once, cancelled, finished, listed; drafts discarded."""
    audience = {"regions": ["naryn"], "roles": [], "interests": [], "language": None}
    content: dict[str, Any] = {
        "text": ["<b>Жыйын</b>", 5],
        "versions": {},
        "file": None,
        "protect": False,
    }
    first = await announcements.save_draft(db, 11, audience, content)
    assert await announcements.save_draft(db, 11, audience, content, replacing=first) == first
    info = await announcements.get_announcement(db, first)
    assert info is not None and info.status == "draft" and info.content == content
    assert await announcements.content_of(db, first) == content
    members_now = await announcements.audience_members(db, regions=["naryn"])
    assert [(m.user_id, m.language) for m in members_now] == [(10, "ky")]
    assert await roles.leads_granted(db) == {11}
    when = utcnow() + timedelta(days=1)
    assert await announcements.schedule(db, first, when, actor_id=11, status_message_id=7)
    assert await announcements.due(db) == []
    assert [a.id for a in await announcements.due(db, when)] == [first]
    message = outbox.Outgoing(10, "announcement", {"announcement": first}, 3)
    batch = await announcements.start(db, first, [message], actor_id=11)
    assert batch is not None
    assert await announcements.start(db, first, [message], actor_id=11) is None  # once
    assert await announcements.figures(db, batch) == {outbox.PENDING: 1}
    assert await announcements.cancel(db, first, actor_id=11) == "sending"
    assert await announcements.cancel(db, first, actor_id=11) is None
    assert await announcements.figures(db, batch) == {outbox.CANCELLED: 1}
    assert await announcements.unfinished(db) == []  # its batch still runs
    await outbox.close_batch(db, batch)
    assert await announcements.unfinished(db) == [first]
    done = await announcements.finish(db, first)
    assert done is not None and done.status == "cancelled" and done.finished_at is not None
    assert await announcements.unfinished(db) == []
    assert (await announcements.figures(db, batch))[outbox.CANCELLED] == 1
    items, total = await announcements.list_announcements(db, author_id=11)
    assert total == 1 and items[0].recipients == 1 and items[0].status_message_id == 7
    second = await announcements.save_draft(db, 11, audience, content)
    assert await announcements.discard_draft(db, second)
    await announcements.save_draft(db, 11, audience, content)
    assert await announcements.purge_drafts(db, utcnow() + timedelta(seconds=1)) == 1
    assert (await announcements.list_announcements(db))[1] == 1


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
