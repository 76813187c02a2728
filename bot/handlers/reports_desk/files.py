"""A report's files, each with the SHA-256 taken when it arrived: by Telegram's file_id while it
works, else the decrypted copy kept on disk (checked against that SHA-256)."""

from __future__ import annotations

import asyncio
import hashlib
import html
import logging

from telegram import InputFile, Update
from telegram.error import BadRequest

from bot.context import BotContext
from bot.i18n import Translator
from bot.text import shorten
from db.report_desk import record_view
from db.reports import AttachmentInfo, read_attachment

from .access import load
from .callbacks import FILES

log = logging.getLogger(__name__)

CAPTION_NAME_MAX = 200


def _caption(t: Translator, index: int, item: AttachmentInfo, intact: bool | None) -> str:
    name = shorten(
        item.file_name or t.gettext("File {number}").format(number=index), CAPTION_NAME_MAX
    )
    lines = [html.escape(name), "SHA-256: <code>" + item.sha256 + "</code>"]
    if intact is False:
        lines.append(
            "⚠️ "
            + html.escape(
                t.gettext("This file no longer matches the SHA-256 taken when it arrived.")
            )
        )
    return "\n".join(lines)


async def _send_attachment(
    context: BotContext, chat_id: int, index: int, item: AttachmentInfo
) -> bool:
    """By Telegram's file_id if it still works, else the decrypted copy from disk."""
    t = context.t
    if item.kind in ("photo", "document"):
        try:
            caption = _caption(t, index, item, None)
            if item.kind == "photo":
                await context.bot.send_photo(chat_id, item.file_id, caption=caption)
            else:
                await context.bot.send_document(chat_id, item.file_id, caption=caption)
            return True
        except BadRequest:
            pass  # an old or foreign file_id: send the copy we keep
    try:
        data = await asyncio.to_thread(read_attachment, context.db, context.settings.data_dir, item)
    except Exception:
        log.exception("Could not read attachment %s", item.id)
        return False
    intact = hashlib.sha256(data).hexdigest() == item.sha256
    name = item.file_name or f"attachment-{index}"
    await context.bot.send_document(
        chat_id, InputFile(data, filename=name), caption=_caption(t, index, item, intact)
    )
    return True


async def send_attachments(update: Update, context: BotContext) -> None:
    """Every file of the report, each with its SHA-256."""
    (report_id,) = FILES.values(context.match)
    loaded = await load(update, context, "report attachments", report_id, write=False)
    if loaded is None:
        return
    _roles, report = loaded
    assert update.callback_query and update.effective_user and update.effective_chat
    t = context.t
    if not report.attachments:
        await update.callback_query.answer(t.gettext("This report has no attachments."))
        return
    await update.callback_query.answer()
    await record_view(context.db, report.id, actor_id=update.effective_user.id, what="attachments")
    failed = 0
    for index, item in enumerate(report.attachments, start=1):
        if not await _send_attachment(context, update.effective_chat.id, index, item):
            failed += 1
    if failed:
        await context.bot.send_message(
            update.effective_chat.id,
            html.escape(
                t.ngettext(
                    "{count} file could not be read.", "{count} files could not be read.", failed
                ).format(count=failed)
            ),
        )
