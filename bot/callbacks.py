"""Callback data: built and parsed in one place.

Every button's data is a prefix and a few fields joined by ":", e.g. ``rep:open:42``. Each kind
of button is one `Callback`: it builds the data (checked against Telegram's 64 bytes), gives
the pattern a `CallbackQueryHandler` routes on, and parses the data back into typed values.
Data that does not parse (forged, or from an older version of the bot) matches no pattern and
ends at the stale-button handler, which answers it: never an exception, never a spinning button.

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

MAX_BYTES = 64  # Telegram's limit for callback_data


@dataclass(frozen=True, slots=True)
class Field:
    """One part of callback data: what it may look like, and how it becomes a value."""

    regex: str
    convert: Callable[[str], Any] = str


# Database ids (up to 12 digits: a forged 20-digit id does not parse), Telegram user ids (up to
# 52 bits: 16 digits), page numbers, codes.
ID = Field(r"\d{1,12}", int)
USER = Field(r"\d{1,16}", int)
PAGE = Field(r"\d{1,4}", int)
CODE = Field(r"[a-z0-9_]{1,24}")
# A code, or "-" for "any" (filters), given back as None.
OPTIONAL_CODE = Field(r"[a-z0-9_]{1,24}|-", lambda v: None if v == "-" else v)


def choice(values: Iterable[str]) -> Field:
    """One of a fixed set of words (e.g. the region codes)."""
    return Field("|".join(re.escape(v) for v in values))


class Callback:
    """One kind of button: ``prefix`` and its fields."""

    __slots__ = ("fields", "pattern", "prefix")

    def __init__(self, prefix: str, *fields: Field) -> None:
        self.prefix = prefix
        self.fields = fields
        parts = [re.escape(prefix), *(f"({f.regex})" for f in fields)]
        self.pattern = re.compile("^" + ":".join(parts) + "$")

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
