"""The .ics file of "Add to calendar": one event, RFC 5545, written by hand (a few lines; the
`icalendar` package would be a dependency for them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    uid: str
    title: str
    description: str
    starts: datetime
    ends: datetime
    place: str | None
    latitude: float | None
    longitude: float | None
    link: str | None
    cancelled: bool
    sequence: int
    stamp: datetime


def _ics_text(value: str) -> str:
    """RFC 5545 TEXT: backslash, semicolon, comma and line breaks escaped."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def _fold(line: str) -> str:
    """Lines of at most 75 octets, continued with a space (never inside a UTF-8 character)."""
    out: list[str] = []
    current, size = "", 0
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > (75 if not out else 74):
            out.append(current)
            current, size = "", 0
        current += ch
        size += width
    out.append(current)
    return "\r\n ".join(out)


def _offset(delta: timedelta | None) -> str:
    seconds = int((delta or timedelta()).total_seconds())
    sign = "+" if seconds >= 0 else "-"
    seconds = abs(seconds)
    return f"{sign}{seconds // 3600:02d}{seconds % 3600 // 60:02d}"


def ics_file(event: CalendarEvent, tz: tzinfo, tz_name: str) -> bytes:
    """A calendar file with one event, in the bot's zone (TZID with its VTIMEZONE), which
    Google Calendar, Apple Calendar, Outlook and Android calendars import at the right time.
    The VTIMEZONE gives the zone's offset at the event (Asia/Bishkek has one offset all year,
    +06:00, and no daylight saving)."""
    local_start = event.starts.astimezone(tz)
    local_end = event.ends.astimezone(tz)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Solidarity Community//Events//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VTIMEZONE",
        f"TZID:{tz_name}",
        "BEGIN:STANDARD",
        "DTSTART:19700101T000000",
        f"TZOFFSETFROM:{_offset(local_start.utcoffset())}",
        f"TZOFFSETTO:{_offset(local_start.utcoffset())}",
        f"TZNAME:{_ics_text(local_start.tzname() or tz_name)}",
        "END:STANDARD",
        "END:VTIMEZONE",
        "BEGIN:VEVENT",
        f"UID:{event.uid}",
        f"DTSTAMP:{event.stamp.astimezone(UTC):%Y%m%dT%H%M%SZ}",
        f"DTSTART;TZID={tz_name}:{local_start:%Y%m%dT%H%M%S}",
        f"DTEND;TZID={tz_name}:{local_end:%Y%m%dT%H%M%S}",
        f"SEQUENCE:{event.sequence}",
        f"STATUS:{'CANCELLED' if event.cancelled else 'CONFIRMED'}",
        f"SUMMARY:{_ics_text(event.title)}",
    ]
    description = event.description
    if event.link:
        description = f"{description}\n\n{event.link}"
    lines.append(f"DESCRIPTION:{_ics_text(description)}")
    if event.place:
        lines.append(f"LOCATION:{_ics_text(event.place)}")
    if event.latitude is not None and event.longitude is not None:
        lines.append(f"GEO:{event.latitude:.6f};{event.longitude:.6f}")
        if not event.place:
            lines.append(f"LOCATION:{event.latitude:.6f}\\, {event.longitude:.6f}")
    if event.link:
        lines.append(f"URL:{event.link}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode("utf-8")
