"""Filing an incident report (/report): the form, the danger path, sending, and removing the
report's messages from her phone.

Anyone who started the bot can report; membership is not required. Everything she enters is
kept (encrypted) in the draft while she answers, so a restart loses nothing. Notices to
coordinators never contain the report's text.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatAction
from telegram.error import BadRequest, TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.callbacks import ID, OPEN_REPORT, REPORT_START, Callback
from bot.context import BotContext
from bot.delivery import DANGER as DANGER_PRIORITY
from bot.delivery import NOTICE, Recipient, Rendered, renderer
from bot.forms import Form, Input, Step, Turn
from bot.handlers.reports.danger import accept_danger, help_lines, kept_after_alert
from bot.handlers.reports.steps import (
    CATEGORY,
    CONTACT,
    PLACE,
    REGION,
    STORY,
    WHAT,
    WHEN,
    _yes_no,
    danger_options,
    summary_text,
)
from bot.i18n import N_, Translator
from bot.keyboards import category_name, region_name
from bot.keys import REPORT_DRAFT, REPORT_WIPE
from bot.notify import to_each
from bot.replies import replace_buttons
from bot.services.reports import stored_bytes
from bot.services.roles import report_viewers
from db.copies import REPLY_COPY, copies_of
from db.members import get_member
from db.mutes import is_muted
from db.outbox import Outgoing
from db.reports import (
    FileIn,
    ReportDraft,
    Reporter,
    ReportInfo,
    create_report,
    get_report,
    is_reporter,
)

log = logging.getLogger(__name__)

WIPE = Callback("rpt:wipe", ID)


DANGER = Step(
    "danger",
    lambda t, _d: (
        t.gettext("<b>Is anyone in immediate danger right now?</b>")
        + "\n"
        + t.gettext(
            "If you answer yes, the coordinators are alerted at once, with what you have written "
            "so far but not your name, so that they can write to you here."
        )
    ),
    Input.BUTTON,
    accept_danger,
    options=danger_options,
    label=N_("Someone in immediate danger"),
    show=lambda t, d: _yes_no(t, d.get("danger")),
)


# -- sending ---------------------------------------------------------------------------------


async def _download(context: BotContext, item: dict[str, Any]) -> FileIn:
    telegram_file = await context.bot.get_file(item["file_id"])
    data = bytes(await telegram_file.download_as_bytearray())
    return FileIn(
        kind=item["kind"],
        file_id=item["file_id"],
        data=data,
        file_name=item.get("file_name"),
        mime_type=item.get("mime_type"),
        caption=item.get("caption"),
    )


async def _reporter(turn: Turn, anonymous: bool) -> Reporter:
    user = turn.update.effective_user
    assert user is not None
    if anonymous:
        # Only what relaying messages to her needs: her id, never her name or phone.
        return Reporter(user_id=user.id, name="")
    member = await get_member(turn.context.db, user.id)
    return Reporter(
        user_id=user.id,
        name=member.name if member else user.full_name,
        username=user.username,
        phone=member.phone if member else None,
    )


async def send_report(turn: Turn) -> bool:
    """📨 Send: store it (files downloaded, hashed, encrypted), tell her what happens next."""
    context, draft, t = turn.context, turn.draft, turn.t
    query = turn.query
    assert query is not None and turn.update.effective_chat
    limits = context.app.limits
    danger = bool(draft.get("danger"))
    if not danger and not limits.reports_allowed(turn.user_id):
        # Someone in danger is never held back; anyone else, after a few reports an hour.
        await query.answer(
            t.gettext(
                "You have sent several reports in the last hour. Please wait a little before "
                "sending another; this one is kept here."
            ),
            show_alert=True,
        )
        return False
    files_size = sum(int(item.get("size") or 0) for item in draft.get("files") or [])
    if (
        files_size
        and await stored_bytes(context.db, turn.user_id) + files_size > limits.bytes_per_person
    ):
        await query.answer(too_much_stored(t), show_alert=True)
        return False
    await query.answer()
    await context.bot.send_chat_action(turn.update.effective_chat.id, ChatAction.TYPING)
    files = []
    for number, item in enumerate(draft.get("files") or [], start=1):
        try:
            files.append(await _download(context, item))
        except TelegramError as exc:
            # The Send button stays and nothing is lost: she can try again.
            log.warning("Could not download a report file: %s", exc)
            seq = int(draft.get("_seq", 0))
            drop = InlineKeyboardButton(
                "🗑 " + t.gettext("Send without this file"),
                callback_data=turn.form.press(seq, "dropfile", str(number)),
            )
            await turn.say(
                t.gettext(
                    "File {number} could not be received from Telegram just now. Please press "
                    "“Send” again in a moment; everything you entered is kept."
                ).format(number=number),
                InlineKeyboardMarkup([[drop]]),
            )
            return False
    await replace_buttons(query, None)
    anonymous = bool(draft.get("anonymous", True))
    text = str(draft["text"])
    if draft.get("what"):
        text = f"[{draft['what']}]\n\n{text}"
    # A muted sender's report is kept and on the desk, but nobody is notified of it.
    muted = await is_muted(context.db, turn.user_id)
    viewers = (
        set() if muted else await report_viewers(context.db, context.settings, draft["region"])
    )
    report = await create_report(
        context.db,
        ReportDraft(
            category=draft["category"],
            region=draft["region"],
            text=text,
            occurred=draft["occurred"],
            danger=bool(draft.get("danger")),
            anonymous=anonymous,
            place=draft.get("place"),
            files=tuple(files),
        ),
        await _reporter(turn, anonymous),
        lang=t.lang,
        files_dir=context.settings.data_dir,
        # Raised by its alert already: the coordinators hear that the rest of it has come.
        announce=lambda report_id: told_of(
            viewers,
            report_id,
            danger=bool(draft.get("danger")),
            added=bool(draft.get("alert_report")),
        ),
        # Filed once per draft: a second Send (or Send again after a crash) gets the same report.
        filing_id=draft.get("_id"),
    )
    context.app.wake_sender()
    limits.note("report", turn.user_id)
    if draft.get("danger_alerted"):
        limits.forget("alert", turn.user_id)  # the alert was followed by its report
    log.info("Report %s received", report.ref)
    await turn.say(*await sent_message(turn, report))
    assert context.user_data is not None
    wipes: dict[str, list[int]] = context.user_data.setdefault(REPORT_WIPE, {})
    wipes[str(report.id)] = list(draft.get("_msgs") or [])
    return True


async def sent_message(turn: Turn, report: ReportInfo) -> tuple[str, InlineKeyboardMarkup]:
    """Her reference, what happens next, the help lines, and "remove from my phone"."""
    t = turn.t
    if report.danger:
        next_steps = t.gettext(
            "What happens next: your report is on the coordinators' desk, and an alert went to "
            "them when you said someone is in danger (you see here when it has reached them). "
            "If the danger is immediate, call the numbers below now: do not wait for an answer "
            "here. A coordinator will write to you here."
        )
    else:
        next_steps = t.gettext(
            "What happens next: a coordinator reads it and decides how to help. You get "
            "a message here when its status changes or when the coordinators write to "
            "you. With /myreports you can follow it and add information."
        )
    text = "\n".join(
        [
            t.gettext("✅ <b>Your report has been sent.</b> Reference: <b>{ref}</b>").format(
                ref=report.ref
            ),
            "",
            next_steps,
            "",
            t.gettext("<b>Where to get help</b>"),
            await help_lines(turn.context.db, t, report.category, report.region),
        ]
    )
    wipe = InlineKeyboardButton(
        "🧹 " + t.gettext("Remove this report from my phone"), callback_data=WIPE(report.id)
    )
    return text, InlineKeyboardMarkup([[wipe]])


def told_of(
    viewers: set[int],
    report_id: int,
    *,
    danger: bool = False,
    added: bool = False,
    withdrawn: bool = False,
) -> list[Outgoing]:
    """Coordinators (and leads, if allowed) learn of a report, of something added to it, or
    that she withdrew it: reference, region and category only, never its text."""
    kind = "report.withdrawn" if withdrawn else "report.added" if added else "report.new"
    priority = DANGER_PRIORITY if danger and not added else NOTICE
    return to_each(viewers, kind, {"report": report_id}, priority=priority)


@renderer("report.new")
@renderer("report.added")
@renderer("report.withdrawn")
async def render_notice(r: Recipient) -> Rendered | None:
    report = await get_report(r.app.db, int(r.params["report"]))
    if report is None:
        return None
    t = r.t
    if r.kind == "report.withdrawn":
        text = t.gettext("The reporter withdrew report {ref} ({region}, {category})")
    elif r.kind == "report.added":
        text = t.gettext("New information on report {ref} ({region}, {category})")
    else:
        text = t.gettext("New report {ref} ({region}, {category})")
    text = text.format(
        ref=report.ref,
        region=region_name(t, report.region),
        category=category_name(t, report.category),
    )
    if report.danger and r.kind == "report.new":
        text = "⚠️ " + text + "\n" + t.gettext("Someone is in immediate danger.")
    button = InlineKeyboardButton("📂 " + t.gettext("Open"), callback_data=OPEN_REPORT(report.id))
    return Rendered(text, InlineKeyboardMarkup([[button]]))


def too_much_stored(t: Translator) -> str:
    return t.gettext(
        "Your reports already hold as many files as one person can keep here. Please send "
        "fewer or smaller files, or ask the coordinators for another way to send them."
    )


async def drop_file(turn: Turn, arg: str | None) -> object:
    """🗑 Send without this file: a file Telegram cannot give is taken out of the draft."""
    files: list[dict[str, Any]] = turn.draft.get("files") or []
    if arg and arg.isdigit() and 1 <= int(arg) <= len(files):
        files.pop(int(arg) - 1)
        turn.draft["files"] = files
    if turn.query is not None:
        await turn.query.answer()
    return await turn.form.show_summary(turn)


REPORT = Form(
    REPORT_DRAFT,
    "r",
    (CATEGORY, WHAT, REGION, PLACE, STORY, WHEN, DANGER, CONTACT),
    command="report",
    intro=N_(
        "<b>Report an incident</b>\nOnly the coordinators read reports, and you can stay "
        "anonymous. What you write is stored encrypted. /cancel stops at any time; "
        "nothing is sent until you confirm."
    ),
    submit=send_report,
    submit_label=N_("Send the report"),
    submit_icon="📨 ",
    summary=summary_text,
    cancelled=N_("Cancelled. Nothing was sent, and the draft is deleted."),
    kept=kept_after_alert,
    remember_messages=True,
    actions={"dropfile": drop_file},
)


# -- removing it from her phone --------------------------------------------------------------


async def wipe(update: Update, context: BotContext) -> None:
    """Delete that report's messages, hers and the bot's, from this chat."""
    query = update.callback_query
    assert query is not None and update.effective_chat and context.user_data is not None
    (report_id,) = WIPE.values(context.match)
    chat_id = update.effective_chat.id
    if not await is_reporter(context.db, report_id, chat_id):
        log.warning("Refused removing report %s to user %s (not hers)", report_id, chat_id)
        await query.answer(context.t.gettext("This report is not yours."), show_alert=True)
        return
    wipes: dict[str, list[int]] = context.user_data.get(REPORT_WIPE, {})
    ids = list(wipes.get(str(report_id), []))
    # The coordinators' replies in her chat, wherever they arrived (db/copies.py).
    report = await get_report(context.db, report_id)
    replies = [m.id for m in report.thread if m.author == "coordinator"] if report else []
    ids += [
        c.message_id
        for c in await copies_of(context.db, REPLY_COPY, replies)
        if c.chat_id == chat_id
    ]
    if query.message is not None and query.message.message_id not in ids:
        ids.append(query.message.message_id)
    ids = sorted(set(ids))
    await query.answer()
    t = context.t
    removed = True
    for start in range(0, len(ids), 100):
        try:
            await context.bot.delete_messages(update.effective_chat.id, ids[start : start + 100])
        except BadRequest as exc:  # e.g. older than 48 hours: Telegram no longer allows it
            removed = False
            log.info("Could not delete some report messages: %s", exc.message)
    wipes.pop(str(report_id), None)
    if removed:
        text = t.gettext("Removed from this chat. /myreports still shows your reports.")
    else:
        text = t.gettext(
            "Some of these messages could not be removed: Telegram allows it only for 48 "
            "hours. Please delete them yourself (press and hold a message, then Delete)."
        )
    await context.bot.send_message(update.effective_chat.id, text)


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [
        *REPORT.handlers(buttons=[REPORT_START.pattern]),
        CallbackQueryHandler(wipe, pattern=WIPE.pattern),
    ]
