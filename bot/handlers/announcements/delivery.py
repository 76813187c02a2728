"""An announcement on its way: how each message is rendered (in the member's language, with
"Stop announcements" under it), the author's status message while it runs (edited every few
seconds) and its final line, and the one-tap "Stop announcements"."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.context import BotContext, SolidarityApp
from bot.delivery import (
    NOTICE,
    Outgoing,
    Recipient,
    Rendered,
    batch_hook,
    progress_hook,
    renderer,
    send_rendered,
)
from bot.handlers.announcements.common import (
    FINAL,
    KIND,
    mute_keyboard,
    shown,
    status_text,
    stop_keyboard,
)
from bot.i18n import DEFAULT_LANGUAGE, Translator, get_translator, resolve_language
from bot.services.announcements import Content
from db.announcements import (
    SENDING,
    AnnouncementInfo,
    content_of,
    figures,
    finish,
    get_announcement,
)
from db.members import get_member, update_member
from db.outbox import BatchInfo, send_later
from db.users import get_user

log = logging.getLogger(__name__)

EDIT_TIMEOUT = 5.0  # seconds for an edit of the status message; the next one comes anyway


@renderer(KIND)
async def render_announcement(r: Recipient) -> Rendered | None:
    """Her language's version (else the text), the photo or document, protect_content, and
    "Stop announcements"; the same for the preview her author sees."""
    data = await content_of(r.app.db, int(r.params["announcement"]))
    if data is None:
        return None
    content = Content.from_dict(data)
    text = content.version_for(r.t.lang).html
    return Rendered(
        text,
        mute_keyboard(r.t),
        photo=content.file_id if content.file_kind == "photo" else None,
        document=content.file_id if content.file_kind == "document" else None,
        protect=content.protect,
    )


async def author_translator(app: SolidarityApp, info: AnnouncementInfo) -> Translator:
    person = await get_user(app.db, info.author_id)
    lang = resolve_language(person.language, person.telegram_language) if person else None
    return get_translator(lang or DEFAULT_LANGUAGE, app.settings.timezone)


@progress_hook(KIND)
async def show_progress(app: SolidarityApp, batch: BatchInfo) -> None:
    """Every few seconds while it runs: the figures on her status message (no retry: the next
    display comes anyway)."""
    info = await get_announcement(app.db, int(batch.params["announcement"]))
    if info is None or info.status_message_id is None:
        return
    t = await author_translator(app, info)
    text = status_text(t, info, batch.counts)
    if shown(app.db, info.id) == text:
        return  # Telegram refuses an edit that changes nothing
    markup = stop_keyboard(t, info.id) if info.status == SENDING else None
    # Noted before the edit: an edit that timed out may still have been made, and the same
    # text again would be refused as "not modified". If it was not made, the next figures (or
    # the final line) replace it anyway.
    shown(app.db, info.id, text)
    try:
        await app.bot.edit_message_text(
            text,
            chat_id=info.author_id,
            message_id=info.status_message_id,
            reply_markup=markup,
            rate_limit_args={"priority": NOTICE, "outbox": True},
            read_timeout=EDIT_TIMEOUT,
            write_timeout=EDIT_TIMEOUT,
        )
    except TelegramError as exc:
        log.info("Progress of announcement %s not shown this time: %s", info.id, exc)


@batch_hook(KIND)
async def announcement_done(app: SolidarityApp, batch: BatchInfo, late: bool) -> list[Outgoing]:
    """Every message sent, blocked, failed or cancelled: it is done, and its final line goes
    to her status message (through the outbox, with the batch's closing: it survives a 429 or
    a restart, and is said once)."""
    if late:
        return []
    info = await finish(app.db, int(batch.params["announcement"]))
    if info is None:
        return []
    log.info("Announcement %s finished (%s)", info.id, info.status)
    return [final_line(info)]


def final_line(info: AnnouncementInfo) -> Outgoing:
    return Outgoing(info.author_id, FINAL, {"announcement": info.id}, NOTICE)


async def finished(app: SolidarityApp, announcement_id: int) -> None:
    """One left marked as sending after its batch closed (or without a batch): finished."""
    info = await finish(app.db, announcement_id)
    if info is None:
        return
    log.info("Announcement %s finished (%s)", info.id, info.status)
    await send_later(app.db, [final_line(info)])
    app.wake_sender()


@renderer(FINAL)
async def render_final(r: Recipient) -> Rendered | None:
    """The final line, on her status message (or as a new message if it is gone)."""
    info = await get_announcement(r.app.db, int(r.params["announcement"]))
    if info is None:
        return None
    counts = await figures(r.app.db, info.batch_id) if info.batch_id is not None else {}
    return Rendered(status_text(r.t, info, counts), edit=info.status_message_id)


async def mute(update: Update, context: BotContext) -> None:
    """🔕 under an announcement: no more announcements for her (no role needed; pressing it
    again changes nothing)."""
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    t = context.t
    member = await get_member(context.db, update.effective_user.id)
    if member is not None and member.notify_announcements:
        await update_member(context.db, member.user_id, notify_announcements=False)
        log.info("A member turned announcements off")
    await query.answer(
        t.gettext("You will get no more announcements. /profile turns them on again."),
        show_alert=True,
    )


async def show_to_author(
    context: BotContext, chat_id: int, announcement_id: int, t: Translator
) -> None:
    """The preview: the message exactly as a member reading in her language gets it."""
    rendered = await render_announcement(
        Recipient(context.app, chat_id, t, KIND, {"announcement": announcement_id})
    )
    if rendered is not None:
        await send_rendered(context.bot, chat_id, rendered)
