"""Every button the bot sends fits its row on a 360-dp phone (the rule of `bot.keyboards`).

The end-to-end fixtures check each keyboard the sandbox accepted during a test (every
`reply_markup` of every call, inline and reply keyboards alike). Keyboards built in handler code
that still break the rule are listed in `KNOWN`, each waiting for a code change; a label not
listed fails the test. `BUTTON_CHECK=all make pytest` reports the known ones too.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.keyboards import label_width, row_limit


@dataclass(frozen=True, slots=True)
class WideButton:
    method: str
    label: str
    width: int
    limit: int
    in_row: int

    def __str__(self) -> str:
        where = f"{self.in_row} to a row"
        return f"{self.method}: {self.label!r} is {self.width} wide, {self.limit} fit {where}"


def wide_buttons(calls: Iterable[tuple[str, dict[str, Any]]]) -> list[WideButton]:
    """The labels, in every keyboard of `calls`, longer than their row allows."""
    found: list[WideButton] = []
    for method, params in calls:
        markup = params.get("reply_markup")
        if not isinstance(markup, dict):
            continue
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        for row in rows:
            labels = [b if isinstance(b, str) else str(b.get("text", "")) for b in row]
            limit = row_limit(len(labels))
            found += [
                WideButton(method, label, label_width(label), limit, len(labels))
                for label in labels
                if label_width(label) > limit
            ]
    return found


# Keyboards laid out in handler code (bot/handlers/) that still break the rule, each waiting
# for the code change named beside it. None now: the reports list's buttons carry the reference
# and the day only, and the card's rows are laid out with in_rows.
KNOWN: tuple[re.Pattern[str], ...] = ()


def unexpected_wide_buttons(calls: Iterable[tuple[str, dict[str, Any]]]) -> list[WideButton]:
    found = wide_buttons(calls)
    if os.environ.get("BUTTON_CHECK") == "all":
        return found
    return [w for w in found if not any(p.fullmatch(w.label) for p in KNOWN)]
