"""What members and organisers are told of events, through the outbox: rendered when sent, in
the recipient's language, from the event as it is then (a notice of an event called off in the
meantime is not sent)."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.context import SolidarityApp
from bot.delivery import NOTICE, Recipient, Rendered, batch_hook, renderer
from bot.i18n import N_, Translator
from bot.keyboards import in_rows, map_buttons
from bot.services.events import KINDS
from bot.text import shorten
from db.event_changes import get_update
from db.events import EventInfo, get_event
from db.outbox import BLOCKED, FAILED, SENT, BatchInfo, Outgoing
from db.types import utcnow

from .callbacks import OPEN, OUTCOME
from .render import (
    duration_text,
    event_body,
    notice_keyboard,
    notice_text,
    rsvp_row,
)

# The names of changed fields, as the summary of the form names them.
FIELD_LABELS = {
    "title": N_("Title"),
    "description": N_("Description"),
    "kind": N_("Kind"),
    "starts_at": N_("Date and time"),
    "duration": N_("Duration"),
    "place": N_("Place"),
    "geo": N_("Place"),
    "link": N_("Online link"),
    "capacity": N_("Places"),
}
DESCRIPTION_SHOWN = 1500  # characters of a changed description shown in the notice


def title_of(event: EventInfo) -> str:
    return "“" + html.escape(event.title) + "”"


def details_button(t: Translator, event: EventInfo) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton("ℹ️ " + t.gettext("Details"), callback_data=OPEN(event.id))]


async def _event(r: Recipient) -> EventInfo | None:
    return await get_event(r.app.db, int(r.params["event"]))


@renderer("event.notice")
async def render_notice(r: Recipient) -> Rendered | None:
    """A new event: the notice with Going / Maybe / Can't come (not once it is called off or
    has begun)."""
    event = await _event(r)
    if event is None or event.cancelled or event.starts_at <= utcnow():
        return None
    return Rendered(notice_text(r.t, event.draft()), notice_keyboard(r.t, event))


@batch_hook("event.notices")
async def notices_done(app: SolidarityApp, batch: BatchInfo, late: bool) -> list[Outgoing]:
    """The organiser hears to how many members the notice went."""
    counts = batch.counts
    if not sum(counts.values()):
        return []
    params = batch.params
    values = {
        "event": params["event"],
        "sent": counts.get(SENT, 0),
        "unreached": counts.get(BLOCKED, 0) + counts.get(FAILED, 0),
        "lang": params.get("lang"),
    }
    return [Outgoing(params["chat"], "event.reach", values, NOTICE)]


@renderer("event.reach")
async def render_reach(r: Recipient) -> Rendered | None:
    event = await _event(r)
    if event is None:
        return None
    t = r.t
    sent, unreached = int(r.params.get("sent", 0)), int(r.params.get("unreached", 0))
    text = "📣 " + t.ngettext(
        "The notice of {title} has reached {count} member.",
        "The notice of {title} has reached {count} members.",
        sent,
    ).format(title=title_of(event), count=sent)
    if unreached:
        text += "\n" + t.ngettext(
            "{count} member could not be reached (she blocked the bot).",
            "{count} members could not be reached (they blocked the bot).",
            unreached,
        ).format(count=unreached)
    return Rendered(text, InlineKeyboardMarkup([details_button(t, event)]))


def _value(t: Translator, field: str, value: Any) -> str:
    if value in (None, "", []):
        return "—"
    if field == "starts_at":
        return t.datetime(datetime.fromisoformat(value))
    if field == "duration":
        return duration_text(t, int(value))
    if field == "kind":
        return t.gettext(KINDS[value]) if value in KINDS else str(value)
    if field == "capacity":
        return str(value)
    return html.escape(str(value))


def change_lines(t: Translator, changes: dict[str, Any]) -> list[str]:
    """One line per change, old → new (a new description is shown whole, up to a point)."""
    lines = []
    for field, (old, new) in changes.items():
        label = t.gettext(FIELD_LABELS.get(field, field))
        if field == "description":
            lines.append(f"• {label}: " + t.gettext("new text below"))
        elif field == "geo":
            lines.append(f"• {label}: " + t.gettext("the pin on the map has moved"))
        elif field == "capacity" and new is None:
            lines.append(f"• {label}: {_value(t, field, old)} → " + t.gettext("no limit"))
        else:
            lines.append(f"• {label}: {_value(t, field, old)} → {_value(t, field, new)}")
    if "description" in changes:
        lines += ["", html.escape(shorten(str(changes["description"][1]), DESCRIPTION_SHOWN))]
    return lines


@renderer("event.changed")
async def render_changed(r: Recipient) -> Rendered | None:
    """Those who answered: what changed, old → new."""
    event = await _event(r)
    change = await get_update(r.app.db, int(r.params["update"]))
    if event is None or change is None or event.cancelled:
        return None
    t = r.t
    lines = [
        "✏️ <b>" + t.gettext("An event you answered has changed:") + f"</b> {title_of(event)}",
        *change_lines(t, change.body.get("changes", {})),
    ]
    rows = [details_button(t, event)]
    if "geo" in change.body.get("changes", {}) and event.geo:
        rows.append(map_buttons(event.geo))
    return Rendered("\n".join(lines), InlineKeyboardMarkup(rows))


@renderer("event.cancelled")
async def render_cancelled(r: Recipient) -> Rendered | None:
    event = await _event(r)
    if event is None:
        return None
    t = r.t
    text = (
        "🚫 <b>"
        + t.gettext("Called off:")
        + f"</b> {title_of(event)}, {t.datetime(event.starts_at)}\n"
        + t.gettext("Reason: {value}").format(value=html.escape(event.cancel_reason or "—"))
    )
    return Rendered(text)


@renderer("event.reminder")
async def render_reminder(r: Recipient) -> Rendered | None:
    """The day before, and two hours before, to Going and Maybe."""
    event = await _event(r)
    if event is None or event.cancelled:
        return None
    t = r.t
    if r.params.get("which") == "soon":
        head = t.gettext("Starting soon, at {value}:").format(
            value=event.starts_at.astimezone(t.tz).strftime("%H:%M")
        )
    else:
        head = t.gettext("Reminder: {value}").format(value=t.datetime(event.starts_at))
    text = "⏰ <b>" + head + "</b>\n\n" + event_body(t, event.draft())
    rows = [details_button(t, event)]
    if event.geo:
        rows.append(map_buttons(event.geo))
    return Rendered(text, InlineKeyboardMarkup(rows))


@renderer("event.moved_up")
async def render_moved_up(r: Recipient) -> Rendered | None:
    """A seat came free: she moved up from the waiting list."""
    event = await _event(r)
    if event is None or event.cancelled:
        return None
    t = r.t
    text = "✅ " + t.gettext(
        "A place has come free: you are now among those going to {title}, {value}. If you "
        "cannot come after all, please say so below."
    ).format(title=title_of(event), value=t.datetime(event.starts_at))
    rows = [*in_rows(rsvp_row(t, event.id, "going"), 3), details_button(t, event)]
    return Rendered(text, InlineKeyboardMarkup(rows))


@renderer("event.message")
async def render_message(r: Recipient) -> Rendered | None:
    """The organiser's message to those going, as she wrote it."""
    event = await _event(r)
    message = await get_update(r.app.db, int(r.params["update"]))
    if event is None or message is None:
        return None
    t = r.t
    text = (
        "✉️ <b>"
        + t.gettext("From the organiser of {title}:").format(title=title_of(event))
        + "</b>\n\n"
        + html.escape(str(message.body.get("text", "")))
    )
    return Rendered(text, InlineKeyboardMarkup([details_button(t, event)]))


@renderer("event.outcome_ask")
async def render_outcome_ask(r: Recipient) -> Rendered | None:
    """After the event: the organiser is asked how it went."""
    event = await _event(r)
    if event is None or event.cancelled or event.outcome_at is not None:
        return None
    t = r.t
    text = "📝 " + t.gettext(
        "{title} has taken place. Please record how many took part and what was discussed "
        "and decided: the coordinators report it for the national action plan on UNSCR 1325."
    ).format(title=title_of(event))
    button = InlineKeyboardButton(
        "📝 " + t.gettext("Record the outcome"), callback_data=OUTCOME(event.id)
    )
    return Rendered(text, InlineKeyboardMarkup([[button]]))
