"""What the announcement handlers share: their buttons, who may press them, and the texts
that describe an announcement (its audience, its figures, its status message)."""

from __future__ import annotations

import html
import logging
import re
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.callbacks import ID, PAGE, Callback
from bot.context import BotContext
from bot.i18n import LANGUAGE_NAMES, N_, Translator
from bot.keyboards import in_rows, region_names
from bot.replies import refuse
from bot.services.announcements import ROLES, Audience, Content
from bot.services.community import INTERESTS
from bot.services.roles import Roles, roles_of
from db.announcements import CANCELLED, DONE, DRAFT, SCHEDULED, SENDING, AnnouncementInfo
from db.announcements import get_announcement as load
from db.engine import Database
from db.outbox import BLOCKED, FAILED, PENDING, SENT
from db.outbox import CANCELLED as NOT_SENT
from db.outbox import SENDING as ON_ITS_WAY

log = logging.getLogger(__name__)
_TAGS = re.compile(r"<[^>]*>")

KIND = "announcement"  # the outbox messages of an announcement (and its batch)
FINAL = "announcement.final"  # the final line on the author's status message

GO = Callback("ann:go", ID)  # send a draft (or a scheduled one) now
WHEN = Callback("ann:when", ID)  # schedule a draft
EDIT = Callback("ann:edit", ID)  # change a draft
DROP = Callback("ann:drop", ID)  # discard a draft
STOP = Callback("ann:stop", ID)  # cancel a scheduled or running one
MUTE = Callback("ann:off")  # under every announcement: no more announcements for her
LIST = Callback("ann:ls", PAGE)  # /broadcasts, a page

ONLY_PRIVILEGED = N_("This is only for coordinators and regional leads.")


async def privileged(update: Update, context: BotContext, action: str) -> Roles | None:
    """Her roles if she is a coordinator or a regional lead; else she is told, and it is
    logged."""
    user = update.effective_user
    assert user is not None
    roles = await roles_of(context.db, context.settings, user.id)
    if roles.privileged:
        return roles
    log.warning("Refused %s to user %s (no role)", action, user.id)
    await refuse(update, context.t.gettext(ONLY_PRIVILEGED))
    return None


async def own(
    update: Update, context: BotContext, announcement_id: int, action: str, *statuses: str
) -> tuple[AnnouncementInfo, Roles] | None:
    """The announcement, if she may do `action` to it now: it is hers (a coordinator may also
    cancel anyone's), she still has a role, and it is in one of `statuses`. Else she is told."""
    roles = await privileged(update, context, action)
    if roles is None:
        return None
    t = context.t
    info = await load(context.db, announcement_id)
    mine = info is not None and (
        info.author_id == roles.user_id or (action == "cancel" and roles.coordinator)
    )
    if info is None or not mine:
        log.warning(
            "Refused %s of announcement %s to user %s", action, announcement_id, roles.user_id
        )
        await refuse(update, t.gettext("This announcement is not yours."))
        return None
    if info.status not in statuses:
        await refuse(update, t.gettext(STATE_NOTES[info.status]))
        return None
    return info, roles


# Why something can no longer be done to it.
STATE_NOTES: dict[str, str] = {
    DRAFT: N_("This announcement has not been sent."),
    SCHEDULED: N_("This announcement is scheduled; send it now or cancel it."),
    SENDING: N_("This announcement is being sent."),
    DONE: N_("This announcement has been sent."),
    CANCELLED: N_("This announcement was cancelled."),
}


# -- describing one ---------------------------------------------------------------------------


def audience_text(t: Translator, audience: Audience, everywhere: bool, *, mine: bool = True) -> str:
    """Who it is for, in one line (`everywhere`: its author may reach every region; else no
    region chosen means all of hers; `mine`: the reader is its author)."""
    if audience.regions:
        regions = region_names(t, audience.regions)
    elif everywhere:
        regions = t.gettext("all regions")
    else:
        regions = t.gettext("all my regions") if mine else t.gettext("all the author's regions")
    parts = [regions]
    if audience.roles:
        parts.append(", ".join(t.gettext(ROLES[r]) for r in ROLES if r in audience.roles))
    if audience.interests:
        parts.append(
            t.gettext("interests: {list}").format(
                list=", ".join(
                    t.gettext(INTERESTS[i]) for i in INTERESTS if i in audience.interests
                )
            )
        )
    if audience.language:
        parts.append(LANGUAGE_NAMES[audience.language])
    return "; ".join(parts)


def excerpt(content: Content, limit: int = 80) -> str:
    """The beginning of its text, as plain text (escaped)."""
    plain = html.unescape(_TAGS.sub("", content.text.html)).replace("\n", " ")
    short = plain if len(plain) <= limit else plain[: limit - 1].rstrip() + "…"
    return html.escape(short)


def figures_line(t: Translator, counts: dict[str, int], *, finished: bool) -> str:
    """Sent · blocked · failed · left (while it runs) or not sent (once it is over)."""
    sent, blocked, failed = counts.get(SENT, 0), counts.get(BLOCKED, 0), counts.get(FAILED, 0)
    if finished:
        return t.gettext(
            "Sent: {sent} · Blocked: {blocked} · Failed: {failed} · Not sent: {cancelled}"
        ).format(sent=sent, blocked=blocked, failed=failed, cancelled=counts.get(NOT_SENT, 0))
    left = counts.get(PENDING, 0) + counts.get(ON_ITS_WAY, 0)
    return t.gettext("Sent: {sent} · Blocked: {blocked} · Failed: {failed} · Left: {left}").format(
        sent=sent, blocked=blocked, failed=failed, left=left
    )


def status_text(t: Translator, info: AnnouncementInfo, counts: dict[str, int]) -> str:
    """The author's status message: where it is, and its figures."""
    if info.status == SENDING:
        head = t.ngettext(
            "📣 <b>Announcement {number}</b> is being sent to {count} member.",
            "📣 <b>Announcement {number}</b> is being sent to {count} members.",
            info.recipients,
        ).format(number=info.id, count=info.recipients)
    elif info.status == DONE:
        head = t.gettext("✅ <b>Announcement {number}</b> has been sent.").format(number=info.id)
    elif info.status == CANCELLED and info.batch_id is None:
        return t.gettext("✖ <b>Announcement {number}</b> was cancelled; nothing was sent.").format(
            number=info.id
        )
    elif info.status == CANCELLED:
        head = t.gettext("✖ <b>Announcement {number}</b> was cancelled.").format(number=info.id)
    elif info.status == SCHEDULED and info.scheduled_for is not None:
        return t.gettext("🕓 <b>Announcement {number}</b> goes on {when}.").format(
            number=info.id, when=t.datetime(info.scheduled_for)
        )
    else:
        return t.gettext(STATE_NOTES[info.status])
    lines = [head, figures_line(t, counts, finished=info.status != SENDING)]
    if info.finished_at is not None and info.status != SENDING:
        lines.append(t.gettext("Finished: {when}").format(when=t.datetime(info.finished_at)))
    return "\n".join(lines)


def shown(db: Database, announcement_id: int, text: str | None = None) -> str | None:
    """What her status message says now (as far as this process knows), and, with `text`,
    note that it says that now: Telegram refuses an edit that changes nothing."""
    memo: dict[int, str] = db.memo.setdefault("announcement_status", {})
    before = memo.get(announcement_id)
    if text is not None:
        if len(memo) > 64:
            memo.clear()
        memo[announcement_id] = text
    return before


def stop_keyboard(t: Translator, announcement_id: int, *, send_now: bool = False) -> Any:
    """A Cancel button while it runs (and Send now while it is scheduled)."""
    buttons = [
        InlineKeyboardButton("✖ " + t.gettext("Cancel it"), callback_data=STOP(announcement_id))
    ]
    if send_now:
        buttons.insert(
            0,
            InlineKeyboardButton("📣 " + t.gettext("Send now"), callback_data=GO(announcement_id)),
        )
    return InlineKeyboardMarkup(in_rows(buttons))


def mute_keyboard(t: Translator) -> InlineKeyboardMarkup:
    """Under every announcement: one tap, and she gets no more."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton("🔕 " + t.gettext("Stop announcements"), callback_data=MUTE())]]
    )


def content_of(info: AnnouncementInfo) -> Content:
    return Content.from_dict(info.content)


def audience_of(info: AnnouncementInfo) -> Audience:
    return Audience.from_dict(info.audience)
