"""The buttons of the coordinators' desk: what each one carries, built and parsed here.

A report's card opens with bot.callbacks.OPEN_REPORT (also used in notices and reminders).
The list's filters travel in its buttons; a code that is not one of ours does not parse, so a
forged or stale button ends at the stale-button handler.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.callbacks import ID, REPLY_TO_REPORTER, REPORTS_LIST, Callback, choice, optional
from bot.services.community import REGIONS
from bot.services.reports import CATEGORIES, STATUSES

ANY_STATUS = optional(choice(STATUSES))
ANY_REGION = optional(choice(REGIONS))
ANY_CATEGORY = optional(choice(CATEGORIES))
FILTER_KINDS = ("st", "rg", "cat")  # status, region, category

LIST = REPORTS_LIST  # a page of the list (the desk opens it too)
PICK = Callback("rep:pk", choice(FILTER_KINDS), ANY_STATUS, ANY_REGION, ANY_CATEGORY)
EXPORT = Callback("rep:csv", ANY_STATUS, ANY_REGION, ANY_CATEGORY)
BACK = Callback("rep:back")  # the list as she left it
TAKE = Callback("rep:take", ID)
MOVE = Callback("rep:st", ID, choice(STATUSES))  # a status change
FILES = Callback("rep:files", ID)
FULL_TEXT = Callback("rep:txt", ID)
REPLY = REPLY_TO_REPORTER  # a reply to the reporter
NOTE = Callback("rep:note", ID)  # an internal note
MUTE = Callback("rep:mute", ID, choice(("on", "off")))  # mute or unmute the report's sender


@dataclass(frozen=True, slots=True)
class Filters:
    """What the list shows: None means any."""

    status: str | None = None
    region: str | None = None
    category: str | None = None
    page: int = 0

    @property
    def codes(self) -> tuple[str | None, str | None, str | None]:
        return self.status, self.region, self.category

    def data(self, page: int | None = None) -> str:
        """The data of a button that shows this list (on `page`, else its own)."""
        return LIST(*self.codes, self.page if page is None else page)

    def to_json(self) -> dict[str, Any]:
        return {"st": self.status, "rg": self.region, "cat": self.category, "page": self.page}

    @classmethod
    def from_json(cls, data: object) -> Filters:
        """The filters kept in her user data; none for anything that is not ours."""
        if not isinstance(data, dict):
            return cls()
        status, region, category = data.get("st"), data.get("rg"), data.get("cat")
        page = data.get("page")
        if not isinstance(page, int) or page < 0:
            return cls()
        known = (
            (status is None or status in STATUSES)
            and (region is None or region in REGIONS)
            and (category is None or category in CATEGORIES)
        )
        return cls(status, region, category, page) if known else cls()
