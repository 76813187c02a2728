"""Messages to other people (approvers, coordinators, a member told of a decision, a reporter):
each in her own language, never to someone who blocked the bot, and one failure never stops the
others."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from telegram import InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden

from bot.context import BotContext
from bot.i18n import DEFAULT_LANGUAGE, Translator, get_translator, resolve_language
from db.users import get_user, set_blocked

log = logging.getLogger(__name__)

Render = Callable[[Translator], tuple[str, InlineKeyboardMarkup | None]]


async def deliver(
    context: BotContext,
    user_id: int,
    render: Render,
    *,
    fallback_language: str | None = None,
    who: str | None = None,
) -> bool:
    """Send `render(her translator)` to one person; True if it reached her.

    Her stored language wins, then `fallback_language` (e.g. the one she reported in), then her
    Telegram app's. `who` names her in the logs instead of her id, e.g. "the reporter of report
    7": an anonymous reporter's id must never be written down."""
    label = who or f"user {user_id}"
    person = await get_user(context.db, user_id)
    if person is None or person.blocked:
        log.info("%s cannot be reached (never wrote to the bot, or blocked it)", label)
        return False
    lang = resolve_language(person.language, fallback_language or person.telegram_language)
    text, markup = render(get_translator(lang or DEFAULT_LANGUAGE, context.settings.timezone))
    try:
        await context.bot.send_message(user_id, text, reply_markup=markup)
    except Forbidden:
        await set_blocked(context.db, user_id, True)
        log.info("%s has blocked the bot; not told", label)
        return False
    except BadRequest as exc:
        log.warning("Could not reach %s: %s", label, exc.message)
        return False
    return True


async def notify_each(context: BotContext, user_ids: Iterable[int], render: Render) -> int:
    """Send `render(her translator)` to each person; returns how many got it."""
    sent = 0
    for user_id in sorted(set(user_ids)):
        sent += await deliver(context, user_id, render)
    return sent
