"""Exports speak the coordinator's language (issue 12, item 10): column names and values
(regions, categories, statuses, yes/no) in her language, dates as `export_datetime` writes
them, the follow-ups, replies and notes of the reports in a second file, and phone numbers
written one way in every export."""

from __future__ import annotations

import csv
import io

from db.members import MemberDraft, create_member
from db.report_desk import add_message
from db.reports import ReportDraft, Reporter, create_report
from sandbox import Entry, Sandbox
from tests.e2e.helpers import started, wait_text
from tests.e2e.runner import COORDINATOR_ID, BotRunner
from tests.texts import tr


def ru(msgid: str, **values: object) -> str:
    return tr("ru", msgid, **values)


def rows_of(sandbox: Sandbox, document: Entry) -> list[dict[str, str]]:
    assert document.file_id is not None
    return list(
        csv.DictReader(io.StringIO(sandbox.files[document.file_id].data.decode("utf-8-sig")))
    )


async def test_report_and_member_exports_in_russian_with_the_thread_and_one_phone_format(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    coordinator = await started(sandbox, "Гульнара", "ru", user_id=COORDINATOR_ID)
    member = await started(sandbox, "Aigul", "ky")
    db = bot.application.db
    # Telegram gives a shared contact's number with or without "+": one way in every file.
    await create_member(
        db,
        member.id,
        MemberDraft("Айгүл", "naryn", None, "ngo", ("human_rights",), "996 700 123-456"),
        approved=True,
    )
    report = await create_report(
        db,
        ReportDraft("bride_kidnapping", "naryn", "История", "yesterday", True, False),
        Reporter(member.id, "Айгүл", "aigul", "996700123456"),
        lang="ky",
        files_dir=bot.settings.data_dir,
    )
    await add_message(db, report.id, author="reporter", text="Дополнение")
    await add_message(db, report.id, author="coordinator", text="Ответ", author_id=COORDINATOR_ID)
    await add_message(db, report.id, author="note", text="Заметка", author_id=COORDINATOR_ID)

    await coordinator.send("/reports")
    await wait_text(coordinator, ru("Incident reports"))
    await coordinator.press("⬇️ " + ru("Export CSV"))
    await coordinator.wait_for(lambda u: len([m for m in u.bot_messages() if m.file_id]) == 2)
    reports_file, thread_file = [m for m in coordinator.bot_messages() if m.file_id]
    assert reports_file.file_name is not None and thread_file.file_name is not None
    assert thread_file.file_name.endswith("-messages.csv")

    (row,) = rows_of(sandbox, reports_file)
    assert row[ru("Reference")] == report.ref
    assert row[ru("Category")] == ru("Bride kidnapping")
    assert row[ru("Region")] == ru("Naryn Region")
    assert row[ru("Status")] == ru("new")
    assert row[ru("When it happened")] == ru("Yesterday")
    assert row[ru("Immediate danger")] == ru("yes") and row[ru("Anonymous")] == ru("no")
    # Only the day is kept of a report's times.
    assert row[ru("Received")] == report.created_at.astimezone(bot.settings.tz).date().isoformat()
    assert row[ru("Reporter's phone")] == "'+996700123456"
    assert row[ru("Reporter's language")] == "Кыргызча"

    thread = rows_of(sandbox, thread_file)
    assert [(t[ru("From")], t[ru("Text")]) for t in thread] == [
        (ru("the reporter"), "Дополнение"),
        (ru("reply to the reporter"), "Ответ"),
        (ru("internal note"), "Заметка"),
    ]
    assert thread[1][ru("Coordinator")] == "Гульнара" and thread[0][ru("Coordinator")] == ""
    assert all(t[ru("Reference")] == report.ref for t in thread)

    await coordinator.send("/members")
    await wait_text(coordinator, ru("Members"))
    await coordinator.press("⬇️ " + ru("Export CSV"))
    await coordinator.wait_for(lambda u: len([m for m in u.bot_messages() if m.file_id]) == 3)
    members_file = [m for m in coordinator.bot_messages() if m.file_id][-1]
    (person,) = rows_of(sandbox, members_file)
    assert person[ru("Phone")] == "'+996700123456"  # as in the reports file
    assert person[ru("Region")] == ru("Naryn Region")
    assert person[ru("Status")] == ru("approved")
    assert person[ru("Language")] == "Кыргызча"
