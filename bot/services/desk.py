"""What waits for a coordinator or a regional lead: membership requests, new reports, and
reports still new after 48 hours. Counted from the database whenever she looks, so what came in
before she first wrote to the bot (when nobody could tell her) is there too."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.config import Settings
from bot.i18n import Translator
from bot.services.reports import RAISE_AFTER
from bot.services.roles import Roles, may_see_reports
from db.engine import Database
from db.members import count_members
from db.report_desk import count_by_status, new_before
from db.reports import ReportInfo
from db.types import utcnow

STALE_NAMED = 10  # reports still new after 48 hours named by reference; the rest counted


@dataclass(frozen=True, slots=True)
class Waiting:
    requests: int = 0  # membership requests she may decide
    new_reports: int | None = None  # None: she does not see reports
    stale: tuple[ReportInfo, ...] = field(default_factory=tuple)  # new after 48 hours

    @property
    def anything(self) -> bool:
        return bool(self.requests or self.new_reports or self.stale)


async def waiting(db: Database, settings: Settings, roles: Roles) -> Waiting:
    """What waits for her, within her regions when she is a regional lead."""
    if not roles.privileged:
        return Waiting()
    regions = roles.visible_regions()
    counts = await count_members(db, regions=regions)
    requests = sum(n for (_region, status), n in counts.items() if status == "pending")
    if not may_see_reports(roles, settings):
        return Waiting(requests)
    report_regions = None if regions is None else sorted(regions)
    new = (await count_by_status(db, regions=report_regions)).get("new", 0)
    stale = await new_before(db, utcnow() - RAISE_AFTER, regions=report_regions)
    return Waiting(requests, new, tuple(stale))


def waiting_lines(t: Translator, w: Waiting) -> list[str]:
    """One line per kind of thing that waits (plain text), or one saying nothing does."""
    lines = []
    if w.requests:
        lines.append(
            "⏳ " + t.gettext("Membership requests waiting: {count}").format(count=w.requests)
        )
    if w.new_reports:
        lines.append("🆕 " + t.gettext("New reports: {count}").format(count=w.new_reports))
    if w.stale:
        refs = ", ".join(report.ref for report in w.stale[:STALE_NAMED])
        if len(w.stale) > STALE_NAMED:
            refs += ", …"
        lines.append(
            "⏰ "
            + t.gettext("Still new after 48 hours ({count}): {refs}").format(
                count=len(w.stale), refs=refs
            )
        )
    return lines or [t.gettext("Nothing waits for you right now.")]
