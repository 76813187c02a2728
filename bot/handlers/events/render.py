"""How an event reads: the notice members get (and the organiser's preview, which is the same
text), the card of /events, and their buttons. The frame is in the reader's language; what the
organiser wrote is shown as she wrote it, escaped."""

from __future__ import annotations

import html
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import N_, Translator
from bot.keyboards import in_rows, map_buttons, region_name
from bot.services.events import KINDS, WAITING
from db.events import EventDraft, EventInfo

from .callbacks import CALL_OFF, EDIT, ICS, LIST, MESSAGE, OPEN, OUTCOME, RSVP, WHO

ANSWER_LABELS = {
    "going": ("👍", N_("Going")),
    "maybe": ("🤔", N_("Maybe")),
    "no": ("👎", N_("Can't come")),
}


def kind_name(t: Translator, code: str | None) -> str:
    return t.gettext(KINDS[code]) if code in KINDS else (code or "—")


def where_name(t: Translator, region: str | None) -> str:
    """The event's region, or the whole country."""
    return region_name(t, region) if region else t.gettext("Whole country")


def duration_text(t: Translator, minutes: int | None) -> str:
    if not minutes:
        return "—"
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return t.gettext("{hours} h {minutes} min").format(hours=hours, minutes=rest)
    if hours:
        return t.gettext("{hours} h").format(hours=hours)
    return t.gettext("{minutes} min").format(minutes=rest)


def answer_name(t: Translator, answer: str | None) -> str:
    if answer == WAITING:
        return t.gettext("on the waiting list")
    if answer in ANSWER_LABELS:
        return t.gettext(ANSWER_LABELS[answer][1])
    return t.gettext("not answered yet")


def event_body(t: Translator, event: EventDraft) -> str:
    """Title, kind, when, where, link, places and the description."""
    when = t.datetime(event.starts_at)
    if event.duration:
        when += f" ({duration_text(t, event.duration)})"
    lines = [
        f"📅 <b>{html.escape(event.title)}</b>",
        f"<i>{kind_name(t, event.kind)}</i>",
        "",
        "🕑 " + t.gettext("When: {value}").format(value=when),
    ]
    if event.place:
        lines.append("📍 " + t.gettext("Where: {value}").format(value=html.escape(event.place)))
    elif event.geo:
        lines.append("📍 " + t.gettext("Where: {value}").format(value=t.gettext("see the map")))
    lines.append("🗺 " + t.gettext("Region: {value}").format(value=where_name(t, event.region)))
    if event.link:
        lines.append("🔗 " + t.gettext("Online: {value}").format(value=html.escape(event.link)))
    if event.capacity:
        lines.append("👥 " + t.gettext("Places: {count}").format(count=event.capacity))
    if event.description:
        lines += ["", html.escape(event.description)]
    return "\n".join(lines)


def notice_text(t: Translator, event: EventDraft) -> str:
    return "📣 <b>" + t.gettext("New event") + "</b>\n\n" + event_body(t, event)


def rsvp_row(t: Translator, event_id: int, current: str | None) -> list[InlineKeyboardButton]:
    return [
        InlineKeyboardButton(
            ("✅" if current == code else icon) + " " + t.gettext(label),
            callback_data=RSVP(event_id, code),
        )
        for code, (icon, label) in ANSWER_LABELS.items()
    ]


def notice_keyboard(t: Translator, event: EventInfo) -> InlineKeyboardMarkup:
    """Going / Maybe / Can't come, Add to calendar, the map, and the event's card."""
    rows = in_rows(rsvp_row(t, event.id, None), 3)
    rows += in_rows(
        [
            InlineKeyboardButton("📅 " + t.gettext("Add to calendar"), callback_data=ICS(event.id)),
            InlineKeyboardButton("ℹ️ " + t.gettext("Details"), callback_data=OPEN(event.id)),
        ]
    )
    if event.geo:
        rows.append(map_buttons(event.geo))
    return InlineKeyboardMarkup(rows)


def counts_lines(t: Translator, event: EventInfo) -> list[str]:
    counts = event.counts
    going = counts.get("going", 0)
    lines = [
        t.gettext("Going: {count}").format(count=going)
        if not event.capacity
        else t.gettext("Going: {count} of {max}").format(count=going, max=event.capacity)
    ]
    if counts.get(WAITING):
        lines.append(t.gettext("Waiting list: {count}").format(count=counts[WAITING]))
    if counts.get("maybe"):
        lines.append(t.gettext("Maybe: {count}").format(count=counts["maybe"]))
    return ["👥 " + " · ".join(lines)]


def card_text(t: Translator, event: EventInfo, answer: str | None, *, member: bool) -> str:
    lines = [event_body(t, event.draft()), ""]
    if event.cancelled:
        lines.append(
            "🚫 <b>"
            + t.gettext("This event has been called off.")
            + "</b> "
            + t.gettext("Reason: {value}").format(value=html.escape(event.cancel_reason or "—"))
        )
    else:
        lines += counts_lines(t, event)
    if member:
        lines.append(t.gettext("Your answer: {value}").format(value=answer_name(t, answer)))
    if event.outcome_at is not None:
        lines.append(
            "📝 "
            + t.gettext("Outcome recorded: {total} took part.").format(
                total=event.participants or 0
            )
        )
    return "\n".join(lines)


def card_keyboard(
    t: Translator,
    event: EventInfo,
    answer: str | None,
    *,
    member: bool,
    manage: bool,
    now: datetime,
    back: str | None = None,
) -> InlineKeyboardMarkup:
    """Her answer (changeable), the calendar, the map; organiser tools for those who may."""
    rows: list[list[InlineKeyboardButton]] = []
    upcoming = not event.cancelled and event.starts_at > now
    if member and upcoming:
        rows += in_rows(rsvp_row(t, event.id, "going" if answer == WAITING else answer), 3)
    if not event.cancelled:
        rows.append(
            [
                InlineKeyboardButton(
                    "📅 " + t.gettext("Add to calendar"), callback_data=ICS(event.id)
                )
            ]
        )
    if event.geo:
        rows.append(map_buttons(event.geo))
    if manage:
        tools = [
            InlineKeyboardButton("👥 " + t.gettext("Who is coming"), callback_data=WHO(event.id))
        ]
        if upcoming:
            tools += [
                InlineKeyboardButton("✏️ " + t.gettext("Edit"), callback_data=EDIT(event.id)),
                InlineKeyboardButton(
                    "✉️ " + t.gettext("Write to those going"), callback_data=MESSAGE(event.id)
                ),
                InlineKeyboardButton(
                    "🚫 " + t.gettext("Call off"), callback_data=CALL_OFF(event.id)
                ),
            ]
        elif not event.cancelled:
            tools.append(
                InlineKeyboardButton("📝 " + t.gettext("Outcome"), callback_data=OUTCOME(event.id))
            )
        rows += in_rows(tools)
    back_button = InlineKeyboardButton(
        "◀ " + t.gettext("All events"), callback_data=back or LIST("mine", 0)
    )
    rows.append([back_button])
    return InlineKeyboardMarkup(rows)
