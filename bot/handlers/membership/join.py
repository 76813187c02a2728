"""Joining the solidarity community (/join): the sign-up form."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler

from bot.callbacks import JOIN_START
from bot.context import BotContext
from bot.forms import Form, Turn
from bot.handlers.membership.approvals import approvers_told
from bot.handlers.membership.profile import show_profile
from bot.handlers.membership.steps import (
    CONSENT,
    DISTRICT,
    INTERESTS_STEP,
    NAME,
    OCCUPATION,
    PHONE,
    REGION,
    details_lines,
)
from bot.i18n import N_, Translator
from bot.menu import main_menu_keyboard, main_menu_text
from bot.replies import replace_buttons
from db.members import MemberDraft, create_member, get_member


def summary_text(t: Translator, draft: dict[str, Any]) -> str:
    return "\n".join([t.gettext("<b>Please check your details</b>"), *details_lines(t, draft)])


async def not_yet_a_member(turn: Turn) -> bool:
    """A member who sends /join sees her profile instead."""
    if await get_member(turn.context.db, turn.user_id) is None:
        return True
    await show_profile(turn.update, turn.context)
    return False


async def submit(turn: Turn) -> bool:
    """✅ Join: record the membership and ask for approval (unless JOIN_APPROVAL=false)."""
    context, draft, t = turn.context, turn.draft, turn.t
    if not context.app.limits.joins_allowed(turn.user_id):
        # Joining and leaving again and again would flood the approvers with requests.
        if turn.query is not None:
            await turn.query.answer(
                t.gettext(
                    "You have signed up several times today. Please try again tomorrow; your "
                    "answers are kept here."
                ),
                show_alert=True,
            )
        return False
    if turn.query is not None:
        await turn.query.answer()
        await replace_buttons(turn.query, None)
    approved = not context.settings.join_approval
    await create_member(
        context.db,
        turn.user_id,
        MemberDraft(
            name=draft["name"],
            region=draft["region"],
            district=draft.get("district"),
            occupation=draft["occupation"],
            interests=tuple(draft["interests"]),
            phone=draft.get("phone"),
        ),
        approved=approved,
        outbox=[] if approved else await approvers_told(context, turn.user_id, draft["region"]),
    )
    context.app.wake_sender()
    context.app.limits.note("join", turn.user_id)
    if approved:
        await turn.say(t.gettext("Welcome to the solidarity community! You are now a member."))
    else:
        await turn.say(
            t.gettext(
                "Thank you! Your request is now with the coordinators and the lead of your "
                "region. You will get a message here when it is decided."
            )
        )
    await turn.say(main_menu_text(t), main_menu_keyboard(t))
    return True


JOIN = Form(
    "join",
    "j",
    (NAME, REGION, DISTRICT, OCCUPATION, INTERESTS_STEP, PHONE, CONSENT),
    command="join",
    intro=N_(
        "<b>Joining the solidarity community</b>\nA few short questions; ◀ Back and ✖ Cancel "
        "are always there, and nothing is saved until you confirm."
    ),
    submit=submit,
    submit_label=N_("Join"),
    summary=summary_text,
    cancelled=N_("Cancelled. Nothing was saved; you can /join at any time."),
    before=not_yet_a_member,
)


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return JOIN.handlers(buttons=[JOIN_START.pattern])
