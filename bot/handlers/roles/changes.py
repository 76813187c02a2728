"""/roles: the buttons that change a member's roles (audited). She is told in her language and
her command menu follows; coordinators named in COORDINATOR_IDS cannot be changed from chat,
and nobody changes her own roles."""

from __future__ import annotations

import logging
from collections.abc import Callable

from telegram import Update

from bot.context import BotContext
from bot.delivery import Recipient, Rendered, renderer
from bot.menu import refresh_commands
from bot.notify import to_each
from bot.replies import edit_or_send, refuse, require_coordinator
from bot.services.roles import Roles, roles_of
from db.roles import set_grants

from .callbacks import CARD, COORDINATOR, LEAD, MEMBER_ONLY, SAVE, TOGGLE, mask_of, regions_of
from .card import Target, card_view, lead_picker_view, load_target, news_text, problem_of

log = logging.getLogger(__name__)


async def _load(
    update: Update, context: BotContext, action: str, user_id: int
) -> tuple[int, Target] | None:
    """Coordinator check, then the person named in the button; None if refused or gone."""
    if not await require_coordinator(update, context, action):
        return None
    assert update.effective_user is not None
    target = await load_target(context, user_id)
    if target is None:
        await refuse(update, context.t.gettext("She is not a member."))
        return None
    return update.effective_user.id, target


async def _refused(update: Update, actor_id: int, target: Target, problem: str) -> None:
    log.warning("Refused role change of %s to %s: %s", target.user_id, actor_id, problem)
    await refuse(update, problem)


async def _stale(update: Update, context: BotContext) -> None:
    await refuse(
        update, context.t.gettext("This button is no longer active. Send /start to open the menu.")
    )


# What a button asks her roles to become: (coordinator, lead regions), or None if the button
# carries something that cannot be (a stale or forged region mask).
Wanted = Callable[[Roles], tuple[bool, frozenset[str]] | None]


async def _change(
    update: Update, context: BotContext, action: str, user_id: int, wanted: Wanted
) -> None:
    """The role first, then the person, then whether this change may be made; then make it:
    save her new roles (audited), show the card, tell her, refresh her command menu."""
    loaded = await _load(update, context, action, user_id)
    if loaded is None:
        return
    actor_id, target = loaded
    roles = wanted(target.roles)
    if roles is None:
        await _stale(update, context)
        return
    coordinator, lead_regions = roles
    promoting = (coordinator and not target.roles.coordinator) or bool(
        lead_regions - target.roles.lead_regions
    )
    problem = problem_of(context.t, actor_id, target, promoting=promoting)
    if problem is not None:
        await _refused(update, actor_id, target, problem)
        return
    t = context.t
    uid = target.user_id
    if coordinator == target.roles.coordinator and lead_regions == target.roles.lead_regions:
        text, markup = card_view(t, actor_id, target)
        await edit_or_send(update, context, text, markup, notice=t.gettext("Nothing changed."))
        return
    await set_grants(
        context.db,
        uid,
        coordinator=coordinator,
        lead_regions=lead_regions,
        actor_id=actor_id,
        outbox=to_each([uid], "roles.changed"),
    )
    context.app.wake_sender()
    log.info("Roles of user %s changed by %s", uid, actor_id)
    fresh = await load_target(context, uid)
    assert fresh is not None
    await refresh_commands(context.app, uid)
    note = "✅ " + t.gettext("Saved. She will be told.")
    text, markup = card_view(t, actor_id, fresh, note=note)
    await edit_or_send(update, context, text, markup, notice=t.gettext("Saved."))


@renderer("roles.changed")
async def render_roles(r: Recipient) -> Rendered:
    """What she is now (as it is when the message leaves, should it have changed again)."""
    roles = await roles_of(r.app.db, r.app.settings, r.chat_id)
    return Rendered(news_text(r.t, roles))


async def show_card(update: Update, context: BotContext) -> None:
    """A member's card: who she is, her roles, and buttons to change them."""
    (user_id,) = CARD.values(context.match)
    loaded = await _load(update, context, "/roles card", user_id)
    if loaded is None:
        return
    actor_id, target = loaded
    text, markup = card_view(context.t, actor_id, target)
    await edit_or_send(update, context, text, markup)


async def toggle_coordinator(update: Update, context: BotContext) -> None:
    """Make her a coordinator, or take the role back."""
    (user_id,) = COORDINATOR.values(context.match)
    await _change(
        update,
        context,
        "/roles coordinator",
        user_id,
        lambda roles: (not roles.coordinator, roles.lead_regions),
    )


async def _lead_picker_for(
    update: Update, context: BotContext, user_id: int, mask: int | None
) -> None:
    loaded = await _load(update, context, "/roles lead", user_id)
    if loaded is None:
        return
    actor_id, target = loaded
    problem = problem_of(context.t, actor_id, target, promoting=True)
    if problem is not None:
        await _refused(update, actor_id, target, problem)
        return
    if mask is None:
        mask = mask_of(target.roles.lead_regions)
    if regions_of(mask) is None:
        await _stale(update, context)
        return
    text, markup = lead_picker_view(context.t, target, mask)
    await edit_or_send(update, context, text, markup)


async def pick_lead_regions(update: Update, context: BotContext) -> None:
    """The regions she leads, as toggles (the selection travels in the buttons), and Save."""
    (user_id,) = LEAD.values(context.match)
    await _lead_picker_for(update, context, user_id, None)


async def toggle_lead_region(update: Update, context: BotContext) -> None:
    """One region selected or cleared; nothing is saved yet."""
    user_id, mask = TOGGLE.values(context.match)
    await _lead_picker_for(update, context, user_id, mask)


async def save_lead_regions(update: Update, context: BotContext) -> None:
    """Save the selected regions as the ones she leads."""
    user_id, mask = SAVE.values(context.match)

    def wanted(roles: Roles) -> tuple[bool, frozenset[str]] | None:
        regions = regions_of(mask)
        return None if regions is None else (roles.coordinator, regions)

    await _change(update, context, "/roles save lead", user_id, wanted)


async def remove_roles(update: Update, context: BotContext) -> None:
    """ "Member only": take away every role given in chat."""
    (user_id,) = MEMBER_ONLY.values(context.match)
    await _change(
        update, context, "/roles member only", user_id, lambda _roles: (False, frozenset())
    )
