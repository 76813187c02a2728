"""/events for members: upcoming events (her region's and the whole country's first, a switch
to all regions), in pages; an event's card with her answer (changeable), "Add to calendar"
(an .ics file) and the map; and, for organisers, who is coming."""

from __future__ import annotations

import html
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update

from bot.callbacks import EVENTS_MENU, JOIN_START
from bot.context import BotContext
from bot.delivery import EVENT
from bot.keyboards import in_rows, label_width
from bot.notify import to_each
from bot.replies import edit_or_send, refuse
from bot.services.calendar import CalendarEvent, ics_file
from bot.services.events import SEATS, WAITING, ends_at
from bot.services.roles import Roles
from bot.text import TEXT_LIMIT, utf16_len
from db.event_answers import answer_of, attendees, set_answer
from db.events import EventInfo, get_event, list_events
from db.members import get_member
from db.types import utcnow

from .access import managed_event, may_browse, may_manage
from .callbacks import ICS, LIST, OPEN, REPORT, RSVP, WHO
from .render import card_keyboard, card_text, where_name

log = logging.getLogger(__name__)

PAGE_SIZE = 5
LABEL_WIDTH = 32  # a button alone on its row (bot/keyboards.py)


def fit(label: str, width: int = LABEL_WIDTH) -> str:
    """The label, cut with "…" to fit a button of its own row."""
    if label_width(label) <= width:
        return label
    while label and label_width(label + "…") > width:
        label = label[:-1]
    return label.rstrip() + "…"


async def _not_for_her(update: Update, context: BotContext) -> None:
    """Not a member (yet): a button says so in an alert; the command or menu entry also offers
    to join."""
    t = context.t
    if update.callback_query is not None and not EVENTS_MENU.parse(update.callback_query.data):
        await refuse(
            update,
            t.gettext(
                "Events are for members of the community. Join to see them and to take part."
            ),
        )
        return
    await edit_or_send(
        update,
        context,
        t.gettext("Events are for members of the community. Join to see them and to take part."),
        InlineKeyboardMarkup(
            [[InlineKeyboardButton("🤝 " + t.gettext("Join"), callback_data=JOIN_START())]]
        ),
    )


async def show_events(update: Update, context: BotContext) -> None:
    """/events and the menu's entry: the first page of her region's events."""
    await _page(update, context, "mine", 0)


async def list_page(update: Update, context: BotContext) -> None:
    scope, page = LIST.values(context.match)
    await _page(update, context, scope, page)


async def _page(update: Update, context: BotContext, scope: str, page: int) -> None:
    roles = await may_browse(update, context)
    if roles is None:
        await _not_for_her(update, context)
        return
    assert update.effective_user
    t = context.t
    member = await get_member(context.db, update.effective_user.id)
    region = member.region if member is not None else None
    if region is None:
        scope = "all"
    now = utcnow()
    events, total = await list_events(
        context.db,
        after=now,
        regions=[region] if scope == "mine" and region else None,
        offset=page * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    if scope == "mine":
        head = t.gettext("<b>Upcoming events</b> in {region} and for the whole country").format(
            region=where_name(t, region)
        )
    else:
        head = t.gettext("<b>Upcoming events</b> in all regions")
    lines = [head, ""]
    if not events:
        lines.append(t.gettext("No upcoming events here yet."))
    for event in events:
        lines.append(
            f"• {t.short_datetime(event.starts_at, now)} — {html.escape(event.title)} "
            f"({where_name(t, event.region)})"
        )
    rows = [
        [
            InlineKeyboardButton(
                fit(f"{t.short_datetime(e.starts_at, now)} · {e.title}"),
                callback_data=OPEN(e.id),
            )
        ]
        for e in events
    ]
    pages = max(1, -(-total // PAGE_SIZE))
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton("◀", callback_data=LIST(scope, page - 1)))
    if page + 1 < pages:
        nav.append(InlineKeyboardButton("▶", callback_data=LIST(scope, page + 1)))
    if nav:
        rows.append(nav)
    switch = []
    if region and scope == "mine":
        switch.append(
            InlineKeyboardButton("🌍 " + t.gettext("All regions"), callback_data=LIST("all", 0))
        )
    elif region:
        switch.append(
            InlineKeyboardButton("📍 " + t.gettext("My region"), callback_data=LIST("mine", 0))
        )
    if roles.coordinator:
        switch.append(
            InlineKeyboardButton(
                "📊 " + t.gettext("Outcomes"), callback_data=REPORT("all", "month")
            )
        )
    rows += in_rows(switch)
    await edit_or_send(update, context, "\n".join(lines), InlineKeyboardMarkup(rows))


async def _card(
    update: Update,
    context: BotContext,
    event: EventInfo,
    roles: Roles,
    *,
    notice: str | None = None,
) -> None:
    assert update.effective_user
    user_id = update.effective_user.id
    t = context.t
    member = await get_member(context.db, user_id)
    is_member = member is not None and member.status == "approved"
    answer = await answer_of(context.db, event.id, user_id)
    text = card_text(t, event, answer, member=is_member)
    markup = card_keyboard(
        t, event, answer, member=is_member, manage=may_manage(roles, event), now=utcnow()
    )
    await edit_or_send(update, context, text, markup, notice=notice)


async def open_card(update: Update, context: BotContext) -> None:
    """An event's card."""
    (event_id,) = OPEN.values(context.match)
    roles = await may_browse(update, context)
    if roles is None:
        await _not_for_her(update, context)
        return
    event = await get_event(context.db, event_id)
    if event is None:
        await refuse(update, context.t.gettext("This event no longer exists."))
        return
    await _card(update, context, event, roles)


async def answer_event(update: Update, context: BotContext) -> None:
    """Going / Maybe / Can't come: kept (Going past the capacity waits in line); whoever moves
    up when a seat is freed is told."""
    event_id, wanted = RSVP.values(context.match)
    assert update.effective_user
    t = context.t
    user_id = update.effective_user.id
    member = await get_member(context.db, user_id)
    roles = await may_browse(update, context)
    if member is None or member.status != "approved" or roles is None:
        await refuse(
            update, t.gettext("Only members of the community can answer. Join with /join.")
        )
        return
    event = await get_event(context.db, event_id)
    if event is None:
        await refuse(update, t.gettext("This event no longer exists."))
        return
    if event.cancelled or event.starts_at <= utcnow():
        await refuse(update, t.gettext("This event has been called off or has already begun."))
        return
    result = await set_answer(
        context.db,
        event_id,
        user_id,
        wanted,
        seats=SEATS,
        moved_up=lambda people: to_each(
            people, "event.moved_up", {"event": event_id}, priority=EVENT
        ),
    )
    if result is None:
        await refuse(update, t.gettext("This event no longer exists."))
        return
    if result.promoted:
        context.app.wake_sender()
        log.info("Event %s: %s moved up from the waiting list", event_id, len(result.promoted))
    if result.stored == WAITING:
        waiting = [a.user_id for a in await attendees(context.db, event_id) if a.answer == WAITING]
        notice = t.gettext(
            "No places left: you are on the waiting list, number {number}. You will be told "
            "if a place comes free."
        ).format(number=waiting.index(user_id) + 1 if user_id in waiting else len(waiting))
    else:
        notice = {
            "going": t.gettext("See you there!"),
            "maybe": t.gettext("Noted: maybe."),
            "no": t.gettext("Noted: you can't come."),
        }[result.stored]
    if result.stored == result.previous and update.callback_query is not None:
        await update.callback_query.answer(notice)  # the same answer again: nothing to redraw
        return
    fresh = await get_event(context.db, event_id)
    assert fresh is not None
    await _card(update, context, fresh, roles, notice=notice)


async def send_calendar(update: Update, context: BotContext) -> None:
    """📅 Add to calendar: an .ics file with the event, to her alone."""
    (event_id,) = ICS.values(context.match)
    t = context.t
    if await may_browse(update, context) is None:
        await _not_for_her(update, context)
        return
    event = await get_event(context.db, event_id)
    if event is None or event.cancelled:
        await refuse(update, t.gettext("This event has been called off or has already begun."))
        return
    assert update.effective_chat and update.callback_query
    await update.callback_query.answer()
    settings = context.settings
    data = ics_file(
        CalendarEvent(
            uid=f"event-{event.id}-{event.created_at:%Y%m%d%H%M%S}@solidarity-community",
            title=event.title,
            description=event.description,
            starts=event.starts_at,
            ends=ends_at(event.starts_at, event.duration),
            place=event.place,
            latitude=event.geo[0] if event.geo else None,
            longitude=event.geo[1] if event.geo else None,
            link=event.link,
            cancelled=event.cancelled,
            sequence=event.revision,
            stamp=utcnow(),
        ),
        settings.tz,
        settings.timezone,
    )
    await context.bot.send_document(
        update.effective_chat.id,
        InputFile(data, filename=f"event-{event.id}.ics"),
        caption="📅 " + t.gettext("Open this file to add the event to your calendar."),
    )


async def who_is_coming(update: Update, context: BotContext) -> None:
    """👥 Names of the members going and waiting; only counts for Maybe and Can't come."""
    (event_id,) = WHO.values(context.match)
    loaded = await managed_event(update, context, event_id, "who is coming")
    if loaded is None:
        return
    _roles, event = loaded
    t = context.t
    people = await attendees(context.db, event_id)

    def names(answer: str) -> list[str]:
        chosen = [p for p in people if p.answer == answer]
        return [
            f"{n}. " + (html.escape(p.name) if p.name else t.gettext("(no longer a member)"))
            for n, p in enumerate(chosen, start=1)
        ]

    going, waiting = names("going"), names(WAITING)
    lines = [
        "👥 <b>" + t.gettext("Who is coming") + "</b>: " + html.escape(event.title),
        "",
        t.gettext("Going: {count}").format(count=len(going)),
        *going,
    ]
    if waiting:
        lines += ["", t.gettext("Waiting list: {count}").format(count=len(waiting)), *waiting]
    maybe = sum(1 for p in people if p.answer == "maybe")
    cannot = sum(1 for p in people if p.answer == "no")
    lines += [
        "",
        t.gettext("Maybe: {count}").format(count=maybe),
        t.gettext("Can't come: {count}").format(count=cannot),
    ]
    text = "\n".join(lines)
    if utf16_len(text) > TEXT_LIMIT:
        text = text[: TEXT_LIMIT - 10].rsplit("\n", 1)[0] + "\n…"
    back = InlineKeyboardMarkup(
        [[InlineKeyboardButton("◀ " + t.gettext("Back"), callback_data=OPEN(event.id))]]
    )
    await edit_or_send(update, context, text, back)
