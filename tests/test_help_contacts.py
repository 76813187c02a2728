"""The help-line directory: the built-in one, what suits a report, and what is refused."""

from __future__ import annotations

import json

import pytest

from bot.services.help_contacts import (
    DEFAULT_PATH,
    DirectoryError,
    contacts_for,
    default_directory,
    parse_directory,
)


def test_built_in_directory_has_the_glossary_numbers() -> None:
    numbers = {c.number for c in default_directory()}
    assert numbers == {"112", "102", "103", "117", "111", "115", "+996 312 383 330"}
    assert [c.number for c in default_directory() if c.emergency] == ["112", "102", "103"]


def test_contacts_suit_the_category_emergency_lines_first() -> None:
    domestic = [c.number for c in contacts_for(default_directory(), "violence_women", "naryn")]
    assert domestic[:3] == ["112", "102", "103"] and "117" in domestic and "111" not in domestic
    children = [
        c.number for c in contacts_for(default_directory(), "violence_children", "osh_city")
    ]
    assert "111" in children and "117" not in children


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda d: "{", "not_json"),
        (lambda d: json.dumps({"contacts": []}), "no_contacts"),
        (lambda d: json.dumps({"contacts": ["112"]}), "not_object"),
        (
            lambda d: json.dumps({"contacts": [{**d["contacts"][0], "number": "call us"}]}),
            "bad_number",
        ),
        (
            lambda d: json.dumps({"contacts": [{**d["contacts"][0], "name": {"en": "x"}}]}),
            "names_missing",
        ),
        (
            lambda d: json.dumps({"contacts": [{**d["contacts"][0], "regions": ["mars"]}]}),
            "unknown_codes",
        ),
    ],
)
def test_a_bad_directory_is_refused_with_a_reason(change: object, code: str) -> None:
    data = json.loads(DEFAULT_PATH.read_text("utf-8"))
    with pytest.raises(DirectoryError) as caught:
        parse_directory(change(data))  # type: ignore[operator]
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("entry", "code", "detail"),
    [
        ({"number": True}, "bad_type", "number"),
        ({"number": ["112"]}, "bad_type", "number"),
        ({"regions": [1]}, "bad_type", "regions"),
        ({"categories": "torture"}, "bad_type", "categories"),
        ({"emergency": "no"}, "bad_type", "emergency"),
        ({"name": {"en": 1, "ru": "a", "ky": "b"}}, "names_missing", ""),
    ],
)
def test_wrong_kinds_of_values_are_refused_with_a_reason(
    entry: dict[str, object], code: str, detail: str
) -> None:
    contact: dict[str, object] = {"number": "112", "name": {"en": "a", "ru": "б", "ky": "в"}}
    contact.update(entry)
    with pytest.raises(DirectoryError) as refused:
        parse_directory(json.dumps({"contacts": [contact]}))
    assert (refused.value.code, refused.value.detail) == (code, detail)
