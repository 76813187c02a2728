"""The coordinators' side of incident reports, end to end: list, filters and pages, the card,
status changes told to the reporter, replies and notes, attachments, export, leads, refusals,
and the 48-hour reminder."""

from __future__ import annotations

import csv
import hashlib
import io
from zoneinfo import ZoneInfo

from bot.handlers.reports_desk.replies import REPLY_MAX
from bot.i18n import get_translator
from db.audit import AuditRecord, audit_entries
from db.report_desk import set_status as store_status
from db.reports import FileIn, ReportDraft, Reporter, ReportInfo, create_report, get_report
from db.types import utcnow
from db.users import get_user
from sandbox import Entry, Sandbox, SimUser
from tests.e2e.helpers import buttons, started, wait_text
from tests.e2e.runner import COORDINATOR_ID, BotRunner
from tests.texts import en, part, tr

COORDINATOR_ONLY = en("This is only for coordinators.")
TITLE = en("Incident reports")
OSH = en("Osh Region")
TALAS = en("Talas Region")
TORTURE = en("Torture or ill-treatment")
TRAFFICKING = en("Human trafficking")
EXPORT_CSV = "⬇️ " + en("Export CSV")
REPLY_BUTTON = "✉️ " + en("Reply to the reporter")
STATUSES = ("new", "in review", "referred", "resolved", "closed")  # msgids, in list order
REPORTER_ID = 777123456
REPORTER_NAME = "Aigul Secretova"
REPORTER_USERNAME = "aigul_secret"
REPORTER_PHONE = "+996700111222"
SECRETS = (REPORTER_NAME, "Secretova", REPORTER_USERNAME, REPORTER_PHONE, "996700111222")
STORY = "He was beaten in the <b>cell</b> of the Osh police station & threatened"
PDF = b"%PDF-1.4 medical certificate"
WRITE_REPLY = (
    "Write your reply to the reporter of {ref} in one message, or send a photo or document with "
    "a caption. She will see it as coming from the coordinators, without your name."
)
WRITE_NOTE = (
    "Write the internal note on {ref} in one message. Only coordinators see notes; the reporter "
    "is not told."
)


async def reporter_in(sandbox: Sandbox, lang: str = "en") -> SimUser:
    return await started(sandbox, "Aigul", lang, user_id=REPORTER_ID, username=REPORTER_USERNAME)


async def file_report(
    bot: BotRunner, lang: str = "en", *, files: tuple[FileIn, ...] = (), **changes: object
) -> ReportInfo:
    values: dict[str, object] = {
        "category": "torture",
        "region": "osh_region",
        "text": STORY,
        "occurred": "yesterday",
        "danger": False,
        "anonymous": True,
        "place": "Kara-Suu <district>",
        "files": files,
    }
    values.update(changes)
    return await create_report(
        bot.application.db,
        ReportDraft(**values),  # type: ignore[arg-type]
        Reporter(REPORTER_ID, REPORTER_NAME, REPORTER_USERNAME, REPORTER_PHONE),
        lang=lang,
        files_dir=bot.settings.data_dir,
    )


async def press_data(user: SimUser, data: str) -> str:
    """Press the newest button that carries this callback data."""
    for entry in reversed(user.bot_messages()):
        for labels, datas in zip(entry.buttons, entry.callback_data, strict=True):
            for label, value in zip(labels, datas, strict=True):
                if value == data:
                    return await user.press(label, message_id=entry.message_id)
    raise LookupError(f"no button with data {data!r}\n{user.transcript_text()}")


def all_data(entry: Entry | None) -> list[str]:
    assert entry is not None
    return [d for row in entry.callback_data for d in row if d]


def counts(*numbers: int) -> str:
    """new: 9 · in review: 1 · … as the list shows them."""
    return " · ".join(f"{en(name)}: {n}" for name, n in zip(STATUSES, numbers, strict=True))


def shown(first: int, last: int, total: int, page: int, pages: int) -> str:
    return en(
        "Reports {first}–{last} of {total} (page {page} of {pages}):",
        first=first,
        last=last,
        total=total,
        page=page,
        pages=pages,
    )


def region_filter(value: str) -> str:
    return "📍 " + en("Region: {value}", value=value)


def move(status: str) -> str:
    """The button that moves a report to `status` (its msgid)."""
    return "→ " + en(status)


async def open_card(coordinator: SimUser, report: ReportInfo) -> Entry:
    """/reports, then the report's card from the list."""
    await coordinator.send("/reports")
    await wait_text(coordinator, TITLE)
    await press_data(coordinator, f"rep:open:{report.id}")
    return await wait_text(coordinator, en("Report {ref}", ref=report.ref))


async def audit_of(bot: BotRunner) -> list[AuditRecord]:
    return await audit_entries(bot.application.db, limit=1000)


async def test_list_filters_and_pages(sandbox: Sandbox, bot: BotRunner) -> None:
    coordinator = await started(sandbox, "Coordinator", user_id=COORDINATOR_ID)
    await reporter_in(sandbox)
    osh = [await file_report(bot) for _ in range(7)]
    talas = [
        await file_report(bot, category="trafficking", region="talas", danger=True)
        for _ in range(3)
    ]
    await store_status(bot.application.db, osh[0].id, "in_review", actor_id=COORDINATOR_ID)

    await coordinator.send("/reports")
    first = await wait_text(coordinator, TITLE)
    assert counts(9, 1, 0, 0, 0) in first.text
    assert shown(1, 8, 10, 1, 2) in first.text
    rows = [label for label in buttons(first) if label.startswith(("R-", "⚠️ R-"))]
    assert len(rows) == 8
    # Newest first; a report in danger is marked. A button carries the reference and the day
    # (it fits a phone); region, category and status are in the message, a line each.
    new = en("new")
    day = get_translator("en", bot.settings.timezone).short_date(talas[-1].created_at)
    assert rows[0] == f"⚠️ {talas[-1].ref} · {day}"
    assert rows[3] == f"{osh[-1].ref} · {day}"
    lines = first.text.split("\n")
    assert f"⚠️ {talas[-1].ref} · {TALAS} · {TRAFFICKING} · {new}" in lines
    assert f"{osh[-1].ref} · {OSH} · {TORTURE} · {new}" in lines
    assert "▶" in buttons(first) and "◀" not in buttons(first)
    assert all(len(d.encode()) <= 64 for d in all_data(first))

    await coordinator.press("▶")
    second = await wait_text(coordinator, shown(9, 10, 10, 2, 2))
    assert "◀" in buttons(second) and "▶" not in buttons(second)
    assert any(label.startswith(osh[0].ref) for label in buttons(second))

    await coordinator.press(region_filter(en("all")))
    picker = await wait_text(coordinator, en("Choose a region:"))
    assert en("Batken Region") in buttons(picker)
    await coordinator.press(TALAS)
    talas_list = await wait_text(coordinator, shown(1, 3, 3, 1, 1))
    assert counts(3, 0, 0, 0, 0) in talas_list.text
    assert region_filter(TALAS) in buttons(talas_list)

    await coordinator.press(region_filter(TALAS))
    await wait_text(coordinator, en("Choose a region:"))
    await coordinator.press(en("All"))
    await wait_text(coordinator, shown(1, 8, 10, 1, 2))
    await coordinator.press("🔖 " + en("Status: {value}", value=en("all")))
    await wait_text(coordinator, en("Choose a status:"))
    await coordinator.press(en("in review"))
    one = await wait_text(coordinator, shown(1, 1, 1, 1, 1))
    assert any(label.startswith(osh[0].ref) for label in buttons(one))
    await coordinator.press("🗂 " + en("Category: {value}", value=en("all")))
    await wait_text(coordinator, en("Choose a category:"))
    await coordinator.press(TRAFFICKING)
    await wait_text(coordinator, en("No reports match these filters."))

    # Opening a report and coming back keeps the filters.
    await coordinator.press("🗂 " + en("Category: {value}", value=TRAFFICKING))
    await wait_text(coordinator, en("Choose a category:"))
    await coordinator.press(en("All"))
    await wait_text(coordinator, shown(1, 1, 1, 1, 1))
    await press_data(coordinator, f"rep:open:{osh[0].id}")
    await wait_text(coordinator, en("Report {ref}", ref=osh[0].ref))
    await coordinator.press("◀ " + en("Back to the list"))
    back = await wait_text(coordinator, shown(1, 1, 1, 1, 1))
    assert "🔖 " + en("Status: {value}", value=en("in review")) in buttons(back)


async def test_named_report_card_and_status_change_told_in_kyrgyz(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    coordinator = await started(sandbox, "Zhyldyz", user_id=COORDINATOR_ID)
    aigul = await reporter_in(sandbox, "ky")
    report = await file_report(bot, "ky", anonymous=False, danger=True)

    card = await open_card(coordinator, report)
    assert STORY in card.text  # shown literally: escaped, not parsed as HTML
    assert en("Place: {value}").format(value="Kara-Suu <district>") in card.text
    assert en("Immediate danger") in card.text
    assert en("When it happened: {value}", value=en("Yesterday")) in card.text
    assert en("Status: {value}", value=en("new")) in card.text
    assert en("Category: {value}", value=TORTURE) in card.text
    who = f"{REPORTER_NAME} · @{REPORTER_USERNAME} · {REPORTER_PHONE}"
    assert en("Reported by: {value}", value=who) in card.text
    assert en("Attachments: {count}", count=0) in card.text
    take = "🙋 " + en("Take")
    assert {move("in review"), move("closed"), take, REPLY_BUTTON} <= set(buttons(card))

    await coordinator.press(take)
    taken = await wait_text(coordinator, en("Taken by: {value}", value=en("you")))
    assert take not in buttons(taken)

    await coordinator.press(move("in review"))
    told = await aigul.next_bot_message()
    assert told.text == "ℹ️ " + tr(
        "ky", "Your report {ref} is now: {status}", ref=report.ref, status=tr("ky", "in review")
    )
    assert "Zhyldyz" not in aigul.transcript_text()
    card = await wait_text(coordinator, en("Status: {value}", value=en("in review")))
    assert {move("referred"), move("resolved"), move("closed")} <= set(buttons(card))
    stored = await get_report(bot.application.db, report.id)
    assert stored is not None and stored.status == "in_review"
    assert stored.assigned_to == COORDINATOR_ID

    # A stale button (the move is no longer allowed) is refused and changes nothing.
    stale = await coordinator.callback_answer(
        await coordinator.forge_press(f"rep:st:{report.id}:in_review")
    )
    not_possible = "This change is not possible: the report is now “{status}”."
    assert stale["show_alert"] and stale["text"] == en(not_possible, status=en("in review"))

    entries = await audit_of(bot)
    actions = [(e.action, e.target_id) for e in entries]
    assert ("report.viewed", report.id) in actions
    assert ("report.status", report.id) in actions and ("report.taken", report.id) in actions
    status = next(e for e in entries if e.action == "report.status")
    assert status.actor_id == COORDINATOR_ID
    assert status.details == {"before": "new", "after": "in_review"}


async def test_anonymous_report_shows_nobody_in_card_files_and_export(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    coordinator = await started(sandbox, "Coordinator", user_id=COORDINATOR_ID)
    await reporter_in(sandbox)
    known = sandbox.store_file(PDF, "document", "certificate.pdf", "application/pdf")
    photo = b"\xff\xd8\xff photo of bruises"
    report = await file_report(
        bot,
        files=(
            FileIn("document", known.file_id, PDF, "certificate.pdf", "application/pdf"),
            FileIn("photo", "AgAC-a-file-id-telegram-does-not-know", photo, None, "image/jpeg"),
        ),
    )

    card = await open_card(coordinator, report)
    assert en("Reported by: anonymous") in card.text
    assert en("Attachments: {count}", count=2) in card.text

    await coordinator.press("📎 " + en("Attachments ({count})", count=2))
    await coordinator.wait_for(lambda u: len([m for m in u.bot_messages() if m.file_id]) == 2)
    by_id, from_disk = [m for m in coordinator.bot_messages() if m.file_id]
    assert by_id.file_id == known.file_id  # re-sent by Telegram's file_id
    assert "certificate.pdf" in by_id.text
    assert f"SHA-256: {hashlib.sha256(PDF).hexdigest()}" in by_id.text
    # Telegram refused the photo's file_id: the copy kept on disk was sent, byte for byte.
    assert from_disk.kind == "document" and from_disk.file_id is not None
    assert sandbox.files[from_disk.file_id].data == photo
    assert f"SHA-256: {hashlib.sha256(photo).hexdigest()}" in from_disk.text
    (refused,) = sandbox.breaches  # the expected refusal of the unknown file_id
    assert refused.method == "sendPhoto" and "wrong file identifier" in refused.description
    sandbox.breaches.clear()

    await coordinator.send("/reports")
    await wait_text(coordinator, TITLE)
    await coordinator.press(EXPORT_CSV)
    await coordinator.wait_for(
        lambda u: any((m.file_name or "").endswith(".csv") for m in u.bot_messages())
    )
    export = next(m for m in coordinator.bot_messages() if (m.file_name or "").endswith(".csv"))
    assert export.file_id is not None
    raw = sandbox.files[export.file_id].data
    assert raw.startswith(b"\xef\xbb\xbf")
    header, row = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert header[:3] == [en("Reference"), en("Received"), en("Category")]
    record = dict(zip(header, row, strict=True))
    assert record[en("Reference")] == report.ref and record[en("What happened")] == STORY
    assert record[en("Anonymous")] == en("yes") and record[en("Attachments")] == "2"
    names = ("Reporter's name", "Reporter's username", "Reporter's phone")
    assert [record[en(name)] for name in names] == ["", "", ""]
    assert hashlib.sha256(photo).hexdigest() in record[en("SHA-256 of the attachments")]
    # The day only (in Asia/Bishkek): no more is kept of a report's times.
    today = utcnow().astimezone(ZoneInfo("Asia/Bishkek")).date().isoformat()
    assert record[en("Received")] == today

    await bot.settle()
    seen = [raw.decode("utf-8-sig")]
    for m in coordinator.bot_messages():
        seen += [m.text, m.html or "", m.file_name or "", *buttons(m), *all_data(m)]
        if m.file_id and m.file_id != known.file_id:
            seen.append(sandbox.files[m.file_id].data.decode("utf-8", "replace"))
    everything = "\n".join(seen)
    for secret in (*SECRETS, str(REPORTER_ID)):
        assert secret not in everything, secret

    entries = await audit_of(bot)
    viewed = [e.details.get("what") for e in entries if e.action == "report.viewed"]
    assert "card" in viewed and "attachments" in viewed
    exported = next(e for e in entries if e.action == "reports.exported")
    assert exported.actor_id == COORDINATOR_ID
    assert exported.details == {"count": 1, "status": None, "region": None, "category": None}


async def test_named_reporter_is_in_the_export(sandbox: Sandbox, bot: BotRunner) -> None:
    coordinator = await started(sandbox, "Coordinator", user_id=COORDINATOR_ID)
    await reporter_in(sandbox)
    await file_report(bot, anonymous=False, text="=HYPERLINK(evil)")
    await file_report(bot, region="talas")
    await coordinator.send("/reports")
    await wait_text(coordinator, TITLE)
    await coordinator.press(region_filter(en("all")))
    await wait_text(coordinator, en("Choose a region:"))
    await coordinator.press(OSH)
    await wait_text(coordinator, shown(1, 1, 1, 1, 1))
    await coordinator.press(EXPORT_CSV)
    await coordinator.wait_for(lambda u: any(m.file_id for m in u.bot_messages()))
    export = next(m for m in coordinator.bot_messages() if m.file_id)
    assert export.file_id is not None
    rows = list(csv.DictReader(io.StringIO(sandbox.files[export.file_id].data.decode("utf-8-sig"))))
    assert len(rows) == 1
    assert rows[0][en("Reporter's name")] == REPORTER_NAME
    assert rows[0][en("Reporter's username")] == REPORTER_USERNAME
    # Kept as text in spreadsheets, written as in every export.
    assert rows[0][en("Reporter's phone")] == "'" + REPORTER_PHONE
    assert rows[0][en("What happened")] == "'=HYPERLINK(evil)"
    exported = next(e for e in await audit_of(bot) if e.action == "reports.exported")
    assert exported.details == {
        "count": 1,
        "status": None,
        "region": "osh_region",
        "category": None,
    }


async def test_reply_reaches_the_reporter_and_notes_do_not(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    coordinator = await started(sandbox, "Zhyldyz", user_id=COORDINATOR_ID)
    aigul = await reporter_in(sandbox)
    report = await file_report(bot)

    await open_card(coordinator, report)
    await coordinator.press(REPLY_BUTTON)
    await wait_text(coordinator, en(WRITE_REPLY, ref=report.ref))
    await coordinator.send("We <will> call you & help, stay safe")
    await wait_text(
        coordinator,
        "✅ "
        + en(
            "Saved. It goes to the reporter now; you will be told here if it cannot be delivered."
        ),
    )
    relayed = await aigul.next_bot_message()
    heading = en("Reply from the coordinators about your report {ref}:", ref=report.ref)
    assert relayed.text == f"💬 {heading}\n\nWe <will> call you & help, stay safe"
    assert buttons(relayed) == ["↩️ " + en("Answer")]
    assert all_data(relayed) == [f"my:answer:{report.id}"]

    await press_data(coordinator, f"rep:open:{report.id}")
    await wait_text(coordinator, en("Report {ref}", ref=report.ref))
    await coordinator.press("📝 " + en("Internal note"))
    await wait_text(coordinator, part("en", WRITE_NOTE))
    await coordinator.send("Her neighbour <Bakyt> may testify")
    await wait_text(coordinator, "📝 " + en("Note saved."))

    # /cancel and other commands while a reply is awaited send nothing.
    await press_data(coordinator, f"rep:open:{report.id}")
    await coordinator.press(REPLY_BUTTON)
    await wait_text(coordinator, part("en", WRITE_REPLY))
    await coordinator.send("/cancel")
    await wait_text(coordinator, en("Cancelled. Nothing was sent."))
    await coordinator.press(REPLY_BUTTON)
    await wait_text(coordinator, part("en", WRITE_REPLY))
    await coordinator.send("/help")
    await wait_text(
        coordinator, en("The reply was cancelled; nothing was sent. Send your command again.")
    )
    await coordinator.send("this is not for the reporter")
    await bot.settle()

    transcript = aigul.transcript_text()
    assert "Bakyt" not in transcript and "not for the reporter" not in transcript
    assert "Zhyldyz" not in transcript and str(COORDINATOR_ID) not in transcript
    assert len([m for m in aigul.bot_messages() if heading in m.text]) == 1

    card = await open_card(coordinator, report)
    you = en("you")
    # The time of each message stands last, after the name: the text up to it is checked.
    assert en("Reply to the reporter by {name}, {date}", name=you, date="") in card.text
    assert "We <will> call you & help" in card.text
    assert en("Internal note by {name}, {date}", name=you, date="") in card.text
    assert "Her neighbour <Bakyt>" in card.text

    actions = [(e.action, e.actor_id) for e in await audit_of(bot)]
    assert ("report.replied", COORDINATOR_ID) in actions
    assert ("report.noted", COORDINATOR_ID) in actions


async def test_a_reply_too_long_waits_for_a_shorter_one_and_a_blocked_reporter_is_reported(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    coordinator = await started(sandbox, "Zhyldyz", user_id=COORDINATOR_ID)
    aigul = await reporter_in(sandbox)
    report = await file_report(bot)
    await open_card(coordinator, report)
    await coordinator.press(REPLY_BUTTON)
    await wait_text(coordinator, part("en", WRITE_REPLY))

    await coordinator.send("x" * (REPLY_MAX + 1))
    too_long = "Please keep it under {max} characters, or /cancel."
    await wait_text(coordinator, en(too_long, max=REPLY_MAX))
    aigul.blocked = True  # she blocked the bot; the bot learns it when it writes to her
    await coordinator.send("We will call you")  # still waited for: this one is the reply
    await wait_text(
        coordinator,
        "✅ "
        + en(
            "Saved. It goes to the reporter now; you will be told here if it cannot be delivered."
        ),
    )
    # The reply could not reach her: the coordinator who wrote it is told.
    undelivered = (
        "Your reply on {ref} could not be delivered: the reporter may have blocked the bot. It "
        "stays in the report's thread."
    )
    await wait_text(coordinator, "⚠️ " + en(undelivered, ref=report.ref))
    (refused,) = sandbox.breaches
    assert refused.method == "sendMessage" and refused.error_code == 403
    sandbox.breaches.clear()

    db = bot.application.db
    stored = await get_report(db, report.id)
    assert stored is not None and [(m.author, m.text) for m in stored.thread] == [
        ("coordinator", "We will call you")
    ]
    person = await get_user(db, aigul.id)
    assert person is not None and person.blocked
    assert not [m for m in aigul.bot_messages() if "We will call you" in m.text]


async def test_long_report_is_cut_and_sent_whole_as_a_file(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    coordinator = await started(sandbox, "Coordinator", user_id=COORDINATOR_ID)
    await reporter_in(sandbox)
    story = "".join(f"Line {n}: what happened & who <saw> it. " for n in range(300))
    report = await file_report(bot, text=story)
    card = await open_card(coordinator, report)
    assert en("The text is cut here: “Full text” sends all of it.") in card.text
    assert len(card.text) <= 4096
    await coordinator.press("📄 " + en("Full text"))
    await coordinator.wait_for(lambda u: any(m.file_id for m in u.bot_messages()))
    document = next(m for m in coordinator.bot_messages() if m.file_id)
    assert document.file_name == f"{report.ref}.txt" and document.file_id is not None
    whole = sandbox.files[document.file_id].data.decode("utf-8")
    assert story in whole and en("Reported by: anonymous") in whole
