"""The organiser's tools on an event: edit it (those who answered are told what changed, old →
new), call it off with a reason (they are told), and write to those going. Each is a form on
the form machinery; each checks, on the server, that she may manage this event (coordinators:
any; a lead: her regions') when it opens and again when it is sent.

A form already open for another event is resumed (and says so) rather than replaced: she
finishes or cancels it first."""

from __future__ import annotations

import html
import logging
from datetime import datetime
from typing import Any

from bot import keys
from bot.callbacks import Callback
from bot.delivery import EVENT
from bot.forms import Form, Turn
from bot.forms.long_text import text_step
from bot.forms.wiring import Handler
from bot.i18n import N_, Translator
from bot.notify import to_each
from bot.replies import replace_buttons
from bot.services.events import MESSAGE_MAX, REASON_MAX, SEATS
from db.event_answers import attendees
from db.event_changes import cancel_event, edit_event, message_going
from db.events import EventInfo, get_event

from .access import managed_event
from .callbacks import CALL_OFF, EDIT, MESSAGE
from .notices import change_lines
from .render import notice_text
from .steps import EDIT_STEPS, draft_event, event_draft_values

log = logging.getLogger(__name__)

EVENT_KEY = "_event"


def opener(button: Callback, action: str) -> Any:
    """`before` of an organiser's form: the event her button names, if she may manage it."""

    async def before(turn: Turn) -> bool:
        parsed = button.parse(turn.query.data if turn.query else None)
        if parsed is None:
            return False
        return await managed_event(turn.update, turn.context, int(parsed[0]), action) is not None

    return before


def loader(button: Callback) -> Any:
    async def prefill(turn: Turn) -> None:
        parsed = button.parse(turn.query.data if turn.query else None)
        assert parsed is not None  # `before` checked it
        turn.draft[EVENT_KEY] = int(parsed[0])

    return prefill


async def checked(turn: Turn, action: str) -> EventInfo | None:
    """The event of the draft, if she may still manage it and it is still on."""
    loaded = await managed_event(turn.update, turn.context, int(turn.draft[EVENT_KEY]), action)
    if loaded is None:
        return None
    event = loaded[1]
    if event.cancelled:
        if turn.query is not None:
            await turn.query.answer(
                turn.t.gettext("This event has been called off or has already begun."),
                show_alert=True,
            )
        return None
    return event


async def done(turn: Turn, text: str) -> None:
    if turn.query is not None:
        await turn.query.answer()
        await replace_buttons(turn.query, None)
    await turn.say(text)


# -- edit ------------------------------------------------------------------------------------


async def prefill_edit(turn: Turn) -> None:
    await loader(EDIT)(turn)
    event = await get_event(turn.context.db, int(turn.draft[EVENT_KEY]))
    assert event is not None
    turn.draft.update(event_draft_values(event.draft()))
    turn.draft["_regions"] = [turn.draft["region"]]


def changes_of(event: EventInfo, draft: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """What the draft changes, field: (old, new), as JSON-able values."""
    new = draft_event(draft)
    old = event.draft()
    changes: dict[str, tuple[Any, Any]] = {}
    for field in ("title", "description", "kind", "duration", "place", "link", "capacity"):
        if getattr(old, field) != getattr(new, field):
            changes[field] = (getattr(old, field), getattr(new, field))
    if old.starts_at != new.starts_at:
        changes["starts_at"] = (old.starts_at.isoformat(), new.starts_at.isoformat())
    if old.geo != new.geo:
        changes["geo"] = (list(old.geo) if old.geo else None, list(new.geo) if new.geo else None)
    return changes


def edit_summary(t: Translator, draft: dict[str, Any]) -> str:
    return (
        "✏️ <b>"
        + t.gettext("Editing the event")
        + "</b>: "
        + t.gettext(
            "change what you need with ✏️, then save. Those who answered will be told what changed."
        )
        + "\n\n"
        + notice_text(t, draft_event(draft))
    )


async def save_edit(turn: Turn) -> bool:
    context, t = turn.context, turn.t
    event = await checked(turn, "editing an event")
    if event is None:
        return False
    changes = changes_of(event, turn.draft)
    if not changes:
        await done(turn, t.gettext("Nothing was changed."))
        return True
    event_id = event.id
    saved = await edit_event(
        context.db,
        event_id,
        changes,
        actor_id=turn.user_id,
        tell=lambda update_id, people: to_each(
            people, "event.changed", {"event": event_id, "update": update_id}, priority=EVENT
        ),
        seats=SEATS,
        moved_up=lambda people: to_each(
            people, "event.moved_up", {"event": event_id}, priority=EVENT
        ),
    )
    if not saved:
        await done(turn, t.gettext("This event has been called off or has already begun."))
        return True
    context.app.wake_sender()
    told = sum(1 for a in await attendees(context.db, event_id))
    lines = [
        "✅ "
        + t.ngettext(
            "Saved. {count} person who answered will be told:",
            "Saved. {count} people who answered will be told:",
            told,
        ).format(count=told),
        *change_lines(t, changes),
    ]
    await done(turn, "\n".join(lines))
    return True


EDIT_EVENT = Form(
    keys.EVENT_EDIT,
    "ee",
    EDIT_STEPS,
    command=None,
    submit=save_edit,
    submit_label=N_("Save changes"),
    submit_icon="💾 ",
    summary=edit_summary,
    cancelled=N_("Cancelled. The event was not changed."),
    before=opener(EDIT, "editing an event"),
    prefill=prefill_edit,
)

# -- call off --------------------------------------------------------------------------------


async def prefill_event(turn: Turn, button: Callback) -> EventInfo:
    await loader(button)(turn)
    event = await get_event(turn.context.db, int(turn.draft[EVENT_KEY]))
    assert event is not None
    turn.draft["_title"] = event.title
    turn.draft["_starts"] = event.starts_at.isoformat()
    return event


async def prefill_call_off(turn: Turn) -> None:
    await prefill_event(turn, CALL_OFF)


def _named(t: Translator, draft: dict[str, Any]) -> str:
    when = datetime.fromisoformat(draft["_starts"]) if draft.get("_starts") else None
    title = "“" + html.escape(str(draft.get("_title") or "")) + "”"
    return title + (", " + t.datetime(when) if when else "")


def call_off_summary(t: Translator, draft: dict[str, Any]) -> str:
    return "\n".join(
        [
            "🚫 <b>" + t.gettext("Call off this event?") + "</b> " + _named(t, draft),
            t.gettext("Everyone who answered will be told, with your reason:"),
            "",
            html.escape(str(draft.get("reason") or "")),
        ]
    )


async def call_off(turn: Turn) -> bool:
    context, t = turn.context, turn.t
    event = await checked(turn, "calling off an event")
    if event is None:
        return False
    event_id = event.id
    told = await cancel_event(
        context.db,
        event_id,
        str(turn.draft["reason"]),
        actor_id=turn.user_id,
        tell=lambda people: to_each(people, "event.cancelled", {"event": event_id}, priority=EVENT),
    )
    if told is None:
        await done(turn, t.gettext("This event has been called off or has already begun."))
        return True
    context.app.wake_sender()
    await done(
        turn,
        "🚫 "
        + t.ngettext(
            "Called off. {count} person who answered will be told.",
            "Called off. {count} people who answered will be told.",
            told,
        ).format(count=told),
    )
    return True


REASON = text_step(
    "reason",
    N_(
        "<b>Why is it called off?</b>\nEveryone who answered will be told, with your "
        "words. Up to 500 characters."
    ),
    REASON_MAX,
    N_("Reason"),
)
CALL_OFF_EVENT = Form(
    keys.EVENT_CANCEL,
    "ec",
    (REASON,),
    command=None,
    submit=call_off,
    submit_label=N_("Call off the event"),
    submit_icon="🚫 ",
    summary=call_off_summary,
    cancelled=N_("The event stays as it was."),
    before=opener(CALL_OFF, "calling off an event"),
    prefill=prefill_call_off,
)

# -- a message to those going ----------------------------------------------------------------


async def prefill_message(turn: Turn) -> None:
    await prefill_event(turn, MESSAGE)


def message_summary(t: Translator, draft: dict[str, Any]) -> str:
    return "\n".join(
        [
            "✉️ <b>" + t.gettext("To those going to") + "</b> " + _named(t, draft),
            "",
            html.escape(str(draft.get("text") or "")),
        ]
    )


async def send_message(turn: Turn) -> bool:
    context, t = turn.context, turn.t
    event = await checked(turn, "writing to those going")
    if event is None:
        return False
    event_id = event.id
    count = await message_going(
        context.db,
        event_id,
        str(turn.draft["text"]),
        actor_id=turn.user_id,
        tell=lambda update_id, people: to_each(
            people, "event.message", {"event": event_id, "update": update_id}, priority=EVENT
        ),
    )
    context.app.wake_sender()
    count = count or 0
    await done(
        turn,
        "✉️ "
        + t.ngettext(
            "Your message is on its way to {count} person going.",
            "Your message is on its way to {count} people going.",
            count,
        ).format(count=count),
    )
    return True


TEXT = text_step(
    "text",
    N_(
        "<b>Your message to those going</b>\nFor example what to bring, or where to meet. "
        "Up to 1,000 characters."
    ),
    MESSAGE_MAX,
    N_("Message"),
)
MESSAGE_GOING = Form(
    keys.EVENT_MESSAGE,
    "em",
    (TEXT,),
    command=None,
    submit=send_message,
    submit_label=N_("Send"),
    submit_icon="✉️ ",
    summary=message_summary,
    cancelled=N_("Cancelled. Nothing was sent."),
    before=opener(MESSAGE, "writing to those going"),
    prefill=prefill_message,
)


def build_handlers() -> list[Handler]:
    return [
        *EDIT_EVENT.handlers(buttons=[EDIT.pattern]),
        *CALL_OFF_EVENT.handlers(buttons=[CALL_OFF.pattern]),
        *MESSAGE_GOING.handlers(buttons=[MESSAGE.pattern]),
    ]
