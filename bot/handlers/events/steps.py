"""The questions of an event (/newevent, and the organiser's edits). Texts over their limit
are kept for her to shorten (bot/forms/long_text.py)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from bot.forms import Incoming, Input, Option, Refused, Step, Turn
from bot.forms.long_text import cut_option, long_text, question, text_step
from bot.i18n import N_, Translator
from bot.keyboards import region_name
from bot.services.events import (
    CAPACITY_MAX,
    DESCRIPTION_MAX,
    KINDS,
    PLACE_MAX,
    TITLE_MAX,
    WhenProblem,
    WhenRefused,
    at_time,
    day_choices,
    link_problem,
    parse_count,
    parse_duration,
    parse_time,
    parse_when,
)
from db.events import EventDraft
from db.types import utcnow

from .render import duration_text

COUNTRY = "country"  # the region answer of an event for the whole country
TIMES = ("0900", "1000", "1100", "1200", "1400", "1500", "1600", "1700", "1800")
DURATIONS = (60, 90, 120, 180, 240, 480)
WHEN_HINTS = {
    WhenProblem.NONSENSE: N_(
        "I could not read a date and time in this. Please type them like 05.12.2026 14:00 or "
        "5 Dec 14:00, or pick a day below."
    ),
    WhenProblem.NO_SUCH_DAY: N_(
        "There is no such day in the calendar. Please check the day and the month."
    ),
    WhenProblem.NO_TIME: N_("Please add the time, for example 5 Dec 14:00."),
    WhenProblem.PAST: N_("This moment has already passed. Please give a date and time ahead."),
    WhenProblem.TOO_FAR: N_("This is more than two years ahead. Please check the year."),
}


# -- when ------------------------------------------------------------------------------------


def _now() -> datetime:
    return utcnow()


def day_options(t: Translator, _draft: dict[str, Any]) -> list[Option]:
    days = day_choices(_now(), t.tz)
    labels = {0: t.gettext("Today"), 1: t.gettext("Tomorrow")}
    return [
        Option("d" + day.strftime("%Y%m%d"), labels.get(n) or t.short_date(day))
        for n, day in enumerate(days)
    ]


async def accept_when(turn: Turn, incoming: Incoming) -> bool:
    """A day button (the time comes next), or a typed date and time."""
    draft, t = turn.draft, turn.t
    if incoming.kind == Input.BUTTON:
        draft["day"] = datetime.strptime(str(incoming.value)[1:], "%Y%m%d").date().isoformat()
        draft["starts"] = None
        draft.pop("starts_time", None)
        return True
    try:
        moment = parse_when(incoming.text or "", _now(), t.tz)
    except WhenRefused as refused:
        raise Refused(t.gettext(WHEN_HINTS[refused.problem])) from None
    draft["starts"] = moment.isoformat()
    draft.pop("day", None)
    draft.pop("starts_time", None)
    return True


def time_options(_t: Translator, _draft: dict[str, Any]) -> list[Option]:
    return [Option("t" + code, f"{code[:2]}:{code[2:]}") for code in TIMES]


def time_question(t: Translator, draft: dict[str, Any]) -> str:
    day = date.fromisoformat(draft["day"]) if draft.get("day") else None
    text = t.gettext("<b>At what time?</b> Tap one, or type it, for example 14:30.")
    return text + (f"\n{t.date(day)}" if day else "")


async def accept_time(turn: Turn, incoming: Incoming) -> bool:
    draft, t = turn.draft, turn.t
    if incoming.kind == Input.BUTTON:
        code = str(incoming.value)[1:]
        at: time | None = time(int(code[:2]), int(code[2:]))
    else:
        at = parse_time(incoming.text or "")
    if at is None:
        raise Refused(t.gettext("Please type the time like 14:30, or tap one of the buttons."))
    try:
        moment = at_time(date.fromisoformat(draft["day"]), at, t.tz, _now())
    except WhenRefused as refused:
        raise Refused(t.gettext(WHEN_HINTS[refused.problem])) from None
    draft["starts"] = moment.isoformat()
    draft["starts_time"] = at.strftime("%H:%M")
    return True


# -- the other answers -----------------------------------------------------------------------


def kind_options(t: Translator, _draft: dict[str, Any]) -> list[Option]:
    return [Option(code, t.gettext(label)) for code, label in KINDS.items()]


async def accept_kind(turn: Turn, incoming: Incoming) -> bool:
    turn.draft["kind"] = incoming.value
    return True


def duration_options(t: Translator, _draft: dict[str, Any]) -> list[Option]:
    return [Option(f"m{minutes}", duration_text(t, minutes)) for minutes in DURATIONS]


async def accept_duration(turn: Turn, incoming: Incoming) -> bool:
    if incoming.kind == Input.BUTTON:
        minutes: int | None = int(str(incoming.value)[1:])
    else:
        minutes = parse_duration(incoming.text or "")
    if minutes is None:
        raise Refused(
            turn.t.gettext(
                "Please tap a button, or type how long it lasts, for example 1.5 h or 90 min "
                "(at most 72 hours)."
            )
        )
    turn.draft["duration"] = minutes
    return True


def region_options(t: Translator, draft: dict[str, Any]) -> list[Option]:
    """Her regions (a lead), or every region and the whole country (a coordinator)."""
    return [
        Option(code, t.gettext("Whole country") if code == COUNTRY else region_name(t, code))
        for code in draft.get("_regions") or []
    ]


async def accept_region(turn: Turn, incoming: Incoming) -> bool:
    turn.draft["region"] = incoming.value
    return True


def place_options(t: Translator, draft: dict[str, Any]) -> list[Option]:
    options = cut_option(PLACE_MAX, "place")(t, draft)
    if draft.get("geo"):
        options.append(Option("nopin", "🗑 " + t.gettext("Remove the pin")))
    return options


_accept_place_text = long_text("place", PLACE_MAX)


async def accept_place(turn: Turn, incoming: Incoming) -> bool:
    """The place as text, or a pin (then the address may follow), or both."""
    draft = turn.draft
    message = incoming.message
    if message is not None and message.location is not None:
        draft["geo"] = [round(message.location.latitude, 6), round(message.location.longitude, 6)]
        draft.setdefault("place", None)
        await turn.remind(
            PLACE,
            "📍 "
            + turn.t.gettext(
                "Pin kept. Type the address or the name of the place too, or tap “Done”."
            ),
        )
        return False
    if incoming.kind == Input.BUTTON and incoming.value == "nopin":
        draft["geo"] = None
        return False
    return await _accept_place_text(turn, incoming)


def place_done(turn: Turn) -> str | None:
    if turn.draft.get("place") or turn.draft.get("geo"):
        return None
    return turn.t.gettext("Please type the place or send a pin, or skip this question.")


async def accept_link(turn: Turn, incoming: Incoming) -> bool:
    t = turn.t
    link = (incoming.text or "").strip()
    problem = link_problem(link)
    if problem == "https":
        raise Refused(
            t.gettext(
                "Only secure links that begin with https:// are taken, for example "
                "https://meet.google.com/abc-defg-hij."
            )
        )
    if problem:
        raise Refused(
            t.gettext("This does not look like a web address. Please send it as https://…")
        )
    turn.draft["link"] = link
    return True


async def accept_capacity(turn: Turn, incoming: Incoming) -> bool:
    value = parse_count(incoming.text or "", low=1, high=CAPACITY_MAX)
    if value is None:
        raise Refused(
            turn.t.gettext(
                "Please type a number from 1 to {max}, or skip if there is no limit."
            ).format(max=CAPACITY_MAX)
        )
    turn.draft["capacity"] = value
    return True


TITLE = text_step(
    "title",
    N_("<b>Title of the event</b>\nUp to 120 characters."),
    TITLE_MAX,
    N_("Title"),
    lines=False,
)
DESCRIPTION = text_step(
    "description",
    N_(
        "<b>Description</b>\nWhat is it about, who is it for, what to bring. Up to 2,000 "
        "characters, in one message."
    ),
    DESCRIPTION_MAX,
    N_("Description"),
)
WHEN = Step(
    "starts",
    question(
        N_(
            "<b>When does it start?</b>\nType the date and time, for example 05.12.2026 14:00 "
            "or 5 Dec 14:00, or pick a day."
        )
    ),
    Input.TEXT | Input.BUTTON,
    accept_when,
    options=day_options,
    label=N_("Date and time"),
    per_row=3,
)
TIME = Step(
    "starts_time",
    time_question,
    Input.TEXT | Input.BUTTON,
    accept_time,
    options=time_options,
    applies=lambda d: bool(d.get("day")),
    per_row=3,
)
DURATION = Step(
    "duration",
    question(N_("<b>How long does it last?</b> (optional)\nTap one, or type it, e.g. 1.5 h.")),
    Input.TEXT | Input.BUTTON,
    accept_duration,
    options=duration_options,
    label=N_("Duration"),
    optional=True,
    per_row=3,
)
PLACE = Step(
    "place",
    question(
        N_(
            "<b>Where?</b>\nType the address or the name of the place, or send a location pin "
            "(📎 → Location), or skip (for an online event)."
        ),
        "place",
    ),
    Input.TEXT | Input.LOCATION | Input.BUTTON,
    accept_place,
    options=place_options,
    label=N_("Place"),
    optional=True,
    collect=True,
    done=place_done,
    hint=N_("Please type the place, or send a location pin, or skip."),
)
REGION = Step(
    "region",
    question(N_("<b>For which region?</b>\nIts members will be told.")),
    Input.BUTTON,
    accept_region,
    options=region_options,
    label=N_("Region"),
    applies=lambda d: len(d.get("_regions") or []) != 1,
    per_row=2,
)
KIND = Step(
    "kind",
    question(N_("<b>What kind of event is it?</b>")),
    Input.BUTTON,
    accept_kind,
    options=kind_options,
    label=N_("Kind"),
    per_row=2,
)
LINK = Step(
    "link",
    question(N_("<b>Online link</b> (optional)\nA https:// link to join online, or skip."), "link"),
    Input.TEXT,
    accept_link,
    label=N_("Online link"),
    optional=True,
)
CAPACITY = Step(
    "capacity",
    question(
        N_(
            "<b>How many places?</b> (optional)\nPast this number, those who answer “Going” "
            "join a waiting list. Skip if there is no limit."
        ),
        "capacity",
    ),
    Input.TEXT,
    accept_capacity,
    label=N_("Places"),
    optional=True,
)
STEPS = (TITLE, DESCRIPTION, WHEN, TIME, DURATION, PLACE, REGION, KIND, LINK, CAPACITY)
EDIT_STEPS = tuple(step for step in STEPS if step is not REGION)


def draft_event(draft: dict[str, Any]) -> EventDraft:
    """The event a draft describes (for the preview, publishing and saving edits)."""
    geo = draft.get("geo")
    region = draft.get("region")
    starts = draft.get("starts")
    return EventDraft(
        title=draft.get("title") or "",
        description=draft.get("description") or "",
        kind=draft.get("kind") or "meeting",
        starts_at=datetime.fromisoformat(starts) if starts else _now(),
        region=None if region in (None, COUNTRY) else str(region),
        duration=draft.get("duration"),
        place=draft.get("place"),
        geo=(float(geo[0]), float(geo[1])) if geo else None,
        link=draft.get("link"),
        capacity=draft.get("capacity"),
    )


def event_draft_values(event: EventDraft) -> dict[str, Any]:
    """A draft holding an event's values (to edit it)."""
    return {
        "title": event.title,
        "description": event.description,
        "kind": event.kind,
        "starts": event.starts_at.isoformat(),
        "region": event.region or COUNTRY,
        "duration": event.duration,
        "place": event.place,
        "geo": list(event.geo) if event.geo else None,
        "link": event.link,
        "capacity": event.capacity,
    }
