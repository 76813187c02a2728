"""Replies to the reporter (relayed by the bot, without the coordinator's name; a text, or a
photo or document with a caption) and internal notes: a short conversation that waits for one
message. Nothing else she writes meanwhile goes to the reporter: a command ends it."""

from __future__ import annotations

import html
import logging
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
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
from bot.context import BotContext, SolidarityApp
from bot.conversation import persistent_conversation
from bot.delivery import NOTICE, Recipient, Rendered, renderer, result_hook, sent_hook
from bot.i18n import Translator
from bot.keyboards import status_name
from bot.services.reports import CLOSE_REASONS, takes_answers
from db.copies import REPLY_COPY, record_copy
from db.outbox import Outgoing, send_later
from db.report_desk import add_message
from db.reports import ReportInfo, get_report, reporter_of, thread_message
from db.types import utcnow

from .access import load
from .callbacks import NOTE, REPLY
from .listing import show_reports

log = logging.getLogger(__name__)

WAITING_TEXT = 1
REPLY_MAX = 3500  # a reply must fit into one message to the reporter with its heading
CAPTION_MAX = 800  # a photo's or document's caption must fit Telegram's 1024 with the heading
COMPOSE_TTL = timedelta(hours=1)  # a reply waiting longer than this is not sent


async def to_reporter(
    context: BotContext, report: ReportInfo, kind: str, params: dict[str, Any]
) -> list[Outgoing]:
    """A message to whoever filed the report, in her language (the one she reported in, if she
    never chose one). Only the outbox knows who she is, encrypted; logs name the report."""
    reporter = await reporter_of(context.db, report.id)
    if reporter is None:
        return []
    values = {"report": report.id, "lang": report.reporter_lang, **params}
    return [Outgoing(reporter.user_id, kind, values, NOTICE)]


@renderer("report.reply")
async def render_reply(r: Recipient) -> Rendered | None:
    """A coordinator's reply, relayed without her name (with its photo or document); the
    reporter can answer it while the report is not closed. With "edit": the reply she got
    earlier, redrawn (its Answer button gone once the report is closed)."""
    report = await get_report(r.app.db, int(r.params["report"]))
    message = await thread_message(r.app.db, int(r.params["message"]))
    if report is None or message is None:
        return None
    t = r.t
    heading = t.gettext("Reply from the coordinators about your report {ref}:").format(
        ref=report.ref
    )
    text = "💬 " + html.escape(heading)
    if message.text:
        text += "\n\n" + html.escape(message.text)
    markup = None
    if takes_answers(report.status):
        answer = InlineKeyboardButton(
            "↩️ " + t.gettext("Answer"), callback_data=ANSWER_REPLY(report.id)
        )
        markup = InlineKeyboardMarkup([[answer]])
    edit = r.params.get("edit")
    return Rendered(
        text,
        markup,
        photo=message.file_id if message.file_kind == "photo" else None,
        document=message.file_id if message.file_kind == "document" else None,
        edit=None if edit is None else int(edit),
    )


@sent_hook("report.reply")
async def keep_reply_copy(
    app: SolidarityApp, chat_id: int, params: dict[str, Any], message_id: int
) -> None:
    """Where the reply is in her chat, to take its Answer button away when the report closes."""
    await record_copy(app.db, REPLY_COPY, int(params["message"]), chat_id, message_id)


@result_hook("report.reply")
async def reply_not_delivered(app: SolidarityApp, params: dict[str, Any], status: str) -> None:
    """The coordinator who wrote a reply hears when it could not reach the reporter."""
    by = params.get("by")
    if by is not None:
        await send_later(
            app.db, [Outgoing(int(by), "reply.undelivered", {"report": params["report"]})]
        )


@renderer("reply.undelivered")
async def render_undelivered(r: Recipient) -> Rendered | None:
    report = await get_report(r.app.db, int(r.params["report"]))
    if report is None:
        return None
    text = r.t.gettext(
        "Your reply on {ref} could not be delivered: the reporter may have blocked the bot. It "
        "stays in the report's thread."
    ).format(ref=report.ref)
    return Rendered("⚠️ " + html.escape(text), _open_button(r.t, report))


@renderer("report.status")
async def render_status(r: Recipient) -> Rendered | None:
    """Her report moved on; when it was closed, why (a reason picked, in her language, or the
    coordinator's own words); when it was reopened, that it is looked at again."""
    report = await get_report(r.app.db, int(r.params["report"]))
    if report is None:
        return None
    t = r.t
    if r.params.get("reopened"):
        text = t.gettext(
            "Your report {ref} has been reopened: the coordinators are looking at it again."
        ).format(ref=report.ref)
    else:
        text = t.gettext("Your report {ref} is now: {status}").format(
            ref=report.ref, status=status_name(t, str(r.params["status"]))
        )
    reason = r.params.get("reason")
    why = None
    if reason in CLOSE_REASONS:
        why = t.gettext(CLOSE_REASONS[reason][1])
    elif r.params.get("message") is not None:
        written = await thread_message(r.app.db, int(r.params["message"]))
        why = written.text if written is not None else None
    rendered = "ℹ️ " + html.escape(text)
    if why:
        rendered += "\n" + html.escape(t.gettext("The reason: {reason}").format(reason=why))
    return Rendered(rendered)


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
                "Write your reply to the reporter of {ref} in one message, or send a photo or "
                "document with a caption. She will see it as coming from the coordinators, "
                "without your name."
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


def _file_of(message: Message) -> tuple[str, str] | None:
    """(kind, file_id) of a photo or document."""
    if message.photo:
        return "photo", message.photo[-1].file_id
    if message.document is not None:
        return "document", message.document.file_id
    return None


async def got_text(update: Update, context: BotContext) -> int:
    """The reply (relayed to the reporter, without the coordinator's name; a text, or a photo
    or document with its caption) or the note (text only)."""
    message = update.effective_message
    assert message and context.user_data is not None
    assert update.effective_user
    t = context.t
    compose = context.user_data.pop(keys.REPLY_COMPOSE, None)
    if not isinstance(compose, dict):
        # Nothing is waiting for a reply (say, the bot stopped just after the last one): this
        # message is for whoever else takes it, never for a reporter.
        await context.application.update_queue.put(update)
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
    file = _file_of(message)
    if file is not None and kind == "note":
        context.user_data[keys.REPLY_COMPOSE] = compose
        await message.reply_text(html.escape(t.gettext("Please send text, or /cancel.")))
        return WAITING_TEXT
    text = (message.caption if file else message.text) or ""
    text = text.strip()
    limit = CAPTION_MAX if file else REPLY_MAX
    if (not text and file is None) or len(text) > limit:
        context.user_data[keys.REPLY_COMPOSE] = compose
        await message.reply_text(
            html.escape(
                t.gettext("Please keep it under {max} characters, or /cancel.").format(max=limit)
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

    # The conversation ends durably before anything is relayed: her user data no longer holds
    # the reply (taken off above) once it is written, so after a crash her next, unrelated
    # message can never go to the reporter.
    await context.application.update_persistence()
    reporter = await to_reporter(context, report, "report.reply", {"by": actor})
    await add_message(
        context.db,
        report.id,
        author="coordinator",
        text=text,
        author_id=actor,
        outbox=lambda mid: [replace(m, params={**m.params, "message": mid}) for m in reporter],
        file=file,
    )
    context.app.wake_sender()
    log.info("Reply on report %s by %s", report.id, actor)
    if reporter:
        done = "✅ " + html.escape(
            t.gettext(
                "Saved. It goes to the reporter now; you will be told here if it cannot be "
                "delivered."
            )
        )
    else:
        done = "⚠️ " + html.escape(t.gettext("Saved, but this report has no reporter to tell."))
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
                MessageHandler(
                    (filters.TEXT & ~filters.COMMAND) | filters.PHOTO | filters.Document.ALL,
                    got_text,
                ),
                MessageHandler(~filters.COMMAND, not_text),
            ]
        },
        fallbacks=[
            CommandHandler("cancel", cancel_compose),
            CommandHandler("reports", reports_instead),
            MessageHandler(filters.COMMAND, other_command),
        ],
    )
