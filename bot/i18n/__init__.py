"""Translations: one gettext catalog per language, loaded once, no global `install()`.

Each handler uses the `Translator` of the person it answers (`context.t`). Messages are English
source strings; placeholders use `str.format` names: `t.gettext("Hello, {name}").format(name=..)`.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.support import Translations

LANGUAGES: tuple[str, ...] = ("ky", "ru", "en")
DEFAULT_LANGUAGE = "en"
# Each language's own name, as shown on the language buttons (never translated).
LANGUAGE_NAMES: dict[str, str] = {"ky": "Кыргызча", "ru": "Русский", "en": "English"}
LOCALES_DIR = Path(__file__).resolve().parent / "locales"
DOMAIN = "messages"


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

    def format_datetime(self, value: datetime, fmt: str = "medium") -> str:
        """A UTC (aware) datetime shown in the bot's time zone, in this language."""
        if value.tzinfo is None:
            raise ValueError("naive datetime; store and pass UTC-aware datetimes")
        return format_datetime(value, format=fmt, tzinfo=self.tz, locale=self.locale)

    def format_date(self, value: date | datetime, fmt: str = "long") -> str:
        if isinstance(value, datetime):
            value = value.astimezone(self.tz).date()
        return format_date(value, format=fmt, locale=self.locale)


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
