"""Callback data: one build/parse pair per kind of button."""

from __future__ import annotations

import pytest

from bot.callbacks import CODE, ID, OPTIONAL_CODE, Callback, choice


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
