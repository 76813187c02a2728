"""/roles: coordinators give and take the coordinator and regional lead roles from the chat.

- search.py   find a member by part of her name, or by region (a short conversation)
- card.py     her card, and what she is told when her roles change
- changes.py  the buttons that change her roles
- callbacks.py what each button carries

Every command and button checks the role again on the server, including the person and regions
a button carries: buttons can be forged by a modified client.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.context import BotContext
from bot.conversation import persistent_conversation

from .callbacks import CARD, COORDINATOR, HOME, IN_REGION, LEAD, MEMBER_ONLY, SAVE, TOGGLE
from .changes import (
    pick_lead_regions,
    remove_roles,
    save_lead_regions,
    show_card,
    toggle_coordinator,
    toggle_lead_region,
)
from .search import SEARCHING, ask_member, cancel_search, find_by_name, pick_region


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    search = persistent_conversation(
        "roles",
        entry_points=[
            CommandHandler("roles", ask_member),
            CallbackQueryHandler(ask_member, pattern=HOME.pattern),
            CallbackQueryHandler(pick_region, pattern=IN_REGION.pattern),
        ],
        states={SEARCHING: [MessageHandler(filters.TEXT & ~filters.COMMAND, find_by_name)]},
        fallbacks=[CommandHandler("cancel", cancel_search)],
    )
    return [
        search,
        CallbackQueryHandler(show_card, pattern=CARD.pattern),
        CallbackQueryHandler(toggle_coordinator, pattern=COORDINATOR.pattern),
        CallbackQueryHandler(pick_lead_regions, pattern=LEAD.pattern),
        CallbackQueryHandler(toggle_lead_region, pattern=TOGGLE.pattern),
        CallbackQueryHandler(save_lead_regions, pattern=SAVE.pattern),
        CallbackQueryHandler(remove_roles, pattern=MEMBER_ONLY.pattern),
    ]
