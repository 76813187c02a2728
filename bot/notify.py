"""Messages to other people (approvers, a member told of a decision): each in her own language,
never to someone who blocked the bot, and one failure never stops the others."""

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


async def notify_each(context: BotContext, user_ids: Iterable[int], render: Render) -> int:
    """Send `render(her translator)` to each person; returns how many got it."""
    sent = 0
    for user_id in sorted(set(user_ids)):
        person = await get_user(context.db, user_id)
        if person is None or person.blocked:
            continue  # never wrote to the bot (Telegram would refuse), or blocked it
        lang = resolve_language(person.language, person.telegram_language) or DEFAULT_LANGUAGE
        text, markup = render(get_translator(lang, context.settings.timezone))
        try:
            await context.bot.send_message(user_id, text, reply_markup=markup)
        except Forbidden:
            await set_blocked(context.db, user_id, True)
            log.info("User %s has blocked the bot; not notified", user_id)
        except BadRequest as exc:
            log.warning("Could not notify user %s: %s", user_id, exc.message)
        else:
            sent += 1
    return sent
