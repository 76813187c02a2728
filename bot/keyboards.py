"""Buttons and the names of codes (regions, categories, statuses) shared by several handlers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from telegram import InlineKeyboardButton

from bot.i18n import Translator
from bot.services.community import REGIONS
from bot.services.reports import CATEGORIES, OCCURRED, STATUSES


def _label(t: Translator, table: dict[str, str], code: str | None) -> str:
    return t.gettext(table[code]) if code in table else (code or "—")


def region_name(t: Translator, code: str | None) -> str:
    """A region as the glossary names it, in her language ("—" when not given)."""
    return _label(t, REGIONS, code)


def category_name(t: Translator, code: str | None) -> str:
    return _label(t, CATEGORIES, code)


def status_name(t: Translator, code: str | None) -> str:
    return _label(t, STATUSES, code)


def occurred_name(t: Translator, value: str | None) -> str:
    """The day it happened (YYYY-MM-DD), or the days (YYYY-MM-DD/YYYY-MM-DD); words kept by
    older versions (today, this week…) are shown as such."""
    if value in OCCURRED:
        return t.gettext(OCCURRED[value])
    try:
        days = [date.fromisoformat(part) for part in (value or "").split("/")]
    except ValueError:
        return value or "—"
    return " – ".join(t.format_date(day) for day in days)


def in_rows(
    buttons: Sequence[InlineKeyboardButton], per_row: int = 2
) -> list[list[InlineKeyboardButton]]:
    return [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


def region_rows(t: Translator, callback_prefix: str) -> list[list[InlineKeyboardButton]]:
    """The nine regions, two per row; each button's data is `callback_prefix` + its code."""
    return in_rows(
        [
            InlineKeyboardButton(region_name(t, code), callback_data=f"{callback_prefix}{code}")
            for code in REGIONS
        ]
    )


def nav_row(t: Translator, prefix: str, *, back: bool = True) -> list[InlineKeyboardButton]:
    """◀ Back and ✖ Cancel of a conversation whose buttons start with `prefix`."""
    row = [InlineKeyboardButton("✖ " + t.gettext("Cancel"), callback_data=f"{prefix}:cancel")]
    if back:
        row.insert(
            0, InlineKeyboardButton("◀ " + t.gettext("Back"), callback_data=f"{prefix}:back")
        )
    return row
