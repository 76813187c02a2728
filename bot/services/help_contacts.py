"""The referral directory: help lines suited to a report's category and region. Kept as data
(bot/content/help_contacts.json); coordinators can replace it from chat (stored in the
database, checked before it is accepted)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache

from bot.content import CONTENT_DIR
from bot.i18n import LANGUAGES
from bot.services.community import REGIONS
from bot.services.reports import CATEGORIES
from db.documents import get_document
from db.engine import Database

DEFAULT_PATH = CONTENT_DIR / "help_contacts.json"
_NUMBER_RE = re.compile(r"^\+?[0-9][0-9 ()-]{1,24}$")


@dataclass(frozen=True, slots=True)
class Contact:
    id: str
    number: str
    emergency: bool
    names: dict[str, str]
    categories: frozenset[str]
    regions: frozenset[str]

    def applies(self, category: str | None, region: str | None) -> bool:
        return ("*" in self.categories or category in self.categories) and (
            "*" in self.regions or region in self.regions
        )


class DirectoryError(ValueError):
    """The directory is not valid: `code` says what, `where` and `detail` say where."""

    def __init__(self, code: str, where: int = 0, detail: str = "") -> None:
        super().__init__(f"{code} (contact {where}): {detail}")
        self.code = code
        self.where = where
        self.detail = detail


def parse_directory(text: str) -> tuple[Contact, ...]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DirectoryError("not_json", detail=str(exc.lineno)) from None
    entries = data.get("contacts") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise DirectoryError("no_contacts")
    contacts = []
    for index, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise DirectoryError("not_object", index)
        number = str(entry.get("number", "")).strip()
        if not _NUMBER_RE.match(number):
            raise DirectoryError("bad_number", index, number)
        names = entry.get("name")
        if not isinstance(names, dict) or any(
            not str(names.get(lang, "")).strip() for lang in LANGUAGES
        ):
            raise DirectoryError("names_missing", index)
        categories = frozenset(entry.get("categories") or ["*"])
        regions = frozenset(entry.get("regions") or ["*"])
        unknown = (categories - set(CATEGORIES) - {"*"}) | (regions - set(REGIONS) - {"*"})
        if unknown:
            raise DirectoryError("unknown_codes", index, ", ".join(sorted(unknown)))
        contacts.append(
            Contact(
                id=str(entry.get("id") or f"contact{index}"),
                number=number,
                emergency=bool(entry.get("emergency", False)),
                names={lang: str(names[lang]).strip() for lang in LANGUAGES},
                categories=categories,
                regions=regions,
            )
        )
    return tuple(contacts)


@cache
def default_directory() -> tuple[Contact, ...]:
    return parse_directory(DEFAULT_PATH.read_text(encoding="utf-8"))


def contacts_for(
    directory: tuple[Contact, ...], category: str | None, region: str | None
) -> list[Contact]:
    """Emergency lines first, then those for this category and region."""
    suited = [c for c in directory if c.applies(category, region)]
    return sorted(suited, key=lambda c: not c.emergency)


DIRECTORY_KEY = "help_contacts"


async def current_directory(db: Database) -> tuple[Contact, ...]:
    """The directory a coordinator uploaded, else the built-in one."""
    stored = await get_document(db, DIRECTORY_KEY)
    return parse_directory(stored) if stored else default_directory()
