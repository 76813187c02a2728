"""Callback data: built and parsed in one place.

Every button's data is a prefix and a few fields joined by ":", e.g. ``rep:open:42``. Each kind
of button is one `Callback`: it builds the data (checked against Telegram's 64 bytes), gives
the pattern a `CallbackQueryHandler` routes on, and parses the data back into typed values.
Data that does not parse (forged, or from an older version of the bot) matches no pattern and
ends at the stale-button handler, which answers it: never an exception, never a spinning button.

The buttons of one feature are defined in that feature's handlers; those that one feature builds
and another handles (the menu's entries, "Open" on a report, "Answer" under a reply, Approve /
Decline of a member) are defined here, at the end.

Usage::

    OPEN = Callback("rep:open", ID)
    InlineKeyboardButton("Open", callback_data=OPEN(report.id))
    CallbackQueryHandler(open_card, pattern=OPEN.pattern)
    (report_id,) = OPEN.values(context.match)   # inside the handler
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from bot.i18n import LANGUAGES
from bot.services.community import REGIONS
from bot.services.reports import CATEGORIES, STATUSES

MAX_BYTES = 64  # Telegram's limit for callback_data


@dataclass(frozen=True, slots=True)
class Field:
    """One part of callback data: what it may look like, and how it becomes a value."""

    regex: str
    convert: Callable[[str], Any] = str


# Database ids (up to 12 digits: a forged 20-digit id does not parse), Telegram user ids (up to
# 52 bits: 16 digits), page numbers, codes.
ID = Field(r"\d{1,12}", int)
# Telegram user ids have at most 52 significant bits: up to 16 digits.
USER_ID = Field(r"\d{1,16}", int)
PAGE = Field(r"\d{1,4}", int)
CODE = Field(r"[a-z0-9_]{1,24}")


def choice(values: Iterable[str]) -> Field:
    """One of a fixed set of words (e.g. the region codes)."""
    return Field("|".join(re.escape(v) for v in values))


def optional(field: Field) -> Field:
    """The field, or "-" for "any" (e.g. a filter not set), given back as None."""
    return Field(f"{field.regex}|-", lambda v: None if v == "-" else field.convert(v))


OPTIONAL_CODE = optional(CODE)  # a code, or "-" for "any" (filters), given back as None


class Callback:
    """One kind of button: ``prefix`` and its fields."""

    __slots__ = ("fields", "pattern", "prefix")

    def __init__(self, prefix: str, *fields: Field) -> None:
        self.prefix = prefix
        self.fields = fields
        parts = [re.escape(prefix), *(f"({f.regex})" for f in fields)]
        # \Z, not $: "$" would also match before a trailing newline, and PTB routes with
        # re.match, so "rep:open:42\n" would pass for "rep:open:42".
        self.pattern = re.compile("^" + ":".join(parts) + r"\Z")

    def __call__(self, *values: object) -> str:
        """The callback data for these values (None stands for "-")."""
        if len(values) != len(self.fields):
            raise TypeError(f"{self.prefix} takes {len(self.fields)} values, got {len(values)}")
        data = ":".join([self.prefix, *("-" if v is None else str(v) for v in values)])
        if len(data.encode("utf-8")) > MAX_BYTES:
            raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
        if not self.pattern.fullmatch(data):
            raise ValueError(f"callback data does not parse back: {data!r}")
        return data

    def values(self, match: re.Match[str] | None) -> tuple[Any, ...]:
        """The typed values of a match of `pattern` (as PTB puts it in ``context.match``)."""
        if match is None:
            raise ValueError(f"{self.prefix}: no match")
        return tuple(f.convert(v) for f, v in zip(self.fields, match.groups(), strict=True))

    def parse(self, data: str | None) -> tuple[Any, ...] | None:
        """The typed values of `data`, or None if it is not this kind of button."""
        match = self.pattern.fullmatch(data or "")
        return None if match is None else self.values(match)


LANG = choice(LANGUAGES)  # ky, ru or en

# -- buttons one feature builds and another handles ------------------------------------------

MENU_HOME = Callback("menu:home")  # the main menu (bot/menu.py), handled by handlers/start
MENU_LANGUAGE = Callback("menu:language")
MENU_HELP = Callback("menu:help")
HELP_LINES = Callback("menu:helplines")  # ☎ Help lines, from the menu: handlers/reports
LANGUAGE = Callback("lang", LANG)  # a language button, anywhere
RESOLUTION = Callback("res:toc")  # the resolution's contents, in her language
JOIN_START = Callback("join:start")  # handlers/membership
REPORT_START = Callback("rpt:start")  # handlers/reports
# A report's card on the coordinators' desk (handlers/reports_desk); in notices and reminders.
OPEN_REPORT = Callback("rep:open", ID)
# ✉️ A reply to the reporter, relayed (handlers/reports_desk); also in a danger alert.
REPLY_TO_REPORTER = Callback("rep:reply", ID)
# "Answer" under a coordinators' reply: the reporter writes back (handlers/reports).
ANSWER_REPLY = Callback("my:answer", ID)
# Approve / Decline of a membership request (handlers/membership), also from the members desk.
DECIDE_MEMBER = Callback("mem", choice(("approve", "decline")), USER_ID)
# The desk: what waits for a coordinator or regional lead (handlers/desk), from the menu.
DESK_OPEN = Callback("desk")
# The members desk (handlers/members_desk), and a page of its list or of the pending requests
# (all her regions, or one); the scope is checked against her roles when pressed.
MEMBERS_DESK = Callback("members:desk")
MEMBERS_PAGE = Callback("members", choice(("list", "pend")), CODE, PAGE)
# A page of the reports list (handlers/reports_desk), with its filters: status, region,
# category (each "-" for any).
REPORTS_LIST = Callback(
    "rep:ls",
    optional(choice(STATUSES)),
    optional(choice(REGIONS)),
    optional(choice(CATEGORIES)),
    PAGE,
)
# Events (handlers/events): the menu entry, and the list of upcoming events it opens.
EVENTS_MENU = Callback("ev:menu")
