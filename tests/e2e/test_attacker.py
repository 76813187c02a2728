"""The attacker of issue 9: with copies of the data folder (taken while the bot runs, with its
-wal and -shm, and after it stopped) and without the key, link anonymous reports to the Telegram
ids of the women who sent them. Every link must fail.

The attacks are in tests/e2e/attacker.py, each described there. Against the version before
issue 9 (commit 5419404) this test fails, measured: the copies hold the key itself (data.key);
(a) links 3 of the 4 anonymous reports to their senders (the time Fernet keeps in clear in her
persisted data, beside the exact `created_at`; the fourth's data was rewritten later), (b) links
Bermet's by her persisted data appearing with a "remove from my phone" entry, (c) links all four
through the write-ahead log, (d) groups Cholpon's two reports by their shared tag, and (e) finds
Bermet's photo by its SHA-256 and by the exact size of its encrypted file. (To see it: copy
this file and attacker.py into a checkout of that commit and run it.)
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sandbox import Sandbox, SimUser
from tests.e2e import attacker
from tests.e2e.helpers import started, wait_text
from tests.e2e.runner import COORDINATOR_ID, BotRunner
from tests.e2e.test_membership import joined
from tests.e2e.test_reports import finish_report, report_until_story
from tests.texts import head, tr

pytestmark = pytest.mark.sqlite_only  # the data folder's SQLite files are what is copied

REF = re.compile(r"R-\d{4}-\d{4}")
PHOTO = b"\xff\xd8\xff\xe0 the photo of the injuries " + bytes(range(256)) * 40


async def file(user: SimUser, *, anonymous: bool, photo: bytes | None = None) -> str:
    """A report in Kyrgyz; returns its reference as she was told it."""
    await report_until_story(user)
    if photo is not None:
        await user.send_photo(photo)
        await wait_text(
            user,
            tr(
                "ky",
                "File {number} of at most {max} added. Send more, or tap “Done”.",
                number=1,
                max=10,
            ),
        )
    await finish_report(user, anonymous=anonymous)
    sent = user.last_bot_message()
    assert sent is not None
    found = REF.search(sent.text)
    assert found is not None
    return found.group(0)


async def settled(bot: BotRunner) -> None:
    """Everything handled and persisted (as within the second the persistence takes)."""
    await bot.settle()
    await bot.application.update_persistence()


async def test_a_stolen_copy_of_the_data_folder_links_no_anonymous_report_to_its_sender(
    sandbox: Sandbox, bot: BotRunner, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    copies = tmp_path / "stolen"
    senders: dict[str, int] = {}  # reference -> who sent it: the truth, to score the attacks
    anonymous: set[str] = set()

    coordinator = await started(sandbox, "Coordinator", "en", user_id=COORDINATOR_ID)
    reader = await started(sandbox, "Elmira", "ru")
    await reader.send("/resolution")
    await reader.next_bot_message()
    asel = await started(sandbox, "Asel", "ky")
    bermet = await started(sandbox, "Bermet", "ky")
    cholpon = await started(sandbox, "Cholpon", "ky")
    dinara = await started(sandbox, "Dinara", "ky")
    farida = await started(sandbox, "Farida", "ky")
    await joined(farida, name="Фарида")
    await joined(asel, name="Асель")

    ref = await file(asel, anonymous=False, photo=b"\xff\xd8 another photo")
    senders[ref] = asel.id
    await settled(bot)
    before = attacker.copy_folder(data, copies / "before", "live, before her report")

    ref = await file(bermet, anonymous=True, photo=PHOTO)
    senders[ref] = bermet.id
    anonymous.add(ref)
    await settled(bot)
    after = attacker.copy_folder(data, copies / "after", "live, just after her report")

    # Other activity: reading, a coordinator at the desk, more reports.
    await reader.send("/help")
    await reader.next_bot_message()
    await coordinator.send("/reports")
    await coordinator.next_bot_message()
    for sender in (cholpon, dinara, cholpon):
        ref = await file(sender, anonymous=True)
        senders[ref] = sender.id
        anonymous.add(ref)
        await settled(bot)
    await farida.send("/profile")
    await wait_text(farida, tr("ky", "<b>Your profile</b>"))
    await settled(bot)
    live = attacker.copy_folder(data, copies / "live", "live, later")
    await bot.stop()
    stopped = attacker.copy_folder(data, copies / "stopped", "after stop")

    # The copies hold the database, its log, and the files; not the key.
    assert (live.folder / "bot.db-wal").exists() and (live.folder / "bot.db-shm").exists()
    assert not any(
        p.name.endswith(".key") for c in (after, live, stopped) for p in c.folder.rglob("*")
    )
    assert len(anonymous) == 4 and len(senders) == 5

    links: list[tuple[str, str, str, int]] = []  # (copy, attack, reference, id it points to)
    for copy in (after, live, stopped):
        database = attacker.readable(copy, tmp_path / "work" / copy.folder.name)
        for ref, person in attacker.attack_times(database, copy.folder).items():
            links.append((copy.label, "(a) times", ref, person))
        for ref, person in attacker.attack_wal(copy, tmp_path / "wal" / copy.folder.name).items():
            links.append((copy.label, "(c) write-ahead log", ref, person))
        # (d) one woman's reports by their shared tag
        for group in attacker.attack_tags(database, copy.folder):
            assert not (group & anonymous), f"{copy.label}: reports linked by their tag: {group}"
        # (e) the photo she sent, by hash or by the size of its file
        found = attacker.attack_attachment(database, copy.folder, PHOTO)
        assert found == [], f"{copy.label}: the photo is found: {found}"
    old = attacker.readable(before, tmp_path / "work" / "before")
    new = attacker.readable(after, tmp_path / "work" / "after-sizes")
    for ref, person in attacker.attack_sizes(old, new, after.folder).items():
        links.append((after.label, "(b) sizes", ref, person))

    linked = [link for link in links if link[2] in anonymous and senders[link[2]] == link[3]]
    assert linked == [], "anonymous reports linked to their senders:\n" + "\n".join(
        map(str, linked)
    )

    # The attacks ran on what they look for: the reports are there, with their files.
    database = attacker.readable(stopped, tmp_path / "work" / "final")
    found_reports = attacker.reports_in(database, stopped.folder)
    assert set(found_reports) == set(senders)
    assert all(found_reports[ref].anonymous for ref in anonymous)
    assert len([p for r in found_reports.values() for p in r.paths]) == 2
    assert head("ky", "✅ <b>Your report has been sent.</b>") in (
        (bermet.last_bot_message() or bermet.transcript()[-1]).text
    )
