"""The coordinators' desk of incident reports, one module per job:

- listing.py   /reports: counts, filters (status, region, category) and the list in pages
- card.py      a report's card, and taking it
- status.py    status changes (the reporter is told); closing asks for a reason; reopening
- files.py     a report's attachments, each with its SHA-256
- replies.py   replies to the reporter and internal notes (a short conversation)
- export.py    the filtered reports as a CSV file
- reminders.py the 48-hour rule (a repeating job)
- access.py    who may see what; callbacks.py: what each button carries

Regional leads read the reports of their regions when LEADS_SEE_REPORTS=true, and only read.
Every command and every button checks the role, and the report's region, again on the server.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.callbacks import OPEN_REPORT
from bot.context import BotContext

from .callbacks import BACK, EXPORT, FILES, FULL_TEXT, LIST, MUTE, PICK, TAKE
from .card import mute_sender, open_card, send_full_text, take_report
from .export import export_csv
from .files import send_attachments
from .listing import back_to_list, list_page, pick_filter, show_reports
from .reminders import raise_stale_reports, schedule_jobs
from .replies import compose_conversation
from .status import build_handlers as status_handlers

__all__ = ["build_handlers", "raise_stale_reports", "schedule_jobs"]


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [
        compose_conversation(),
        *status_handlers(),
        CommandHandler("reports", show_reports),
        CallbackQueryHandler(list_page, pattern=LIST.pattern),
        CallbackQueryHandler(pick_filter, pattern=PICK.pattern),
        CallbackQueryHandler(back_to_list, pattern=BACK.pattern),
        CallbackQueryHandler(open_card, pattern=OPEN_REPORT.pattern),
        CallbackQueryHandler(take_report, pattern=TAKE.pattern),
        CallbackQueryHandler(mute_sender, pattern=MUTE.pattern),
        CallbackQueryHandler(send_attachments, pattern=FILES.pattern),
        CallbackQueryHandler(send_full_text, pattern=FULL_TEXT.pattern),
        CallbackQueryHandler(export_csv, pattern=EXPORT.pattern),
    ]
