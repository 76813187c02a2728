"""🗂 Desk: what waits for a coordinator or regional lead (membership requests, new reports,
reports still new after 48 hours), with a button to each, and the commands of her desks. From
the main menu; /start shows the same summary above the menu."""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.callbacks import DESK_OPEN, MEMBERS_PAGE, MENU_HOME, OPEN_REPORT, REPORTS_LIST
from bot.context import BotContext
from bot.i18n import Translator
from bot.keyboards import in_rows
from bot.menu import desk_commands
from bot.replies import edit_or_send, refuse
from bot.services.desk import Waiting, waiting, waiting_lines
from bot.services.roles import Roles, roles_of

log = logging.getLogger(__name__)

STALE_BUTTONS = 6  # reports still new after 48 hours with a button of their own


def desk_text(t: Translator, roles: Roles, w: Waiting, leads_see_reports: bool) -> str:
    lines = ["🗂 <b>" + t.gettext("Desk") + "</b>", *waiting_lines(t, w), ""]
    lines.append("<b>" + t.gettext("Your desks") + "</b>")
    lines += [
        f"/{command} — {t.gettext(description)}"
        for command, description in desk_commands(roles, leads_see_reports)
    ]
    return "\n".join(lines)


def desk_keyboard(t: Translator, w: Waiting) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    if w.requests:
        label = "⏳ " + t.gettext("Requests ({count})").format(count=w.requests)
        rows.append([InlineKeyboardButton(label, callback_data=MEMBERS_PAGE("pend", "all", 0))])
    if w.new_reports:
        label = "🆕 " + t.gettext("New reports ({count})").format(count=w.new_reports)
        rows.append([InlineKeyboardButton(label, callback_data=REPORTS_LIST("new", None, None, 0))])
    rows += in_rows(
        [
            InlineKeyboardButton("⏰ " + report.ref, callback_data=OPEN_REPORT(report.id))
            for report in w.stale[:STALE_BUTTONS]
        ]
    )
    rows.append([InlineKeyboardButton("◀ " + t.gettext("Main menu"), callback_data=MENU_HOME())])
    return InlineKeyboardMarkup(rows)


async def show_desk(update: Update, context: BotContext) -> None:
    """🗂 Desk: what waits for her, and her desks."""
    user = update.effective_user
    assert user is not None
    roles = await roles_of(context.db, context.settings, user.id)
    if not roles.privileged:
        log.warning("Refused the desk to user %s (no role)", user.id)
        await refuse(update, context.t.gettext("This is only for coordinators and regional leads."))
        return
    t = context.t
    w = await waiting(context.db, context.settings, roles)
    text = desk_text(t, roles, w, context.settings.leads_see_reports)
    await edit_or_send(update, context, text, desk_keyboard(t, w))


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [CallbackQueryHandler(show_desk, pattern=DESK_OPEN.pattern)]
