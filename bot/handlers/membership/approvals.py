"""Membership requests: the coordinators and the leads of her region decide.

Each approver gets her own copy of a request (through the outbox); the id of every copy is
kept (db/copies.py), so that once one approver has decided, every other copy is edited to say
who decided what, and its buttons go. Declining asks first, with a reason (decline.py)."""

from __future__ import annotations

import html
import logging
import re
from datetime import datetime
from typing import Any

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MaybeInaccessibleMessage,
    Message,
    Update,
)
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.callbacks import DECIDE_MEMBER, MEMBERS_DESK, MEMBERS_PAGE, USER_ID, Callback, choice
from bot.context import BotContext, SolidarityApp
from bot.delivery import Recipient, Rendered, renderer, sent_hook
from bot.handlers.membership.steps import occupation_name
from bot.i18n import Translator
from bot.keyboards import in_rows, region_name
from bot.menu import main_menu_keyboard
from bot.notify import to_each
from bot.replies import message_html
from bot.services.community import DECLINE_REASONS
from bot.services.roles import Roles, approvers_for, roles_of
from db.audit import last_entry
from db.copies import copies_of, forget_copies, record_copy
from db.members import MemberInfo, decide, get_member
from db.outbox import Outgoing
from db.types import utcnow
from db.users import get_user

log = logging.getLogger(__name__)

DECIDE = DECIDE_MEMBER
COPY = "member.request"  # the kind of the request's copies in db/copies.py
DECISIONS = ("member.approved", "member.declined")  # audit actions
# A numbered line of a pending page (members desk) that is not yet marked as decided.
_OPEN_LINE = re.compile(r"^(\d+\. )(?=<b>)")


def request_buttons(t: Translator, user_id: int) -> list[InlineKeyboardButton]:
    """Approve / Decline for one request (lay them out with `in_rows`)."""
    return [
        InlineKeyboardButton(
            "✅ " + t.gettext("Approve"), callback_data=DECIDE("approve", user_id)
        ),
        InlineKeyboardButton("✖ " + t.gettext("Decline"), callback_data=DECIDE("decline", user_id)),
    ]


def request_text(t: Translator, member: MemberInfo) -> str:
    return t.gettext("<b>New membership request</b>\n{name} — {region}, {occupation}").format(
        name=html.escape(member.name),
        region=region_name(t, member.region),
        occupation=occupation_name(t, member.occupation),
    )


async def approvers_told(context: BotContext, user_id: int, region: str) -> list[Outgoing]:
    """The request of a new member, for the coordinators and her region's leads."""
    approvers = await approvers_for(context.db, context.settings, region)
    approvers.discard(user_id)
    return to_each(approvers, COPY, {"member": user_id})


@renderer("member.request")
async def render_request(r: Recipient) -> Rendered | None:
    """A membership request with Approve / Decline (not sent once it has been decided)."""
    member = await get_member(r.app.db, int(r.params["member"]))
    if member is None or member.status != "pending":
        return None
    t = r.t
    markup = InlineKeyboardMarkup(in_rows(request_buttons(t, member.user_id)))
    return Rendered(request_text(t, member), markup)


@sent_hook("member.request")
async def keep_copy(
    app: SolidarityApp, chat_id: int, params: dict[str, Any], message_id: int
) -> None:
    """Where this approver's copy is, to edit it once the request is decided."""
    await record_copy(app.db, COPY, int(params["member"]), chat_id, message_id)


# -- what a decided request says -------------------------------------------------------------


async def _who(app: SolidarityApp, t: Translator, actor_id: int | None, viewer_id: int) -> str:
    if actor_id is None:
        return "—"
    if actor_id == viewer_id:
        return t.gettext("you")
    person = await get_user(app.db, actor_id)
    return html.escape(person.first_name) if person else str(actor_id)


async def decision_line(
    app: SolidarityApp,
    t: Translator,
    viewer_id: int,
    *,
    approved: bool,
    actor_id: int | None,
    at: datetime,
    reason: str | None = None,
) -> str:
    """✅ Approved by Aigul, 30 Nov, 14:05 (· the reason picked, in the viewer's language)."""
    who = await _who(app, t, actor_id, viewer_id)
    when = t.short_datetime(at)
    if approved:
        return "✅ " + t.gettext("Approved by {name}, {date}").format(name=who, date=when)
    line = "✖ " + t.gettext("Declined by {name}, {date}").format(name=who, date=when)
    if reason in DECLINE_REASONS:
        line += " · " + t.gettext(DECLINE_REASONS[reason][0])
    elif reason == "own":
        line += " · " + t.gettext("with a reason in her own words")
    return line


def settled_text(t: Translator, member: MemberInfo | None, approved: bool, line: str) -> str:
    """A copy of a request once decided: who decided what (`line`). A declined request names
    nobody: her details were erased."""
    if approved and member is not None:
        return f"{request_text(t, member)}\n{line}"
    erased = t.gettext("Her details were erased.")
    return "<b>" + t.gettext("Membership request") + f"</b>\n{line}\n{erased}"


@renderer("member.settled")
async def render_settled(r: Recipient) -> Rendered:
    """Another approver's copy of a decided request, edited in place."""
    member = await get_member(r.app.db, int(r.params["member"]))
    approved = bool(r.params["approved"])
    line = await decision_line(
        r.app,
        r.t,
        r.chat_id,
        approved=approved,
        actor_id=r.params.get("by"),
        at=datetime.fromisoformat(str(r.params["at"])),
        reason=r.params.get("reason"),
    )
    return Rendered(settled_text(r.t, member, approved, line), None, edit=int(r.params["message"]))


@renderer("member.decided")
async def render_decision(r: Recipient) -> Rendered:
    """She is told whether her membership was approved (and why not, when a reason was
    given: a chosen one in her language, or the approver's own words)."""
    t = r.t
    if r.params.get("approved"):
        return Rendered(
            t.gettext("Your membership of the solidarity community is approved. Welcome!"),
            main_menu_keyboard(t),
        )
    text = t.gettext(
        "Your membership request was not approved, and the details you sent were "
        "erased. You can send /join to apply again."
    )
    reason = r.params.get("reason")
    if reason in DECLINE_REASONS:
        why = t.gettext(DECLINE_REASONS[reason][1])
    elif r.params.get("note"):
        why = html.escape(str(r.params["note"]))
    else:
        return Rendered(text)
    return Rendered(text + "\n\n" + t.gettext("The reason: {reason}").format(reason=why))


# -- deciding --------------------------------------------------------------------------------


async def may_decide(update: Update, context: BotContext, target_id: int) -> MemberInfo | None:
    """The pending request, if she may decide it; else None after telling her why (already
    decided, and by whom; or not hers to decide, which is logged)."""
    query = update.callback_query
    assert update.effective_user
    actor = await roles_of(context.db, context.settings, update.effective_user.id)
    member = await get_member(context.db, target_id)
    if member is None or member.status != "pending":
        # The same refusal whatever the request's state, for whoever could not decide it: the
        # answer must not tell whether an id has (or had) a request. A lead hears "already
        # decided" only about her own regions; coordinators about any.
        region = member.region if member is not None else None
        if region is None and actor.privileged:  # declined (erased): the decision kept it
            entry = await last_entry(context.db, target_id, DECISIONS)
            region = str(entry.details.get("region")) if entry is not None else None
        mine = actor.coordinator or (region is not None and actor.can_manage_region(region))
        if not mine:
            await _refuse(update, context, actor, target_id, region)
            return None
        await already_decided(update, context, target_id)
        return None
    if not actor.can_manage_region(member.region):
        await _refuse(update, context, actor, target_id, member.region)
        return None
    if query is not None and not isinstance(query.message, Message):
        await query.answer()
        return None
    return member


async def _refuse(
    update: Update, context: BotContext, actor: Roles, target_id: int, region: str | None
) -> None:
    log.warning(
        "Refused membership decision on %s to user %s (no role for region %s)",
        target_id,
        actor.user_id,
        region,
    )
    text = context.t.gettext("Only coordinators and the lead of her region can decide.")
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)


async def already_decided(update: Update, context: BotContext, target_id: int) -> None:
    """Someone else decided first: she hears who decided what, and the request's buttons leave
    her message (on a pending page, its line is marked)."""
    query = update.callback_query
    assert query is not None and update.effective_user
    t = context.t
    entry = await last_entry(context.db, target_id, DECISIONS)
    if entry is None:
        await query.answer(t.gettext("This request has already been decided."), show_alert=True)
        await settle_message(query, context, target_id, None)
        return
    line = await decision_line(
        context.app,
        t,
        update.effective_user.id,
        approved=entry.action == "member.approved",
        actor_id=entry.actor_id,
        at=entry.at,
    )
    notice = t.gettext("This request has already been decided.") + "\n" + line
    await query.answer(_plain(notice), show_alert=True)
    await settle_message(query, context, target_id, line)


def _plain(text: str) -> str:
    """An alert shows no HTML."""
    return html.unescape(re.sub(r"</?[a-z]+>", "", text))


def is_page(message: MaybeInaccessibleMessage | None) -> bool:
    """A page of the members desk (several requests), rather than one request."""
    if not isinstance(message, Message) or message.reply_markup is None:
        return False
    desk = MEMBERS_DESK()
    return any(b.callback_data == desk for row in message.reply_markup.inline_keyboard for b in row)


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


def _marked_page(message: Message, user_id: int, line: str | None) -> str:
    """The page's text with the request's line marked as decided. Its lines and its Approve
    buttons go in the same order, and decided ones lose their buttons, so the request is the
    n-th line not yet marked where its button is the n-th Approve button left."""
    text = message_html(message)
    if line is None or message.reply_markup is None:
        return text
    approvals = [
        parsed[1]
        for row in message.reply_markup.inline_keyboard
        for b in row
        if (parsed := DECIDE.parse(str(b.callback_data))) and parsed[0] == "approve"
    ]
    if user_id not in approvals:
        return text
    lines = text.split("\n")
    open_lines = [i for i, item in enumerate(lines) if _OPEN_LINE.match(item)]
    index = approvals.index(user_id)
    if index >= len(open_lines):
        return text
    at = open_lines[index]
    mark = line.split(" ", 1)[0]  # ✅ or ✖
    lines[at] = _OPEN_LINE.sub(lambda m: m.group(1) + mark + " ", lines[at]) + f"\n    {line}"
    return "\n".join(lines)


async def settle_message(
    query: CallbackQuery, context: BotContext, user_id: int, line: str | None
) -> None:
    """The message whose button was pressed, once the request is decided: one request says
    the decision; a page of several keeps the others, with this one marked."""
    message = query.message
    if not isinstance(message, Message):
        return
    before = message_html(message)
    rows = _buttons_without(message, user_id) if is_page(message) else []
    if is_page(message):
        text = _marked_page(message, user_id, line)
    elif line is not None and _plain(line) not in (message.text or ""):
        text = f"{before}\n{line}"
    else:
        text = before
    old_rows = message.reply_markup.inline_keyboard if message.reply_markup else ()
    if text == before and [list(r) for r in old_rows] == rows:
        return  # it says so already (Telegram refuses an edit that changes nothing)
    await query.edit_message_text(text, reply_markup=InlineKeyboardMarkup(rows) if rows else None)


async def settle(
    update: Update,
    context: BotContext,
    member: MemberInfo,
    *,
    approve: bool,
    reason: str | None = None,
    note: str | None = None,
    message_id: int | None = None,
) -> str | None:
    """Approve or decline, tell her, and edit every other approver's copy; returns the line
    that says so (in the actor's language) for her own message, or None if someone decided
    first. `message_id`: her message about this request, which the caller edits itself.
    A reason written in the approver's own words (`note`) travels only inside the encrypted
    outbox row that tells her (deleted once delivered): the request it answers is erased."""
    assert update.effective_user
    actor_id = update.effective_user.id
    target_id = member.user_id
    at = utcnow()
    told: dict[str, Any] = {"approved": approve}
    if not approve:
        told |= {"reason": reason, "note": note}
    copies = await copies_of(context.db, COPY, [target_id])
    mine = update.effective_chat.id if update.effective_chat else actor_id
    edits = [
        Outgoing(
            copy.chat_id,
            "member.settled",
            {
                "member": target_id,
                "message": copy.message_id,
                "approved": approve,
                "by": actor_id,
                "at": at.isoformat(),
                "reason": "own" if note else reason,
            },
        )
        for copy in copies
        if not (copy.chat_id == mine and copy.message_id == message_id)
    ]
    decided = await decide(
        context.db,
        target_id,
        approve=approve,
        actor_id=actor_id,
        outbox=[*to_each([target_id], "member.decided", told), *edits],
    )
    if decided is None:
        return None
    await forget_copies(context.db, COPY, [target_id])
    context.app.wake_sender()
    log.info(
        "Membership of %s %s by %s", target_id, "approved" if approve else "declined", actor_id
    )
    return await decision_line(
        context.app,
        context.t,
        actor_id,
        approved=approve,
        actor_id=actor_id,
        at=at,
        reason="own" if note else reason,
    )


async def decide_membership(update: Update, context: BotContext) -> None:
    """Approve (at once) / Decline (asks first, with a reason), by a coordinator or the lead
    of her region only."""
    query = update.callback_query
    assert query is not None
    action, target_id = DECIDE.values(context.match)
    member = await may_decide(update, context, target_id)
    if member is None:
        return
    if action == "decline":
        await ask_reason(update, context, member)
        return
    message_id = query.message.message_id if query.message else None
    line = await settle(update, context, member, approve=True, message_id=message_id)
    if line is None:
        await already_decided(update, context, target_id)
        return
    await query.answer(_plain(line))
    await settle_message(query, context, target_id, line)


# -- declining asks first, with a reason (the answers are handled in decline.py) -------------

REASON = Callback("mdec", USER_ID, choice((*DECLINE_REASONS, "none")))  # decline, this reason
WRITE = Callback("mwhy", USER_ID)  # decline with a reason in her own words (a short form)
KEEP = Callback("mkeep", USER_ID)  # not now: the request as it was


def back_to_pending(t: Translator) -> list[InlineKeyboardButton]:
    """To the members desk's page of pending requests (it draws them as they are now)."""
    return [
        InlineKeyboardButton(
            "⏳ " + t.gettext("Pending approvals"), callback_data=MEMBERS_PAGE("pend", "all", 0)
        )
    ]


def from_page(message: MaybeInaccessibleMessage | None) -> bool:
    """A message that belongs to the members desk (a page, or a question asked from one)."""
    if not isinstance(message, Message) or message.reply_markup is None:
        return False
    return any(
        str(b.callback_data).startswith("members")
        for row in message.reply_markup.inline_keyboard
        for b in row
    )


async def ask_reason(update: Update, context: BotContext, member: MemberInfo) -> None:
    """Decline? Pick a reason (she is told it in her language), write one, or none; or keep the
    request (from the members desk: back to its page of pending requests). In place of the
    message whose button was pressed."""
    query = update.callback_query
    assert query is not None and update.effective_chat
    t = context.t
    uid = member.user_id
    text = (
        request_text(t, member)
        + "\n\n"
        + t.gettext(
            "Decline this request? Her details will be erased, and she is told in her "
            "language, with the reason you choose."
        )
    )
    rows = in_rows(
        [
            InlineKeyboardButton(t.gettext(label), callback_data=REASON(uid, code))
            for code, (label, _told) in DECLINE_REASONS.items()
        ]
    )
    keep = InlineKeyboardButton("◀ " + t.gettext("Keep the request"), callback_data=KEEP(uid))
    rows += [
        [InlineKeyboardButton("✏️ " + t.gettext("Write a reason"), callback_data=WRITE(uid))],
        [
            InlineKeyboardButton(
                t.gettext("Decline without a reason"), callback_data=REASON(uid, "none")
            )
        ],
        back_to_pending(t) if from_page(query.message) else [keep],
    ]
    await query.answer()
    await query.edit_message_text(text, reply_markup=InlineKeyboardMarkup(rows))


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [CallbackQueryHandler(decide_membership, pattern=DECIDE.pattern)]
