"""Her reports (/myreports): their status and the coordinators' replies; adding information
or files to one, and answering a reply."""

from __future__ import annotations

import html
import logging
import time
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

from bot.callbacks import ANSWER_REPLY, ID, PAGE, Callback, choice
from bot.context import BotContext
from bot.conversation import persistent_conversation
from bot.forms.steps import FILE_FILTER
from bot.handlers.reports.filing import WIPE, _download, told_of, too_much_stored
from bot.handlers.reports.steps import incoming_file
from bot.i18n import Translator
from bot.keyboards import category_name, history_name, region_name, status_name
from bot.keys import REPORT_ADDING, REPORT_ADDING_SINCE, REPORT_ANNOUNCED, REPORT_WIPE
from bot.replies import edit_or_send, refuse
from bot.services.reports import (
    MAX_FILE_BYTES,
    STATUSES,
    may_withdraw,
    stored_bytes,
    takes_answers,
)
from bot.services.roles import report_viewers
from bot.text import utf16_len
from db.mutes import is_muted
from db.outbox import Outgoing
from db.report_desk import add_message, set_status
from db.reports import ReportInfo, add_files, get_report, is_reporter, reports_of

log = logging.getLogger(__name__)

MY_ADD = 50
MY_PAGE = 10
MY_REPORT_LIMIT = 3900  # of Telegram's 4096 UTF-16 units, with room for the buttons' sake
ADDING_TIMEOUT_SECONDS = 30 * 60
FINISHED = ("resolved", "closed")  # no more additions, only answers to the coordinators

LIST = Callback("my:list", PAGE)
LIST_FIRST = Callback("my:list")
OPEN = Callback("my:open", ID)
WITHDRAW = Callback("my:withdraw", ID, choice(("ask", "yes")))
ADD = Callback("my:add", ID)  # ➕ Add information; ↩️ Answer is bot.callbacks.ANSWER_REPLY
DONE = Callback("my:done")


async def my_reports(update: Update, context: BotContext) -> None:
    """Her own reports, with status."""
    assert update.effective_user
    t = context.t
    reports = await reports_of(context.db, update.effective_user.id)
    if not reports:
        await edit_or_send(update, context, t.gettext("You have not sent any reports."), None)
        return
    pages = (len(reports) + MY_PAGE - 1) // MY_PAGE
    page = 0
    parsed = LIST.parse(update.callback_query.data) if update.callback_query else None
    if parsed:  # my:list:<page>
        page = min(parsed[0], pages - 1)
    shown = reports[page * MY_PAGE : (page + 1) * MY_PAGE]
    lines = [t.gettext("<b>Your reports</b>")]
    lines += [f"{r.ref} · {t.short_date(r.created_at)} — {status_name(t, r.status)}" for r in shown]
    rows = [[InlineKeyboardButton(my_report_label(t, r), callback_data=OPEN(r.id))] for r in shown]
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton("◀", callback_data=LIST(page - 1)))
    if page < pages - 1:
        nav.append(InlineKeyboardButton("▶", callback_data=LIST(page + 1)))
    if nav:
        rows.append(nav)
    await edit_or_send(update, context, "\n".join(lines), InlineKeyboardMarkup(rows))


def my_report_label(t: Translator, report: ReportInfo) -> str:
    """A report's button in /myreports: its reference and day (the status is in the text)."""
    return f"{report.ref} · {t.short_date(report.created_at)}"


async def _own_report(update: Update, context: BotContext, report_id: int) -> ReportInfo | None:
    """Her report, or None after refusing (someone else's, or forged button data)."""
    assert update.effective_user
    if await is_reporter(context.db, report_id, update.effective_user.id):
        return await get_report(context.db, report_id)
    log.warning("Refused report %s to user %s (not hers)", report_id, update.effective_user.id)
    await refuse(update, context.t.gettext("This report is not yours."))
    return None


def my_report_text(t: Translator, report: ReportInfo) -> str:
    lines = [
        f"<b>{report.ref}</b> · {status_name(t, report.status)}",
        t.gettext("About: {value}").format(value=category_name(t, report.category)),
        t.gettext("Region: {value}").format(value=region_name(t, report.region)),
        t.gettext(
            "Not sent yet: the coordinators have what you had written when you raised the alert."
        )
        if report.unsent
        else t.gettext("Sent: {value}").format(value=t.short_date(report.created_at)),
        t.gettext("History: {value}").format(
            value="; ".join(
                f"{t.short_date(day)} — {history_name(t, code)}" for day, code in report.history
            )
        ),
        "",
        html.escape(report.text[:1500] + ("…" if len(report.text) > 1500 else "")),
    ]
    # The newest messages matter most: add them from the end while they fit, each clipped
    # before it is escaped, so the HTML is never cut in the middle of a tag or an entity.
    budget = MY_REPORT_LIMIT - utf16_len("\n".join(lines))
    thread: list[str] = []
    for item in reversed([m for m in report.thread if m.author != "note"]):  # notes stay internal
        who = t.gettext("You") if item.author == "reporter" else t.gettext("Coordinators")
        body = item.text if len(item.text) <= 600 else item.text[:600] + "…"
        block = f"\n\n<b>{who}</b> · {t.short_date(item.at)}\n{html.escape(body)}"
        if utf16_len(block) > budget:
            break
        thread.insert(0, block)
        budget -= utf16_len(block)
    return "\n".join(lines) + "".join(thread)


async def open_my_report(update: Update, context: BotContext) -> None:
    assert context.match is not None
    report = await _own_report(update, context, OPEN.values(context.match)[0])
    if report is None:
        return
    t = context.t
    rows = [
        [
            InlineKeyboardButton(
                "🧹 " + t.gettext("Remove this report from my phone"),
                callback_data=WIPE(report.id),
            )
        ],
        [InlineKeyboardButton("◀ " + t.gettext("My reports"), callback_data=LIST_FIRST())],
    ]
    if report.status not in FINISHED:
        add = InlineKeyboardButton(
            "➕ " + t.gettext("Add information"), callback_data=ADD(report.id)
        )
        rows.insert(0, [add])
    if may_withdraw(report.status):
        withdraw = InlineKeyboardButton(
            "↩️ " + t.gettext("Withdraw this report"), callback_data=WITHDRAW(report.id, "ask")
        )
        rows.insert(-1, [withdraw])
    await edit_or_send(update, context, my_report_text(t, report), InlineKeyboardMarkup(rows))


async def start_adding(update: Update, context: BotContext) -> int:
    """➕ Add information / ↩️ Answer: her next messages go to that report."""
    assert context.match is not None and context.user_data is not None
    answering = ANSWER_REPLY.parse(update.callback_query.data if update.callback_query else None)
    (report_id,) = answering or ADD.values(context.match)
    report = await _own_report(update, context, report_id)
    if report is None:
        return ConversationHandler.END
    # Additions stop once it is resolved; answers to the coordinators once it is closed (an
    # old Answer button, or forged button data, too).
    if (report.status in FINISHED and not answering) or not takes_answers(report.status):
        await refuse(
            update,
            context.t.gettext(
                "This report is closed. To tell the coordinators something new, send /report."
            ),
        )
        return ConversationHandler.END
    if update.callback_query is not None:
        await update.callback_query.answer()
    context.user_data[REPORT_ADDING] = report.id
    context.user_data[REPORT_ADDING_SINCE] = time.time()
    context.user_data.pop(REPORT_ANNOUNCED, None)
    t = context.t
    assert update.effective_chat
    prompt = await context.bot.send_message(
        update.effective_chat.id,
        t.gettext(
            "Write what you want to add to {ref}, or send files. Tap “Done” when finished, "
            "or /cancel."
        ).format(ref=report.ref),
        reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton("✔ " + t.gettext("Done"), callback_data=DONE())]]
        ),
    )
    remember_for_wipe(context, report.id, prompt.message_id)
    return MY_ADD


async def withdraw(update: Update, context: BotContext) -> None:
    """↩️ Withdraw: she asked first; then it stays on the coordinators' desk, marked withdrawn,
    and they are told."""
    report_id, step = WITHDRAW.values(context.match)
    report = await _own_report(update, context, report_id)
    if report is None:
        return
    t = context.t
    if not may_withdraw(report.status):
        await refuse(update, t.gettext("This report can no longer be withdrawn."))
        return
    if step == "ask":
        question = t.gettext(
            "Withdraw {ref}? The coordinators are told that you withdrew it; it stays on "
            "their desk, marked withdrawn, and you can still read it here."
        ).format(ref=report.ref)
        buttons = [
            InlineKeyboardButton(
                "↩️ " + t.gettext("Yes, withdraw it"), callback_data=WITHDRAW(report.id, "yes")
            ),
            InlineKeyboardButton(t.gettext("No, keep it"), callback_data=OPEN(report.id)),
        ]
        await edit_or_send(update, context, question, InlineKeyboardMarkup([[b] for b in buttons]))
        return
    viewers = await report_viewers(context.db, context.settings, report.region)
    moved = await set_status(
        context.db,
        report.id,
        "withdrawn",
        actor_id=None,  # she is never named beside her report
        only_from=[s for s in STATUSES if may_withdraw(s)],
        outbox=told_of(viewers, report.id, withdrawn=True),
    )
    context.app.wake_sender()
    fresh = await get_report(context.db, report.id) or report
    notice = t.gettext("Withdrawn. The coordinators are told.") if moved else None
    rows = [[InlineKeyboardButton("◀ " + t.gettext("My reports"), callback_data=LIST_FIRST())]]
    await edit_or_send(
        update, context, my_report_text(t, fresh), InlineKeyboardMarkup(rows), notice=notice
    )


def remember_for_wipe(context: BotContext, report_id: int, *message_ids: int) -> None:
    """Her additions and the bot's answers to them go with "remove this report from my
    phone" too."""
    assert context.user_data is not None
    wipes: dict[str, list[int]] = context.user_data.setdefault(REPORT_WIPE, {})
    wipes.setdefault(str(report_id), []).extend(message_ids)


async def add_to_report(update: Update, context: BotContext) -> int:
    """A text or a file for the report she is adding to."""
    message = update.effective_message
    assert message and context.user_data is not None and update.effective_user
    since = float(context.user_data.get(REPORT_ADDING_SINCE, 0))
    if time.time() - since > ADDING_TIMEOUT_SECONDS:
        # Long after she last added something: this message is not meant for the report.
        _stop_adding(context)
        await context.application.update_queue.put(update)
        return ConversationHandler.END
    context.user_data[REPORT_ADDING_SINCE] = time.time()
    report_id = int(context.user_data.get(REPORT_ADDING, 0))
    report = await _own_report(update, context, report_id) if report_id else None
    if report is None:
        return ConversationHandler.END
    t = context.t
    # The coordinators hear of the first addition of a sitting, with it.
    told: list[Outgoing] = []
    if not context.user_data.get(REPORT_ANNOUNCED) and not await is_muted(
        context.db, update.effective_user.id
    ):
        viewers = await report_viewers(context.db, context.settings, report.region)
        told = told_of(viewers, report.id, added=True)
    incoming = incoming_file(message)
    if incoming is not None:
        if incoming["size"] > MAX_FILE_BYTES:
            await message.reply_text(
                t.gettext("This file is larger than 20 MB, which the bot cannot receive.")
            )
            return MY_ADD
        limits = context.app.limits
        if len(report.attachments) >= limits.files_per_report:
            await message.reply_text(
                t.gettext(
                    "This report already has {max} files, the most one report can take. You "
                    "can still add text."
                ).format(max=limits.files_per_report)
            )
            return MY_ADD
        stored = await stored_bytes(context.db, update.effective_user.id)
        if stored + incoming["size"] > limits.bytes_per_person:
            await message.reply_text(too_much_stored(t))
            return MY_ADD
        await add_files(
            context.db,
            report.id,
            [await _download(context, incoming)],
            files_dir=context.settings.data_dir,
            outbox=told,
        )
        if message.caption:
            await add_message(context.db, report.id, author="reporter", text=message.caption)
    elif message.text:
        await add_message(
            context.db, report.id, author="reporter", text=message.text.strip(), outbox=told
        )
    else:
        await message.reply_text(t.gettext("Please send a text or a file."))
        return MY_ADD
    added = await message.reply_text(
        t.gettext("Added to {ref}. Send more, or tap “Done”.").format(ref=report.ref),
        reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton("✔ " + t.gettext("Done"), callback_data=DONE())]]
        ),
    )
    remember_for_wipe(context, report.id, message.message_id, added.message_id)
    context.user_data[REPORT_ANNOUNCED] = True
    context.app.wake_sender()
    return MY_ADD


def _stop_adding(context: BotContext) -> None:
    assert context.user_data is not None
    for key in (REPORT_ADDING, REPORT_ADDING_SINCE, REPORT_ANNOUNCED):
        context.user_data.pop(key, None)


async def done_adding(update: Update, context: BotContext) -> int:
    _stop_adding(context)
    await my_reports(update, context)
    return ConversationHandler.END


async def cancel_adding(update: Update, context: BotContext) -> int:
    assert update.effective_message
    _stop_adding(context)
    await update.effective_message.reply_text(context.t.gettext("Stopped."))
    return ConversationHandler.END


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    text = filters.TEXT & ~filters.COMMAND
    adding = persistent_conversation(
        "myreport",
        entry_points=[
            CallbackQueryHandler(start_adding, pattern=ADD.pattern),
            CallbackQueryHandler(start_adding, pattern=ANSWER_REPLY.pattern),
        ],
        states={
            MY_ADD: [
                CallbackQueryHandler(done_adding, pattern=DONE.pattern),
                MessageHandler(text | FILE_FILTER, add_to_report),
                MessageHandler(~filters.COMMAND, add_to_report),
            ]
        },
        fallbacks=[CommandHandler("cancel", cancel_adding)],
    )
    return [
        adding,
        CommandHandler("myreports", my_reports),
        CallbackQueryHandler(my_reports, pattern=LIST.pattern),
        CallbackQueryHandler(my_reports, pattern=LIST_FIRST.pattern),
        CallbackQueryHandler(open_my_report, pattern=OPEN.pattern),
        CallbackQueryHandler(withdraw, pattern=WITHDRAW.pattern),
    ]
