"""/setcontacts: coordinators keep the help lines (shown with reports, in the danger path and
from the menu) up to date from a phone.

- directory.py  the list, a line's card (shown at once in danger or not, remove), marking the
                numbers as checked
- lines.py      adding a line, and changing one answer of a line (forms)
- upload.py     the bulk way: the whole directory as a JSON file, and a corrected file back
- callbacks.py  what each button carries

Coordinators only: every command and button checks again on the server.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.context import BotContext

from . import upload
from .callbacks import ADD, CHECKED, DIRECTORY, EDIT, EMERGENCY, LINE, REMOVE
from .directory import mark_checked, open_directory, open_line, remove_line, toggle_emergency
from .lines import ADD_LINE, EDIT_LINE, edit_field


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [
        *upload.build_handlers(),  # /setcontacts file, 📄 As a file
        *ADD_LINE.handlers(buttons=[ADD.pattern]),
        *EDIT_LINE.handlers(entries=[CallbackQueryHandler(edit_field, pattern=EDIT.pattern)]),
        CommandHandler("setcontacts", open_directory),
        CallbackQueryHandler(open_directory, pattern=DIRECTORY.pattern),
        CallbackQueryHandler(open_line, pattern=LINE.pattern),
        CallbackQueryHandler(toggle_emergency, pattern=EMERGENCY.pattern),
        CallbackQueryHandler(remove_line, pattern=REMOVE.pattern),
        CallbackQueryHandler(mark_checked, pattern=CHECKED.pattern),
    ]
