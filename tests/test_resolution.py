"""The resolution texts: structure, every page valid for Telegram, splitting, the upload format."""

from __future__ import annotations

import html
import itertools

import pytest

from bot.handlers.resolution import (
    contents_keyboard,
    contents_text,
    deep_link,
    page_keyboard,
    page_text,
)
from bot.i18n import LANGUAGES, get_translator
from bot.services.resolution import (
    PAGE_BODY_LIMIT,
    SECTION_IDS,
    ResolutionFormatError,
    builtin_source,
    builtin_summary,
    decode_upload,
    parse,
    render_document,
    section_pages,
)
from bot.services.resolution_library import CurrentText, builtin
from sandbox.html import parse_html, utf16_len

TELEGRAM_TEXT_LIMIT = 4096


def texts() -> list[CurrentText]:
    """Every built-in text, both as an unofficial and an official one (label or not)."""
    return [
        CurrentText(builtin(lang), None, official)
        for lang in LANGUAGES
        for official in (False, True)
    ]


def check_message(html_text: str) -> None:
    plain, _entities = parse_html(html_text)  # raises on what Telegram would refuse
    assert 1 <= utf16_len(plain) <= TELEGRAM_TEXT_LIMIT


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_has_every_section_notes_and_markers_in_the_same_places(lang: str) -> None:
    english = builtin("en")
    text = builtin(lang)
    assert [s.id for s in text.sections] == list(SECTION_IDS)
    assert text.title and all(s.title and s.paragraphs for s in text.sections)
    assert sorted(text.notes) == sorted(english.notes) == [1, 2, 3, 4, 5]
    for section in text.sections:
        assert sorted(section.markers) == sorted(english.section(section.id).markers), section.id
    assert "+996 312 383 330" in " ".join(text.section("participants").paragraphs)
    assert "spambots" not in text.source and "JavaScript" not in text.source
    assert builtin_summary(lang).count("\n") >= 6


def test_every_page_of_every_text_in_every_interface_language_is_valid_for_telegram() -> None:
    checked = 0
    for current, ui in itertools.product(texts(), LANGUAGES):
        t = get_translator(ui, "Asia/Bishkek")
        check_message(contents_text(t, current))
        buttons = contents_keyboard(t, current).inline_keyboard
        for section_id in SECTION_IDS:
            pages = section_pages(current.resolution, section_id)
            assert pages
            for part in range(len(pages)):
                link = deep_link("solidarity_test_bot", section_id, current.lang)
                check_message(page_text(t, current, section_id, part, link))
                buttons += page_keyboard(t, current, section_id, part, link).inline_keyboard
                checked += 1
        for row in buttons:
            for button in row:
                if button.callback_data is not None:
                    assert 1 <= len(str(button.callback_data).encode()) <= 64
    assert checked == len(texts()) * len(LANGUAGES) * len(SECTION_IDS)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_unofficial_label_only_when_not_official(lang: str) -> None:
    t = get_translator("en", "Asia/Bishkek")  # the label follows the text, not the reader
    label = get_translator(lang, "Asia/Bishkek").gettext("Unofficial translation")
    link = deep_link("b", "p5", lang)
    unofficial = CurrentText(builtin(lang), None, False)
    official = CurrentText(builtin(lang), None, True)
    assert label in page_text(t, unofficial, "p5", 0, link)
    assert label not in page_text(t, official, "p5", 0, link)


def test_long_sections_split_between_paragraphs_and_sentences() -> None:
    source = builtin_source("en")
    long_paragraphs = "\n\n".join(f"Paragraph {i}. " + "Word " * 150 for i in range(12))
    huge_paragraph = "A sentence that goes on. " * 400
    source = source.replace("## p2 | Point 2\n", f"## p2 | Point 2\n{long_paragraphs}\n\n", 1)
    source = source.replace("## p4 | Point 4\n", f"## p4 | Point 4\n{huge_paragraph}\n\n", 1)
    text = parse(source, "en")
    for section_id in ("p2", "p4"):
        pages = section_pages(text, section_id)
        assert len(pages) > 1
        assert all(utf16_len(p) <= PAGE_BODY_LIMIT for p in pages)
        for page in pages:
            parse_html(page)
    p2 = section_pages(text, "p2")
    assert all(page.startswith("Paragraph") for page in p2[:-1])  # cut between paragraphs
    # Nothing is lost or duplicated by splitting.
    joined = " ".join(" ".join(section_pages(text, "p4")).split())
    assert joined.count("A sentence that goes on.") == 400


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda s: s.replace("## p3 | Point 3", "## p9 | Point 9"), "unknown_section"),
        (lambda s: s.replace("## p3 | Point 3", "## p3 Point 3"), "bad_header"),
        (lambda s: s.replace("## p3 | Point 3", "## p2 | Point 2 again"), "duplicate_section"),
        (lambda s: s.split("## notes")[0], "missing_section"),
        (lambda s: s.replace("# Resolution", "Resolution", 1), "missing_title"),
        (lambda s: s.replace("[5] Convention", "Convention"), "bad_note"),
        (lambda s: s.replace("sanctions [3];", "sanctions [7];"), "missing_note"),
        (lambda s: s.replace("# Resolution", "# Resolution" + " long" * 60, 1), "title_too_long"),
        (
            lambda s: s.replace("## p3 | Point 3", "## p3 | " + "Point" * 9),
            "section_title_too_long",
        ),
    ],
)
def test_format_problems_are_reported(change: object, code: str) -> None:
    source = change(builtin_source("en"))  # type: ignore[operator]
    with pytest.raises(ResolutionFormatError) as caught:
        parse(source, "en")
    assert code in [c for c, _ in caught.value.problems]


def test_upload_decoding() -> None:
    assert decode_upload("\ufeff# T".encode()) == "# T"
    with pytest.raises(ResolutionFormatError) as caught:
        decode_upload("# Резолюция".encode("cp1251"))
    assert caught.value.problems == [("not_utf8", "")]
    with pytest.raises(ResolutionFormatError):
        decode_upload(b"x" * (600 * 1024))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_downloadable_document(lang: str) -> None:
    text = builtin(lang)
    document = render_document(text, "LABEL").decode()
    assert document.startswith("<!DOCTYPE html>") and f'<html lang="{lang}">' in document
    for section in text.sections:
        assert f'<h2 id="{section.id}">{html.escape(section.title)}</h2>' in document
    for number in text.notes:
        assert f'id="note-{number}"' in document and f'href="#note-{number}"' in document
    assert "LABEL" in document
    assert "LABEL" not in render_document(text, None).decode()
