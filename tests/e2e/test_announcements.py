"""Announcements (/broadcast): composed on a phone, previewed exactly as members will see them,
sent to the right members in their language, once; who may send to whom (forged buttons
included); a photo and Telegram's caption limit; scheduling across a restart; cancelling;
"Stop announcements"; /broadcasts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from db.announcements import get_announcement, list_announcements
from db.members import get_member
from db.models import Announcement, DeliveryBatch
from db.roles import set_grants
from db.types import utcnow
from sandbox import Entry, Sandbox, SimUser
from tests.e2e.announcing import (
    BOLD,
    FILE_Q,
    INTERESTS_Q,
    LANGUAGE_Q,
    NEW,
    PROTECT_Q,
    REGIONS_Q,
    ROLES_Q,
    STOP,
    SUMMARY,
    TEXT_Q,
    VERSIONS_Q,
    compose,
    make_members,
    preview,
    write_content,
)
from tests.e2e.helpers import buttons, started, wait_text
from tests.e2e.runner import COORDINATOR_ID, BotRunner
from tests.e2e.test_roles import alert, data_of
from tests.texts import en, ntr, part, tr

SENT_LINE = "Sent: {sent} · Blocked: {blocked} · Failed: {failed} · Not sent: {cancelled}"
DONE = "✅ <b>Announcement {number}</b> has been sent."
WHEN_Q = (
    "<b>When should it go?</b>\nWrite the date and time ({zone}), for example {example}, or "
    "tap one of these."
)
PRIVILEGED_ONLY = "This is only for coordinators and regional leads."
MUTED = "You will get no more announcements. /profile turns them on again."


def got(user: SimUser, needle: str) -> list[Entry]:
    return [m for m in user.bot_messages() if needle in m.text]


def final_line(author: SimUser, number: int, **figures: int) -> bool:
    status = next((m for m in author.bot_messages() if f"Announcement {number} " in m.text), None)
    if status is None:
        return False
    return en(SENT_LINE, **figures) in status.text and en(DONE, number=number) in status.text


async def send_now(author: SimUser, lang: str = "en") -> None:
    await author.press("📣 " + tr(lang, "Send now"))


@pytest.mark.webhook_too
async def test_an_announcement_reaches_each_member_once_in_her_language(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    db = bot.application.db
    coordinator = await started(sandbox, "Gulnara", "en", user_id=COORDINATOR_ID)
    russian = await make_members(sandbox, db, 3, first_id=600_001, lang="ru")
    kyrgyz = await make_members(sandbox, db, 3, first_id=600_101, lang="ky")
    english = await make_members(sandbox, db, 2, first_id=600_201, lang="en", region="bishkek")
    quiet = await make_members(sandbox, db, 1, first_id=600_301, wants=False)
    await compose(coordinator, "Meet tomorrow at 10, <Naryn> & friends", entities=[BOLD])
    # Back to the versions to add a Kyrgyz one.
    await coordinator.press("✏️ " + en("Other languages"))
    await wait_text(coordinator, en(VERSIONS_Q))
    await coordinator.press("➕ Кыргызча")
    await wait_text(coordinator, en("Send the text in {language}.", language="Кыргызча"))
    await coordinator.send(
        "Эртең саат 10до жолугабыз", entities=[{"type": "italic", "offset": 0, "length": 5}]
    )
    await wait_text(
        coordinator,
        en(
            "The text in {language} is kept. Add another language, or tap “Done”.",
            language="Кыргызча",
        ),
    )
    await coordinator.press("✔ " + en("Done"))
    summary = await wait_text(coordinator, en(SUMMARY))
    assert en("Other languages") + ": Кыргызча" in summary.text
    control = await preview(coordinator)
    assert (
        ntr(
            "en",
            "It reaches {count} member ({audience}).",
            "It reaches {count} members ({audience}).",
            8,
            audience=en("all regions"),
        )
        in control.text
    )
    shown = coordinator.bot_messages()[-2]  # the preview, just above
    assert shown.html == "<b>Meet</b> tomorrow at 10, &lt;Naryn&gt; &amp; friends"
    assert buttons(shown) == ["🔕 " + en(STOP)]

    await send_now(coordinator)
    for user in (*russian.users, *english.users):
        await user.wait_for(lambda u: len(got(u, "Meet")) == 1)
    for user in kyrgyz.users:
        await user.wait_for(lambda u: len(got(u, "Эртең")) == 1)
    await bot.settle()
    await coordinator.wait_for(lambda u: final_line(u, 1, sent=8, blocked=0, failed=0, cancelled=0))
    # Exactly as previewed, in every member's language; the Kyrgyz version to Kyrgyz readers.
    (ru_message,) = got(russian.users[0], "Meet")
    assert ru_message.html == shown.html and buttons(ru_message) == ["🔕 " + tr("ru", STOP)]
    (ky_message,) = got(kyrgyz.users[0], "Эртең")
    assert ky_message.html == "<i>Эртең</i> саат 10до жолугабыз"
    assert buttons(ky_message) == ["🔕 " + tr("ky", STOP)]
    assert got(english.users[0], "Meet")[0].html == shown.html
    assert quiet.users[0].bot_messages() == []  # she turned announcements off
    # Nothing of an announcement stays in the outbox once it is done; its figures do.
    async with db.transaction() as session:
        batch = await session.scalar(select(DeliveryBatch))
        assert batch is not None and (batch.status, batch.sent, batch.total) == ("done", 8, 8)
    info = await get_announcement(db, 1)
    assert info is not None and info.status == "done" and info.recipients == 8


async def test_stop_announcements_is_one_tap_and_says_so_again(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    db = bot.application.db
    coordinator = await started(sandbox, "Gulnara", "en", user_id=COORDINATOR_ID)
    people = await make_members(sandbox, db, 2, first_id=610_001, lang="ky")
    await compose(coordinator, "First news")
    await preview(coordinator)
    await send_now(coordinator)
    aida, other = people.users
    await aida.wait_for(lambda u: len(got(u, "First news")) == 1)
    for _ in range(2):  # pressing it again changes nothing and says the same
        answer = await aida.callback_answer(await aida.press("🔕 " + tr("ky", STOP)))
        assert answer["show_alert"] and answer["text"] == tr("ky", MUTED)
    member = await get_member(db, aida.id)
    assert member is not None and not member.notify_announcements
    await bot.settle()
    await compose(coordinator, "Second news")
    control = await preview(coordinator)
    assert (
        ntr(
            "en",
            "It reaches {count} member ({audience}).",
            "It reaches {count} members ({audience}).",
            1,
            audience=en("all regions"),
        )
        in control.text
    )
    await send_now(coordinator)
    await other.wait_for(lambda u: len(got(u, "Second news")) == 1)
    await bot.settle()
    assert got(aida, "Second news") == []
    # No role is needed, and a person who is not a member is told the same.
    stranger = await started(sandbox, "Stranger", "en")
    answer = await stranger.callback_answer(await stranger.forge_press("ann:off"))
    assert answer["text"] == en(MUTED)


async def test_choosing_regions_roles_interests_and_a_language(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    db = bot.application.db
    coordinator = await started(sandbox, "Gulnara", "en", user_id=COORDINATOR_ID)
    peace_ru = await make_members(sandbox, db, 3, first_id=620_001, interests=("peace",))
    peace_ky = await make_members(sandbox, db, 2, first_id=620_101, lang="ky", interests=("peace",))
    rights_ru = await make_members(sandbox, db, 2, first_id=620_201)
    elsewhere = await make_members(
        sandbox, db, 2, first_id=620_301, region="talas", interests=("peace",)
    )
    lead = peace_ru.users[0]  # a lead is not a "member without a role"
    await set_grants(
        db, lead.id, coordinator=False, lead_regions=frozenset({"naryn"}), actor_id=COORDINATOR_ID
    )
    await compose(coordinator, "", everyone=False)
    await wait_text(coordinator, en(REGIONS_Q))
    await coordinator.press("▫️ " + en("Naryn Region"))
    await coordinator.wait_for(
        lambda u: "✅ " + en("Naryn Region") in buttons(u.last_bot_message())
    )
    await coordinator.press("✔ " + en("Done"))
    await wait_text(coordinator, en(ROLES_Q))
    await coordinator.press("▫️ " + en("Members without a role"))
    await coordinator.press("✔ " + en("Done"))
    await wait_text(coordinator, en(INTERESTS_Q))
    await coordinator.press("▫️ " + en("Peacebuilding and UNSCR 1325"))
    await coordinator.press("✔ " + en("Done"))
    await wait_text(coordinator, en(LANGUAGE_Q))
    await coordinator.press("Русский")
    summary = await write_content(coordinator, "Peace circle on Friday")
    audience = "; ".join(
        [
            en("Naryn Region"),
            en("Members without a role"),
            en("interests: {list}", list=en("Peacebuilding and UNSCR 1325")),
            "Русский",
        ]
    )
    assert en("Who") + ": " + audience in summary.text
    control = await preview(coordinator)
    assert (
        ntr(
            "en",
            "It reaches {count} member ({audience}).",
            "It reaches {count} members ({audience}).",
            2,
            audience=audience,
        )
        in control.text
    )
    await send_now(coordinator)
    for user in peace_ru.users[1:]:
        await user.wait_for(lambda u: len(got(u, "Peace circle")) == 1)
    await bot.settle()
    for user in (lead, *peace_ky.users, *rights_ru.users, *elsewhere.users):
        assert got(user, "Peace circle") == [], user


async def test_a_lead_reaches_only_her_regions_and_forged_buttons_change_nothing(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    db = bot.application.db
    coordinator = await started(sandbox, "Gulnara", "en", user_id=COORDINATOR_ID)
    aizada = await started(sandbox, "Aizada", "en")
    await set_grants(
        db,
        aizada.id,
        coordinator=False,
        lead_regions=frozenset({"naryn", "osh_region"}),
        actor_id=COORDINATOR_ID,
    )
    naryn = await make_members(sandbox, db, 2, first_id=630_001)
    osh = await make_members(sandbox, db, 2, first_id=630_101, region="osh_region")
    bishkek = await make_members(sandbox, db, 2, first_id=630_201, region="bishkek")

    # A member cannot broadcast, with the command or with a forged button.
    member = naryn.users[0]
    await member.send("/broadcast")
    await wait_text(member, tr("ru", PRIVILEGED_ONLY))
    await member.send("/broadcasts")
    await member.wait_for(lambda u: len(got(u, tr("ru", PRIVILEGED_ONLY))) == 2)

    # Her regions only: the choice offers no other, and a forged one is not taken.
    await compose(aizada, "", everyone=False)
    question = await wait_text(aizada, en(REGIONS_Q))
    assert buttons(question)[:2] == ["▫️ " + en("Naryn Region"), "▫️ " + en("Osh Region")]
    forged = (data_of(question, "▫️ " + en("Naryn Region")) or "").replace("naryn", "bishkek")
    await aizada.callback_answer(await aizada.forge_press(forged))
    await aizada.press("✔ " + en("Done"))
    await wait_text(aizada, en(ROLES_Q))
    await aizada.press("⏭ " + en("Skip"))
    await wait_text(aizada, en(INTERESTS_Q))
    await aizada.press("⏭ " + en("Skip"))
    await wait_text(aizada, en(LANGUAGE_Q))
    await aizada.press("🌐 " + en("Any language"))
    summary = await write_content(aizada, "Regional meeting")
    assert en("Who") + ": " + en("all my regions") in summary.text
    control = await preview(aizada)
    assert (
        ntr(
            "en",
            "It reaches {count} member ({audience}).",
            "It reaches {count} members ({audience}).",
            4,
            audience=en("all my regions"),
        )
        in control.text
    )
    mine = int((data_of(control, "📣 " + en("Send now")) or "").rsplit(":", 1)[1])

    # Others may not press her buttons: a member, and the coordinator for anything but Cancel.
    assert await alert(member, f"ann:go:{mine}") == tr("ru", PRIVILEGED_ONLY)
    assert await alert(member, f"ann:stop:{mine}") == tr("ru", PRIVILEGED_ONLY)
    assert await alert(coordinator, f"ann:go:{mine}") == en("This announcement is not yours.")
    assert await alert(coordinator, f"ann:edit:{mine}") == en("This announcement is not yours.")
    assert await alert(aizada, "ann:go:999999") == en("This announcement is not yours.")

    # Her roles change before she sends: Osh is no longer hers, and what she chose was "all my
    # regions", which now means Naryn only.
    await set_grants(
        db, aizada.id, coordinator=False, lead_regions=frozenset({"naryn"}), actor_id=COORDINATOR_ID
    )
    await send_now(aizada)
    for user in naryn.users:
        await user.wait_for(lambda u: len(got(u, "Regional meeting")) == 1)
    await bot.settle()
    for user in (*osh.users, *bishkek.users):
        assert got(user, "Regional meeting") == []
    # In /broadcasts, hers is "all my regions" to her, and "all the author's regions" to others.
    await aizada.send("/broadcasts")
    listing = await wait_text(aizada, "«Regional meeting»")
    assert en("To: {audience}", audience=en("all my regions")) in listing.text
    await coordinator.send("/broadcasts")
    listing = await wait_text(coordinator, "«Regional meeting»")
    assert en("To: {audience}", audience=en("all the author's regions")) in listing.text

    # A draft naming a region that is no longer hers is refused when she sends it.
    await set_grants(
        db,
        aizada.id,
        coordinator=False,
        lead_regions=frozenset({"naryn", "osh_region"}),
        actor_id=COORDINATOR_ID,
    )
    await compose(aizada, "", everyone=False)
    await wait_text(aizada, en(REGIONS_Q))
    await aizada.press("▫️ " + en("Osh Region"))
    await aizada.press("✔ " + en("Done"))
    await wait_text(aizada, en(ROLES_Q))
    await aizada.press("⏭ " + en("Skip"))
    await wait_text(aizada, en(INTERESTS_Q))
    await aizada.press("⏭ " + en("Skip"))
    await wait_text(aizada, en(LANGUAGE_Q))
    await aizada.press("🌐 " + en("Any language"))
    await write_content(aizada, "Osh only")
    await preview(aizada)
    await set_grants(
        db, aizada.id, coordinator=False, lead_regions=frozenset({"naryn"}), actor_id=COORDINATOR_ID
    )
    answer = await aizada.callback_answer(await aizada.press("📣 " + en("Send now")))
    assert answer["text"] == en("You may not send to this audience.")
    await bot.settle()
    assert all(got(u, "Osh only") == [] for u in osh.users)
    # And she no longer may at all once she has no role.
    await set_grants(
        db, aizada.id, coordinator=False, lead_regions=frozenset(), actor_id=COORDINATOR_ID
    )
    assert await alert(aizada, f"ann:go:{mine + 1}") == en(PRIVILEGED_ONLY)


async def test_a_photo_with_a_text_too_long_for_a_caption_is_refused_and_the_text_kept(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    db = bot.application.db
    coordinator = await started(sandbox, "Gulnara", "en", user_id=COORDINATOR_ID)
    people = await make_members(sandbox, db, 2, first_id=640_001, lang="en")
    long_text = "Дорогие участницы! " + "ы" * 1100
    await coordinator.send("/broadcast")
    await wait_text(coordinator, en(NEW))
    await coordinator.press("👥 " + en("All members"))
    await wait_text(coordinator, en(TEXT_Q))
    await coordinator.send(long_text)
    await wait_text(coordinator, en(FILE_Q))
    await coordinator.send_photo(b"\xff\xd8 photo")
    limit = en(
        "With a photo or document, Telegram allows at most {limit} characters of text; this "
        "text has {length}. Everything you wrote is kept: send a shorter text, or remove the "
        "file (⏭ Skip at “Photo or document”).",
        limit=1024,
        length=len(long_text),
    )
    await wait_text(coordinator, limit)
    await coordinator.press("⏭ " + en("Skip"))
    await wait_text(coordinator, en(VERSIONS_Q))
    await coordinator.press("⏭ " + en("Skip"))
    await wait_text(coordinator, en(PROTECT_Q))
    await coordinator.press("🔒 " + en("Protect from forwarding"))
    summary = await wait_text(coordinator, en(SUMMARY))
    assert "Дорогие участницы!" in summary.text  # her text was kept
    # A shorter text, then the photo after all.
    await coordinator.press("✏️ " + en("Text"))
    await wait_text(coordinator, en(TEXT_Q))
    await coordinator.send("Our poster for Friday")
    await wait_text(coordinator, en(SUMMARY))
    await coordinator.press("✏️ " + en("Photo or document"))
    await wait_text(coordinator, en(FILE_Q))
    await coordinator.send_photo(b"\xff\xd8 photo", caption="ignored caption")
    summary = await wait_text(coordinator, en(SUMMARY))
    assert "🖼 " + en("a photo") in summary.text
    # With the photo, the long text again: refused at the text, and at the preview.
    await coordinator.press("✏️ " + en("Text"))
    await wait_text(coordinator, en(TEXT_Q))
    await coordinator.send(long_text)
    await wait_text(coordinator, limit)
    await coordinator.press("◀ " + en("Back"))
    await wait_text(coordinator, en(SUMMARY))
    await coordinator.press("👁 " + en("Preview"))
    await wait_text(coordinator, limit)
    assert not [m for m in coordinator.bot_messages() if m.kind == "photo"]
    await coordinator.press("✏️ " + en("Text"))
    await wait_text(coordinator, en(TEXT_Q))
    await coordinator.send("Our poster for Friday")
    await wait_text(coordinator, en(SUMMARY))
    await preview(coordinator)
    (shown,) = [m for m in coordinator.bot_messages() if m.kind == "photo"]
    assert shown.text == "Our poster for Friday" and buttons(shown) == ["🔕 " + en(STOP)]
    await send_now(coordinator)
    for user in people.users:
        await user.wait_for(lambda u: any(m.kind == "photo" for m in u.bot_messages()))
    await bot.settle()
    photos = [p for m, p in sandbox.calls if m == "sendPhoto"]
    assert len(photos) == 3 and all(p.get("protect_content") for p in photos)
    assert {p["photo"] for p in photos} == {shown.file_id}


async def test_scheduled_goes_once_even_across_a_restart_and_can_be_cancelled(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    from bot.handlers.announcements import start_due

    db = bot.application.db
    coordinator = await started(sandbox, "Gulnara", "ru", user_id=COORDINATOR_ID)
    people = await make_members(sandbox, db, 3, first_id=650_001)
    await compose(coordinator, "Собрание в пятницу", lang="ru")
    await preview(coordinator, "ru")
    await coordinator.press("🕓 " + tr("ru", "Schedule"))
    question = await wait_text(
        coordinator,
        part("ru", WHEN_Q),
    )
    assert "Asia/Bishkek" in question.text
    # Not a moment, then the past: refused, with a hint.
    await coordinator.send("в пятницу")
    await wait_text(
        coordinator,
        part("ru", "I could not read that. Please write the date and time like {example}."),
    )
    await coordinator.send("01.01.2020 10:00")
    await wait_text(coordinator, tr("ru", "Please choose a moment in the future, within a year."))
    when = utcnow() + timedelta(days=3)
    local = when.astimezone(bot.settings.tz)
    await coordinator.send(local.strftime("%d.%m.%Y %H:%M"))
    await wait_text(coordinator, part("ru", "🕓 <b>Announcement {number}</b> goes on {when}."))
    await bot.settle()
    info = await get_announcement(db, 1)
    assert info is not None and info.status == "scheduled" and info.scheduled_for is not None
    assert abs((info.scheduled_for - when).total_seconds()) < 60

    # Not yet due: nothing goes. Then a restart, and the job runs twice at the moment.
    assert await start_due(bot.application, now=utcnow()) == 0
    await bot.restart()
    db = bot.application.db  # the new process's
    later = when + timedelta(minutes=1)
    assert await start_due(bot.application, now=later) == 1
    assert await start_due(bot.application, now=later) == 0
    for user in people.users:
        await user.wait_for(lambda u: len(got(u, "Собрание")) == 1)
    await bot.settle()
    async with db.transaction() as session:
        assert await session.scalar(select(func.count(DeliveryBatch.id))) == 1
    await coordinator.wait_for(
        lambda u: any(tr("ru", DONE, number=1) in m.text for m in u.bot_messages())
    )

    # Another, scheduled and then cancelled: it never goes.
    await compose(coordinator, "Отменённое собрание", lang="ru")
    await preview(coordinator, "ru")
    await coordinator.press("🕓 " + tr("ru", "Schedule"))
    question = await wait_text(
        coordinator,
        part("ru", WHEN_Q),
    )
    quick = [b for b in buttons(question) if b[0].isdigit()]
    await coordinator.press(quick[-1])
    await wait_text(coordinator, part("ru", "🕓 <b>Announcement {number}</b> goes on {when}."))
    await coordinator.press("✖ " + tr("ru", "Cancel it"))
    await wait_text(
        coordinator,
        tr("ru", "✖ <b>Announcement {number}</b> was cancelled; nothing was sent.", number=2),
    )
    assert await start_due(bot.application, now=utcnow() + timedelta(days=2)) == 0
    await bot.settle()
    assert all(got(u, "Отменённое") == [] for u in people.users)
    assert await alert(coordinator, "ann:stop:2") == tr("ru", "This announcement was cancelled.")


async def test_cancel_while_it_is_sent_and_the_list_of_announcements(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    db = bot.application.db
    coordinator = await started(sandbox, "Gulnara", "en", user_id=COORDINATOR_ID)
    people = await make_members(sandbox, db, 60, first_id=660_001, lang="en")
    await compose(coordinator, "A long list")
    await preview(coordinator)
    await send_now(coordinator)
    await sandbox.wait_for(lambda: sum(len(got(u, "A long list")) for u in people.users) >= 10)
    await coordinator.press("✖ " + en("Cancel it"))
    await bot.settle()
    received = sum(len(got(u, "A long list")) for u in people.users)
    assert 10 <= received < 60
    figures = en(SENT_LINE, sent=received, blocked=0, failed=0, cancelled=60 - received)
    await coordinator.wait_for(lambda u: any(figures in m.text for m in u.bot_messages()))
    assert any(
        en("✖ <b>Announcement {number}</b> was cancelled.", number=1) in m.text
        for m in coordinator.bot_messages()
    )

    # /broadcasts: the coordinator sees it with its figures; a lead sees only her own.
    await coordinator.send("/broadcasts")
    listing = await wait_text(
        coordinator, part("en", "<b>Announcements</b> (page {page} of {pages})")
    )
    assert "«A long list»" in listing.text and figures in listing.text
    lead = await started(sandbox, "Lead", "en")
    await set_grants(
        db, lead.id, coordinator=False, lead_regions=frozenset({"naryn"}), actor_id=COORDINATOR_ID
    )
    await lead.send("/broadcasts")
    await wait_text(lead, en("No announcements yet. /broadcast writes one."))
    items, total = await list_announcements(db, author_id=COORDINATOR_ID)
    assert total == 1 and items[0].status == "cancelled"


async def test_change_and_discard_a_previewed_draft(sandbox: Sandbox, bot: BotRunner) -> None:
    db = bot.application.db
    coordinator = await started(sandbox, "Gulnara", "en", user_id=COORDINATOR_ID)
    people = await make_members(sandbox, db, 1, first_id=670_001, lang="en")
    await compose(coordinator, "First wording")
    await preview(coordinator)
    await coordinator.press("✏️ " + en("Change"))
    summary = await wait_text(coordinator, en(SUMMARY))
    assert "First wording" in summary.text
    await coordinator.press("✏️ " + en("Text"))
    await wait_text(coordinator, en(TEXT_Q))
    await coordinator.send("Second wording")
    await wait_text(coordinator, en(SUMMARY))
    await preview(coordinator)
    async with db.transaction() as session:  # the same draft, changed
        assert await session.scalar(select(func.count(Announcement.id))) == 1
    await coordinator.press("🗑 " + en("Discard"))
    await wait_text(coordinator, en("Discarded. Nothing was sent."))
    async with db.transaction() as session:
        assert await session.scalar(select(func.count(Announcement.id))) == 0
    await bot.settle()
    assert people.users[0].bot_messages() == []


async def test_a_double_tap_sends_once_and_a_lead_who_lost_the_region_is_told(
    sandbox: Sandbox, bot: BotRunner
) -> None:
    from bot.handlers.announcements import start_due

    db = bot.application.db
    aizada = await started(sandbox, "Aizada", "en")
    await set_grants(
        db,
        aizada.id,
        coordinator=False,
        lead_regions=frozenset({"naryn", "osh_region"}),
        actor_id=COORDINATOR_ID,
    )
    osh = await make_members(sandbox, db, 2, first_id=680_001, region="osh_region")
    await compose(aizada, "Twice tapped")
    await preview(aizada)
    first = await aizada.press("📣 " + en("Send now"))
    second = await aizada.press("📣 " + en("Send now"))
    await aizada.callback_answer(first)
    answer = await aizada.callback_answer(second)
    assert answer["text"] == en("This announcement is being sent.")
    for user in osh.users:
        await user.wait_for(lambda u: len(got(u, "Twice tapped")) == 1)
    await bot.settle()
    async with db.transaction() as session:
        assert await session.scalar(select(func.count(DeliveryBatch.id))) == 1

    # Scheduled for Osh; by the time it is due, Osh is no longer hers: it does not go, and
    # her status message says so.
    await compose(aizada, "", everyone=False)
    await wait_text(aizada, en(REGIONS_Q))
    await aizada.press("▫️ " + en("Osh Region"))
    await aizada.press("✔ " + en("Done"))
    await wait_text(aizada, en(ROLES_Q))
    await aizada.press("⏭ " + en("Skip"))
    await wait_text(aizada, en(INTERESTS_Q))
    await aizada.press("⏭ " + en("Skip"))
    await wait_text(aizada, en(LANGUAGE_Q))
    await aizada.press("🌐 " + en("Any language"))
    await write_content(aizada, "Osh on Monday")
    await preview(aizada)
    await aizada.press("🕓 " + en("Schedule"))
    question = await wait_text(aizada, part("en", WHEN_Q))
    await aizada.press([b for b in buttons(question) if b[0].isdigit()][-1])
    await wait_text(aizada, part("en", "🕓 <b>Announcement {number}</b> goes on {when}."))
    await bot.settle()
    await set_grants(
        db, aizada.id, coordinator=False, lead_regions=frozenset({"naryn"}), actor_id=COORDINATOR_ID
    )
    assert await start_due(bot.application, now=utcnow() + timedelta(days=3)) == 0
    cancelled = en("✖ <b>Announcement {number}</b> was cancelled; nothing was sent.", number=2)
    await aizada.wait_for(lambda u: any(cancelled in m.text for m in u.bot_messages()))
    await bot.settle()
    assert all(got(u, "Osh on Monday") == [] for u in osh.users)
    info = await get_announcement(db, 2)
    assert info is not None and info.status == "cancelled"
