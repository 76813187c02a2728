"""/broadcasts: the announcements scheduled, being sent and past, newest first, with their
figures (kept with the outbox batch when it is done). Coordinators see all of them; a regional
lead sees her own."""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.context import BotContext
from bot.handlers.announcements.common import (
    LIST,
    audience_of,
    audience_text,
    content_of,
    excerpt,
    figures_line,
    privileged,
)
from bot.i18n import Translator
from bot.replies import edit_or_send
from db.announcements import DONE, SCHEDULED, SENDING, AnnouncementInfo, list_announcements
from db.announcements import figures as batch_figures
from db.engine import Database

PAGE_SIZE = 5


def _state(t: Translator, info: AnnouncementInfo) -> str:
    """Where it is, and since when."""
    if info.status == SCHEDULED and info.scheduled_for is not None:
        return "🕓 " + t.gettext("scheduled for {when}").format(
            when=t.short_datetime(info.scheduled_for)
        )
    if info.status == SENDING:
        text = "📣 " + t.gettext("being sent since {when}")
    elif info.status == DONE:
        text = "✅ " + t.gettext("sent {when}")
    else:
        text = "✖ " + t.gettext("cancelled {when}")
    moment = info.started_at or info.finished_at or info.created_at
    return text.format(when=t.short_datetime(moment))


async def entry(db: Database, t: Translator, info: AnnouncementInfo, reader: int) -> str:
    """One announcement: number, state, the beginning of its text, audience, figures."""
    everywhere = bool(info.audience.get("everywhere"))
    lines = [
        t.gettext("<b>Announcement {number}</b>").format(number=info.id) + " · " + _state(t, info),
        "«" + excerpt(content_of(info), 60) + "»",
        t.gettext("To: {audience}").format(
            audience=html.escape(
                audience_text(t, audience_of(info), everywhere, mine=info.author_id == reader)
            )
        ),
    ]
    if info.batch_id is not None:
        counts = await batch_figures(db, info.batch_id)
        lines.append(figures_line(t, counts, finished=info.status != SENDING))
    return "\n".join(lines)


async def show_broadcasts(update: Update, context: BotContext) -> None:
    """/broadcasts, or a page of it."""
    roles = await privileged(update, context, "broadcasts")
    if roles is None:
        return
    page = LIST.values(context.match)[0] if update.callback_query is not None else 0
    t = context.t
    author = None if roles.coordinator else roles.user_id
    items, total = await list_announcements(
        context.db, author_id=author, offset=page * PAGE_SIZE, limit=PAGE_SIZE
    )
    if not total:
        await edit_or_send(
            update,
            context,
            t.gettext("No announcements yet. /broadcast writes one."),
            None,
        )
        return
    pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
    head = t.gettext("<b>Announcements</b> (page {page} of {pages})").format(
        page=page + 1, pages=pages
    )
    bodies = [await entry(context.db, t, info, roles.user_id) for info in items]
    buttons = []
    if page > 0:
        buttons.append(
            InlineKeyboardButton("◀ " + t.gettext("Newer"), callback_data=LIST(page - 1))
        )
    if page + 1 < pages:
        buttons.append(
            InlineKeyboardButton(t.gettext("Older") + " ▶", callback_data=LIST(page + 1))
        )
    markup = InlineKeyboardMarkup([buttons]) if buttons else None
    await edit_or_send(update, context, "\n\n".join([head, *bodies]), markup)
