"""Replies to the reporter (relayed by the bot, without the coordinator's name) and internal
notes: a short conversation that waits for one message. Nothing else she writes meanwhile goes
to the reporter: a command ends it."""

from __future__ import annotations

import html
import logging
from datetime import datetime, timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import keys
from bot.callbacks import ANSWER_REPLY, OPEN_REPORT
from bot.context import BotContext
from bot.conversation import persistent_conversation
from bot.i18n import Translator
from bot.notify import Render, deliver
from db.reports import ReportInfo, add_message, reporter_of
from db.types import utcnow

from .access import load
from .callbacks import NOTE, REPLY
from .listing import show_reports

log = logging.getLogger(__name__)

WAITING_TEXT = 1
REPLY_MAX = 3500  # a reply must fit into one message to the reporter with its heading
COMPOSE_TTL = timedelta(hours=1)  # a reply waiting longer than this is not sent


async def tell_reporter(context: BotContext, report: ReportInfo, render: Render) -> bool:
    """A message to whoever filed the report, in her language. Only the bot knows who she is:
    the logs name the report, never her (she may be anonymous)."""
    reporter = await reporter_of(context.db, report.id)
    if reporter is None:
        return False
    return await deliver(
        context,
        reporter.user_id,
        render,
        fallback_language=report.reporter_lang,
        who=f"the reporter of report {report.id}",
    )


def _open_button(t: Translator, report: ReportInfo) -> InlineKeyboardMarkup:
    label = "📂 " + t.gettext("Open {ref}").format(ref=report.ref)
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=OPEN_REPORT(report.id))]]
    )


async def _start(update: Update, context: BotContext, kind: str, report_id: int) -> int:
    loaded = await load(update, context, f"report {kind}", report_id, write=True)
    if loaded is None:
        return ConversationHandler.END
    _roles, report = loaded
    assert update.callback_query and update.effective_chat and context.user_data is not None
    t = context.t
    context.user_data[keys.REPLY_COMPOSE] = {
        "id": report.id,
        "kind": kind,
        "at": utcnow().isoformat(),
    }
    await update.callback_query.answer()
    if kind == "reply":
        prompt = "✉️ " + html.escape(
            t.gettext(
                "Write your reply to the reporter of {ref} in one message. She will see it as "
                "coming from the coordinators, without your name."
            ).format(ref=report.ref)
        )
    else:
        prompt = "📝 " + html.escape(
            t.gettext(
                "Write the internal note on {ref} in one message. Only coordinators see notes; "
                "the reporter is not told."
            ).format(ref=report.ref)
        )
    await context.bot.send_message(
        update.effective_chat.id, prompt + "\n" + html.escape(t.gettext("/cancel to stop."))
    )
    return WAITING_TEXT


async def start_reply(update: Update, context: BotContext) -> int:
    """Reply to the reporter: wait for the text."""
    (report_id,) = REPLY.values(context.match)
    return await _start(update, context, "reply", report_id)


async def start_note(update: Update, context: BotContext) -> int:
    """Internal note: wait for the text."""
    (report_id,) = NOTE.values(context.match)
    return await _start(update, context, "note", report_id)


async def got_text(update: Update, context: BotContext) -> int:
    """The reply (relayed to the reporter, without the coordinator's name) or the note."""
    message = update.effective_message
    assert message and message.text is not None and context.user_data is not None
    assert update.effective_user
    t = context.t
    compose = context.user_data.pop(keys.REPLY_COMPOSE, None)
    if not isinstance(compose, dict):
        return ConversationHandler.END
    started = datetime.fromisoformat(str(compose.get("at")))
    if utcnow() - started > COMPOSE_TTL:
        await message.reply_text(
            html.escape(
                t.gettext("Nothing was sent: too much time has passed. Open the report again.")
            )
        )
        return ConversationHandler.END
    kind = compose.get("kind")
    loaded = await load(update, context, f"report {kind}", int(compose["id"]), write=True)
    if loaded is None:
        return ConversationHandler.END
    _roles, report = loaded
    text = message.text.strip()
    if not text or len(text) > REPLY_MAX:
        context.user_data[keys.REPLY_COMPOSE] = compose
        await message.reply_text(
            html.escape(
                t.gettext("Please keep it under {max} characters, or /cancel.").format(
                    max=REPLY_MAX
                )
            )
        )
        return WAITING_TEXT
    actor = update.effective_user.id
    if kind == "note":
        await add_message(context.db, report.id, author="note", text=text, author_id=actor)
        log.info("Note on report %s by %s", report.id, actor)
        await message.reply_text(
            "📝 " + html.escape(t.gettext("Note saved.")), reply_markup=_open_button(t, report)
        )
        return ConversationHandler.END

    await add_message(context.db, report.id, author="coordinator", text=text, author_id=actor)
    log.info("Reply on report %s by %s", report.id, actor)

    def render(rt: Translator) -> tuple[str, InlineKeyboardMarkup | None]:
        heading = rt.gettext("Reply from the coordinators about your report {ref}:").format(
            ref=report.ref
        )
        answer = InlineKeyboardButton(
            "↩️ " + rt.gettext("Answer"), callback_data=ANSWER_REPLY(report.id)
        )
        return (
            "💬 " + html.escape(heading) + "\n\n" + html.escape(text),
            InlineKeyboardMarkup([[answer]]),
        )

    if await tell_reporter(context, report, render):
        done = "✅ " + html.escape(t.gettext("Sent."))
    else:
        done = "⚠️ " + html.escape(
            t.gettext(
                "Saved, but the reporter could not be reached (she may have blocked the bot)."
            )
        )
    await message.reply_text(done, reply_markup=_open_button(t, report))
    return ConversationHandler.END


async def not_text(update: Update, context: BotContext) -> int:
    assert update.effective_message
    await update.effective_message.reply_text(
        html.escape(context.t.gettext("Please send text, or /cancel."))
    )
    return WAITING_TEXT


async def cancel_compose(update: Update, context: BotContext) -> int:
    assert update.effective_message and context.user_data is not None
    context.user_data.pop(keys.REPLY_COMPOSE, None)
    await update.effective_message.reply_text(
        html.escape(context.t.gettext("Cancelled. Nothing was sent."))
    )
    return ConversationHandler.END


async def reports_instead(update: Update, context: BotContext) -> int:
    """/reports while a reply was awaited: drop the reply, show the list."""
    if context.user_data is not None:
        context.user_data.pop(keys.REPLY_COMPOSE, None)
    await show_reports(update, context)
    return ConversationHandler.END


async def other_command(update: Update, context: BotContext) -> int:
    """Any other command while a reply was awaited: nothing is sent; she repeats the command.
    (Otherwise a later, unrelated message would go to the reporter.)"""
    assert update.effective_message and context.user_data is not None
    context.user_data.pop(keys.REPLY_COMPOSE, None)
    await update.effective_message.reply_text(
        html.escape(
            context.t.gettext("The reply was cancelled; nothing was sent. Send your command again.")
        )
    )
    return ConversationHandler.END


def compose_conversation() -> BaseHandler[Update, BotContext, Any]:
    return persistent_conversation(
        "reportadmin",
        entry_points=[
            CallbackQueryHandler(start_reply, pattern=REPLY.pattern),
            CallbackQueryHandler(start_note, pattern=NOTE.pattern),
        ],
        states={
            WAITING_TEXT: [
                MessageHandler(filters.TEXT & ~filters.COMMAND, got_text),
                MessageHandler(~filters.COMMAND, not_text),
            ]
        },
        fallbacks=[
            CommandHandler("cancel", cancel_compose),
            CommandHandler("reports", reports_instead),
            MessageHandler(filters.COMMAND, other_command),
        ],
    )
