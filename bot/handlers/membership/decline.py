"""Declining a membership request: after a reason is picked (or none), or written in a short
form with a summary to confirm; or the request kept as it was. Every step checks again that
she may decide, and that the request still waits."""

from __future__ import annotations

import html
from typing import Any

from telegram import InlineKeyboardMarkup, MaybeInaccessibleMessage, Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.context import BotContext
from bot.forms import Form, Turn
from bot.forms.common import reason_step
from bot.handlers.membership.approvals import (
    KEEP,
    REASON,
    WRITE,
    already_decided,
    back_to_pending,
    from_page,
    may_decide,
    request_buttons,
    request_text,
    settle,
    settled_text,
)
from bot.i18n import N_, Translator
from bot.keyboards import in_rows
from bot.replies import message_html
from db.members import get_member

REASON_MAX = 500  # characters of a reason in her own words


async def decline_with(update: Update, context: BotContext) -> None:
    """A reason picked (or "none"): declined now."""
    query = update.callback_query
    assert query is not None
    target_id, code = REASON.values(context.match)
    member = await may_decide(update, context, target_id)
    if member is None:
        return
    message_id = query.message.message_id if query.message else None
    reason = None if code == "none" else code
    line = await settle(
        update, context, member, approve=False, reason=reason, message_id=message_id
    )
    if line is None:
        await already_decided(update, context, target_id)
        return
    await query.answer()
    await query.edit_message_text(
        settled_text(context.t, None, False, line), reply_markup=_after(context, query.message)
    )


def _after(
    context: BotContext, message: MaybeInaccessibleMessage | None
) -> InlineKeyboardMarkup | None:
    """Decided from the members desk: a way back to its pending requests."""
    return InlineKeyboardMarkup([back_to_pending(context.t)]) if from_page(message) else None


async def keep_request(update: Update, context: BotContext) -> None:
    """Not declined: the request again, with Approve / Decline."""
    query = update.callback_query
    assert query is not None
    (target_id,) = KEEP.values(context.match)
    member = await may_decide(update, context, target_id)
    if member is None:
        return
    t = context.t
    await query.answer(t.gettext("Nothing was declined; the request still waits."))
    markup = InlineKeyboardMarkup(in_rows(request_buttons(t, member.user_id)))
    await query.edit_message_text(request_text(t, member), reply_markup=markup)


# -- a reason in her own words -------------------------------------------------------------


REASON_STEP = reason_step(
    N_(
        "<b>Why is it declined?</b>\nWrite it in one message, as she should read it: it is "
        "sent as you write it, not translated."
    ),
    REASON_MAX,
)


def summary(t: Translator, draft: dict[str, Any]) -> str:
    return "\n".join(
        [
            t.gettext("<b>Decline the request of {name}?</b>").format(
                name=html.escape(str(draft.get("name", "")))
            ),
            t.gettext("Her details will be erased. She reads:"),
            "«" + html.escape(str(draft.get("reason", ""))) + "»",
        ]
    )


async def may_write(turn: Turn) -> bool:
    """Only while she may decide, and the request still waits."""
    (target_id,) = WRITE.values(turn.context.match)
    return await may_decide(turn.update, turn.context, target_id) is not None


async def prefill(turn: Turn) -> None:
    (target_id,) = WRITE.values(turn.context.match)
    member = await get_member(turn.context.db, target_id)
    assert member is not None  # checked just before, in may_write
    query = turn.query
    turn.draft["member"] = member.user_id
    turn.draft["name"] = member.name
    if query is not None and isinstance(query.message, Message):
        turn.draft["origin"] = query.message.message_id
        turn.draft["page"] = from_page(query.message)


async def submit(turn: Turn) -> bool:
    """✖ Decline on the summary: declined with her words."""
    update, context, draft = turn.update, turn.context, turn.draft
    member = await may_decide(update, context, int(draft["member"]))
    if member is None:
        return True  # she was told why; the draft is done with
    origin = draft.get("origin")
    line = await settle(
        update,
        context,
        member,
        approve=False,
        note=str(draft["reason"]),
        message_id=origin,
    )
    if line is None:
        await already_decided(update, context, member.user_id)
        return True
    query = turn.query
    assert query is not None and update.effective_chat
    await query.answer()
    await query.edit_message_text(f"{message_html(query.message)}\n{line}", reply_markup=None)
    if origin is not None:
        # The request (or its "Decline?" question) she started from says it is decided.
        back = InlineKeyboardMarkup([back_to_pending(turn.t)]) if draft.get("page") else None
        await context.bot.edit_message_text(
            settled_text(turn.t, None, False, line),
            chat_id=update.effective_chat.id,
            message_id=int(origin),
            reply_markup=back,
        )
    return True


DECLINE_REASON = Form(
    "declinewhy",
    "dw",
    (REASON_STEP,),
    command=None,
    submit=submit,
    submit_label=N_("Decline"),
    submit_icon="✖ ",
    summary=summary,
    cancelled=N_("Nothing was declined; the request still waits."),
    before=may_write,
    prefill=prefill,
)


async def write_reason(update: Update, context: BotContext) -> object:
    """✏️ Write a reason: a draft about another request gives way to this one."""
    (target_id,) = WRITE.values(context.match)
    draft = (context.user_data or {}).get(DECLINE_REASON.name)
    if isinstance(draft, dict) and draft.get("member") != target_id:
        DECLINE_REASON.drop(context)
    return await DECLINE_REASON.start(update, context)


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [
        *DECLINE_REASON.handlers(
            entries=[CallbackQueryHandler(write_reason, pattern=WRITE.pattern)]
        ),
        CallbackQueryHandler(decline_with, pattern=REASON.pattern),
        CallbackQueryHandler(keep_request, pattern=KEEP.pattern),
    ]
