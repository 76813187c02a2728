"""Incident reports: categories, statuses and the rules between them (no Telegram here)."""

from __future__ import annotations

from bot.i18n import N_

# The list in ../shared/GLOSSARY.md (section 4), in that order.
CATEGORIES: dict[str, str] = {
    "torture": N_("Torture or ill-treatment"),
    "violence_women": N_("Violence against women / domestic violence"),
    "violence_children": N_("Violence against children"),
    "sexual_violence": N_("Sexual violence"),
    "bride_kidnapping": N_("Bride kidnapping"),
    "forced_marriage": N_("Early or forced marriage"),
    "discrimination": N_("Discrimination"),
    "trafficking": N_("Human trafficking"),
    "corruption": N_("Corruption"),
    "participation": N_("Obstruction of women's political participation"),
    "hate": N_("Threats, hate speech or radicalism"),
    "detention": N_("Rights violations in places of detention"),
    "defenders": N_("Pressure on human-rights defenders"),
    "other": N_("Other"),
}

STATUSES: dict[str, str] = {
    "new": N_("new"),
    "in_review": N_("in review"),
    "referred": N_("referred"),
    "resolved": N_("resolved"),
    "closed": N_("closed"),
}

# new → in review → referred → resolved, or closed as not actionable; a finished report can
# be opened again for review.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("in_review", "closed"),
    "in_review": ("referred", "resolved", "closed"),
    "referred": ("in_review", "resolved", "closed"),
    "resolved": ("in_review",),
    "closed": ("in_review",),
}

OCCURRED: dict[str, str] = {
    "today": N_("Today"),
    "yesterday": N_("Yesterday"),
    "week": N_("This week"),
    "earlier": N_("Earlier"),
}

MAX_ATTACHMENTS = 10
MAX_FILE_BYTES = 20 * 1024 * 1024  # the Bot API's download limit
RAISE_AFTER_HOURS = 48


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, ())


def reference(year: int, number: int) -> str:
    """R-2026-0042: the year and the report's number within it."""
    return f"R-{year}-{number:04d}"
