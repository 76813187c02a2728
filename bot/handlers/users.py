"""Runs before every feature: records the person, resolves her language, keeps to private chats."""

from __future__ import annotations

import logging

from telegram import ChatMember, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, BaseHandler, TypeHandler

from bot import keys
from bot.context import BotContext
from bot.i18n import resolve_language
from bot.menu import refresh_commands
from db.roles import privileged_ids
from db.users import record_user, set_blocked

log = logging.getLogger(__name__)

GONE_STATUSES = (ChatMember.LEFT, ChatMember.BANNED)


async def track_user(update: Update, context: BotContext) -> None:
    """Record who wrote and pick her language; stop updates that are not for features."""
    if update.edited_message is not None:
        # An edit is not a new answer: a conversation must not take it for one.
        raise ApplicationHandlerStop
    member_update = update.my_chat_member
    chat = update.effective_chat
    if member_update is not None and chat is not None and chat.type == ChatType.PRIVATE:
        blocked = member_update.new_chat_member.status in GONE_STATUSES
        await set_blocked(context.db, chat.id, blocked)
        log.info("User %s %s the bot", chat.id, "blocked" if blocked else "unblocked")
        raise ApplicationHandlerStop

    user = update.effective_user
    if user is not None and not user.is_bot:
        person, is_new = await record_user(
            context.db,
            user_id=user.id,
            first_name=user.first_name,
            username=user.username,
            telegram_language=user.language_code,
        )
        if is_new:
            log.info("New user %s", user.id)
            # A coordinator's (or lead's) first message: now Telegram knows the chat, so her
            # own command menu can be set.
            if user.id in context.settings.coordinator_ids or user.id in await privileged_ids(
                context.db
            ):
                await refresh_commands(context.app, user.id)
        context.person = person
        context.lang = resolve_language(person.language, user.language_code)

    if chat is not None and chat.type != ChatType.PRIVATE:
        await answer_group_once(update, context)
        raise ApplicationHandlerStop


async def answer_group_once(update: Update, context: BotContext) -> None:
    """In a group, say once that the bot works in private chat, then stay quiet there."""
    if update.callback_query is not None:
        await update.callback_query.answer(
            context.t.gettext("I work only in a private chat with you."), show_alert=True
        )
        return
    chat = update.effective_chat
    if chat is None or context.chat_data is None or context.chat_data.get(keys.GROUP_NOTICE_SENT):
        return
    member_update = update.my_chat_member
    if member_update is not None and member_update.new_chat_member.status in GONE_STATUSES:
        return
    if update.effective_message is None and member_update is None:
        return
    username = context.bot.username
    await context.bot.send_message(
        chat.id,
        context.t.gettext(
            "I work only in a private chat, to keep what you tell me safe. "
            "Please write to me directly."
        ),
        reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton(f"@{username}", url=f"https://t.me/{username}")]]
        ),
    )
    context.chat_data[keys.GROUP_NOTICE_SENT] = True


def build_handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [TypeHandler(Update, track_user)]
