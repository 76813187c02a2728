"""Per-person limits, so that one person (or someone misusing an account) cannot flood the
coordinators or the disk. Told politely, in her language, by the handlers; a report with someone
in danger is never held back by them.

The counts live in memory only: a record of when each person sent a report would be a record of
who sent which report. A restart forgets them, which errs on the side of letting people through.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from dataclasses import dataclass, field

REPORTS_PER_HOUR = 5  # reports filed (with no one in danger) in an hour
ALERTS_WITHOUT_REPORT_PER_DAY = 3  # danger alerts that were not followed by a report
JOINS_PER_DAY = 3  # sign-ups (join, leave, join again…)
FILES_PER_REPORT = 20  # files of one report, its additions included
BYTES_PER_PERSON = 200 * 1024 * 1024  # everything she has stored, all her reports together

HOUR = 3600.0
DAY = 24 * HOUR


@dataclass
class Limits:
    """Sliding windows of what each person did, by kind."""

    reports_per_hour: int = REPORTS_PER_HOUR
    alerts_without_report_per_day: int = ALERTS_WITHOUT_REPORT_PER_DAY
    joins_per_day: int = JOINS_PER_DAY
    files_per_report: int = FILES_PER_REPORT
    bytes_per_person: int = BYTES_PER_PERSON
    _seen: dict[tuple[str, int], deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def _window(self, kind: str, user_id: int, seconds: float) -> deque[float]:
        times = self._seen[(kind, user_id)]
        now = time.monotonic()
        while times and times[0] <= now - seconds:
            times.popleft()
        return times

    def allows(self, kind: str, user_id: int, limit: int, seconds: float) -> bool:
        """Whether she may do `kind` once more within the window."""
        return len(self._window(kind, user_id, seconds)) < limit

    def note(self, kind: str, user_id: int) -> None:
        self._seen[(kind, user_id)].append(time.monotonic())

    def forget(self, kind: str, user_id: int) -> None:
        """The last of `kind` no longer counts (an alert that was followed by its report)."""
        times = self._seen.get((kind, user_id))
        if times:
            times.pop()

    def reports_allowed(self, user_id: int) -> bool:
        return self.allows("report", user_id, self.reports_per_hour, HOUR)

    def alerts_allowed(self, user_id: int) -> bool:
        return self.allows("alert", user_id, self.alerts_without_report_per_day, DAY)

    def joins_allowed(self, user_id: int) -> bool:
        return self.allows("join", user_id, self.joins_per_day, DAY)
