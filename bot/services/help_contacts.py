"""The referral directory: help lines suited to a report's category and region. Kept as data
(bot/content/help_contacts.json); coordinators change it from chat, one line at a time or as a
whole file (stored in the database, checked before it is accepted).

The directory's `_status` says whether the coordinators have checked its numbers: until one of
them marks it "confirmed" (/setcontacts), wherever help lines are shown people read that the
numbers are still being checked."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from bot.content import CONTENT_DIR
from bot.i18n import LANGUAGES, N_
from bot.services.community import REGIONS
from bot.services.reports import CATEGORIES
from db.documents import get_document, put_document
from db.engine import Database

DEFAULT_PATH = CONTENT_DIR / "help_contacts.json"
CONFIRMED = "confirmed"  # the `_status` of a directory whose numbers the coordinators checked
# Said under the help lines wherever they are shown, until the numbers are checked.
UNCHECKED = N_("These numbers are still being checked by the coordinators.")
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


def valid_number(text: str) -> bool:
    """A number as people dial it: digits, with +, spaces, brackets or dashes."""
    return bool(_NUMBER_RE.match(text.strip()))


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
        raw_number = entry.get("number", "")
        if not isinstance(raw_number, str | int) or isinstance(raw_number, bool):
            raise DirectoryError("bad_type", index, "number")
        number = str(raw_number).strip()
        if not _NUMBER_RE.match(number):
            raise DirectoryError("bad_number", index, number)
        names = entry.get("name")
        if not isinstance(names, dict) or any(
            not isinstance(names.get(lang), str) or not names[lang].strip() for lang in LANGUAGES
        ):
            raise DirectoryError("names_missing", index)
        for field in ("categories", "regions"):
            value = entry.get(field)
            if value is not None and (
                not isinstance(value, list) or not all(isinstance(v, str) for v in value)
            ):
                raise DirectoryError("bad_type", index, field)
        if not isinstance(entry.get("emergency", False), bool):
            raise DirectoryError("bad_type", index, "emergency")
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


def is_confirmed(text: str) -> bool:
    """Whether a directory's numbers were checked: no `_status` (a directory written by the
    coordinators themselves), or "confirmed"."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return False
    status = data.get("_status") if isinstance(data, dict) else None
    return status is None or str(status).strip().lower() == CONFIRMED


async def current_text(db: Database) -> str:
    """The directory in force as its JSON text."""
    return await get_document(db, DIRECTORY_KEY) or DEFAULT_PATH.read_text(encoding="utf-8")


async def directory_confirmed(db: Database) -> bool:
    return is_confirmed(await current_text(db))


# -- changing it from chat, one line at a time -------------------------------------------------


def line_tag(contact_id: str) -> str:
    """A short mark of a line, carried by its buttons: a button of a line that has since moved
    or gone no longer matches."""
    return hashlib.sha256(contact_id.encode()).hexdigest()[:6]


def contact_entry(contact: Contact) -> dict[str, Any]:
    """A line as the directory's JSON holds it."""
    return {
        "id": contact.id,
        "number": contact.number,
        "emergency": contact.emergency,
        "name": dict(contact.names),
        "categories": sorted(contact.categories),
        "regions": sorted(contact.regions),
    }


def new_contact_id(directory: tuple[Contact, ...], number: str) -> str:
    """An id for a new line: "line" and its digits, made unique."""
    base = "line" + "".join(ch for ch in number if ch.isdigit())[:16]
    taken = {c.id for c in directory}
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    return candidate


def changed_text(
    text: str,
    *,
    put: Contact | None = None,
    remove: str | None = None,
    confirm: bool = False,
) -> str:
    """The directory's JSON with a line added or replaced (by id), or removed, or marked as
    checked; everything else (comments, status, order) kept. Checked before it is returned."""
    data = json.loads(text)
    entries = [e for e in data.get("contacts", []) if isinstance(e, dict)]
    ids = [str(e.get("id") or f"contact{i}") for i, e in enumerate(entries, start=1)]
    if remove is not None:
        entries = [e for e, i in zip(entries, ids, strict=True) if i != remove]
    if put is not None:
        entry = contact_entry(put)
        if put.id in ids:
            entries[ids.index(put.id)] = entry
        else:
            entries.append(entry)
    data["contacts"] = entries
    if confirm:
        data["_status"] = CONFIRMED
    changed = json.dumps(data, ensure_ascii=False, indent=2)
    parse_directory(changed)  # raises DirectoryError if it no longer holds
    return changed


async def save_directory(db: Database, text: str, *, actor_id: int) -> None:
    await put_document(db, DIRECTORY_KEY, text, actor_id=actor_id)
