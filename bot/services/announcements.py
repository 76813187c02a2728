"""Announcements: who they reach and what they may say. Rules only, no Telegram.

- The audience is always drawn from approved members who have not turned announcements off in
  /profile; it can be narrowed to some regions, some roles (coordinators, regional leads, members
  without a role), some interests, and one language (the member's own). A regional lead reaches
  only her regions, whatever her buttons say: `recipients` checks her roles itself.
- The content is her text as HTML (Telegram's own formatting of her message), optionally a
  version per language (each member gets hers, else the default), one photo or document (by
  Telegram's file_id), and protect_content. Telegram's limits: a text 4096 characters, a caption
  1024, counted in UTF-16 units.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.i18n import LANGUAGES, N_, resolve_language
from bot.services.community import INTERESTS, REGIONS
from bot.services.roles import Roles
from db.announcements import audience_members
from db.engine import Database
from db.roles import coordinators_granted, leads_granted

TEXT_LIMIT = 4096  # Telegram: a message's text, in UTF-16 units after the formatting is parsed
CAPTION_LIMIT = 1024  # Telegram: the caption of a photo or document
ROLES: dict[str, str] = {
    "coordinator": N_("Coordinators"),
    "lead": N_("Regional leads"),
    "member": N_("Members without a role"),
}
FILE_KINDS = ("photo", "document")
# How far ahead an announcement can be scheduled.
SCHEDULE_HORIZON = timedelta(days=366)


class NotAllowed(Exception):
    """She may not send this announcement (no role, or a region that is not hers)."""


@dataclass(frozen=True, slots=True)
class Audience:
    """Who it is for. Empty means "no restriction" (for a lead: all her regions)."""

    regions: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    interests: tuple[str, ...] = ()
    language: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "regions": list(self.regions),
            "roles": list(self.roles),
            "interests": list(self.interests),
            "language": self.language,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Audience:
        return cls(
            regions=tuple(data.get("regions") or ()),
            roles=tuple(data.get("roles") or ()),
            interests=tuple(data.get("interests") or ()),
            language=data.get("language"),
        )


@dataclass(frozen=True, slots=True)
class Text:
    """A text as Telegram will show it: HTML, and its length as Telegram counts it (UTF-16
    units of the text without the formatting)."""

    html: str
    length: int


@dataclass(frozen=True, slots=True)
class Content:
    text: Text
    versions: dict[str, Text] = field(default_factory=dict)  # by language
    file_kind: str | None = None  # photo or document
    file_id: str | None = None
    protect: bool = False

    def version_for(self, lang: str) -> Text:
        """Hers if there is one, else the default."""
        return self.versions.get(lang, self.text)

    @property
    def limit(self) -> int:
        return CAPTION_LIMIT if self.file_id else TEXT_LIMIT

    def too_long(self) -> list[tuple[str | None, int]]:
        """(language, length) of each text over the limit (None: the default text)."""
        texts: list[tuple[str | None, Text]] = [(None, self.text), *self.versions.items()]
        return [(lang, text.length) for lang, text in texts if text.length > self.limit]

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": [self.text.html, self.text.length],
            "versions": {lang: [v.html, v.length] for lang, v in self.versions.items()},
            "file": [self.file_kind, self.file_id] if self.file_id else None,
            "protect": self.protect,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Content:
        file = data.get("file") or [None, None]
        return cls(
            text=Text(*data["text"]),
            versions={lang: Text(*v) for lang, v in (data.get("versions") or {}).items()},
            file_kind=file[0],
            file_id=file[1],
            protect=bool(data.get("protect")),
        )


def allowed_regions(roles: Roles) -> tuple[str, ...]:
    """The regions she may reach: all for a coordinator, hers for a lead, none otherwise."""
    if roles.coordinator:
        return tuple(REGIONS)
    return tuple(code for code in REGIONS if code in roles.lead_regions)


def check(audience: Audience, roles: Roles) -> None:
    """Raise NotAllowed unless she may send to this audience (checked on the server whatever
    her buttons carried)."""
    if not roles.privileged:
        raise NotAllowed("neither a coordinator nor a regional lead")
    allowed = set(allowed_regions(roles))
    if not set(audience.regions) <= allowed:
        raise NotAllowed("a region that is not hers")
    if not set(audience.roles) <= set(ROLES) or not set(audience.interests) <= set(INTERESTS):
        raise NotAllowed("an unknown role or interest")
    if audience.language is not None and audience.language not in LANGUAGES:
        raise NotAllowed("an unknown language")


async def recipients(
    db: Database, settings: Settings, audience: Audience, roles: Roles
) -> list[int]:
    """Who gets it now: approved members who want announcements, within her regions and the
    audience's choices. Raises NotAllowed (see `check`)."""
    check(audience, roles)
    regions: Iterable[str] | None = audience.regions or (
        None if roles.coordinator else allowed_regions(roles)
    )
    members = await audience_members(db, regions=regions)
    if audience.roles:
        leads = await leads_granted(db)
        coordinators = await coordinators_granted(db) | set(settings.coordinator_ids)
    wanted_interests = set(audience.interests)
    chosen: list[int] = []
    for member in members:
        if wanted_interests and not wanted_interests & set(member.interests):
            continue
        if audience.language is not None:
            lang = resolve_language(member.language, member.telegram_language)
            if lang != audience.language:
                continue
        if audience.roles:
            role = (
                "coordinator"
                if member.user_id in coordinators
                else "lead"
                if member.user_id in leads
                else "member"
            )
            if role not in audience.roles:
                continue
        chosen.append(member.user_id)
    return chosen


# -- when: a date and a time in TIMEZONE ------------------------------------------------------

_WHEN_RE = re.compile(r"^\s*(\d{1,2})[./-](\d{1,2})(?:[./-](\d{4}))?[\s,]+(\d{1,2})[:.](\d{2})\s*$")
_ISO_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})[\sT,]+(\d{1,2})[:.](\d{2})\s*$")


def parse_when(text: str, tz: ZoneInfo, now: datetime) -> datetime | None:
    """ "25.12.2026 18:00", "25.12 18:00" (this year, or the next if that day has passed),
    "2026-12-25 18:00": a moment in `tz`, returned in UTC. None if it does not read as one."""
    if match := _ISO_RE.match(text):
        year, month, day, hour, minute = (int(g) for g in match.groups())
        given_year = True
    elif match := _WHEN_RE.match(text):
        day, month = int(match.group(1)), int(match.group(2))
        given_year = match.group(3) is not None
        year = int(match.group(3)) if given_year else now.astimezone(tz).year
        hour, minute = int(match.group(4)), int(match.group(5))
    else:
        return None
    try:
        moment = datetime.combine(date(year, month, day), time(hour, minute), tzinfo=tz)
    except ValueError:
        return None
    if not given_year and moment < now:
        try:
            moment = moment.replace(year=year + 1)
        except ValueError:  # 29 February
            return None
    return moment.astimezone(now.tzinfo)


def quick_times(tz: ZoneInfo, now: datetime) -> list[datetime]:
    """Moments offered as buttons: today at 18:00 (if still ahead), tomorrow at 9:00 and 18:00."""
    local = now.astimezone(tz)
    today, tomorrow = local.date(), local.date() + timedelta(days=1)
    moments = [
        datetime.combine(today, time(18, 0), tzinfo=tz),
        datetime.combine(tomorrow, time(9, 0), tzinfo=tz),
        datetime.combine(tomorrow, time(18, 0), tzinfo=tz),
    ]
    return [m.astimezone(now.tzinfo) for m in moments if m > local + timedelta(minutes=10)]


def schedulable(when: datetime, now: datetime) -> bool:
    """In the future, and not more than a year ahead."""
    return now < when <= now + SCHEDULE_HORIZON
