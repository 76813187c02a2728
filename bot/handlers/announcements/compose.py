"""Composing an announcement (/broadcast): the form (bot/forms), then a preview exactly as
members will see it, how many members it reaches, and Send now / Schedule / Change / Discard.

The previewed announcement is kept in the database as a draft: the buttons under the preview
carry its id, and every one of them checks on the server that it is hers and that she still
has a role (forged button data is refused)."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ConversationHandler

from bot.context import BotContext
from bot.forms import SUMMARY, Form, Turn
from bot.forms.turn import ack
from bot.handlers.announcements.common import (
    DROP,
    EDIT,
    GO,
    WHEN,
    audience_text,
    own,
    privileged,
)
from bot.handlers.announcements.delivery import show_to_author
from bot.handlers.announcements.steps import (
    STEPS,
    audience_from,
    content_from,
    summary_text,
    too_long_hint,
)
from bot.i18n import LANGUAGE_NAMES, LANGUAGES, N_, Translator
from bot.keyboards import in_rows
from bot.keys import ANNOUNCEMENT_DRAFT
from bot.replies import edit_or_send, replace_buttons
from bot.services.announcements import Audience, Content, NotAllowed, allowed_regions, check
from bot.services.announcements import recipients as audience_recipients
from bot.services.roles import Roles, roles_of
from db.announcements import DRAFT, discard_draft, get_announcement, save_draft

log = logging.getLogger(__name__)


async def may_broadcast(turn: Turn) -> bool:
    """Coordinators and regional leads only (checked again when it is sent)."""
    return await privileged(turn.update, turn.context, "broadcast") is not None


async def prefill(turn: Turn) -> None:
    """What she may choose from (from her roles, on the server), and, for ✏️ Change under a
    preview, the draft as she left it."""
    roles = await roles_of(turn.context.db, turn.context.settings, turn.user_id)
    draft = turn.draft
    draft["_regions"] = list(allowed_regions(roles))
    draft["_all"] = roles.coordinator
    parsed = EDIT.parse(turn.query.data) if turn.query is not None else None
    info = await get_announcement(turn.context.db, parsed[0]) if parsed else None
    if info is None or info.author_id != turn.user_id or info.status != DRAFT:
        return
    audience, content = Audience.from_dict(info.audience), Content.from_dict(info.content)
    some = audience != Audience()
    draft.update(
        {
            "_ann": info.id,
            "scope": "some" if some else "all",
            "text": [content.text.html, content.text.length],
            "file": (
                {"kind": content.file_kind, "file_id": content.file_id, "name": None}
                if content.file_id
                else None
            ),
            "versions": {lang: [v.html, v.length] for lang, v in content.versions.items()},
            "protect": "yes" if content.protect else "no",
        }
    )
    if some:
        draft.update(
            {
                "regions": list(audience.regions),
                "roles": list(audience.roles),
                "interests": list(audience.interests),
                "language": audience.language or "any",
            }
        )


async def preview(turn: Turn) -> bool:
    """👁 Preview: kept as a draft, shown exactly as members will see it, with how many it
    reaches and what she can do next."""
    context, draft, t = turn.context, turn.draft, turn.t
    roles = await roles_of(context.db, context.settings, turn.user_id)
    audience, content = audience_from(draft), content_from(draft)
    try:
        check(audience, roles)
    except NotAllowed as exc:
        log.warning("Refused an announcement's audience to user %s: %s", turn.user_id, exc)
        await ack(turn.query, t.gettext("You may not send to this audience."), alert=True)
        return not roles.privileged
    too_long = content.too_long()
    if too_long:  # kept when she sent it, and she was told; told again, in full
        await ack(turn.query)
        await turn.say(too_long_hint(t, too_long[0][1], content.limit))
        return False
    await ack(turn.query)
    if turn.query is not None:
        await replace_buttons(turn.query, None)
    announcement_id = await save_draft(
        context.db,
        turn.user_id,
        # Whether "all regions" means every region or hers, for /broadcasts.
        {**audience.to_dict(), "everywhere": roles.coordinator},
        content.to_dict(),
        replacing=draft.get("_ann"),
    )
    count = len(await audience_recipients(context.db, context.settings, audience, roles))
    assert turn.update.effective_chat is not None
    await show_to_author(context, turn.update.effective_chat.id, announcement_id, t)
    await turn.say(*control(t, announcement_id, audience, content, roles, count))
    return True


def control(
    t: Translator,
    announcement_id: int,
    audience: Audience,
    content: Content,
    roles: Roles,
    count: int,
) -> tuple[str, InlineKeyboardMarkup]:
    """Under the preview: how many it reaches, and what next."""
    lines = [t.gettext("☝️ <b>This is how members will see it.</b>")]
    if count:
        lines.append(
            t.ngettext(
                "It reaches {count} member ({audience}).",
                "It reaches {count} members ({audience}).",
                count,
            ).format(count=count, audience=audience_text(t, audience, roles.coordinator))
        )
    else:
        lines.append(t.gettext("No member matches this audience now."))
    others = [LANGUAGE_NAMES[code] for code in LANGUAGES if code in content.versions]
    if others:
        lines.append(
            t.gettext("Members reading in {languages} get their own version.").format(
                languages=", ".join(others)
            )
        )
    buttons = []
    if count:
        buttons += [
            InlineKeyboardButton("📣 " + t.gettext("Send now"), callback_data=GO(announcement_id)),
            InlineKeyboardButton(
                "🕓 " + t.gettext("Schedule"), callback_data=WHEN(announcement_id)
            ),
        ]
    buttons += [
        InlineKeyboardButton("✏️ " + t.gettext("Change"), callback_data=EDIT(announcement_id)),
        InlineKeyboardButton("🗑 " + t.gettext("Discard"), callback_data=DROP(announcement_id)),
    ]
    return "\n".join(lines), InlineKeyboardMarkup(in_rows(buttons))


async def control_again(context: BotContext, turn: Turn, announcement_id: int) -> None:
    """The preview's buttons once more (after leaving the scheduling question)."""
    info = await get_announcement(context.db, announcement_id)
    if info is None or info.status != DRAFT:
        return
    roles = await roles_of(context.db, context.settings, turn.user_id)
    audience, content = Audience.from_dict(info.audience), Content.from_dict(info.content)
    try:
        count = len(await audience_recipients(context.db, context.settings, audience, roles))
    except NotAllowed:
        count = 0
    await turn.say(*control(turn.t, announcement_id, audience, content, roles, count))


COMPOSE = Form(
    ANNOUNCEMENT_DRAFT,
    "a",
    STEPS,
    command="broadcast",
    submit=preview,
    submit_label=N_("Preview"),
    submit_icon="👁 ",
    summary=summary_text,
    cancelled=N_("Cancelled. Nothing was sent."),
    before=may_broadcast,
    prefill=prefill,
)


async def change(update: Update, context: BotContext) -> object:
    """✏️ Change under a preview: the form again, on the summary, with everything as it was."""
    (announcement_id,) = EDIT.values(context.match)
    if await own(update, context, announcement_id, "change", DRAFT) is None:
        return ConversationHandler.END
    return await COMPOSE.start(update, context, at=SUMMARY)


async def discard(update: Update, context: BotContext) -> None:
    """🗑 Discard under a preview."""
    (announcement_id,) = DROP.values(context.match)
    if await own(update, context, announcement_id, "discard", DRAFT) is None:
        return
    await discard_draft(context.db, announcement_id)
    await edit_or_send(update, context, context.t.gettext("Discarded. Nothing was sent."), None)
