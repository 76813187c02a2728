"""Who may see what on the desk. Every command and button asks here, on the server: callback
data can be forged. Coordinators may do anything; regional leads read the reports of their
regions when LEADS_SEE_REPORTS=true, and only read."""

from __future__ import annotations

import logging

from telegram import Update

from bot.context import BotContext
from bot.replies import refuse
from bot.services.community import REGIONS
from bot.services.roles import Roles, may_see_reports, roles_of
from db.reports import ReportInfo, get_report

log = logging.getLogger(__name__)


async def allowed(
    update: Update, context: BotContext, action: str, *, region: str | None = None, write: bool
) -> Roles | None:
    """Her roles if she may do this, else None after refusing her and logging the attempt."""
    user = update.effective_user
    roles = await roles_of(context.db, context.settings, user.id) if user else None
    if roles is not None and (
        roles.coordinator if write else may_see_reports(roles, context.settings, region)
    ):
        return roles
    log.warning("Refused %s to user %s", action, user.id if user else None)
    await refuse(update, context.t.gettext("This is only for coordinators."))
    return None


async def load(
    update: Update, context: BotContext, action: str, report_id: int, *, write: bool
) -> tuple[Roles, ReportInfo] | None:
    """The role first (a refused person learns nothing, not even whether the report exists),
    then the report and its region."""
    roles = await allowed(update, context, action, write=write)
    if roles is None:
        return None
    report = await get_report(context.db, report_id)
    if report is None and roles.coordinator:
        await refuse(update, context.t.gettext("This report no longer exists."))
        return None
    if report is None or not may_see_reports(roles, context.settings, report.region):
        user = update.effective_user
        log.warning("Refused %s of report %s to user %s", action, report_id, user and user.id)
        await refuse(update, context.t.gettext("This is only for coordinators."))
        return None
    return roles, report


def visible_regions(roles: Roles, region: str | None) -> list[str] | None:
    """The regions a list may show: the filter, within hers for a lead; None means all."""
    if roles.coordinator:
        return None if region is None else [region]
    if region is not None:
        return [region] if region in roles.lead_regions else []
    return [code for code in REGIONS if code in roles.lead_regions]
