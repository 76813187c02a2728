"""Buttons and the names of codes (regions, categories, statuses) shared by several handlers."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date

from telegram import InlineKeyboardButton

from bot.i18n import N_, Translator
from bot.services.community import REGIONS
from bot.services.reports import CATEGORIES, OCCURRED, STATUSES

# A membership's status, as coordinators and leads read it.
MEMBER_STATUSES: dict[str, str] = {"approved": N_("approved"), "pending": N_("pending")}


def _label(t: Translator, table: dict[str, str], code: str | None) -> str:
    return t.gettext(table[code]) if code in table else (code or "—")


def region_name(t: Translator, code: str | None) -> str:
    """A region as the glossary names it, in her language ("—" when not given)."""
    return _label(t, REGIONS, code)


def region_names(t: Translator, codes: Iterable[str]) -> str:
    """Several regions, in the order of the list, separated by commas."""
    chosen = set(codes)
    return ", ".join(region_name(t, code) for code in REGIONS if code in chosen)


def member_status_name(t: Translator, code: str | None) -> str:
    return _label(t, MEMBER_STATUSES, code)


def category_name(t: Translator, code: str | None) -> str:
    return _label(t, CATEGORIES, code)


def status_name(t: Translator, code: str | None) -> str:
    return _label(t, STATUSES, code)


def occurred_name(t: Translator, value: str | None) -> str:
    """today / yesterday / this week / earlier, or the date she gave (YYYY-MM-DD)."""
    if value in OCCURRED:
        return t.gettext(OCCURRED[value])
    try:
        return t.format_date(date.fromisoformat(value or ""), "medium")
    except ValueError:
        return value or "—"


def in_rows(
    buttons: Sequence[InlineKeyboardButton], per_row: int = 2
) -> list[list[InlineKeyboardButton]]:
    return [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


def region_rows(
    t: Translator, data: Callable[[str], str] | str
) -> list[list[InlineKeyboardButton]]:
    """The nine regions, two per row; each button's data is `data(code)` (a bot.callbacks
    Callback), or a prefix followed by the code."""
    make = data if callable(data) else data.__add__
    return in_rows(
        [InlineKeyboardButton(region_name(t, code), callback_data=make(code)) for code in REGIONS]
    )


def nav_row(t: Translator, prefix: str, *, back: bool = True) -> list[InlineKeyboardButton]:
    """◀ Back and ✖ Cancel of a conversation whose buttons start with `prefix`."""
    row = [InlineKeyboardButton("✖ " + t.gettext("Cancel"), callback_data=f"{prefix}:cancel")]
    if back:
        row.insert(
            0, InlineKeyboardButton("◀ " + t.gettext("Back"), callback_data=f"{prefix}:back")
        )
    return row
