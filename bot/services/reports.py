"""Incident reports: categories, statuses and the rules between them (no Telegram here).
The rules that need the database call db/reports.py, which stores what they decide."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.i18n import N_
from db.engine import Database
from db.outbox import Outgoing
from db.reports import ReportInfo, get_report, reports_of, set_status, still_new
from db.types import utcnow

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
# A report still new this long after it arrived is raised again to every coordinator.
RAISE_AFTER = timedelta(hours=48)
# Report times are kept to the day (its start, see db.engine.Database.day): a report of day D
# arrived at the latest at the end of D, so it is raised once 48 hours have passed since then,
# never earlier than 48 hours after it arrived (and at most a day later).
DAY = timedelta(days=1)


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, ())


async def move_report(
    db: Database,
    report_id: int,
    target: str,
    *,
    actor_id: int,
    outbox: Sequence[Outgoing] = (),
) -> str | None:
    """Move a report along if the rules allow it from where it is now; returns the status it
    had, or None if the move is not allowed (any more: another coordinator may have moved it).
    `outbox`: the messages that tell of the move, kept only if it is made."""
    if target not in STATUSES:
        return None
    allowed_from = [current for current in TRANSITIONS if can_move(current, target)]
    return await set_status(
        db, report_id, target, actor_id=actor_id, only_from=allowed_from, outbox=outbox
    )


async def stored_bytes(db: Database, user_id: int) -> int:
    """How many bytes of files her reports hold, all together."""
    total = 0
    for brief in await reports_of(db, user_id):
        report = await get_report(db, brief.id)
        total += sum(a.size for a in report.attachments) if report else 0
    return total


async def due_for_raising(db: Database, now: datetime | None = None) -> list[ReportInfo]:
    """Reports still new after 48 hours, not raised again within the last 48 hours (both
    counted from the end of the day they are dated, see DAY)."""
    return await still_new(db, (now or utcnow()) - RAISE_AFTER - DAY)
