"""Local dialogue events, one module per job:

- announce.py   /newevent: the form, the preview, Publish (notices to members, as a batch)
- steps.py      the questions of an event (also used to edit one)
- render.py     how a notice and a card read, and their buttons
- notices.py    what the outbox sends: notices, changes, cancellations, reminders, moving up
- browse.py     /events: the list, the card, Going / Maybe / Can't come, .ics, who is coming
- organise.py   edit, call off, write to those going
- outcomes.py   the outcome form, and the coordinators' report and CSV
- reminders.py  the repeating job: reminders, and the outcome question after the end
- access.py     who may do what; callbacks.py: what each button carries
"""

from __future__ import annotations

from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.callbacks import EVENTS_MENU
from bot.forms.wiring import Handler

from . import announce, notices, organise, outcomes
from .browse import answer_event, list_page, open_card, send_calendar, show_events, who_is_coming
from .callbacks import ICS, LIST, OPEN, RSVP, WHO
from .reminders import schedule_jobs, send_due_reminders

__all__ = ["build_handlers", "notices", "schedule_jobs", "send_due_reminders"]


def build_handlers() -> list[Handler]:
    return [
        *announce.build_handlers(),
        *organise.build_handlers(),
        *outcomes.build_handlers(),
        CommandHandler("events", show_events),
        CallbackQueryHandler(show_events, pattern=EVENTS_MENU.pattern),
        CallbackQueryHandler(list_page, pattern=LIST.pattern),
        CallbackQueryHandler(open_card, pattern=OPEN.pattern),
        CallbackQueryHandler(answer_event, pattern=RSVP.pattern),
        CallbackQueryHandler(send_calendar, pattern=ICS.pattern),
        CallbackQueryHandler(who_is_coming, pattern=WHO.pattern),
    ]
