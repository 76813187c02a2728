"""Translations: complete in ky and ru, same placeholders and tags, loaded per person."""

from __future__ import annotations

import re
import string
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import (
    LANGUAGES,
    LOCALES_DIR,
    CatalogMissingError,
    export_datetime,
    get_translator,
    load_catalog,
    resolve_language,
)
from tests.texts import tr

ROOT = Path(__file__).resolve().parent.parent
TRANSLATED = ("ru", "ky")
TAG_RE = re.compile(r"</?([a-z-]+)")


def read_catalog(lang: str) -> Catalog:
    with (LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        return read_po(fp, locale=lang)


def source_messages() -> set[str]:
    """Every msgid marked in the code (gettext, ngettext singular+plural, N_)."""
    found: set[str] = set()
    keywords = {"gettext": None, "ngettext": (1, 2), "N_": None}
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / "bot"), method_map=[("**.py", "python")], keywords=keywords
    ):
        if isinstance(message, tuple):
            found.update(m for m in message if m)
        else:
            found.add(message)
    return found


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def tags(text: str) -> list[str]:
    return sorted(TAG_RE.findall(text))


def entries(catalog: Catalog) -> list[Message]:
    return [m for m in catalog if m.id]


def forms(value: object) -> tuple[str, ...]:
    """A catalog entry's id or string as a tuple (one item, or one per plural form)."""
    if isinstance(value, (tuple, list)):
        return tuple(str(v) for v in value)
    return (str(value),) if value else ("",)


def msgids(catalog: Catalog) -> set[str]:
    ids: set[str] = set()
    for m in entries(catalog):
        ids.update(forms(m.id))
    return ids


def test_every_message_in_the_code_is_in_every_catalog() -> None:
    in_code = source_messages()
    assert in_code, "extraction found nothing"
    for lang in LANGUAGES:
        missing = in_code - msgids(read_catalog(lang))
        assert not missing, f"{lang}: not in catalog (run `make extract`): {sorted(missing)}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_is_translated(lang: str) -> None:
    catalog = read_catalog(lang)
    for message in entries(catalog):
        strings = forms(message.string)
        assert all(strings), f"{lang}: no translation for {message.id!r}"
        assert not message.fuzzy, f"{lang}: fuzzy translation for {message.id!r}"
        if isinstance(message.id, tuple):
            assert len(strings) == catalog.num_plurals, f"{lang}: plural forms of {message.id!r}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_and_tags_match(lang: str) -> None:
    for message in entries(read_catalog(lang)):
        ids = forms(message.id)
        strings = forms(message.string)
        expected = placeholders(ids[-1])
        for translated in filter(None, strings):
            assert placeholders(translated) == expected, f"{lang}: placeholders in {ids[0]!r}"
            assert tags(translated) == tags(ids[0]), f"{lang}: HTML tags in {ids[0]!r}"


def test_plural_rules() -> None:
    assert read_catalog("ru").num_plurals == 3
    assert read_catalog("ky").num_plurals == 2
    ru = load_catalog("ru")
    assert [ru.plural(n) for n in (1, 2, 5, 11, 21, 22, 25)] == [0, 1, 2, 2, 0, 1, 2]


def test_translator_translates_in_her_language() -> None:
    ky = get_translator("ky", "Asia/Bishkek")
    ru = get_translator("ru", "Asia/Bishkek")
    en = get_translator("en", "Asia/Bishkek")
    menus = [t.gettext("Main menu") for t in (ky, ru, en)]
    assert menus == [tr(lang, "Main menu") for lang in ("ky", "ru", "en")]
    assert len(set(menus)) == 3 and menus[2] == "Main menu"  # English: the msgid itself
    moment = datetime(2026, 11, 23, 18, 30, tzinfo=UTC)  # 00:30 next day in Bishkek (UTC+6)
    assert "24" in ru.format_datetime(moment) and "0:30" in ru.format_datetime(moment)
    assert "24" in ky.format_date(moment)


# One house style for dates, 24-hour clock, in Bishkek time (docs/GLOSSARY.md, "Dates").
MOMENT = datetime(2026, 11, 30, 9, 35, tzinfo=UTC)  # 15:35 in Bishkek (UTC+6)
DATES = {
    "ky": ("30-ноябрь, 2026-ж., 15:35", "30-ноябрь, 2026-ж.", "30-ноябрь, 15:35"),
    "ru": ("30 ноября 2026 г., 15:35", "30 ноября 2026 г.", "30 нояб., 15:35"),
    "en": ("30 November 2026, 15:35", "30 November 2026", "30 Nov, 15:35"),
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_dates_and_times_in_the_house_style(lang: str) -> None:
    t = get_translator(lang, "Asia/Bishkek")
    full, day, short = DATES[lang]
    assert t.datetime(MOMENT) == full
    assert t.date(MOMENT) == day and t.date(date(2026, 11, 30)) == day
    assert t.short_datetime(MOMENT, now=MOMENT) == short
    # Older call sites get the same style whatever Babel format they ask for.
    for fmt in ("short", "medium", "long", "full"):
        assert t.format_datetime(MOMENT, fmt) == full
        assert t.format_date(MOMENT, fmt) == day
    assert t.format_datetime(MOMENT, "d MMM HH:mm") == t.short_datetime(MOMENT)


def test_date_style_details() -> None:
    ky = get_translator("ky", "Asia/Bishkek")
    ru = get_translator("ru", "Asia/Bishkek")
    en = get_translator("en", "Asia/Bishkek")
    late = datetime(2026, 5, 23, 18, 5, tzinfo=UTC)  # 00:05 on 24 May in Bishkek
    assert ky.datetime(late) == "24-май, 2026-ж., 00:05"
    assert ru.datetime(late) == "24 мая 2026 г., 00:05"
    assert en.datetime(late) == "24 May 2026, 00:05"
    # A short label names the year when it is not this year's.
    next_year = datetime(2027, 1, 2, tzinfo=UTC)
    assert ru.short_datetime(late, now=next_year) == "24 мая 2026 г., 00:05"
    assert ru.short_datetime(datetime(2026, 9, 1, 4, tzinfo=UTC), now=late) == "1 сент., 10:00"
    assert ky.date(date(2026, 2, 1)) == "1-февраль, 2026-ж."
    assert [t.short_date(late, now=late) for t in (ky, ru, en)] == ["24-май", "24 мая", "24 May"]
    assert ru.short_date(date(2025, 11, 30), now=late) == "30 нояб. 2025 г."
    assert ky.short_date(date(2025, 11, 30), now=late) == "30-ноябрь, 2025-ж."
    for t in (ky, ru, en):
        assert not re.search(r"AM|PM|\d/\d", t.datetime(late))
    assert export_datetime(MOMENT, ZoneInfo("Asia/Bishkek")) == "2026-11-30 15:35"
    with pytest.raises(ValueError):
        en.format_datetime(datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        export_datetime(datetime(2026, 1, 1), ZoneInfo("Asia/Bishkek"))


def test_missing_catalog_fails_loudly() -> None:
    with pytest.raises(CatalogMissingError):
        load_catalog("de")


@pytest.mark.parametrize(
    ("stored", "telegram", "expected"),
    [
        ("ru", "ky", "ru"),
        (None, "ky", "ky"),
        (None, "ru-RU", "ru"),
        (None, "en-GB", "en"),
        (None, "de", None),
        (None, None, None),
    ],
)
def test_language_resolution(
    stored: str | None, telegram: str | None, expected: str | None
) -> None:
    assert resolve_language(stored, telegram) == expected
