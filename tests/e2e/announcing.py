"""Helpers of the announcement tests: many members at once, and composing an announcement as a
coordinator or lead does it on her phone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from db.engine import Database
from db.models import Member, User
from db.types import utcnow
from sandbox import Entry, Sandbox, SimUser
from tests.e2e.helpers import wait_text
from tests.texts import tr

NEW = "<b>New announcement</b>\nWho should get it?"
TEXT_Q = (
    "<b>The text</b>\nSend the announcement as one message. Format it in Telegram as you like "
    "(bold, italic, links): members get exactly what you send."
)
FILE_Q = (
    "<b>A photo or a document</b> (optional)\nSend one to go with the text (the text becomes "
    "its caption), or skip."
)
VERSIONS_Q = (
    "<b>Other languages</b> (optional)\nMembers whose language has its own version get it; "
    "everyone else gets the text above. Tap a language, send its text; “Done” when you have "
    "finished."
)
PROTECT_Q = (
    "<b>Forwarding</b>\nFor a sensitive notice, Telegram can stop members from forwarding or "
    "saving it."
)
REGIONS_Q = "<b>Which regions?</b>\nTap all that apply, then “Done”; none means all."
ROLES_Q = "<b>Which roles?</b>\nTap all that apply, then “Done”; none means all."
INTERESTS_Q = (
    "<b>Which interests?</b>\nMembers with any of those you tap get it; none means all. "
    "Then “Done”."
)
LANGUAGE_Q = "<b>Which language?</b>\nOnly members who read the bot in it get it."
SUMMARY = "<b>Your announcement</b>"
PREVIEWED = "☝️ <b>This is how members will see it.</b>"
STOP = "Stop announcements"


@dataclass
class People:
    """Members made at once: in the database (approved) and in the sandbox (started the bot)."""

    users: list[SimUser]

    @property
    def ids(self) -> list[int]:
        return [u.id for u in self.users]


async def make_members(
    sandbox: Sandbox,
    db: Database,
    count: int,
    *,
    first_id: int,
    lang: str = "ru",
    region: str = "naryn",
    interests: Sequence[str] = ("human_rights",),
    wants: bool = True,
) -> People:
    """`count` approved members who started the bot, written straight into the database (one
    transaction), the way hundreds of sign-ups would have left them."""
    now = utcnow()
    users = []
    async with db.transaction() as session:
        for i in range(count):
            user_id = first_id + i
            users.append(
                sandbox.add_user(
                    first_name=f"M{user_id}", language_code=lang, user_id=user_id, started=True
                )
            )
            session.add(
                User(
                    id=user_id,
                    first_name=db.cipher.encrypt(f"M{user_id}"),
                    username=None,
                    language=lang,
                    telegram_language=lang,
                    first_seen=now,
                    last_seen=now,
                    blocked=False,
                )
            )
        await session.flush()
        for user in users:
            session.add(
                Member(
                    user_id=user.id,
                    name_enc=db.cipher.encrypt(user.first_name),
                    region=region,
                    district_enc=None,
                    occupation="activist",
                    interests=",".join(interests),
                    phone_enc=None,
                    status="approved",
                    consent_at=now,
                    joined_at=now,
                    notify_events="region",
                    notify_announcements=wants,
                )
            )
    return People(users)


BOLD = {"type": "bold", "offset": 0, "length": 4}


async def compose(
    author: SimUser,
    text: str,
    *,
    lang: str = "en",
    entities: list[dict[str, object]] | None = None,
    everyone: bool = True,
    protect: bool = False,
) -> Entry:
    """/broadcast to the summary: everyone (or stop at "Choose who" when not `everyone`), the
    text, no file, no other languages."""
    await author.send("/broadcast")
    await wait_text(author, tr(lang, NEW))
    if not everyone:
        await author.press("🎯 " + tr(lang, "Choose who"))
        return await wait_text(author, "")
    question = author.last_bot_message()
    assert question is not None
    everyone_button = next(b for row in question.buttons for b in row if b.startswith("👥 "))
    await author.press(everyone_button)
    return await write_content(author, text, lang=lang, entities=entities, protect=protect)


async def write_content(
    author: SimUser,
    text: str,
    *,
    lang: str = "en",
    entities: list[dict[str, object]] | None = None,
    protect: bool = False,
) -> Entry:
    """From the text question to the summary."""
    await wait_text(author, tr(lang, TEXT_Q))
    await author.send(text, entities=entities)
    await wait_text(author, tr(lang, FILE_Q))
    await author.press("⏭ " + tr(lang, "Skip"))
    await wait_text(author, tr(lang, VERSIONS_Q))
    await author.press("⏭ " + tr(lang, "Skip"))
    await wait_text(author, tr(lang, PROTECT_Q))
    if protect:
        await author.press("🔒 " + tr(lang, "Protect from forwarding"))
    else:
        await author.press(tr(lang, "May be forwarded"))
    return await wait_text(author, tr(lang, SUMMARY))


async def preview(author: SimUser, lang: str = "en") -> Entry:
    await author.press("👁 " + tr(lang, "Preview"))
    return await wait_text(author, tr(lang, PREVIEWED))


def announcements_of(user: SimUser, needle: str) -> list[Entry]:
    return [m for m in user.bot_messages() if needle in m.text]
