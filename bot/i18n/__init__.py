"""Translations: one gettext catalog per language, loaded once, no global `install()`.

Each handler uses the `Translator` of the person it answers (`context.t`). Messages are English
source strings; placeholders use `str.format` names: `t.gettext("Hello, {name}").format(name=..)`.

Dates and times have one house style, 24-hour clock everywhere (docs/GLOSSARY.md, "Dates"):

    t.datetime(v)        30-ноябрь, 2026-ж., 15:35 · 30 ноября 2026 г., 15:35 ·
                         30 November 2026, 15:35
    t.date(v)            30-ноябрь, 2026-ж. · 30 ноября 2026 г. · 30 November 2026
    t.short_datetime(v)  30-ноябрь, 15:35 · 30 нояб., 15:35 · 30 Nov, 15:35
    t.short_date(v)      30-ноябрь · 30 нояб. · 30 Nov
                         (the short forms are for list labels; they add the year when it is
                         not the current one)

The month names are written here rather than taken from Babel, whose Kyrgyz data does not
match how Kyrgyz is written in Kyrgyzstan.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.support import Translations

LANGUAGES: tuple[str, ...] = ("ky", "ru", "en")
DEFAULT_LANGUAGE = "en"
# Each language's own name, as shown on the language buttons (never translated).
LANGUAGE_NAMES: dict[str, str] = {"ky": "Кыргызча", "ru": "Русский", "en": "English"}
LOCALES_DIR = Path(__file__).resolve().parent / "locales"
DOMAIN = "messages"


# Month names, January first. Kyrgyz uses the nominative after an ordinal day ("30-ноябрь");
# Russian the genitive ("30 ноября"); short forms are for list labels only.
MONTHS: dict[str, tuple[str, ...]] = {
    "ky": (
        "январь", "февраль", "март", "апрель", "май", "июнь",
        "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь",
    ),
    "ru": (
        "января", "февраля", "марта", "апреля", "мая", "июня",
        "июля", "августа", "сентября", "октября", "ноября", "декабря",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}  # fmt: skip
SHORT_MONTHS: dict[str, tuple[str, ...]] = {
    # Kyrgyz month names are short enough, and abbreviations such as "ноя." are not usual.
    "ky": MONTHS["ky"],
    # The abbreviations of Russian dictionaries (ГОСТ 7.12): May, June and July are not cut.
    "ru": (
        "янв.", "февр.", "марта", "апр.", "мая", "июня",
        "июля", "авг.", "сент.", "окт.", "нояб.", "дек.",
    ),
    "en": (
        "Jan", "Feb", "Mar", "Apr", "May", "Jun",
        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ),
}  # fmt: skip


def format_day(lang: str, value: dt.date, *, year: bool = True, short: bool = False) -> str:
    """A calendar day in the house style of `lang` (see the module's docstring)."""
    month = (SHORT_MONTHS if short else MONTHS)[lang][value.month - 1]
    if lang == "ky":
        text = f"{value.day}-{month}"
        return f"{text}, {value.year}-ж." if year else text
    if lang == "ru":
        text = f"{value.day} {month}"
        return f"{text} {value.year} г." if year else text
    text = f"{value.day} {month}"
    return f"{text} {value.year}" if year else text


def format_moment(lang: str, value: dt.datetime, *, year: bool = True, short: bool = False) -> str:
    """A day and a 24-hour time ("15:35") of a datetime already in the reader's zone."""
    return f"{format_day(lang, value.date(), year=year, short=short)}, {value:%H:%M}"


def export_datetime(value: dt.datetime, tz: dt.tzinfo) -> str:
    """A moment in a data file (CSV): ISO 8601 date and 24-hour time in the bot's zone,
    "2026-11-30 15:35", which spreadsheets read as a date and sort correctly."""
    if value.tzinfo is None:
        raise ValueError("naive datetime; store and pass UTC-aware datetimes")
    return f"{value.astimezone(tz):%Y-%m-%d %H:%M}"


class CatalogMissingError(RuntimeError):
    """A compiled catalog is missing: run `make compile`."""


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet (translated where shown)."""
    return message


@cache
def load_catalog(language: str) -> Translations:
    """The compiled catalog of `language`, loaded once and cached; fails loudly if missing."""
    if language not in LANGUAGES:
        raise CatalogMissingError(f"unsupported language {language!r}")
    mo = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.mo"
    if not mo.is_file():
        raise CatalogMissingError(
            f"translation catalog {mo} is missing; run `make compile` "
            "(pybabel compile -d bot/i18n/locales -D messages)"
        )
    with mo.open("rb") as fp:
        return Translations(fp, domain=DOMAIN)


class Translator:
    """Everything language-dependent for one person: texts, plurals, dates in the bot's zone."""

    __slots__ = ("_catalog", "lang", "locale", "tz")

    def __init__(self, lang: str, tz: ZoneInfo) -> None:
        self.lang = lang
        self.tz = tz
        self._catalog = load_catalog(lang)
        self.locale = Locale.parse(lang)

    def gettext(self, message: str) -> str:
        return self._catalog.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._catalog.ngettext(singular, plural, n)

    def _local(self, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is None:
            raise ValueError("naive datetime; store and pass UTC-aware datetimes")
        return value.astimezone(self.tz)

    def datetime(self, value: dt.datetime) -> str:
        """A UTC (aware) moment in the bot's zone: «30 ноября 2026 г., 15:35»."""
        return format_moment(self.lang, self._local(value))

    def date(self, value: dt.date | dt.datetime) -> str:
        """A day, «30 ноября 2026 г.»; a datetime is first moved into the bot's zone."""
        if isinstance(value, dt.datetime):
            value = self._local(value).date()
        return format_day(self.lang, value)

    def short_datetime(self, value: dt.datetime, now: dt.datetime | None = None) -> str:
        """For list labels: «30 нояб., 15:35», with the year only when it is not this year's."""
        local = self._local(value)
        current = self._local(now).year if now is not None else dt.datetime.now(self.tz).year
        return format_moment(self.lang, local, year=local.year != current, short=True)

    def short_date(self, value: dt.date | dt.datetime, now: dt.datetime | None = None) -> str:
        """For list labels: «30 нояб.», with the year only when it is not this year's."""
        if isinstance(value, dt.datetime):
            value = self._local(value).date()
        current = self._local(now).year if now is not None else dt.datetime.now(self.tz).year
        return format_day(self.lang, value, year=value.year != current, short=True)

    def format_datetime(self, value: dt.datetime, fmt: str = "medium") -> str:
        """The house style whatever `fmt` asks for (kept for older call sites): a pattern
        without a year (such as "d MMM HH:mm") gives the short form, anything else the full."""
        if fmt not in ("short", "medium", "long", "full") and "y" not in fmt:
            return self.short_datetime(value)
        return self.datetime(value)

    def format_date(self, value: dt.date | dt.datetime, fmt: str = "long") -> str:
        """The house style whatever `fmt` asks for (kept for older call sites)."""
        return self.date(value)


def gettext_in(lang: str, message: str) -> str:
    """A text in a given language rather than the reader's (e.g. a label that belongs to a
    document in that language)."""
    return load_catalog(lang).gettext(message)


@cache
def get_translator(lang: str, tz_name: str) -> Translator:
    return Translator(lang, ZoneInfo(tz_name))


def supported(code: str | None) -> str | None:
    """`ky`, `ru` or `en` for a Telegram language code such as `ru-RU`, else None."""
    if not code:
        return None
    base = code.strip().lower().replace("_", "-").split("-")[0]
    return base if base in LANGUAGES else None


def resolve_language(stored: str | None, telegram_code: str | None) -> str | None:
    """Her stored choice wins; else her Telegram app's language if we speak it; else None."""
    return supported(stored) or supported(telegram_code)
