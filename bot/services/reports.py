"""Incident reports: categories, statuses and the rules between them (no Telegram here).
The rules that need the database call db/reports.py, which stores what they decide."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from bot.i18n import N_
from db.engine import Database
from db.outbox import Outgoing
from db.report_desk import set_status, still_new
from db.reports import ReportInfo, get_report, reports_of
from db.types import utcnow

# The list in ../shared/GLOSSARY.md (section 4), in that order.
CATEGORIES: dict[str, str] = {
    "torture": N_("Torture or ill-treatment"),
    "violence_women": N_("Violence against women, at home"),
    "violence_children": N_("Violence against children"),
    "sexual_violence": N_("Sexual violence"),
    "bride_kidnapping": N_("Bride kidnapping"),
    "forced_marriage": N_("Early or forced marriage"),
    "discrimination": N_("Discrimination"),
    "trafficking": N_("Human trafficking"),
    "corruption": N_("Corruption"),
    "participation": N_("Obstructing women in politics"),
    "hate": N_("Threats, hate speech, radicalism"),
    "detention": N_("Rights abuses in detention"),
    "defenders": N_("Pressure on rights defenders"),
    "other": N_("Other"),
}

STATUSES: dict[str, str] = {
    "new": N_("new"),
    "in_review": N_("in review"),
    "referred": N_("referred"),
    "resolved": N_("resolved"),
    "closed": N_("closed"),
    "withdrawn": N_("withdrawn"),  # by the reporter herself; nobody moves it after that
}

# What else a report's history tells besides its statuses: a danger alert raised it before
# she sent the form, and when she sent it (db/reports.py).
HISTORY_EVENTS: dict[str, str] = {"alert": N_("alert raised"), "sent": N_("sent by her")}

# new → in review → referred → resolved, or closed as not actionable; a finished report can
# be opened again for review ("reopened").
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("in_review", "closed"),
    "in_review": ("referred", "resolved", "closed"),
    "referred": ("in_review", "resolved", "closed"),
    "resolved": ("in_review",),
    "closed": ("in_review",),
}

# Finished reports: reopening one moves it back to review.
FINISHED = ("resolved", "closed")

# Why a report is closed, as a coordinator picks it (a short button label) and as the reporter
# reads it, in her language. A coordinator may also write a reason in her own words.
CLOSE_REASONS: dict[str, tuple[str, str]] = {
    "too_little": (
        N_("Not enough to act on"),
        N_("There was not enough information for the coordinators to act on."),
    ),
    "outside": (
        N_("Outside what we do"),
        N_("It is outside what the community can help with; the help lines may be able to."),
    ),
    "duplicate": (
        N_("Same as another report"),
        N_("It is the same as another report, which the coordinators follow."),
    ),
    "asked": (N_("She asked to close it"), N_("You asked for it to be closed.")),
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


def is_reopening(current: str, target: str) -> bool:
    """A finished report back to review."""
    return current in FINISHED and target == "in_review"


def may_withdraw(status: str) -> bool:
    """Whether she may still withdraw her report (not once it is settled)."""
    return status in ("new", "in_review", "referred")


def takes_answers(status: str) -> bool:
    """Whether the reporter may still answer the coordinators' replies (not once it is
    closed; she can file a new report)."""
    return status != "closed"


async def move_report(
    db: Database,
    report_id: int,
    target: str,
    *,
    actor_id: int,
    outbox: Callable[[int | None], Sequence[Outgoing]] | Sequence[Outgoing] = (),
    reply: str | None = None,
) -> str | None:
    """Move a report along if the rules allow it from where it is now; returns the status it
    had, or None if the move is not allowed (any more: another coordinator may have moved it).
    `outbox`: the messages that tell of the move, kept only if it is made; `reply`: a reason in
    the coordinator's words, kept in the thread (`outbox` may then be a function of its id)."""
    if target not in STATUSES:
        return None
    allowed_from = [current for current in TRANSITIONS if can_move(current, target)]
    return await set_status(
        db,
        report_id,
        target,
        actor_id=actor_id,
        only_from=allowed_from,
        outbox=outbox,
        reply=reply,
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
