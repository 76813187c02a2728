"""Button data that does not parse (a modified client, or an old version of the bot) is answered
and ignored: never an exception, never a spinning button, never an action. Pressed here by a
coordinator, so that only the parsing stands between the data and the action."""

from __future__ import annotations

import logging

import pytest

from db.audit import audit_entries
from db.members import MemberDraft, create_member
from db.reports import ReportDraft, Reporter, create_report, get_report
from db.roles import grants_of
from sandbox import Sandbox
from tests.e2e.helpers import started
from tests.e2e.runner import COORDINATOR_ID, BotRunner
from tests.texts import tr

TWENTY_DIGITS = "9" * 20


async def test_forged_ids_and_trailing_newlines_are_answered_and_ignored(
    sandbox: Sandbox, bot: BotRunner, caplog: pytest.LogCaptureFixture
) -> None:
    coordinator = await started(sandbox, "Gulnara", user_id=COORDINATOR_ID)
    aina = await started(sandbox, "Aina")
    db = bot.application.db
    await create_member(
        db,
        aina.id,
        MemberDraft("Aina", "osh_region", None, "ngo", ("peace",), None),
        approved=True,
    )
    report = await create_report(
        db,
        ReportDraft("torture", "osh_region", "story", "today", False, True),
        Reporter(aina.id, "Aina"),
        lang="en",
        files_dir=bot.settings.data_dir,
    )
    forged = [
        f"rep:open:{TWENTY_DIGITS}",
        f"rep:open:{report.id}\n",
        f"rep:st:{report.id}:in_review\n",
        f"rep:take:{TWENTY_DIGITS}",
        f"rep:reply:{report.id}\n",
        "rep:ls:-:-:-:0\n",
        "rep:ls:new:nowhere:-:0",
        "rep:csv:-:-:-\n",
        f"roles:m:{TWENTY_DIGITS}",
        f"roles:c:{aina.id}\n",
        f"roles:s:{aina.id}:1\n",
        "members:list:all:0\n",
        "members:csv\n",
        f"resadm:pub:{TWENTY_DIGITS}",
        "resadm:mark:ru:b\n",
        "res:s:en:p1:0\n",
        "res:s:en:p1:999",
        "lang:en\n",
        "menu:home\n",
    ]
    await bot.settle()
    caplog.clear()
    stale = tr("en", "This button is no longer active. Send /start to open the menu.")
    for data in forged:
        answer = await coordinator.callback_answer(await coordinator.forge_press(data))
        assert answer["show_alert"] and answer["text"] == stale, data
    await bot.settle()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    stored = await get_report(db, report.id)
    assert stored is not None and stored.status == "new" and stored.assigned_to is None
    assert await grants_of(db, aina.id) == (False, frozenset())
    done = {e.action for e in await audit_entries(db)}
    assert not done & {"report.status", "report.taken", "role.changed", "reports.exported"}
    assert not done & {"members.exported", "report.viewed"}
