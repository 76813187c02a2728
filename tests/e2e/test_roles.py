"""Roles given from chat, the members desk and the command menus of privileged people."""

from __future__ import annotations

import csv
import io
import logging

import pytest

from bot.i18n import export_datetime
from db.audit import audit_entries
from db.members import MemberDraft, create_member, get_member
from db.roles import grants_of, set_grants
from sandbox import Entry, Sandbox, SimUser, scope_key
from tests.e2e.helpers import buttons, started, wait_text
from tests.e2e.runner import COORDINATOR_ID, BotRunner
from tests.texts import en

COORDINATOR_ONLY = en("This is only for coordinators.")
PRIVILEGED_ONLY = en("This is only for coordinators and regional leads.")
OSH = en("Osh Region")
OSH_CITY = en("Osh (city)")
NARYN = en("Naryn Region")
BISHKEK = en("Bishkek (city)")
COUNTS = "{region}: approved {approved}, pending {pending}"
NO_ROLE = en("Roles: {roles}", roles=en("member, no role"))
SETTINGS_ONLY = en(
    "She is a coordinator named in the bot's settings (COORDINATOR_IDS); "
    "this cannot be changed from the chat."
)


async def make_member(
    bot: BotRunner,
    user: SimUser,
    name: str,
    region: str = "osh_region",
    *,
    approved: bool = True,
    phone: str | None = "+996 555 000 111",
    district: str | None = None,
) -> None:
    draft = MemberDraft(
        name=name,
        region=region,
        district=district,
        occupation="ngo",
        interests=("human_rights", "peace"),
        phone=phone,
    )
    await create_member(bot.application.db, user.id, draft, approved=approved)


def commands_of(sandbox: Sandbox, user: SimUser) -> list[str] | None:
    """Her own command menu (chat scope), or None if she sees the public one."""
    menu = sandbox.commands.get((scope_key({"type": "chat", "chat_id": user.id}), ""))
    return None if menu is None else [c["command"] for c in menu]


def data_of(entry: Entry, label: str) -> str | None:
    for labels, data in zip(entry.buttons, entry.callback_data, strict=True):
        for text, value in zip(labels, data, strict=True):
            if text == label:
                return value
    raise LookupError(label)


async def alert(user: SimUser, data: str) -> str:
    """A forged button press; the text of the alert the bot answers with."""
    answer = await user.callback_answer(await user.forge_press(data))
    assert answer["show_alert"], answer
    return str(answer["text"])


async def test_coordinator_makes_a_member_lead_by_name_then_member_only(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    coordinator = await started(sandbox, "Gulnara", user_id=COORDINATOR_ID)
    # Her first message let the bot give her the coordinators' command menu.
    assert {"members", "roles", "setresolution", "start"} <= set(
        commands_of(sandbox, coordinator) or []
    )
    aina = await started(sandbox, "Aina")
    await make_member(bot, aina, "Aina <Test> & Co")
    assert commands_of(sandbox, aina) is None

    await coordinator.send("/roles")
    prompt = await coordinator.next_bot_message()
    assert en("Send part of a name to find a member, or choose a region.") in prompt.text
    assert {OSH, BISHKEK, en("Chuy Region")} <= set(buttons(prompt))
    await coordinator.send("<test")
    results = await coordinator.next_bot_message()
    assert "🔎 " + en("Members whose name contains “{query}”").format(query="<test") in (
        results.text
    )
    await coordinator.press(f"Aina <Test> & Co · {OSH}")
    card = await wait_text(coordinator, NO_ROLE)
    assert card.text.startswith(
        "👤 Aina <Test> & Co\n"
        + en("Region: {value}", value=OSH)
        + "\n"
        + en("Status: {value}", value=en("approved"))
    )
    lead_of_regions = "🗺 " + en("Lead of regions…")
    member_only = "👤 " + en("Member only")
    assert {"☐ " + en("Coordinator"), lead_of_regions, member_only} <= set(buttons(card))

    await coordinator.press(lead_of_regions)
    picker = "Regions led by <b>{name}</b>: tap a region to select or clear it, then Save."
    await wait_text(coordinator, en(picker).format(name="Aina <Test> & Co"))
    await coordinator.press("☐ " + OSH)
    await coordinator.wait_for(lambda u: "☑ " + OSH in buttons(u.last_bot_message()))
    await coordinator.press("☐ " + NARYN)
    await coordinator.wait_for(lambda u: "☑ " + NARYN in buttons(u.last_bot_message()))
    await coordinator.press("☑ " + NARYN)  # changed her mind
    await coordinator.wait_for(lambda u: "☐ " + NARYN in buttons(u.last_bot_message()))
    await coordinator.press("💾 " + en("Save"))
    saved = await wait_text(coordinator, en("Saved. She will be told."))
    assert en("Roles: {roles}", roles=en("regional lead: {regions}", regions=OSH)) in saved.text

    news = await aina.next_bot_message()
    assert news.text == "🗺 " + en(
        "You are now a regional lead for: {regions}. With /members you see the members "
        "of your regions and approve new ones.",
        regions=OSH,
    ) + " " + en("With /newevent you announce a dialogue event to their members.")
    await bot.settle()
    lead_menu = commands_of(sandbox, aina)
    assert lead_menu is not None and "members" in lead_menu and "roles" not in lead_menu
    assert lead_menu[0] == "start"  # the public commands come first
    db = bot.application.db
    assert await grants_of(db, aina.id) == (False, frozenset({"osh_region"}))
    changed = (await audit_entries(db))[0]
    assert changed.action == "role.changed" and changed.actor_id == COORDINATOR_ID
    assert changed.target_id == aina.id and changed.details["lead"] == ["osh_region"]

    # Her menu is set again at start-up, from the database.
    del sandbox.commands[(scope_key({"type": "chat", "chat_id": aina.id}), "")]
    await bot.restart()
    assert "members" in (commands_of(sandbox, aina) or [])

    await coordinator.press(member_only)
    await wait_text(coordinator, NO_ROLE)
    demoted = await aina.next_bot_message()
    assert demoted.text == en(
        "You no longer have a coordinator or regional lead role. "
        "You remain a member of the community."
    )
    await bot.settle()
    assert commands_of(sandbox, aina) is None
    # A new process, a new Database object: the old one is closed.
    assert await grants_of(bot.application.db, aina.id) == (False, frozenset())


async def test_coordinator_finds_a_member_by_region_and_makes_her_coordinator(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    coordinator = await started(sandbox, "Gulnara", user_id=COORDINATOR_ID)
    bermet = await started(sandbox, "Bermet")
    await make_member(bot, bermet, "Bermet Osmonova", "osh_region")
    other = await started(sandbox, "Other")
    await make_member(bot, other, "Someone Else", "bishkek")

    await coordinator.send("/roles")
    await coordinator.next_bot_message()
    await coordinator.press(OSH)
    region = await wait_text(coordinator, en("Members in {region}", region=OSH))
    assert f"Bermet Osmonova · {OSH}" in buttons(region)
    assert not any("Someone Else" in label for label in buttons(region))
    await coordinator.press(f"Bermet Osmonova · {OSH}")
    await wait_text(coordinator, NO_ROLE)
    await coordinator.press("☐ " + en("Coordinator"))
    card = await wait_text(coordinator, en("Saved."))
    assert en("Roles: {roles}", roles=en("coordinator")) in card.text
    assert "☑ " + en("Coordinator") in buttons(card)
    news = await bermet.next_bot_message()
    assert news.text == "🔑 " + en(
        "You are now a coordinator of the Solidarity Community: you can see all "
        "members (/members) and give roles (/roles)."
    )
    await bot.settle()
    assert {"members", "roles", "setresolution"} <= set(commands_of(sandbox, bermet) or [])

    # As a coordinator she sees every region now.
    await bermet.send("/members")
    desk = await bermet.next_bot_message()
    assert en("All regions.") in desk.text
    assert en(COUNTS, region=BISHKEK, approved=1, pending=0) in desk.text
    assert "⬇️ " + en("Export CSV") in buttons(desk)

    # A typed search that matches nobody keeps waiting for another try; /cancel ends it.
    await coordinator.send("/roles")
    await coordinator.next_bot_message()
    await coordinator.send("Zuhra")
    nobody = await coordinator.next_bot_message()
    assert nobody.text == en(
        "Nobody found for “{query}”. Send another part of the name, or /cancel.", query="Zuhra"
    )
    await coordinator.send("/cancel")
    assert (await coordinator.next_bot_message()).text == en("Cancelled. Nothing was changed.")


async def test_members_are_refused_even_with_forged_buttons(
    sandbox: Sandbox, bot: BotRunner, caplog: pytest.LogCaptureFixture
) -> None:
    aina = await started(sandbox, "Aina")
    await make_member(bot, aina, "Aina")
    await aina.send("/roles")
    assert (await aina.next_bot_message()).text == COORDINATOR_ONLY
    await aina.send("/members")
    assert (await aina.next_bot_message()).text == PRIVILEGED_ONLY

    await bot.settle()
    caplog.clear()
    for forged in (
        f"roles:c:{aina.id}",
        f"roles:s:{aina.id}:511",
        f"roles:m:{aina.id}",
        "roles:reg:osh_region",
        "roles:home",
        f"roles:n:{COORDINATOR_ID}",
        "members:csv",
    ):
        assert await alert(aina, forged) == COORDINATOR_ONLY, forged
    for forged in ("members:desk", "members:list:all:0", "members:pend:osh_region:0"):
        assert await alert(aina, forged) == PRIVILEGED_ONLY, forged
    await bot.settle()
    refusals = [r for r in caplog.records if r.levelno == logging.WARNING and "Refused" in r.msg]
    assert len(refusals) == 10
    db = bot.application.db
    assert await grants_of(db, aina.id) == (False, frozenset())
    assert not [e for e in await audit_entries(db) if e.action != "member.joined"]
    assert commands_of(sandbox, aina) is None


async def test_lead_sees_only_her_regions_and_cannot_export(
    sandbox: Sandbox, bot: BotRunner, caplog: pytest.LogCaptureFixture
) -> None:
    lead = await started(sandbox, "Lead")
    await make_member(bot, lead, "Lead Kadyrova", "osh_region")
    db = bot.application.db
    await set_grants(
        db, lead.id, coordinator=False, lead_regions=frozenset({"osh_region"}), actor_id=1
    )
    waiting = await started(sandbox, "Waiting")
    await make_member(bot, waiting, "Waiting <b>One</b>", "osh_region", approved=False)
    far = await started(sandbox, "Far")
    await make_member(bot, far, "Far Away", "bishkek")
    far_waiting = await started(sandbox, "FarWaiting")
    await make_member(bot, far_waiting, "Far Waiting", "bishkek", approved=False)

    await lead.send("/members")
    desk = await lead.next_bot_message()
    assert en("Your regions: {regions}", regions=OSH) in desk.text
    assert en(COUNTS, region=OSH, approved=1, pending=1) in desk.text
    assert en(COUNTS, region=en("Total"), approved=1, pending=1) in desk.text
    assert BISHKEK not in desk.text
    assert "⬇️ " + en("Export CSV") not in buttons(desk)

    await lead.press("📋 " + en("List"))
    listing = await wait_text(lead, f"📋 {en('Members')} · {OSH}")
    assert "Lead Kadyrova" in listing.text and "Waiting <b>One</b>" in listing.text
    assert "Far" not in listing.text

    await lead.press("👥 " + en("Members desk"))
    await wait_text(lead, en("Your regions: {regions}", regions=OSH))
    await lead.press("⏳ " + en("Pending approvals ({count})", count=1))
    pending = await wait_text(lead, f"⏳ {en('Pending approvals')} · {OSH}")
    assert f"1. Waiting <b>One</b> — {OSH}" in pending.text and "Far" not in pending.text
    assert data_of(pending, "✅ " + en("Approve {number}", number=1)) == f"mem:approve:{waiting.id}"
    assert data_of(pending, "✖ " + en("Decline {number}", number=1)) == f"mem:decline:{waiting.id}"

    await bot.settle()
    caplog.clear()
    for forged in ("members:list:bishkek:0", "members:pend:bishkek:1", "members:list:nowhere:0"):
        assert await alert(lead, forged) == en("You cannot see the members of this region.")
    assert await alert(lead, "members:csv") == COORDINATOR_ONLY
    assert await alert(lead, f"roles:c:{far.id}") == COORDINATOR_ONLY
    await bot.settle()
    assert sum("Refused" in r.msg for r in caplog.records if r.levelno == logging.WARNING) == 5
    assert not [e for e in await audit_entries(db) if e.action == "members.exported"]
    assert not [m for m, p in sandbox.calls if m == "sendDocument"]


async def test_coordinator_exports_members_as_csv(sandbox: Sandbox, bot: BotRunner) -> None:
    coordinator = await started(sandbox, "Gulnara", user_id=COORDINATOR_ID)
    aigul = await started(sandbox, "Aigul")
    await make_member(
        bot, aigul, "Айгүл Асанова", "naryn", phone="+996 700 123 456", district="Кочкор"
    )
    trick = await started(sandbox, "Trick")
    await make_member(bot, trick, "=HYPERLINK(1)", "talas", approved=False, phone=None)

    await coordinator.send("/members")
    desk = await coordinator.next_bot_message()
    assert en(COUNTS, region=NARYN, approved=1, pending=0) in desk.text
    assert en(COUNTS, region=en("Talas Region"), approved=0, pending=1) in desk.text
    await coordinator.press("⬇️ " + en("Export CSV"))
    document = await coordinator.next_bot_message()
    assert document.kind == "document" and document.file_id is not None
    assert document.file_name is not None and document.file_name.endswith(".csv")
    assert document.text == "⚠️ " + en(
        "Members: {count}. This file holds personal data, phone numbers included: keep it "
        "safe and delete it when you no longer need it.",
        count=2,
    )
    data = sandbox.files[document.file_id].data
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark, for Excel
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    # In the coordinator's language: column names, regions, who she is, interests, statuses.
    columns = ["Telegram id", "Name", "Region", "District, town or village", "Who she is"]
    columns += ["Interests", "Phone", "Status", "Joined", "Language"]
    assert rows[0] == [en(column) for column in columns]
    by_id = {row[0]: row for row in rows[1:]}
    assert len(by_id) == 2
    first = by_id[str(aigul.id)]
    assert first[1:8] == [
        "Айгүл Асанова",
        NARYN,
        "Кочкор",
        en("Civil-society or NGO leader"),
        en("Human rights") + "; " + en("Peacebuilding and UNSCR 1325"),
        "'+996700123456",  # one phone format in every export: kept as text
        en("approved"),
    ]
    member = await get_member(bot.application.db, aigul.id)
    assert member is not None
    assert first[8] == export_datetime(member.joined_at, bot.settings.tz)  # Bishkek time
    assert first[9] == "English"
    second = by_id[str(trick.id)]
    assert second[1] == "'=HYPERLINK(1)" and second[6] == "" and second[7] == en("pending")

    exported = (await audit_entries(bot.application.db))[0]
    assert exported.action == "members.exported" and exported.actor_id == COORDINATOR_ID
    assert exported.details == {"count": 2}  # no personal data in the log


async def test_coordinator_from_settings_cannot_be_demoted_nor_can_anyone_change_herself(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    gulnara = await started(sandbox, "Gulnara", user_id=COORDINATOR_ID)
    await make_member(bot, gulnara, "Gulnara Main", "bishkek")
    second = await started(sandbox, "Second")
    await make_member(bot, second, "Second Coordinator", "chuy")
    db = bot.application.db
    await set_grants(db, second.id, coordinator=True, lead_regions=frozenset(), actor_id=1)

    await second.send("/roles")
    await second.next_bot_message()
    await second.send("gulnara")
    await second.next_bot_message()
    await second.press(f"Gulnara Main · {BISHKEK}")
    card = await wait_text(second, SETTINGS_ONLY)
    assert en("Roles: {roles}", roles=en("coordinator")) in card.text
    assert buttons(card) == ["🔎 " + en("Find another member")]
    assert await alert(second, f"roles:n:{COORDINATOR_ID}") == SETTINGS_ONLY
    assert await alert(second, f"roles:c:{COORDINATOR_ID}") == SETTINGS_ONLY
    assert await alert(second, f"roles:n:{second.id}") == en("You cannot change your own roles.")
    await bot.settle()
    assert {"roles", "members"} <= set(commands_of(sandbox, gulnara) or [])
    assert await grants_of(db, second.id) == (True, frozenset())
    assert not [
        e for e in await audit_entries(db) if e.action == "role.changed" and e.actor_id == second.id
    ]

    # A person who is not an approved member cannot be given a role.
    pending = await started(sandbox, "Pending")
    await make_member(bot, pending, "Pending Person", "chuy", approved=False)
    answer = await alert(second, f"roles:s:{pending.id}:2")
    assert answer == en("Only approved members can be given a role.")
    assert await grants_of(db, pending.id) == (False, frozenset())


async def test_members_list_pages_forward_and_back(sandbox: Sandbox, bot: BotRunner) -> None:
    coordinator = await started(sandbox, "Gulnara", user_id=COORDINATOR_ID)
    for n in range(1, 13):
        person = await started(sandbox, f"Person{n}")
        await make_member(bot, person, f"Member {n:02d}", "osh_city")

    await coordinator.send("/members")
    desk = await coordinator.next_bot_message()
    assert en(COUNTS, region=OSH_CITY, approved=12, pending=0) in desk.text
    await coordinator.press("📍 " + OSH_CITY)
    page_1, page_2 = (en("page {page} of {pages}", page=n, pages=2) for n in (1, 2))
    desk_button = "👥 " + en("Members desk")
    first = await wait_text(coordinator, page_1)
    assert first.text.startswith(f"📋 {en('Members')} · {OSH_CITY} · {page_1}")
    assert "10. Member 10" in first.text and "Member 11" not in first.text
    assert buttons(first) == ["▶", desk_button]
    await coordinator.press("▶")
    second = await wait_text(coordinator, page_2)
    assert "11. Member 11" in second.text and "12. Member 12" in second.text
    assert "Member 10" not in second.text
    assert buttons(second) == ["◀", desk_button]
    await coordinator.press("◀")
    await wait_text(coordinator, page_1)
    # A page past the end shows the last one.
    await coordinator.forge_press("members:list:all:9")
    await wait_text(coordinator, f"📋 {en('Members')} · {en('all regions')} · {page_2}")
    # Everything happened in one message, edited in place.
    assert len([m for m in coordinator.bot_messages() if en("Members") in m.text]) == 1
