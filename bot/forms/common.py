"""Questions several forms ask the same way."""

from __future__ import annotations

from typing import Any

from bot.forms.long_text import question, text_step
from bot.forms.steps import Incoming, Input, Option, Refused, Show, Step
from bot.forms.turn import Turn
from bot.i18n import N_, Translator
from bot.keyboards import region_name
from bot.services.community import REGIONS, match_region

__all__ = ["accept_region", "question", "reason_step", "region_options", "region_step"]


def region_options(t: Translator, _draft: dict[str, Any]) -> list[Option]:
    return [Option(code, region_name(t, code)) for code in REGIONS]


async def accept_region(turn: Turn, incoming: Incoming) -> bool:
    """A button, or a region typed as words ("Нарын", "naryn", "Ош шаары")."""
    code = incoming.value if incoming.kind == Input.BUTTON else match_region(incoming.text or "")
    if code not in REGIONS:
        raise Refused(
            turn.t.gettext("I could not tell which region that is. Please tap one of the buttons.")
        )
    turn.draft["region"] = code
    return True


def region_step(ask: Show) -> Step:
    """Which region (kept as "region"): the nine, as buttons or typed."""
    return Step(
        "region",
        ask,
        Input.BUTTON | Input.TEXT,
        accept_region,
        options=region_options,
        label=N_("Region"),
        show=lambda t, d: region_name(t, d.get("region")),
        per_row=2,
    )


def reason_step(ask: str, max_chars: int) -> Step:
    """A reason in her own words (kept as "reason"), sent as written: one message, at most
    `max_chars` characters (a longer one is kept for her to shorten, or cut)."""
    return text_step("reason", ask, max_chars, N_("Reason"))
