"""Announcing an event (/newevent): the form, the preview (the notice exactly as members will
read it), and Publish, which stores the event and one notice per member whose setting covers
its region, in one transaction, as a batch; the organiser hears to how many it went."""

from __future__ import annotations

import logging
from typing import Any

from bot import keys
from bot.delivery import EVENT
from bot.forms import Form, Turn
from bot.forms.wiring import Handler
from bot.i18n import N_, Translator
from bot.notify import to_each
from bot.replies import replace_buttons
from bot.services.community import REGIONS
from bot.services.roles import roles_of
from db.events import publish_event
from db.types import utcnow

from .access import organiser
from .render import card_keyboard, card_text, notice_text
from .steps import COUNTRY, STEPS, draft_event

log = logging.getLogger(__name__)


def preview(t: Translator, draft: dict[str, Any]) -> str:
    """The summary of the form: the notice as members will read it."""
    return (
        "👁 <b>"
        + t.gettext("Preview")
        + "</b>: "
        + t.gettext(
            "members will get this notice. Check it, change what you need with ✏️, then publish."
        )
        + "\n\n"
        + notice_text(t, draft_event(draft))
    )


async def may_announce(turn: Turn) -> bool:
    return await organiser(turn.update, turn.context, "/newevent", announcing=True) is not None


async def prefill(turn: Turn) -> None:
    """The regions she may announce for: a lead hers (one: chosen for her), a coordinator any
    region or the whole country."""
    roles = await roles_of(turn.context.db, turn.context.settings, turn.user_id)
    if roles.coordinator:
        regions = [COUNTRY, *REGIONS]
    else:
        regions = [code for code in REGIONS if code in roles.lead_regions]
    turn.draft["_regions"] = regions
    if len(regions) == 1:
        turn.draft["region"] = regions[0]


async def allowed_region(turn: Turn) -> bool:
    """Her role and the region again, on the server, at the moment she publishes."""
    roles = await organiser(turn.update, turn.context, "publishing an event", announcing=True)
    if roles is None:
        return False
    region = turn.draft.get("region")
    if roles.coordinator or region in roles.lead_regions:
        return True
    log.warning("Refused publishing an event for %s to user %s", region, turn.user_id)
    if turn.query is not None:
        await turn.query.answer(
            turn.t.gettext("You can announce events only for your own regions."), show_alert=True
        )
    return False


async def publish(turn: Turn) -> bool:
    """📣 Publish: the event and its notices, once (a second press finds the event made)."""
    context, draft, t = turn.context, turn.draft, turn.t
    if not await allowed_region(turn):
        return False
    if not (draft.get("place") or draft.get("geo") or draft.get("link")):
        if turn.query is not None:
            await turn.query.answer(
                t.gettext("Please give a place or an online link (✏️ Place, ✏️ Online link)."),
                show_alert=True,
            )
        return False
    organiser_id = turn.user_id
    event, count, _new = await publish_event(
        context.db,
        draft_event(draft),
        organiser_id=organiser_id,
        draft_key=str(draft["_id"]),
        notices=lambda event_id, people: to_each(
            people, "event.notice", {"event": event_id}, priority=EVENT
        ),
        batch=lambda event_id: (
            "event.notices",
            {"event": event_id, "chat": organiser_id, "lang": t.lang},
        ),
    )
    context.app.wake_sender()
    log.info("Event %s published; %s notice(s) queued", event.id, count)
    if turn.query is not None:
        await turn.query.answer()
        await replace_buttons(turn.query, None)
    if count:
        text = t.ngettext(
            "✅ Published. The notice is on its way to {count} member; you will hear here when "
            "it has reached her.",
            "✅ Published. The notice is on its way to {count} members; you will hear here "
            "when it has reached them.",
            count,
        ).format(count=count)
    else:
        text = t.gettext(
            "✅ Published. No member's notification setting covers this region yet, so nobody "
            "was told; members will find it in /events."
        )
    await turn.say(text)
    await turn.say(
        card_text(t, event, None, member=False),
        card_keyboard(t, event, None, member=False, manage=True, now=utcnow()),
    )
    return True


NEW_EVENT = Form(
    keys.EVENT_DRAFT,
    "e",
    STEPS,
    command="newevent",
    intro=N_(
        "<b>A new event</b>\nA few short questions, then a preview of the notice members "
        "will get. ◀ Back and ✖ Cancel are always there; nothing is sent until you publish."
    ),
    submit=publish,
    submit_label=N_("Publish"),
    submit_icon="📣 ",
    summary=preview,
    cancelled=N_("Cancelled. Nothing was published."),
    before=may_announce,
    prefill=prefill,
)


def build_handlers() -> list[Handler]:
    return NEW_EVENT.handlers()
