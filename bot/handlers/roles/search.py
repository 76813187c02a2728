"""/roles, first step: find a member by part of her name, or by region."""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ConversationHandler

from bot.context import BotContext
from bot.i18n import Translator
from bot.keyboards import region_name, region_rows
from bot.replies import edit_or_send, require_coordinator
from bot.text import shorten
from db.members import MemberPage, members_page, search_members

from .callbacks import CARD, HOME, IN_REGION

SEARCHING = 1
MAX_RESULTS = 20  # members shown as buttons after a search
NAME_LIMIT = 40  # characters of a name shown on a button
QUERY_LIMIT = 64  # characters of a typed search that are used


def _prompt(t: Translator) -> tuple[str, InlineKeyboardMarkup]:
    text = (
        "👤 "
        + t.gettext("Send part of a name to find a member, or choose a region.")
        + "\n"
        + t.gettext("/cancel to stop.")
    )
    return text, InlineKeyboardMarkup(region_rows(t, IN_REGION))


def _results(t: Translator, found: MemberPage, heading: str) -> tuple[str, InlineKeyboardMarkup]:
    members = found.members
    lines = [heading]
    if found.total > MAX_RESULTS:
        lines.append(
            t.gettext(
                "{count} found; the first {shown} are shown. Send a longer part of the name "
                "to narrow the search."
            ).format(count=found.total, shown=MAX_RESULTS)
        )
    else:
        lines.append(t.gettext("Choose a member:"))
    buttons = [
        [
            InlineKeyboardButton(
                f"{shorten(m.name, NAME_LIMIT)} · {region_name(t, m.region)}",
                callback_data=CARD(m.user_id),
            )
        ]
        for m in members[:MAX_RESULTS]
    ]
    buttons.append([InlineKeyboardButton("🔎 " + t.gettext("New search"), callback_data=HOME())])
    return "\n".join(lines), InlineKeyboardMarkup(buttons)


async def ask_member(update: Update, context: BotContext) -> int:
    """/roles (or "New search"): ask for part of a name, or a region."""
    if not await require_coordinator(update, context, "/roles"):
        return ConversationHandler.END
    text, markup = _prompt(context.t)
    await edit_or_send(update, context, text, markup)
    return SEARCHING


async def find_by_name(update: Update, context: BotContext) -> int:
    """The typed part of a name: the members whose name contains it."""
    if not await require_coordinator(update, context, "/roles search"):
        return ConversationHandler.END
    message = update.effective_message
    assert message is not None and message.text is not None
    t = context.t
    needle = message.text.strip()[:QUERY_LIMIT]
    found = await search_members(context.db, needle, limit=MAX_RESULTS)
    if not found.total:
        await message.reply_text(
            t.gettext(
                "Nobody found for “{query}”. Send another part of the name, or /cancel."
            ).format(query=html.escape(needle))
        )
        return SEARCHING
    heading = "🔎 " + t.gettext("Members whose name contains “{query}”").format(
        query=html.escape(needle)
    )
    text, markup = _results(t, found, heading)
    await message.reply_text(text, reply_markup=markup)
    return SEARCHING if found.total > MAX_RESULTS else ConversationHandler.END


async def pick_region(update: Update, context: BotContext) -> int:
    """A region button: its members."""
    if not await require_coordinator(update, context, "/roles region"):
        return ConversationHandler.END
    (code,) = IN_REGION.values(context.match)
    t = context.t
    found = await members_page(context.db, regions=[code], limit=MAX_RESULTS)
    if not found.total:
        prompt, markup = _prompt(t)
        empty = t.gettext("No members in {region} yet.").format(region=region_name(t, code))
        await edit_or_send(update, context, empty + "\n\n" + prompt, markup)
        return SEARCHING
    heading = "📍 " + t.gettext("Members in {region}").format(region=region_name(t, code))
    text, markup = _results(t, found, heading)
    await edit_or_send(update, context, text, markup)
    return SEARCHING if found.total > MAX_RESULTS else ConversationHandler.END


async def cancel_search(update: Update, context: BotContext) -> int:
    assert update.effective_message
    await update.effective_message.reply_text(context.t.gettext("Cancelled. Nothing was changed."))
    return ConversationHandler.END
