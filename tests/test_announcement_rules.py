"""The rules of announcements without Telegram: what a typed moment means, what content fits
Telegram's limits, who may send to whom."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.services.announcements import (
    CAPTION_LIMIT,
    Audience,
    Content,
    NotAllowed,
    Text,
    allowed_regions,
    check,
    parse_when,
    quick_times,
    schedulable,
)
from bot.services.roles import Roles

BISHKEK = ZoneInfo("Asia/Bishkek")  # UTC+6
NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)  # 12:00 in Bishkek


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("25.12.2026 18:00", datetime(2026, 12, 25, 12, 0, tzinfo=UTC)),
        ("25/12/2026, 18.00", datetime(2026, 12, 25, 12, 0, tzinfo=UTC)),
        ("2026-12-25 18:00", datetime(2026, 12, 25, 12, 0, tzinfo=UTC)),
        ("25.12 9:05", datetime(2026, 12, 25, 3, 5, tzinfo=UTC)),
        # A day of this year already past, without a year: next year's.
        ("01.02 10:00", datetime(2027, 2, 1, 4, 0, tzinfo=UTC)),
        ("30.11.2026 11:00", datetime(2026, 11, 30, 5, 0, tzinfo=UTC)),  # past, kept as typed
    ],
)
def test_a_typed_moment_is_read_in_the_bots_time_zone(typed: str, expected: datetime) -> None:
    assert parse_when(typed, BISHKEK, NOW) == expected


@pytest.mark.parametrize(
    "typed", ["tomorrow", "25.12.2026", "31.02.2026 10:00", "25.12.2026 25:00", "29.02 10:00"]
)
def test_what_does_not_read_as_a_moment_is_none(typed: str) -> None:
    assert parse_when(typed, BISHKEK, NOW) is None


def test_a_moment_must_be_ahead_and_within_a_year() -> None:
    assert not schedulable(datetime(2026, 11, 30, 5, 0, tzinfo=UTC), NOW)
    assert schedulable(datetime(2026, 12, 1, 5, 0, tzinfo=UTC), NOW)
    assert not schedulable(datetime(2028, 1, 1, tzinfo=UTC), NOW)
    # At noon in Bishkek: today 18:00, tomorrow 9:00 and 18:00; late in the evening, not today.
    assert [m.astimezone(BISHKEK).hour for m in quick_times(BISHKEK, NOW)] == [18, 9, 18]
    late = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)  # 19:00 in Bishkek
    assert [m.astimezone(BISHKEK).hour for m in quick_times(BISHKEK, late)] == [9, 18]


def test_limits_are_telegrams_and_a_file_makes_the_text_a_caption() -> None:
    long = Content(Text("x" * 1500, 1500), versions={"ky": Text("ы", 1)})
    assert long.too_long() == [] and long.limit == 4096
    with_photo = Content(long.text, long.versions, "photo", "AgAC-file")
    assert with_photo.limit == CAPTION_LIMIT and with_photo.too_long() == [(None, 1500)]
    assert Content.from_dict(with_photo.to_dict()) == with_photo
    assert with_photo.version_for("ky").html == "ы" and with_photo.version_for("ru").length == 1500


def test_a_lead_reaches_only_her_regions() -> None:
    lead = Roles(7, coordinator=False, from_settings=False, lead_regions=frozenset({"osh_city"}))
    coordinator = Roles(8, coordinator=True, from_settings=True, lead_regions=frozenset())
    member = Roles(9, coordinator=False, from_settings=False, lead_regions=frozenset())
    assert allowed_regions(lead) == ("osh_city",) and len(allowed_regions(coordinator)) == 9
    check(Audience(regions=("osh_city",)), lead)
    check(Audience(regions=("naryn",), roles=("lead",), language="ky"), coordinator)
    for audience, roles in (
        (Audience(regions=("naryn",)), lead),
        (Audience(), member),
        (Audience(roles=("admin",)), coordinator),
        (Audience(interests=("gossip",)), coordinator),
        (Audience(language="de"), coordinator),
    ):
        with pytest.raises(NotAllowed):
            check(audience, roles)
    assert (
        Audience.from_dict(Audience(("naryn",), ("member",), (), "ru").to_dict()).language == "ru"
    )
