"""The rules of events that need no Telegram: dates as people type them, durations, numbers,
links, seats and the waiting list, reminder windows, report periods, and the .ics file."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import get_translator
from bot.keyboards import map_links
from bot.services.calendar import CalendarEvent, ics_file
from bot.services.events import (
    SEATS,
    WhenProblem,
    WhenRefused,
    at_time,
    day_choices,
    link_problem,
    outcome_problem,
    parse_count,
    parse_duration,
    parse_time,
    parse_when,
    period_range,
    reminder_due,
)

TZ = ZoneInfo("Asia/Bishkek")
NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)  # 09:00 in Bishkek
DEC5 = datetime(2026, 12, 5, 14, 0, tzinfo=TZ)


@pytest.mark.parametrize(
    "typed",
    [
        "05.12.2026 14:00",
        "2026-12-05 14:00",
        "2026-12-05T14:00",
        "5 дек 14:00",
        "5 декабря 14:00",
        "5-декабрь 14:00",
        "Dec 5 2pm",
        "December 5, 2026 2 p.m.",
        "5 Dec at 14.00",
        "5.12 14:00",
        "05/12/2026 14:00",
        # the way the bot writes dates, in each language, is read back
        get_translator("ky", "Asia/Bishkek").datetime(DEC5),
        get_translator("ru", "Asia/Bishkek").datetime(DEC5),
        get_translator("en", "Asia/Bishkek").datetime(DEC5),
    ],
)
def test_every_form_of_a_date_and_time_is_read(typed: str) -> None:
    assert parse_when(typed, NOW, TZ) == DEC5.astimezone(UTC)


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("31.02.2027 10:00", WhenProblem.NO_SUCH_DAY),
        ("30 февраля 10:00", WhenProblem.NO_SUCH_DAY),
        ("05.13.2026 10:00", WhenProblem.NO_SUCH_DAY),
        ("banana", WhenProblem.NONSENSE),
        ("next friday-ish", WhenProblem.NONSENSE),
        ("5 дек 14:00 и 6 дек", WhenProblem.NONSENSE),
        ("5 дек 25:00", WhenProblem.NONSENSE),
        ("5 дек", WhenProblem.NO_TIME),
        ("01.01.2020 10:00", WhenProblem.PAST),
        ("01.06.2026 08:59", WhenProblem.PAST),
        ("12.12.2099 10:00", WhenProblem.TOO_FAR),
        ("14:00", WhenProblem.NONSENSE),
    ],
)
def test_what_cannot_be_taken_says_why(typed: str, problem: WhenProblem) -> None:
    with pytest.raises(WhenRefused) as refused:
        parse_when(typed, NOW, TZ)
    assert refused.value.problem is problem


def test_without_a_year_the_next_such_day_and_relative_days() -> None:
    assert parse_when("5 мая 10:00", NOW, TZ) == datetime(2027, 5, 5, 10, tzinfo=TZ)
    assert parse_when("завтра 10:00", NOW, TZ) == datetime(2026, 6, 2, 10, tzinfo=TZ)
    assert parse_when("бүгүн 18:30", NOW, TZ) == datetime(2026, 6, 1, 18, 30, tzinfo=TZ)
    picked = date(2026, 6, 3)
    assert parse_when("15:30", NOW, TZ, day=picked) == datetime(2026, 6, 3, 15, 30, tzinfo=TZ)
    assert at_time(picked, time(9), TZ, NOW) == datetime(2026, 6, 3, 9, tzinfo=TZ)
    with pytest.raises(WhenRefused):
        at_time(date(2026, 6, 1), time(8), TZ, NOW)
    assert day_choices(NOW, TZ)[:2] == [date(2026, 6, 1), date(2026, 6, 2)]


def test_times_durations_counts_links_and_outcomes() -> None:
    assert parse_time("2:30 pm") == time(14, 30) and parse_time("9.05") == time(9, 5)
    assert parse_time("13pm") is None and parse_time("soon") is None
    assert [parse_duration(t) for t in ("2", "1,5 ч", "90 min", "1:30", "2 саат")] == [
        120,
        90,
        90,
        90,
        120,
    ]
    assert parse_duration("5 минут") is None and parse_duration("100") is None
    assert parse_count("1 000", low=1, high=5000) == 1000
    assert parse_count("0", low=1, high=5000) is None
    assert parse_count("10,000,000", low=1, high=5000) is None
    assert parse_count("много", low=1, high=5000) is None
    assert link_problem("https://meet.jit.si/naryn") is None
    assert link_problem("http://meet.jit.si/naryn") == "https"
    assert link_problem("meet.jit.si") == "https"
    assert link_problem("https://localhost/x") == "invalid"
    assert link_problem("https://a b.org") == "invalid"
    assert outcome_problem(20, 5, 30) is None and outcome_problem(20, 5, 25) is None
    assert outcome_problem(20, 5, 24) == "sum" and outcome_problem(-1, 0, 0) == "range"
    assert outcome_problem(0, 0, 10_000_000) == "range"


def test_seats_and_the_waiting_list() -> None:
    assert SEATS.stored("going", None, 0, None) == "going"
    assert SEATS.stored("going", None, 2, 3) == "going"
    assert SEATS.stored("going", None, 3, 3) == "waiting"
    assert SEATS.stored("going", "going", 3, 3) == "going"  # she keeps her seat
    assert SEATS.stored("maybe", None, 3, 3) == "maybe"
    assert SEATS.promoted(3, 2, [7, 8]) == [7]
    assert SEATS.promoted(3, 3, [7, 8]) == []
    assert SEATS.promoted(None, 9, [7, 8]) == [7, 8]


def test_reminder_windows() -> None:
    starts = datetime(2026, 12, 5, 8, tzinfo=UTC)
    early = starts - timedelta(days=5)
    late = starts - timedelta(hours=10)
    due = reminder_due(starts, early, starts - timedelta(hours=30), day_done=False, soon_done=False)
    assert (due.send, due.mark_day, due.mark_soon) == (None, False, False)
    due = reminder_due(starts, early, starts - timedelta(hours=23), day_done=False, soon_done=False)
    assert (due.send, due.mark_day) == ("day", True)
    due = reminder_due(starts, late, starts - timedelta(hours=5), day_done=False, soon_done=False)
    assert (due.send, due.mark_day) == (None, True)  # announced within the day
    due = reminder_due(starts, early, starts - timedelta(hours=1), day_done=False, soon_done=False)
    assert (due.send, due.mark_day, due.mark_soon) == ("soon", True, True)
    due = reminder_due(starts, early, starts + timedelta(hours=1), day_done=True, soon_done=False)
    assert (due.send, due.mark_soon) == (None, True)


def test_report_periods_in_the_bots_zone() -> None:
    now = datetime(2026, 11, 30, 20, tzinfo=UTC)  # already 1 December in Bishkek
    start, end = period_range("month", now, TZ)
    assert start == datetime(2026, 12, 1, tzinfo=TZ) and end == datetime(2027, 1, 1, tzinfo=TZ)
    start, end = period_range("prev", now, TZ)
    assert start == datetime(2026, 11, 1, tzinfo=TZ) and end == datetime(2026, 12, 1, tzinfo=TZ)
    start, end = period_range("quarter", now, TZ)
    assert start == datetime(2026, 10, 1, tzinfo=TZ) and end == datetime(2027, 1, 1, tzinfo=TZ)
    start, _end = period_range("year", now, TZ)
    assert start == datetime(2026, 1, 1, tzinfo=TZ)
    start, end = period_range("last12", now, TZ)
    assert start == datetime(2026, 1, 1, tzinfo=TZ) and end == datetime(2027, 1, 1, tzinfo=TZ)


def test_the_calendar_file() -> None:
    event = CalendarEvent(
        uid="event-1@test",
        title="Диалог; «жер» и вода, " + "очень длинное название " * 5,
        description="Строка 1\nСтрока 2",
        starts=DEC5.astimezone(UTC),
        ends=DEC5.astimezone(UTC) + timedelta(hours=2),
        place="Нарын, Дом культуры",
        latitude=41.428,
        longitude=75.991,
        link="https://meet.example.org/x",
        cancelled=False,
        sequence=2,
        stamp=NOW,
    )
    data = ics_file(event, TZ, "Asia/Bishkek")
    text = data.decode("utf-8")
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") and text.endswith(
        "END:VCALENDAR\r\n"
    )
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    unfolded = text.replace("\r\n ", "")
    assert "DTSTART;TZID=Asia/Bishkek:20261205T140000" in unfolded
    assert "DTEND;TZID=Asia/Bishkek:20261205T160000" in unfolded
    assert "TZOFFSETFROM:+0600" in unfolded and "SEQUENCE:2" in unfolded
    assert "SUMMARY:Диалог\\; «жер» и вода\\, очень" in unfolded
    assert "DESCRIPTION:Строка 1\\nСтрока 2\\n\\nhttps://meet.example.org/x" in unfolded
    assert "GEO:41.428000;75.991000" in unfolded and "STATUS:CONFIRMED" in unfolded
    links = map_links(41.428, 75.991)
    assert "mlat=41.428000" in links["OpenStreetMap"] and "75.991000" in links["2GIS"]


def test_newevent_is_in_the_menus_of_leads_and_coordinators_only() -> None:
    from bot.menu import bot_commands, role_commands
    from bot.services.roles import Roles

    t = get_translator("ky", "Asia/Bishkek")
    lead = Roles(1, coordinator=False, from_settings=False, lead_regions=frozenset({"naryn"}))
    coordinator = Roles(2, coordinator=True, from_settings=True, lead_regions=frozenset())
    member = Roles(3, coordinator=False, from_settings=False, lead_regions=frozenset())
    assert "newevent" in [c.command for c in role_commands(t, lead)]
    assert "newevent" in [c.command for c in role_commands(t, coordinator)]
    assert "newevent" not in [c.command for c in role_commands(t, member)]
    assert "events" in [c.command for c in bot_commands(t)]
