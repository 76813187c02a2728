"""Moving a report along (the reporter is told in her language). Closing asks first, with a
reason she is told (one picked, in her language, or one written in the coordinator's words, with
a summary to confirm); a closed report can be reopened. Once it is closed, the Answer buttons
under the replies she got are taken away, so an old one cannot add to it."""

from __future__ import annotations

import html
import logging
from dataclasses import replace
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.callbacks import ID, OPEN_REPORT, Callback, choice
from bot.context import BotContext
from bot.forms import Form, Turn
from bot.forms.common import reason_step
from bot.i18n import N_, Translator
from bot.keyboards import in_rows, status_name
from bot.replies import edit_or_send
from bot.services.reports import CLOSE_REASONS, is_reopening, move_report
from bot.services.roles import Roles
from db.copies import copies_of, forget_copies
from db.outbox import Outgoing
from db.reports import ReportInfo, get_report

from .access import load
from .callbacks import MOVE
from .card import show_card
from .replies import REPLY_COPY, to_reporter

log = logging.getLogger(__name__)

CLOSE = Callback("rep:close", ID, choice((*CLOSE_REASONS, "none")))  # close, with this reason
WHY = Callback("rep:why", ID)  # close with a reason in her own words (a short form)
REASON_MAX = 1000  # characters of a reason in her own words


async def change_status(update: Update, context: BotContext) -> None:
    """Move the report along and tell the reporter; closing asks for a reason first."""
    report_id, target = MOVE.values(context.match)
    loaded = await load(update, context, "report status", report_id, write=True)
    if loaded is None:
        return
    roles, report = loaded
    if target == "closed" and report.status != "closed":
        await ask_close(update, context, report)
        return
    await move(update, context, roles, report, target)


async def move(
    update: Update,
    context: BotContext,
    roles: Roles,
    report: ReportInfo,
    target: str,
    *,
    reason: str | None = None,
    note: str | None = None,
) -> bool:
    """Make the move, tell the reporter (with the reason, when closing) and show the card;
    False if the move was not possible (a stale or forged button)."""
    assert update.effective_user
    t = context.t
    actor = update.effective_user.id
    told: dict[str, Any] = {"status": target, "reason": reason}
    if is_reopening(report.status, target):
        told["reopened"] = True
    reporter = await to_reporter(context, report, "report.status", told)
    answers_off = await _answer_buttons_off(context, report) if target == "closed" else []

    def outbox(message_id: int | None) -> list[Outgoing]:
        said = [replace(m, params={**m.params, "message": message_id}) for m in reporter]
        return [*said, *answers_off]

    previous = await move_report(
        context.db, report.id, target, actor_id=actor, outbox=outbox, reply=note
    )
    if previous is None:
        # A stale or forged button. Only an alert: re-drawing an unchanged card would be an
        # edit to identical content, which Telegram refuses.
        fresh = await get_report(context.db, report.id) or report
        notice = t.gettext("This change is not possible: the report is now “{status}”.").format(
            status=status_name(t, fresh.status)
        )
        if update.callback_query is not None:
            await update.callback_query.answer(notice, show_alert=True)
        return False
    if answers_off:
        await forget_copies(context.db, REPLY_COPY, [m.id for m in report.thread])
    context.app.wake_sender()
    fresh = await get_report(context.db, report.id) or report
    log.info("Report %s moved from %s to %s by %s", report.id, previous, target, actor)
    if reporter:
        notice = t.gettext("Status changed. The reporter will be told.")
    else:
        notice = t.gettext("Status changed. This report has no reporter to tell.")
    await show_card(update, context, roles, fresh, notice=notice)
    return True


async def _answer_buttons_off(context: BotContext, report: ReportInfo) -> list[Outgoing]:
    """Edits of the replies she got about this report, without their Answer button."""
    replies = [m.id for m in report.thread if m.author == "coordinator"]
    return [
        Outgoing(
            copy.chat_id,
            "report.reply",
            {"report": report.id, "message": copy.subject_id, "edit": copy.message_id},
        )
        for copy in await copies_of(context.db, REPLY_COPY, replies)
    ]


# -- closing: a reason first ---------------------------------------------------------------


def close_question(t: Translator, report: ReportInfo) -> str:
    return (
        "📄 <b>"
        + html.escape(t.gettext("Report {ref}").format(ref=report.ref))
        + "</b>\n"
        + html.escape(
            t.gettext(
                "Close this report? The reporter is told, in her language, with the reason you "
                "choose. A closed report can be reopened."
            )
        )
    )


async def ask_close(update: Update, context: BotContext, report: ReportInfo) -> None:
    """The reasons to pick from, one to write, none; or back to the card."""
    t = context.t
    rid = report.id
    rows = in_rows(
        [
            InlineKeyboardButton(t.gettext(label), callback_data=CLOSE(rid, code))
            for code, (label, _told) in CLOSE_REASONS.items()
        ]
    )
    rows += [
        [InlineKeyboardButton("✏️ " + t.gettext("Write a reason"), callback_data=WHY(rid))],
        [
            InlineKeyboardButton(
                t.gettext("Close without a reason"), callback_data=CLOSE(rid, "none")
            )
        ],
        [InlineKeyboardButton("◀ " + t.gettext("Back"), callback_data=OPEN_REPORT(rid))],
    ]
    await edit_or_send(update, context, close_question(t, report), InlineKeyboardMarkup(rows))


async def close_with(update: Update, context: BotContext) -> None:
    """A reason picked (or none): closed now."""
    report_id, code = CLOSE.values(context.match)
    loaded = await load(update, context, "report close", report_id, write=True)
    if loaded is None:
        return
    roles, report = loaded
    await move(update, context, roles, report, "closed", reason=None if code == "none" else code)


REASON_STEP = reason_step(
    N_(
        "<b>Why is it closed?</b>\nWrite it in one message, as the reporter should read it: "
        "it is sent as you write it, not translated, and kept in the report's thread."
    ),
    REASON_MAX,
)


def summary(t: Translator, draft: dict[str, Any]) -> str:
    return "\n".join(
        [
            "<b>"
            + html.escape(t.gettext("Close {ref}?").format(ref=str(draft.get("ref", ""))))
            + "</b>",
            html.escape(t.gettext("The reporter reads:")),
            "«" + html.escape(str(draft.get("reason", ""))) + "»",
        ]
    )


async def may_close(turn: Turn) -> bool:
    (report_id,) = WHY.values(turn.context.match)
    loaded = await load(turn.update, turn.context, "report close", report_id, write=True)
    return loaded is not None


async def prefill(turn: Turn) -> None:
    (report_id,) = WHY.values(turn.context.match)
    report = await get_report(turn.context.db, report_id)
    assert report is not None  # checked just before, in may_close
    turn.draft["report"] = report.id
    turn.draft["ref"] = report.ref


async def submit(turn: Turn) -> bool:
    """🔒 Close on the summary: closed, and she reads the reason as written."""
    update, context, draft = turn.update, turn.context, turn.draft
    loaded = await load(update, context, "report close", int(draft["report"]), write=True)
    if loaded is None:
        return True  # she was told why; the draft is done with
    roles, report = loaded
    # The summary becomes the card, with what she wrote in its thread.
    await move(update, context, roles, report, "closed", note=str(draft["reason"]))
    return True


CLOSE_REASON = Form(
    "closewhy",
    "cw",
    (REASON_STEP,),
    command=None,
    submit=submit,
    submit_label=N_("Close the report"),
    submit_icon="🔒 ",
    summary=summary,
    cancelled=N_("The report was not closed."),
    before=may_close,
    prefill=prefill,
)


async def write_reason(update: Update, context: BotContext) -> object:
    """✏️ Write a reason: a draft about another report gives way to this one."""
    (report_id,) = WHY.values(context.match)
    draft = (context.user_data or {}).get(CLOSE_REASON.name)
    if isinstance(draft, dict) and draft.get("report") != report_id:
        CLOSE_REASON.drop(context)
    return await CLOSE_REASON.start(update, context)


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [
        *CLOSE_REASON.handlers(entries=[CallbackQueryHandler(write_reason, pattern=WHY.pattern)]),
        CallbackQueryHandler(change_status, pattern=MOVE.pattern),
        CallbackQueryHandler(close_with, pattern=CLOSE.pattern),
    ]
