"""Who may do what. Every privileged handler and button asks here, on the server side."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings
from db.engine import Database
from db.roles import coordinators_granted, grants_of, leads_of


@dataclass(frozen=True, slots=True)
class Roles:
    user_id: int
    coordinator: bool
    from_settings: bool  # listed in COORDINATOR_IDS: cannot be demoted from chat
    lead_regions: frozenset[str]

    @property
    def privileged(self) -> bool:
        return self.coordinator or bool(self.lead_regions)

    def can_manage_region(self, region: str) -> bool:
        """Approve members of, and see, a region: coordinators anywhere, leads in theirs."""
        return self.coordinator or region in self.lead_regions

    def visible_regions(self) -> frozenset[str] | None:
        """The regions whose members she may see; None means all."""
        return None if self.coordinator else self.lead_regions


async def roles_of(db: Database, settings: Settings, user_id: int) -> Roles:
    granted_coordinator, regions = await grants_of(db, user_id)
    from_settings = user_id in settings.coordinator_ids
    return Roles(user_id, from_settings or granted_coordinator, from_settings, regions)


async def is_coordinator(db: Database, settings: Settings, user_id: int) -> bool:
    return (await roles_of(db, settings, user_id)).coordinator


async def approvers_for(db: Database, settings: Settings, region: str) -> set[int]:
    """Who is asked to approve a member of `region`: every coordinator and its leads."""
    return (
        set(settings.coordinator_ids) | await coordinators_granted(db) | await leads_of(db, region)
    )


async def all_coordinators(db: Database, settings: Settings) -> set[int]:
    return set(settings.coordinator_ids) | await coordinators_granted(db)


def may_see_reports(roles: Roles, settings: Settings, region: str | None = None) -> bool:
    """Coordinators see every report; regional leads only with LEADS_SEE_REPORTS=true, and
    only those of their regions (any of them when `region` is None)."""
    if roles.coordinator:
        return True
    if not settings.leads_see_reports or not roles.lead_regions:
        return False
    return region is None or region in roles.lead_regions


async def report_viewers(db: Database, settings: Settings, region: str) -> set[int]:
    """Who is told of a new report from `region`."""
    viewers = await all_coordinators(db, settings)
    if settings.leads_see_reports:
        viewers |= await leads_of(db, region)
    return viewers
