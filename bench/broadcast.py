"""An announcement to 10,000 members through the sandbox: how close the bot keeps to its pace.

Telegram's limit is raised in the sandbox (`--cap`, 200 messages a second by default, instead of
30), and the bot's own limits are raised in the same proportion as in production: the rate
limiter to MESSAGES_PER_SECOND/30 of it for everything (27/30, bot/app.py), BROADCAST_RATE to
25/30 of it for announcements (set on the running bot: the setting itself stops at Telegram's
30). The members are written straight
into the database and the announcement is started the way "Send now" starts it (its recipients
counted, then its messages written into the outbox in one transaction).

Reported: the time to count the recipients and to write the 10,000 messages; the achieved rate
(first message to last, by the sandbox's receive times) as a share of BROADCAST_RATE; 429s
received; duplicates and missing members; the peak memory of the process.
"""

from __future__ import annotations

import resource
import tempfile
import time
from collections import Counter
from pathlib import Path

from bot.app import MESSAGES_PER_SECOND
from bot.delivery.pacing import PacedLimiter
from bot.handlers.announcements.sending import messages
from bot.services.announcements import Audience, Content, Text, recipients
from bot.services.crypto import new_key
from bot.services.roles import roles_of
from db.announcements import save_draft, start
from db.engine import Database
from db.models import Member, User
from db.types import utcnow
from db.users import record_user
from sandbox import Sandbox
from sandbox.runner import BotRunner, sandbox_settings

AUTHOR = 9001  # the coordinator who sends it
FIRST_MEMBER = 5_000_000
TEXT = "<b>Bench</b>: an announcement to every member"


async def add_members(sandbox: Sandbox, db: Database, count: int) -> list[int]:
    """`count` approved members who started the bot, in one transaction."""
    now = utcnow()
    ids = [FIRST_MEMBER + i for i in range(count)]
    languages = ("ky", "ru", "en")
    async with db.transaction() as session:
        for i, user_id in enumerate(ids):
            lang = languages[i % 3]
            sandbox.add_user(f"M{i}", language_code=lang, user_id=user_id, started=True)
            session.add(
                User(
                    id=user_id,
                    first_name=db.cipher.encrypt(f"M{i}"),
                    username=None,
                    language=lang,
                    telegram_language=lang,
                    first_seen=now,
                    last_seen=now,
                    blocked=False,
                )
            )
        await session.flush()
        for user_id in ids:
            session.add(
                Member(
                    user_id=user_id,
                    name_enc=db.cipher.encrypt(f"M{user_id}"),
                    region="naryn",
                    district_enc=None,
                    occupation="activist",
                    interests="human_rights",
                    phone_enc=None,
                    status="approved",
                    consent_at=now,
                    joined_at=now,
                    notify_events="region",
                    notify_announcements=True,
                )
            )
    return ids


async def run(members: int, cap: float) -> None:
    broadcast_rate = cap * 25 / 30
    with tempfile.TemporaryDirectory() as tmp:
        sandbox = Sandbox(rate_limit=cap)
        await sandbox.start()
        settings = sandbox_settings(
            sandbox, Path(tmp) / "data", DATA_KEY=new_key(), COORDINATOR_IDS=str(AUTHOR)
        )
        runner = BotRunner(sandbox, settings)
        await runner.start()
        app = runner.application
        assert app.sender is not None
        limiter = app.bot.rate_limiter
        assert isinstance(limiter, PacedLimiter)
        limiter.set_rate(cap * MESSAGES_PER_SECOND / 30)
        app.sender.broadcast_interval = 1 / broadcast_rate
        db = app.db
        sandbox.add_user("Author", language_code="en", user_id=AUTHOR, started=True)
        await record_user(
            db, user_id=AUTHOR, first_name="Author", username=None, telegram_language="en"
        )
        ids = await add_members(sandbox, db, members)

        began = time.perf_counter()
        roles = await roles_of(db, settings, AUTHOR)
        content = Content(Text(TEXT, len("Bench: an announcement to every member")))
        announcement = await save_draft(db, AUTHOR, Audience().to_dict(), content.to_dict())
        chosen = await recipients(db, settings, Audience(), roles)
        counted = time.perf_counter()
        await start(db, announcement, messages(chosen, announcement), actor_id=AUTHOR)
        written = time.perf_counter()
        seen = sandbox.bot_seq
        app.wake_sender()
        await sandbox.wait_for(lambda: sandbox.bot_seq - seen >= members, timeout=members)
        await runner.settle()
        arrivals = [
            m.at for user_id in ids for m in sandbox.chats[user_id].messages if "Bench" in m.text
        ]
        per_member = Counter(
            user_id for user_id in ids for m in sandbox.chats[user_id].messages if "Bench" in m.text
        )
        await runner.stop()
        await sandbox.stop()

    arrivals.sort()
    span = arrivals[-1] - arrivals[0]
    achieved = (len(arrivals) - 1) / span if span > 0 else float("inf")
    too_many = [b for b in sandbox.breaches if b.error_code == 429]
    duplicates = sum(n - 1 for n in per_member.values() if n > 1)
    missing = sum(1 for user_id in ids if per_member[user_id] == 0)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"broadcast: {members} members; the sandbox's limit {cap:.0f}/s, the bot's "
        f"{cap * MESSAGES_PER_SECOND / 30:.1f}/s in all, BROADCAST_RATE {broadcast_rate:.1f}/s"
    )
    print(
        f"recipients counted in {counted - began:.2f} s, {len(chosen)} messages written in "
        f"{written - counted:.2f} s (one transaction)"
    )
    print(
        f"achieved: {achieved:.1f}/s = {100 * achieved / broadcast_rate:.1f} % of BROADCAST_RATE "
        f"({100 * achieved / cap:.1f} % of the sandbox's limit), first to last message in "
        f"{span:.1f} s"
    )
    print(f"429s received: {len(too_many)}, duplicates: {duplicates}, missing: {missing}")
    print(f"peak RSS (bot + sandbox in one process): {peak_mb:.0f} MB")
