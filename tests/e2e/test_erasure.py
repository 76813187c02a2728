"""/leave: everything about her that is not evidence in a report she signed is erased."""

from __future__ import annotations

from bot.persistence import DatabasePersistence
from db.audit import audit_entries
from db.members import get_member
from db.reports import reporter_of, reports_of
from db.roles import grants_of, set_grants
from db.users import get_user
from sandbox import Sandbox
from tests.e2e.helpers import started, wait_text
from tests.e2e.runner import COORDINATOR_ID, BotRunner
from tests.e2e.test_membership import PHONE, joined
from tests.e2e.test_reports import ABOUT_Q, WHERE_Q, file_quick_report
from tests.texts import head, tr


async def test_leaving_erases_everything_that_is_not_evidence(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    db = bot.application.db
    await started(sandbox, "Coordinator", "en", user_id=COORDINATOR_ID)
    ainura = await started(sandbox, "Ainura", "ky", username="ainura_k", phone=PHONE)
    other = await started(sandbox, "Other", "ky")
    await joined(ainura, name="Айнура Токтогулова")
    await joined(other, name="Башка")
    await set_grants(
        db, ainura.id, coordinator=False, lead_regions=frozenset({"osh_region"}), actor_id=1
    )
    # What she did as a lead: she approved someone.
    await set_grants(db, other.id, coordinator=False, lead_regions=frozenset(), actor_id=ainura.id)
    await file_quick_report(ainura, anonymous=False)  # a report she signed: evidence
    (signed,) = await reports_of(db, ainura.id)
    # A report half-written, kept in her persisted conversation data.
    await ainura.send("/report")
    await wait_text(ainura, tr("ky", ABOUT_Q))
    await ainura.press(tr("ky", "Corruption"))
    await wait_text(ainura, tr("ky", WHERE_Q))
    await bot.settle()
    await bot.application.update_persistence()
    assert ainura.id in await DatabasePersistence(db).get_user_data()

    await ainura.send("/leave")
    await wait_text(ainura, head("ky", "Leave the community? Your name, phone, district and"))
    await ainura.press("🗑 " + tr("ky", "Yes, erase my data"))
    await wait_text(ainura, head("ky", "Your data has been erased."))
    await bot.settle()
    await bot.application.update_persistence()

    assert await get_member(db, ainura.id) is None
    assert await grants_of(db, ainura.id) == (False, frozenset())
    person = await get_user(db, ainura.id)
    assert person is not None and (person.first_name, person.username) == ("", None)
    assert ainura.id not in await DatabasePersistence(db).get_user_data()
    entries = await audit_entries(db, limit=1000)
    assert not [e for e in entries if ainura.id in (e.actor_id, e.target_id)]
    left = [e for e in entries if e.action == "member.left"]
    assert len(left) == 1 and (left[0].actor_id, left[0].target_id, left[0].details) == (
        None,
        None,
        {},
    )
    assert left[0].at.time().minute == 0 and left[0].at.time().second == 0  # the day only
    # What she did in her role stays on the record, without saying who.
    assert any(e.action == "role.changed" and e.target_id == other.id for e in entries)
    assert await get_member(db, other.id) is not None
    # The report she signed stays, with who signed it: it is evidence.
    reporter = await reporter_of(db, signed.id)
    assert reporter is not None and reporter.name == "Айнура Токтогулова"

    # Writing to the bot again does not record her name again.
    await ainura.send("/start")
    await ainura.next_bot_message()
    await bot.settle()
    person = await get_user(db, ainura.id)
    assert person is not None and person.first_name == "" and person.username is None
    # The report she had begun is gone with her data: the form it was in is closed, and
    # /report begins a new one.
    await ainura.send("some answer")
    await wait_text(ainura, tr("ky", "This form is already closed. Use the menu to start again."))
    await ainura.send("/report")
    await wait_text(ainura, tr("ky", ABOUT_Q))
