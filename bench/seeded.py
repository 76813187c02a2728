"""A community that has grown: 10,000 members and 10,000 reports, seeded through the project's
own storage functions, then the bot started on that database in a process of its own.

Measured: the bot's start-up time and peak memory, a coordinator's members desk (the counts, a
page of the list, the next pages), her /roles search by part of a name (the first one, which
reads the names, and the next ones), the reports desk, the reports CSV of every report, and
meanwhile the answers to people who just send /start (bystanders).
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.i18n import get_translator
from bot.services.crypto import Cipher, new_key
from db.engine import Database
from db.members import MemberDraft, create_member
from db.reports import ReportDraft, Reporter, create_report
from db.users import record_user
from sandbox import Sandbox, SimUser

from .common import Answers, project_bot, target

COORDINATOR_ID = 9001
FIRST_NAMES = (
    "Айгүл", "Айнура", "Гүлнара", "Жылдыз", "Нургүл", "Чолпон", "Бурул", "Асель", "Назира",
    "Ольга", "Татьяна", "Динара", "Aigerim", "Nurzhan", "Kanykei", "Elmira", "Meerim", "Saltanat",
)  # fmt: skip
LAST_NAMES = (
    "Асанова", "Токтогулова", "Абдыкадырова", "Үсөнова", "Өмүрова", "Жумабаева", "Иванова",
    "Sadykova", "Mamytova", "Bakirova", "Kasymova", "Orozbekova",
)  # fmt: skip
REGIONS = ("bishkek", "osh_city", "chuy", "osh_region", "jalal_abad", "batken", "naryn",
           "issyk_kul", "talas")  # fmt: skip
CATEGORIES = ("torture", "violence_women", "violence_children", "corruption", "other")
STORY = (
    "Кечээ кечинде милиция кызматкерлери үйгө келип, күйөөмдү эч кандай документсиз алып кетишти."
    " Вчера вечером сотрудники милиции пришли к нам домой и увели мужа без всяких документов. "
)
CONCURRENT_WRITES = 8
PAUSE = 0.06  # seconds between one person's actions


async def seed(db: Database, members: int, reports: int, files_dir: Path) -> float:
    """Members (each a person who wrote to the bot) and reports, through the project's own
    functions: members several at a time, reports one after the other (each takes the next
    reference of the year). Returns the seconds it took."""
    rng = random.Random(14)
    started = time.perf_counter()
    slots = asyncio.Semaphore(CONCURRENT_WRITES)

    async def member(i: int) -> None:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        user_id = 100_000 + i
        async with slots:
            await record_user(
                db, user_id=user_id, first_name=name, username=None, telegram_language="ky"
            )
            draft = MemberDraft(
                name=name,
                region=rng.choice(REGIONS),
                district="Кочкор" if i % 3 else None,
                occupation="ngo",
                interests=("human_rights", "peace"),
                phone=f"+996 700 {i:06d}",
            )
            await create_member(db, user_id, draft, approved=i % 10 != 0)

    await asyncio.gather(*(member(i) for i in range(members)))
    for i in range(reports):
        await create_report(
            db,
            ReportDraft(
                category=rng.choice(CATEGORIES),
                region=rng.choice(REGIONS),
                text=STORY * rng.randint(1, 6),
                occurred="yesterday",
                danger=i % 50 == 0,
                anonymous=i % 3 == 0,
                place="Нарын, Ат-Башы" if i % 2 else None,
            ),
            Reporter(200_000 + i, "Айгүл", None, f"+996 555 {i:06d}"),
            lang="ky",
            files_dir=files_dir,
        )
    return time.perf_counter() - started


async def timed(
    answers: Answers, user: SimUser, act: Callable[[], Awaitable[object]], wait: float = 120
) -> float:
    """Seconds from her action to the bot's answer in her chat. A pause first, as a person
    makes: the rate limiter spaces messages 1/27 s apart, and back-to-back actions would
    measure that spacing."""
    await asyncio.sleep(PAUSE)
    future = answers.expect(user.id)
    started = time.perf_counter()
    await act()
    async with asyncio.timeout(wait):
        at, _ = await future
    return at - started


def ms(seconds: float) -> str:
    return f"{1000 * seconds:.0f} ms"


async def run(quick: bool = False) -> list[str]:
    members, reports = (1_000, 1_000) if quick else (10_000, 10_000)
    lines: list[str] = []

    def say(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    t = get_translator("en", "Asia/Bishkek")
    # BENCH_SEED_DIR: keep the seeded database there and use it again next time (a copy of it:
    # the benchmark changes its database), so that runs compare on the same data.
    kept = os.environ.get("BENCH_SEED_DIR")
    with tempfile.TemporaryDirectory() as tmp_name:
        data = Path(tmp_name) / "data"
        source = Path(kept) / f"{members}-{reports}" if kept else None
        if source is not None and (source / "bot.db").exists():
            shutil.copytree(source, data)
            key = (data / "key").read_text()
            say(f"Seeded database of {members} members and {reports} reports from {source}")
        else:
            key = new_key()
            db = Database(f"sqlite+aiosqlite:///{data / 'bot.db'}", cipher=Cipher(key.encode()))
            await db.connect()
            seconds = await seed(db, members, reports, data)
            await db.dispose()
            (data / "key").write_text(key)
            say(f"Seeded {members} members and {reports} reports in {seconds:.0f} s")
            if source is not None:
                shutil.copytree(data, source)

        sandbox = Sandbox(rate_limit=30)
        await sandbox.start()
        bot = project_bot(sandbox, data, rate_limit=True, key=key, coordinators=str(COORDINATOR_ID))
        answers = Answers(sandbox)
        try:
            await bot.start(sandbox, Path(tmp_name) / "bot.log")
            say(f"Start-up (process start to polling): {bot.startup:.2f} s")
            say(f"Memory of the bot once started: {bot.rss_mb():.0f} MB")
            coordinator = sandbox.add_user(
                user_id=COORDINATOR_ID, first_name="Gulnara", language_code="en"
            )

            def send(person: SimUser, text: str) -> Callable[[], Awaitable[object]]:
                return lambda: person.send(text)

            def press(person: SimUser, label: str) -> Callable[[], Awaitable[object]]:
                return lambda: person.press(label)

            await timed(answers, coordinator, send(coordinator, "/start"))
            await timed(answers, coordinator, press(coordinator, "English"))

            desk = await timed(answers, coordinator, send(coordinator, "/members"))
            first = await timed(answers, coordinator, press(coordinator, "📋 " + t.gettext("List")))
            pages = [await timed(answers, coordinator, press(coordinator, "▶")) for _ in range(10)]
            page = statistics.median([first, *pages])
            say(f"Members desk (counts by region): {ms(desk)}")
            say(f"Members page: first {ms(first)}, median of 11 pages {ms(page)}")
            lines.append(target("members page under 20 ms", ms(page), page < 0.020))

            await timed(answers, coordinator, send(coordinator, "/roles"))
            searches = []
            for query in ("нур", "ова", "Kasym", "үсө", "zz"):
                searches.append(await timed(answers, coordinator, send(coordinator, query)))
                await timed(answers, coordinator, send(coordinator, "/roles"))
            later = statistics.median(searches[1:])
            say(f"/roles search: first {ms(searches[0])}, then median {ms(later)}")

            listing = await timed(answers, coordinator, send(coordinator, "/reports"))
            say(f"Reports desk (counts and first page): {ms(listing)}")
            bystanders = [
                sandbox.add_user(first_name=f"B{i}", language_code="ru") for i in range(20)
            ]
            export_label = "⬇️ " + t.gettext("Export CSV")
            export = asyncio.ensure_future(
                timed(answers, coordinator, press(coordinator, export_label), wait=300)
            )
            waits = []
            for person in bystanders:
                waits.append(await timed(answers, person, send(person, "/start")))
                if export.done():
                    break
            csv_seconds = await export - PAUSE
            document = coordinator.last_bot_message()
            name = document.file_name if document else "?"
            say(f"Reports CSV of {reports} reports: {csv_seconds:.2f} s ({name})")
            worst = max(waits)
            say(
                f"Bystanders' /start meanwhile ({len(waits)}): worst {ms(worst)}, "
                f"median {ms(statistics.median(waits))}"
            )
            lines.append(
                target(
                    f"reports CSV of {reports} under 1 s", f"{csv_seconds:.2f} s", csv_seconds < 1
                )
            )
            lines.append(
                target("a bystander's reply meanwhile under 300 ms", ms(worst), worst < 0.3)
            )
            peak = bot.peak_rss_mb()
            say(f"Peak memory of the bot: {peak:.0f} MB")
            lines.append(target("peak memory ≤ 150 MB", f"{peak:.0f} MB", peak <= 150))
        finally:
            await bot.stop()
            await sandbox.stop()
            if bot.proc is not None and bot.proc.returncode not in (0, None):
                print(bot.log_text()[-3000:])
    return lines
