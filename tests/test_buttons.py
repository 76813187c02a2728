"""Every button fits a 360-dp phone in every language: a label alone on its row has at most 32
characters, two side by side at most 18 each (bot/keyboards.py counts a pictograph as two).

This checks the keyboards built from fixed lists (menu, regions, categories, who she is,
interests, statuses, when); tests/e2e/button_layout.py checks every keyboard the bot actually
sends during the end-to-end tests.
"""

from __future__ import annotations

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import LANGUAGES, Translator, get_translator
from bot.keyboards import (
    fits,
    in_rows,
    label_width,
    nav_row,
    region_name,
    region_rows,
    row_limit,
    status_name,
)
from bot.menu import back_to_menu_keyboard, language_keyboard, main_menu_keyboard
from bot.services.community import INTERESTS, OCCUPATIONS, REGIONS
from bot.services.reports import CATEGORIES, OCCURRED, STATUSES


def translator(lang: str) -> Translator:
    return get_translator(lang, "Asia/Bishkek")


def button(label: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data="x")


def too_wide(rows: list[list[InlineKeyboardButton]]) -> list[str]:
    return [
        f"{b.text!r}: {label_width(b.text)} > {row_limit(len(row))} ({len(row)} to a row)"
        for row in rows
        for b in row
        if label_width(b.text) > row_limit(len(row))
    ]


def markup_rows(markup: InlineKeyboardMarkup) -> list[list[InlineKeyboardButton]]:
    return [list(row) for row in markup.inline_keyboard]


def test_the_rule() -> None:
    assert (row_limit(1), row_limit(2)) == (32, 18)
    assert row_limit(3) <= 11 and row_limit(4) <= 8
    old = "Мамлекеттик органдын же жергиликтүү өз алдынча башкаруу органынын кызматкери"
    assert label_width(old) == 76  # as the issue counted it
    assert label_width("🆘 Help") == 7 and label_width("▫️ Ok") == 5  # ▫ + VS16 is one pictograph
    assert fits(["Баткен облусу", "Чүй облусу"]) and not fits(["Джалал-Абадская область", "г. Ош"])


def test_in_rows_puts_two_side_by_side_only_when_both_fit() -> None:
    short, long_ = button("г. Ош"), button("Джалал-Абадская область")
    assert [[b.text for b in row] for row in in_rows([short, short, long_, short])] == [
        ["г. Ош", "г. Ош"],
        ["Джалал-Абадская область"],
        ["г. Ош"],
    ]
    three = in_rows([short, short, short], per_row=3)
    assert len(three) == 1 and not too_wide(three)
    assert in_rows([long_, short], per_row=1) == [[long_], [short]]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_menus_fit(lang: str) -> None:
    t = translator(lang)
    for markup in (main_menu_keyboard(t), back_to_menu_keyboard(t), language_keyboard()):
        assert not too_wide(markup_rows(markup))
    assert not too_wide([nav_row(t, "x")])


@pytest.mark.parametrize("lang", LANGUAGES)
def test_regions_fit_and_are_laid_out_evenly(lang: str) -> None:
    t = translator(lang)
    rows = region_rows(t, "x:")
    assert not too_wide(rows)
    assert sum(len(row) for row in rows) == len(REGIONS)
    # Two to a row only when every region fits; otherwise one column (no ragged mix).
    assert {len(row) for row in rows[:-1]} in ({1}, {2})
    # As the members desk and the lead picker show them: with a mark, through in_rows.
    for mark in ("☑ ", "☐ ", "📍 ", "✅ "):
        marked = [button(mark + region_name(t, code)) for code in REGIONS]
        assert not too_wide(in_rows(marked))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_lists_of_one_button_a_row_fit(lang: str) -> None:
    """Categories, who she is and her interests are one to a row, as the questions show them
    (interests carry a mark: ▫️ not chosen, ✅ chosen)."""
    t = translator(lang)
    labels = [t.gettext(label) for label in (*CATEGORIES.values(), *OCCUPATIONS.values())]
    labels += [mark + t.gettext(label) for label in INTERESTS.values() for mark in ("▫️ ", "✅ ")]
    assert not too_wide([[button(label)] for label in labels])


@pytest.mark.parametrize("lang", LANGUAGES)
def test_statuses_and_when_fit(lang: str) -> None:
    t = translator(lang)
    moves = [button("→ " + status_name(t, code)) for code in STATUSES]
    assert not too_wide(in_rows(moves))
    # Today / Yesterday / This week / A date: two to a row in the report form.
    when = [t.gettext(label) for label in OCCURRED.values()] + ["📅 " + t.gettext("A date")]
    assert not too_wide([[button(label)] * 2 for label in when])
