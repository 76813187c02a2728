"""Callback data: one build/parse pair per kind of button."""

from __future__ import annotations

import pytest

from bot.callbacks import CODE, ID, OPTIONAL_CODE, USER_ID, Callback, choice, optional


def test_build_and_parse_round_trip() -> None:
    open_card = Callback("rep:open", ID)
    data = open_card(42)
    assert data == "rep:open:42"
    assert open_card.parse(data) == (42,)
    assert open_card.values(open_card.pattern.match(data)) == (42,)


def test_forged_or_malformed_data_does_not_parse() -> None:
    open_card = Callback("rep:open", ID)
    for data in ("rep:open:" + "9" * 20, "rep:open:42\n", "rep:open:-1", "rep:open", None, ""):
        assert open_card.parse(data) is None


def test_optional_codes_and_choices() -> None:
    pick = Callback("rep:ls", OPTIONAL_CODE, choice(["osh", "naryn"]), CODE)
    assert pick(None, "osh", "new") == "rep:ls:-:osh:new"
    assert pick.parse("rep:ls:-:osh:new") == (None, "osh", "new")
    assert pick.parse("rep:ls:-:talas:new") is None


def test_limits_are_checked_when_building() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        Callback("x", CODE, CODE, CODE)("a" * 24, "b" * 24, "c" * 24)
    with pytest.raises(ValueError, match="parse back"):
        Callback("x", ID)("not-a-number")
    with pytest.raises(TypeError):
        Callback("x", ID)(1, 2)


def test_patterns_route_as_python_telegram_bot_matches() -> None:
    """PTB routes with re.match: a trailing newline or a longer id must not pass."""
    open_card = Callback("rep:open", ID)
    assert open_card.pattern.match("rep:open:42")
    for data in ("rep:open:42\n", "rep:open:42:1", "rep:open:" + "9" * 13, "xrep:open:42"):
        assert open_card.pattern.match(data) is None, data
    person = Callback("roles:m", USER_ID)
    assert person.parse("roles:m:" + "9" * 16) == (int("9" * 16),)
    assert person.parse("roles:m:" + "9" * 20) is None


def test_optional_fields_give_none_for_any() -> None:
    page = Callback("x", optional(choice(["new", "closed"])), optional(ID))
    assert page(None, 7) == "x:-:7"
    assert page.parse("x:-:7") == (None, 7)
    assert page.parse("x:closed:-") == ("closed", None)
    assert page.parse("x:open:-") is None
