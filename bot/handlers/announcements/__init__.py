"""Announcements to the community (/broadcast, /broadcasts), one module per job:

- steps.py     the questions: who it is for, the text, a file, other languages, forwarding
- compose.py   the form, the preview exactly as members will see it, Change / Discard
- sending.py   Send now, Schedule (one question, and a repeating job), Cancel
- delivery.py  each message rendered in the member's language; the status message's figures
               and final line; "Stop announcements"
- listing.py   /broadcasts: past and coming announcements with their figures
- common.py    buttons, who may press them, the texts that describe an announcement

An announcement is a batch of outbox messages at the lowest priority, paced at BROADCAST_RATE
(bot/delivery): a danger alert or an answer to anyone never waits behind it.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.context import BotContext

from .common import DROP, EDIT, GO, LIST, MUTE, STOP, WHEN
from .compose import COMPOSE, change, discard
from .delivery import mute
from .listing import show_broadcasts
from .sending import WHEN_FORM, cancel, schedule_jobs, send_now, start_due

__all__ = ["build_handlers", "schedule_jobs", "start_due"]


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [
        *COMPOSE.handlers(entries=[CallbackQueryHandler(change, pattern=EDIT.pattern)]),
        *WHEN_FORM.handlers(entries=[CallbackQueryHandler(WHEN_FORM.start, pattern=WHEN.pattern)]),
        CallbackQueryHandler(send_now, pattern=GO.pattern),
        CallbackQueryHandler(discard, pattern=DROP.pattern),
        CallbackQueryHandler(cancel, pattern=STOP.pattern),
        CallbackQueryHandler(mute, pattern=MUTE.pattern),
        CommandHandler("broadcasts", show_broadcasts),
        CallbackQueryHandler(show_broadcasts, pattern=LIST.pattern),
    ]
