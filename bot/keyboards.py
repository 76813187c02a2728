"""Buttons and the names of codes (regions, categories, statuses) shared by several handlers."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence
from datetime import date

from telegram import InlineKeyboardButton

from bot.i18n import N_, Translator
from bot.services.community import REGIONS
from bot.services.reports import CATEGORIES, HISTORY_EVENTS, OCCURRED, STATUSES

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


def history_name(t: Translator, code: str | None) -> str:
    """A status, or another event of a report's history."""
    return _label(t, HISTORY_EVENTS if code in HISTORY_EVENTS else STATUSES, code)


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


# How many characters a button label may have, by how many buttons share its row: on a 360-dp
# phone a button alone shows about 32 characters, two side by side about 18 each. Wider rows
# (3, 4, ...) get an even share of about 36 characters.
ROW_LIMITS: dict[int, int] = {1: 32, 2: 18}


def row_limit(buttons_in_row: int) -> int:
    """The most characters a label may have in a row of `buttons_in_row` buttons."""
    return ROW_LIMITS.get(buttons_in_row, max(1, 36 // max(buttons_in_row, 1) - 1))


def label_width(label: str) -> int:
    """Characters as they take room on a button: a pictograph (emoji, ✅, ◀) counts as two,
    variation selectors and joiners as none, everything else as one."""
    width = 0
    for ch in label:
        kind = unicodedata.category(ch)
        if kind in ("Mn", "Me", "Cf"):
            continue
        width += 2 if kind == "So" and ch != "№" else 1
    return width


def fits(labels: Sequence[str]) -> bool:
    """Whether these labels fit side by side in one row."""
    return all(label_width(label) <= row_limit(len(labels)) for label in labels)


def in_rows(
    buttons: Sequence[InlineKeyboardButton], per_row: int = 2
) -> list[list[InlineKeyboardButton]]:
    """Up to `per_row` buttons a row, in order, but only as many side by side as fit (see
    `fits`); a label too long to share its row gets a row of its own."""
    rows: list[list[InlineKeyboardButton]] = []
    i = 0
    while i < len(buttons):
        n = min(per_row, len(buttons) - i)
        while n > 1 and not fits([b.text for b in buttons[i : i + n]]):
            n -= 1
        rows.append(list(buttons[i : i + n]))
        i += n
    return rows


def region_rows(
    t: Translator, data: Callable[[str], str] | str
) -> list[list[InlineKeyboardButton]]:
    """The nine regions, two per row when every name fits, else one per row (a column is easier
    to scan than a ragged mix); each button's data is `data(code)` (a bot.callbacks Callback),
    or a prefix followed by the code."""
    make = data if callable(data) else data.__add__
    buttons = [
        InlineKeyboardButton(region_name(t, code), callback_data=make(code)) for code in REGIONS
    ]
    if all(fits([b.text, b.text]) for b in buttons):
        return in_rows(buttons, 2)
    return [[b] for b in buttons]


def nav_row(t: Translator, prefix: str, *, back: bool = True) -> list[InlineKeyboardButton]:
    """◀ Back and ✖ Cancel of a conversation whose buttons start with `prefix`."""
    row = [InlineKeyboardButton("✖ " + t.gettext("Cancel"), callback_data=f"{prefix}:cancel")]
    if back:
        row.insert(
            0, InlineKeyboardButton("◀ " + t.gettext("Back"), callback_data=f"{prefix}:back")
        )
    return row


def map_links(latitude: float, longitude: float) -> dict[str, str]:
    """A pin on OpenStreetMap and on 2GIS (the map most used in Kyrgyzstan)."""
    lat, lon = f"{latitude:.6f}", f"{longitude:.6f}"
    return {
        "OpenStreetMap": f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}",
        "2GIS": f"https://2gis.kg/geo/{lon}%2C{lat}?m={lon}%2C{lat}%2F17",
    }


def map_buttons(geo: tuple[float, float] | None) -> list[InlineKeyboardButton]:
    """The pin's map buttons (names of maps, not translated), none without a pin."""
    if geo is None:
        return []
    return [InlineKeyboardButton("🗺 " + name, url=url) for name, url in map_links(*geo).items()]
