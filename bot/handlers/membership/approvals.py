"""Membership requests: the coordinators and the leads of her region decide."""

from __future__ import annotations

import html
import logging
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MaybeInaccessibleMessage,
    Message,
    Update,
)
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.callbacks import DECIDE_MEMBER
from bot.context import BotContext
from bot.delivery import Recipient, Rendered, renderer
from bot.handlers.membership.steps import occupation_name
from bot.i18n import Translator
from bot.keyboards import region_name
from bot.menu import main_menu_keyboard
from bot.notify import to_each
from bot.replies import message_html, replace_buttons
from bot.services.roles import approvers_for, roles_of
from db.members import decide, get_member
from db.outbox import Outgoing

log = logging.getLogger(__name__)

DECIDE = DECIDE_MEMBER


def request_buttons(t: Translator, user_id: int) -> list[InlineKeyboardButton]:
    """Approve / Decline for one request."""
    return [
        InlineKeyboardButton(
            "✅ " + t.gettext("Approve"), callback_data=DECIDE("approve", user_id)
        ),
        InlineKeyboardButton("✖ " + t.gettext("Decline"), callback_data=DECIDE("decline", user_id)),
    ]


async def approvers_told(context: BotContext, user_id: int, region: str) -> list[Outgoing]:
    """The request of a new member, for the coordinators and her region's leads."""
    approvers = await approvers_for(context.db, context.settings, region)
    approvers.discard(user_id)
    return to_each(approvers, "member.request", {"member": user_id})


@renderer("member.request")
async def render_request(r: Recipient) -> Rendered | None:
    """A membership request with Approve / Decline (not sent once it has been decided)."""
    member = await get_member(r.app.db, int(r.params["member"]))
    if member is None or member.status != "pending":
        return None
    t = r.t
    text = t.gettext("<b>New membership request</b>\n{name} — {region}, {occupation}").format(
        name=html.escape(member.name),
        region=region_name(t, member.region),
        occupation=occupation_name(t, member.occupation),
    )
    return Rendered(text, InlineKeyboardMarkup([request_buttons(t, member.user_id)]))


@renderer("member.decided")
async def render_decision(r: Recipient) -> Rendered:
    """She is told whether her membership was approved."""
    t = r.t
    if r.params.get("approved"):
        return Rendered(
            t.gettext("Your membership of the solidarity community is approved. Welcome!"),
            main_menu_keyboard(t),
        )
    return Rendered(
        t.gettext(
            "Your membership request was not approved, and the details you sent were "
            "erased. You can send /join to apply again."
        )
    )


def _buttons_without(
    message: MaybeInaccessibleMessage | None, user_id: int
) -> list[list[InlineKeyboardButton]]:
    """The buttons of a message, less those about one person."""
    if not isinstance(message, Message) or message.reply_markup is None:
        return []
    rows = [
        [b for b in row if (DECIDE.parse(str(b.callback_data)) or (None, None))[1] != user_id]
        for row in message.reply_markup.inline_keyboard
    ]
    return [row for row in rows if row]


async def decide_membership(update: Update, context: BotContext) -> None:
    """Approve / Decline, by a coordinator or the lead of her region only."""
    query = update.callback_query
    assert query is not None and update.effective_user
    action, target_id = DECIDE.values(context.match)
    t = context.t
    actor = await roles_of(context.db, context.settings, update.effective_user.id)
    member = await get_member(context.db, target_id)
    if member is None or member.status != "pending":
        await query.answer(t.gettext("This request has already been decided."), show_alert=True)
        return
    if not actor.can_manage_region(member.region):
        log.warning(
            "Refused membership decision on %s to user %s (no role for region %s)",
            target_id,
            actor.user_id,
            member.region,
        )
        await query.answer(
            t.gettext("Only coordinators and the lead of her region can decide."), show_alert=True
        )
        return
    approve = action == "approve"
    decided = await decide(
        context.db,
        target_id,
        approve=approve,
        actor_id=actor.user_id,
        outbox=to_each([target_id], "member.decided", {"approved": approve}),
    )
    if decided is None:
        await query.answer(t.gettext("This request has already been decided."), show_alert=True)
        return
    verdict = t.gettext("Approved") if approve else t.gettext("Declined")
    others = _buttons_without(query.message, target_id)
    if others:
        # A page of several requests (/members): only hers leave it.
        await query.answer(f"{verdict}: {member.name}")
        await replace_buttons(query, InlineKeyboardMarkup(others))
    else:
        await query.answer()
        await query.edit_message_text(f"{message_html(query.message)}\n→ {verdict}")
    context.app.wake_sender()


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [CallbackQueryHandler(decide_membership, pattern=DECIDE.pattern)]
