"""Who may do what with events, checked on the server for every command and button (button
data can be forged): members read and answer; regional leads announce and manage the events of
their regions; coordinators those of every region and of the whole country."""

from __future__ import annotations

import logging

from telegram import Update

from bot.context import BotContext
from bot.replies import refuse
from bot.services.roles import Roles, roles_of
from db.events import EventInfo, get_event
from db.members import get_member

log = logging.getLogger(__name__)


def may_manage(roles: Roles, event: EventInfo) -> bool:
    """Coordinators: any event; a lead: the events of her regions (not the whole country's)."""
    return roles.coordinator or (event.region is not None and event.region in roles.lead_regions)


async def organiser(
    update: Update, context: BotContext, action: str, *, announcing: bool = False
) -> Roles | None:
    """A regional lead or a coordinator; anyone else is refused (and it is logged)."""
    user = update.effective_user
    roles = await roles_of(context.db, context.settings, user.id) if user else None
    if roles is not None and roles.privileged:
        return roles
    log.warning("Refused %s to user %s (no role)", action, user.id if user else None)
    t = context.t
    await refuse(
        update,
        t.gettext("Only regional leads and coordinators can announce events.")
        if announcing
        else t.gettext("This is only for coordinators and regional leads."),
    )
    return None


async def managed_event(
    update: Update, context: BotContext, event_id: int, action: str
) -> tuple[Roles, EventInfo] | None:
    """The role first (a refused person learns nothing, not even whether the event exists),
    then the event and its region."""
    roles = await organiser(update, context, action)
    if roles is None:
        return None
    event = await get_event(context.db, event_id)
    if event is None or not may_manage(roles, event):
        user = update.effective_user
        log.warning("Refused %s of event %s to user %s", action, event_id, user and user.id)
        await refuse(
            update,
            context.t.gettext(
                "Only coordinators and the leads of its region can manage this event."
            ),
        )
        return None
    return roles, event


async def may_browse(update: Update, context: BotContext) -> Roles | None:
    """/events: approved members, and leads and coordinators (who may not be members)."""
    user = update.effective_user
    if user is None:
        return None
    roles = await roles_of(context.db, context.settings, user.id)
    if roles.privileged:
        return roles
    member = await get_member(context.db, user.id)
    if member is not None and member.status == "approved":
        return roles
    return None
