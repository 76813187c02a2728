"""What a native speaker would notice and a test can: numbers in sentences, Kyrgyz suffixes on
digits, and the term decisions of docs/GLOSSARY.md."""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Message

from bot.i18n import load_catalog
from bot.services.help_contacts import default_directory
from tests.test_i18n import entries, forms, read_catalog

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "bot" / "content"

# Every placeholder is either a number or a piece of text; a new placeholder must be named
# here, so that the checks below know whether to count with it.
NUMERIC = {
    "approved", "count", "first", "last", "line", "max", "notes", "number", "page", "pages",
    "part", "parts", "pending", "shown", "size", "total", "version",
    "extra", "hours", "minutes",  # events
    "blocked", "cancelled", "failed", "left", "length", "limit", "sent",  # announcements
}  # fmt: skip
TEXTUAL = {
    "caption", "category", "codes", "command", "date", "desks", "language", "name", "note",
    "occupation", "problem", "query", "reason", "ref", "refs", "region", "regions", "roles",
    "section", "sections", "status", "value",
    "title",  # events
    "audience", "example", "languages", "list", "when", "zone",  # announcements
}  # fmt: skip
SAMPLES = (1, 2, 5, 21)  # one / few / many / one again, in Russian

# Russian nouns that follow a number in our texts: nominative singular, genitive singular,
# genitive plural (what 1, 2 and 5 take).
RU_NOUNS: tuple[tuple[str, str, str], ...] = (
    ("раздел", "раздела", "разделов"),
    ("примечание", "примечания", "примечаний"),
    ("файл", "файла", "файлов"),
    ("символ", "символа", "символов"),
    ("знак", "знака", "знаков"),
    ("обращение", "обращения", "обращений"),
    ("сообщение", "сообщения", "сообщений"),
    ("участница", "участницы", "участниц"),
    ("телефон", "телефона", "телефонов"),
    ("страница", "страницы", "страниц"),
    ("строка", "строки", "строк"),
    ("вложение", "вложения", "вложений"),
    ("регион", "региона", "регионов"),
    ("час", "часа", "часов"),
    ("день", "дня", "дней"),
)
RU_FORMS = {form: nouns for nouns in RU_NOUNS for form in nouns}
# After these words the number takes the genitive: "до 1 файла", "до 5 файлов".
RU_GENITIVE_BEFORE = {"до", "из", "от", "более", "менее", "больше", "меньше", "свыше", "около"}
WORD_RE = re.compile(r"[\w-]+|[^\w\s]")


def placeholder_names(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def numeric_entries(lang: str) -> Iterator[Message]:
    for message in entries(read_catalog(lang)):
        if placeholder_names(forms(message.id)[0]) & NUMERIC:
            yield message


def rendered(lang: str, message: Message, n: int) -> str:
    """The entry as she reads it when every number in it is `n`."""
    ids = forms(message.id)
    catalog = load_catalog(lang)
    text = catalog.ngettext(ids[0], ids[1], n) if len(ids) > 1 else catalog.gettext(ids[0])
    values = {name: (n if name in NUMERIC else "X") for name in placeholder_names(ids[0])}
    return text.format(**values)


def ru_category(n: int) -> int:
    """Russian plural category: 0 as 1 and 21, 1 as 2–4, 2 as 5–20."""
    if n % 10 == 1 and n % 100 != 11:
        return 0
    return 1 if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14 else 2


def counted_nouns(text: str) -> Iterator[tuple[str, int, str]]:
    """(word before the number, the number, the noun it counts) for every number followed,
    within three words and no punctuation, by one of RU_NOUNS."""
    tokens = WORD_RE.findall(text)
    for i, token in enumerate(tokens):
        if not token.isdigit():
            continue
        for word in tokens[i + 1 : i + 4]:
            if not re.match(r"\w", word):
                break
            if word.lower() in RU_FORMS:
                yield (tokens[i - 1].lower() if i else ""), int(token), word.lower()
                break


def test_every_placeholder_is_known_as_number_or_text() -> None:
    names: set[str] = set()
    for message in entries(read_catalog("en")):
        for text in forms(message.id):
            names |= placeholder_names(text)
    assert not names - NUMERIC - TEXTUAL, "add them to NUMERIC or TEXTUAL"
    assert not NUMERIC & TEXTUAL


def test_counted_entries_have_every_plural_form() -> None:
    for lang, count in (("ru", 3), ("ky", 2), ("en", 2)):
        catalog = read_catalog(lang)
        for message in entries(catalog):
            if isinstance(message.id, tuple):
                strings = forms(message.string)
                assert catalog.num_plurals == count
                assert len(strings) == count and (lang == "en" or all(strings)), message.id


def test_numbers_in_russian_sentences_agree() -> None:
    """Rendered with 1, 2, 5 and 21: no «1 разделов» or «21 файлов»; and a number inside a
    sentence is followed by a counted noun only in an ngettext entry (else: «Разделов: 5»)."""
    bad: list[str] = []
    for message in numeric_entries("ru"):
        counted = isinstance(message.id, tuple)
        for n in SAMPLES:
            text = rendered("ru", message, n)
            for before, number, noun in counted_nouns(text):
                if not counted:
                    bad.append(f"{text!r}: use ngettext or the «Разделов: {{count}}» pattern")
                    continue
                nom, gen, gen_pl = RU_FORMS[noun]
                if before in RU_GENITIVE_BEFORE:
                    expected = gen if ru_category(number) == 0 else gen_pl
                else:
                    expected = (nom, gen, gen_pl)[ru_category(number)]
                if noun != expected:
                    bad.append(f"{text!r}: {number} {noun} (want {expected})")
    assert not bad, "\n".join(sorted(set(bad)))


KY_SUFFIX_RE = re.compile(r"(\d|\})[а-яёөүң]", re.IGNORECASE)


def kyrgyz_texts() -> Iterator[tuple[str, str]]:
    for message in entries(read_catalog("ky")):
        for text in forms(message.string):
            yield repr(forms(message.id)[0]), text
    for path in sorted((CONTENT / "resolution").glob("*ky.md")):
        for line in path.read_text(encoding="utf-8").splitlines():
            yield path.name, line


def test_kyrgyz_suffixes_on_digits_take_a_hyphen() -> None:
    """«1-ден 6-га», «2–100 белги», «{number}-файл»: never «1ден» or «{max}га»."""
    bad = [f"{where}: {text}" for where, text in kyrgyz_texts() if KY_SUFFIX_RE.search(text)]
    assert not bad, "\n".join(bad)
    for message in numeric_entries("ky"):
        for n in SAMPLES:
            text = rendered("ky", message, n)
            assert not KY_SUFFIX_RE.search(text), text


# -- term decisions (docs/GLOSSARY.md) --------------------------------------------------------

KY_AVOID = {
    r"\bарыз": "a membership request is «өтүнмө» («арыз» is also a complaint)",
    r"аял лидер": "«лидер аялдар», as in the resolution",
    r"\bкүйүк|\bөчүк": "on/off: «күйгүзүлгөн/өчүрүлгөн»",
    r"\bбарак": "a page is «бет»",
    r"\bишке ал": "Take is «кароого алуу» («ишке алуу» is to hire)",
    r"коркунуч туул": "danger: «Азыр кимдир бирөө коркунучта турабы?»",
    r"^(<b>)?Сиздин ": "no «Сиздин» before a noun with its own possessive suffix",
    r"Мындан ары:": "What happens next: «Андан ары эмне болот:»",
    r"Бирдиктүү куткаруу": "112 is «112 кызматы»",
    r"→ Жайгашкан жер": "Telegram has no Kyrgyz interface: «📎 → Геопозиция»",
}
RU_AVOID = {
    r"миростроительств": "peacekeeping/peacebuilding: «миротворчество»",
    r"Единая служба спасения": "112 is «Служба 112»",
    r"Автор уведомлена": "«Автору отправлено уведомление»",
    r"своим собственным": "«своим номером»",
}


def ky_and_ru_texts(lang: str) -> Iterator[tuple[str, str]]:
    for message in entries(read_catalog(lang)):
        for text in forms(message.string):
            yield repr(forms(message.id)[0]), text
    for path in sorted(CONTENT.rglob(f"*{lang}.md")):
        yield path.name, path.read_text(encoding="utf-8")
    for contact in default_directory():
        yield "help_contacts.json", contact.names[lang]


@pytest.mark.parametrize(("lang", "avoid"), [("ky", KY_AVOID), ("ru", RU_AVOID)])
def test_glossary_decisions_are_kept(lang: str, avoid: dict[str, str]) -> None:
    bad = [
        f"{where}: {why}"
        for where, text in ky_and_ru_texts(lang)
        for pattern, why in avoid.items()
        if re.search(pattern, text, re.IGNORECASE | re.MULTILINE)
    ]
    assert not bad, "\n".join(bad)


def test_russian_says_obrashchenie_for_a_report() -> None:
    """A report is «обращение»; «сообщение» is a Telegram message only."""
    bad = []
    for message in entries(read_catalog("ru")):
        source = " ".join(forms(message.id)).lower()
        if re.search(r"\breports?\b", source) and "message" not in source:
            for text in forms(message.string):
                if "сообщени" in text.lower():
                    bad.append(f"{forms(message.id)[0]!r}: {text!r}")
    assert not bad, "\n".join(bad)


def test_telegram_labels_in_kyrgyz_instructions_are_the_russian_ones() -> None:
    ky = load_catalog("ky")
    place = ky.gettext(
        "<b>The place</b> (optional)\nType the town, village or institution, or send a "
        "location pin (📎 → Location), or skip."
    )
    assert "📎 → Геопозиция" in place
    delete = ky.gettext(
        "Some of these messages could not be removed: Telegram allows it only for 48 hours. "
        "Please delete them yourself (press and hold a message, then Delete)."
    )
    assert "«Удалить»" in delete
