"""Rules of events that need no Telegram: the kinds of event, reading a date and time as people
type them, durations, capacity and the waiting list, links, reminder windows, periods of the
coordinators' report and map links (the .ics file of "Add to calendar": bot/services/calendar.py).

Dates are read by a small parser of our own rather than `dateparser`: the forms we take are few
and known (`05.12.2026 14:00`, `2026-12-05 14:00`, `5 дек 14:00`, `5-декабрь 14:00`,
`Dec 5 2pm`, and the house style the bot itself shows), Kyrgyz month names with the hyphenated
day are not what a general parser expects, and a general parser would also accept what we want
to refuse ("next Friday-ish", two dates in one line) and needs a large dependency. Anything that
is not one of the known forms is refused with a hint and an example, so nothing is guessed.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from urllib.parse import urlsplit

from bot.i18n import N_

# The kinds of event of the resolution (msgids, shown in the reader's language).
KINDS: dict[str, str] = {
    "dialogue": N_("Dialogue platform"),
    "forum": N_("Forum"),
    "training": N_("Training"),
    "peaceful": N_("Peaceful event"),
    "meeting": N_("Meeting"),
    "online": N_("Online"),
}
ANSWERS = ("going", "maybe", "no")  # what a member can answer; "waiting" is given, not chosen
WAITING = "waiting"

TITLE_MAX = 120
DESCRIPTION_MAX = 2000
PLACE_MAX = 300
LINK_MAX = 500
REASON_MAX = 500
MESSAGE_MAX = 1000
NOTES_MAX = 2000
CAPACITY_MAX = 5000  # more than any hall in the country; 10,000,000 is a typing slip
PEOPLE_MAX = 100_000  # the most people an outcome may count
DURATION_MIN, DURATION_MAX = 10, 72 * 60  # minutes: ten minutes to a three-day forum
AHEAD_MAX = timedelta(days=2 * 366)  # an event more than two years ahead is a typing slip
DEFAULT_LENGTH = timedelta(hours=2)  # when no duration was given (end of the event, .ics)

# Reminders to Going and Maybe, and the organiser asked for the outcome after the end.
DAY_BEFORE = timedelta(hours=24)
SOON_BEFORE = timedelta(hours=2)

# -- reading a date and time -----------------------------------------------------------------


class WhenProblem(enum.Enum):
    NONSENSE = "nonsense"
    NO_SUCH_DAY = "no_such_day"  # 31 February, month 13
    NO_TIME = "no_time"
    PAST = "past"
    TOO_FAR = "too_far"


class WhenRefused(ValueError):
    def __init__(self, problem: WhenProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


# Months by the first three letters of their names in English, Russian and Kyrgyz.
_MONTH_STEMS: dict[str, int] = {}
for _number, _stems in enumerate(
    (
        ("jan", "янв"),
        ("feb", "фев"),
        ("mar", "мар"),
        ("apr", "апр"),
        ("may", "май", "мая"),
        ("jun", "июн"),
        ("jul", "июл"),
        ("aug", "авг"),
        ("sep", "сен"),
        ("oct", "окт"),
        ("nov", "ноя"),
        ("dec", "дек"),
    ),
    start=1,
):
    for _stem in _stems:
        _MONTH_STEMS[_stem] = _number

_RELATIVE_DAYS = {
    "today": 0,
    "сегодня": 0,
    "бүгүн": 0,
    "tomorrow": 1,
    "завтра": 1,
    "эртең": 1,
}
# Words that may stand around a date and time without changing it.
_NOISE = {
    "at", "on", "the", "of", "from", "в", "с", "г", "года", "год", "ж", "жылы", "жыл",
    "саат", "саатта", "saat", "ч", "час", "h",
}  # fmt: skip

_ISO_RE = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?:t|(?!\d))")
_NUMERIC_RE = re.compile(r"(?<![\d:])(\d{1,2})([./-])(\d{1,2})(?:\2(\d{4}|\d{2}))?(?![\d:])")
_DAY_MONTH_RE = re.compile(
    r"(?<!\d)(\d{1,2})(?:-?(?:st|nd|rd|th|го|е|чи|нчи|инчи|ынчы|нчы))?[\s-]*([^\W\d_]{3,})\.?"
)
_MONTH_DAY_RE = re.compile(r"([^\W\d_]{3,})\.?\s*(\d{1,2})(?:st|nd|rd|th)?(?!\d)")
_YEAR_RE = re.compile(r"(?<!\d)(20\d{2})(?!\d)(?:\s*-?\s*(?:ж|г)\b\.?)?")
_TIME_RE = re.compile(
    r"(?<!\d)(\d{1,2})(?:[:.](\d{2}))?\s*(a\.?m\.?|p\.?m\.?)?(?![\d.:])",
)


def _month(word: str) -> int | None:
    return _MONTH_STEMS.get(word[:3]) if len(word) >= 3 else None


def _cut(text: str, match: re.Match[str]) -> str:
    return text[: match.start()] + " " + text[match.end() :]


def _find_date(text: str, today: date) -> tuple[int | None, int, int, str] | None:
    """(year or None, month, day, the rest of the text) of the date in `text`, if any."""
    year: int | None
    if match := _ISO_RE.search(text):
        year, month, day = (int(g) for g in match.groups())
        return year, month, day, _cut(text, match)
    for match in _NUMERIC_RE.finditer(text):
        sep, year_text = match.group(2), match.group(4)
        if not year_text and not 1 <= int(match.group(3)) <= 12:
            continue  # "14.00" is a time, not the 14th of month 0
        if sep != "-" or year_text:
            year = None
            if year_text:
                year = int(year_text) + (2000 if len(year_text) == 2 else 0)
            return year, int(match.group(3)), int(match.group(1)), _cut(text, match)
    for pattern, day_group, word_group in ((_DAY_MONTH_RE, 1, 2), (_MONTH_DAY_RE, 2, 1)):
        for match in pattern.finditer(text):
            named = _month(match.group(word_group))
            if named is not None:
                rest = _cut(text, match)
                found = _YEAR_RE.search(rest)
                year = int(found.group(1)) if found else None
                if found:
                    rest = _cut(rest, found)
                return year, named, int(match.group(day_group)), rest
    words = text.split()
    for word in words:
        if word in _RELATIVE_DAYS:
            day_ = today + timedelta(days=_RELATIVE_DAYS[word])
            return day_.year, day_.month, day_.day, text.replace(word, " ", 1)
    return None


def parse_time(text: str) -> time | None:
    """A time of day alone: 14:00, 14.30, 9, 2pm, 2:30 p.m."""
    found = _read_time(_normalise(text))
    if found is None:
        return None
    value, rest = found
    return value if _only_noise(rest) else None


def _read_time(text: str) -> tuple[time, str] | None:
    for match in _TIME_RE.finditer(text):
        hour, minute, meridiem = int(match.group(1)), int(match.group(2) or 0), match.group(3)
        if match.group(2) is None and meridiem is None:
            continue  # a bare number is not a time ("5 дек" is a day)
        if meridiem:
            if not 1 <= hour <= 12:
                return None
            hour = hour % 12 + (12 if meridiem.startswith("p") else 0)
        if hour > 23 or minute > 59:
            return None
        return time(hour, minute), _cut(text, match)
    return None


def _normalise(text: str) -> str:
    return " ".join(text.casefold().replace("ё", "е").replace(",", " ").split())


def _only_noise(rest: str) -> bool:
    words = re.findall(r"[^\W_]+", rest)
    return all(word in _NOISE for word in words)


def parse_when(text: str, now: datetime, tz: tzinfo, *, day: date | None = None) -> datetime:
    """The moment a typed date and time mean, in `tz`, as an aware UTC datetime; `day`: the
    day already picked with a button (then a time alone will do). Without a year: this year,
    or next year when that day has passed. Raises WhenRefused."""
    text = _normalise(text)
    local_now = now.astimezone(tz)
    found = _find_date(text, local_now.date())
    if found is None:
        if day is None:
            raise WhenRefused(WhenProblem.NONSENSE)
        year: int | None = day.year
        month, day_number, rest = day.month, day.day, text
    else:
        (year, month, day_number, rest), day = found, None
    clock = _read_time(rest)
    if clock is None:
        if not _only_noise(rest) and re.search(r"\d", rest):
            raise WhenRefused(WhenProblem.NONSENSE)
        raise WhenRefused(WhenProblem.NO_TIME if found else WhenProblem.NONSENSE)
    at, rest = clock
    if not _only_noise(rest):
        raise WhenRefused(WhenProblem.NONSENSE)
    try:
        moment = datetime(year or local_now.year, month, day_number, at.hour, at.minute, tzinfo=tz)
    except ValueError:
        raise WhenRefused(WhenProblem.NO_SUCH_DAY) from None
    if year is None and moment <= local_now:
        try:
            moment = moment.replace(year=moment.year + 1)
        except ValueError:  # 29 February
            raise WhenRefused(WhenProblem.NO_SUCH_DAY) from None
    return checked_future(moment, now)


def checked_future(moment: datetime, now: datetime) -> datetime:
    """`moment` in UTC if it is ahead, and not absurdly far; else WhenRefused."""
    if moment <= now:
        raise WhenRefused(WhenProblem.PAST)
    if moment - now > AHEAD_MAX:
        raise WhenRefused(WhenProblem.TOO_FAR)
    return moment.astimezone(UTC)


def at_time(day: date, at: time, tz: tzinfo, now: datetime) -> datetime:
    """A picked day and time, checked like a typed moment."""
    return checked_future(datetime.combine(day, at, tzinfo=tz), now)


def day_choices(now: datetime, tz: tzinfo, count: int = 8) -> list[date]:
    """The days offered as buttons: today and the days after it."""
    today = now.astimezone(tz).date()
    return [today + timedelta(days=n) for n in range(count)]


# -- other answers ---------------------------------------------------------------------------

_HOURS_RE = re.compile(r"^(\d{1,3}(?:[.,]\d{1,2})?)\s*(h|hr|hrs|hours?|ч|час\w*|саат)?\.?$")
_MINUTES_RE = re.compile(r"^(\d{1,4})\s*(m|min|mins|minutes?|мин\w*|мүн\w*)\.?$")
_CLOCK_RE = re.compile(r"^(\d{1,2}):(\d{2})$")


def parse_duration(text: str) -> int | None:
    """Minutes, from "2", "1.5", "1,5 ч", "2 h", "90 min", "1:30"; None if not one or out of
    range."""
    text = " ".join(text.casefold().split())
    minutes: float
    if match := _MINUTES_RE.match(text):
        minutes = int(match.group(1))
    elif match := _CLOCK_RE.match(text):
        minutes = int(match.group(1)) * 60 + int(match.group(2))
    elif match := _HOURS_RE.match(text):
        minutes = float(match.group(1).replace(",", ".")) * 60
    else:
        return None
    value = round(minutes)
    return value if DURATION_MIN <= value <= DURATION_MAX else None


def parse_count(text: str, *, low: int, high: int) -> int | None:
    """A whole number typed with or without thousands separators ("1 000", "1,000")."""
    digits = re.sub(r"[\s,.'\u00a0\u202f]", "", text)
    if not digits.isdigit() or len(digits) > 9:
        return None
    value = int(digits)
    return value if low <= value <= high else None


def link_problem(text: str) -> str | None:
    """None for a link we take (https, a host with a dot, no spaces); else what is wrong:
    "https" (another scheme or none) or "invalid"."""
    link = text.strip()
    if not link.lower().startswith("https://"):
        return "https"
    if len(link) > LINK_MAX or any(ch.isspace() for ch in link):
        return "invalid"
    try:
        parts = urlsplit(link)
    except ValueError:
        return "invalid"
    host = parts.hostname or ""
    if "." not in host or host.startswith(".") or host.endswith("."):
        return "invalid"
    return None


# -- outcomes --------------------------------------------------------------------------------


def outcome_problem(women: int, men: int, total: int) -> str | None:
    """The figures of an outcome: each 0..PEOPLE_MAX, and total at least women + men."""
    if min(women, men, total) < 0 or max(women, men, total) > PEOPLE_MAX:
        return "range"
    if total < women + men:
        return "sum"
    return None


# -- capacity and the waiting list -------------------------------------------------------------


class Seats:
    """Who gets a seat: Going counts against the capacity; past it, answers wait in order."""

    def stored(self, wanted: str, previous: str | None, going: int, capacity: int | None) -> str:
        """What is kept for an answer: `going` counts the others going (not her)."""
        if wanted != "going" or capacity is None:
            return wanted
        if previous == "going":
            return "going"  # she keeps her seat
        return "going" if going < capacity else WAITING

    def promoted(self, capacity: int | None, going: int, waiting: Sequence[int]) -> list[int]:
        """Who moves up from the waiting list (in order) when seats are free."""
        if capacity is None:
            return list(waiting)
        return list(waiting[: max(0, capacity - going)])


SEATS = Seats()

# -- reminders -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReminderDue:
    """What the reminder job does for one event now: send "day" or "soon" (or nothing), and
    which reminders to mark done (a missed or pointless one is marked without sending)."""

    send: str | None
    mark_day: bool
    mark_soon: bool


def reminder_due(
    starts: datetime, created: datetime, now: datetime, *, day_done: bool, soon_done: bool
) -> ReminderDue:
    """The day before: only for an event announced more than a day ahead, and not once the
    two-hour reminder is due. Two hours before: until it starts. After the start: nothing,
    and both are marked done."""
    if now >= starts:
        return ReminderDue(None, not day_done, not soon_done)
    if now >= starts - SOON_BEFORE:
        return ReminderDue(None if soon_done else "soon", not day_done, not soon_done)
    if now >= starts - DAY_BEFORE and not day_done:
        if created > starts - DAY_BEFORE:
            return ReminderDue(None, True, False)  # announced within the day: the notice will do
        return ReminderDue("day", True, False)
    return ReminderDue(None, False, False)


def ends_at(starts: datetime, duration: int | None) -> datetime:
    return starts + (timedelta(minutes=duration) if duration else DEFAULT_LENGTH)


# -- the coordinators' report: periods ----------------------------------------------------------

PERIODS: dict[str, str] = {
    "month": N_("This month"),
    "prev": N_("Last month"),
    "quarter": N_("This quarter"),
    "year": N_("This year"),
    "last12": N_("Last 12 months"),
}


def period_range(code: str, now: datetime, tz: tzinfo) -> tuple[datetime, datetime]:
    """[start, end) of a period in `tz`, as UTC datetimes."""
    local = now.astimezone(tz)
    first = date(local.year, local.month, 1)

    def month_start(year: int, month: int) -> date:
        while month < 1:
            month, year = month + 12, year - 1
        while month > 12:
            month, year = month - 12, year + 1
        return date(year, month, 1)

    if code == "prev":
        start, end = month_start(local.year, local.month - 1), first
    elif code == "quarter":
        q = (local.month - 1) // 3 * 3 + 1
        start, end = month_start(local.year, q), month_start(local.year, q + 3)
    elif code == "year":
        start, end = date(local.year, 1, 1), date(local.year + 1, 1, 1)
    elif code == "last12":
        start, end = (
            month_start(local.year, local.month - 11),
            month_start(local.year, local.month + 1),
        )
    else:
        start, end = first, month_start(local.year, local.month + 1)
    return (
        datetime.combine(start, time(), tzinfo=tz).astimezone(UTC),
        datetime.combine(end, time(), tzinfo=tz).astimezone(UTC),
    )
