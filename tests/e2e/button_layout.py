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

from bot.i18n import LANGUAGES
from bot.keyboards import label_width, row_limit
from tests.texts import tr


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


# Keyboards laid out in handler code (bot/handlers/), which the issue-13 branch did not change;
# each waits for the code change named beside it (listed in that branch's report).
KNOWN: tuple[re.Pattern[str], ...] = (
    # reports_admin.row_label: the whole report line on one button -> a short label (reference
    # and date), the region, category and status in the message text.
    re.compile(r"(⚠️ )?R-\d{4}-\d{4} · .+ · .+ · .+ · .+"),
    # reports_admin card: "Reply to the reporter" and "Internal note" side by side -> in_rows().
    *(re.compile(re.escape("✉️ " + tr(lang, "Reply to the reporter"))) for lang in LANGUAGES),
)


def unexpected_wide_buttons(calls: Iterable[tuple[str, dict[str, Any]]]) -> list[WideButton]:
    found = wide_buttons(calls)
    if os.environ.get("BUTTON_CHECK") == "all":
        return found
    return [w for w in found if not any(p.fullmatch(w.label) for p in KNOWN)]
