"""Who is on call when: days and hours in the ladder's time zone, nights past midnight."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from vault.errors import InvalidInput
from vault.notify.ladder import Ladder, Rung, parse

PARIS = ZoneInfo("Europe/Paris")


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    """December 2026: Monday 7 is ISO weekday 1, so ``day`` 7..13 is Monday..Sunday."""
    return datetime(2026, 12, day, hour, minute, tzinfo=PARIS)


FRIDAY_NIGHT = Rung("night", frozenset({5}), 19 * 60, 8 * 60)


@pytest.mark.parametrize(
    ("at", "on_call"),
    [
        (_at(11, 18, 59), False),  # Friday before the night
        (_at(11, 19), True),
        (_at(11, 23, 59), True),
        (_at(12, 3), True),  # Saturday 03:00 belongs to Friday's night
        (_at(12, 8), False),
        (_at(12, 19), False),  # Saturday's own night is not on the ladder
        (_at(11, 3), False),  # Friday 03:00 belongs to Thursday's night
    ],
)
def test_a_night_runs_past_midnight_and_belongs_to_its_first_day(
    at: datetime, on_call: bool
) -> None:
    assert FRIDAY_NIGHT.on_call(at) is on_call


def test_start_equal_to_end_is_the_whole_day() -> None:
    rung = Rung("a", frozenset({1}), 0, 0)
    assert rung.on_call(_at(7, 0)) and rung.on_call(_at(7, 23, 59)) and not rung.on_call(_at(8, 0))


def test_hours_are_read_in_the_ladder_time_zone() -> None:
    """08:00-09:00 in Martinique is 12:00-13:00 UTC (UTC-4)."""
    day = Rung("a", frozenset({1, 2, 3, 4, 5, 6, 7}), 8 * 60, 9 * 60)
    ladder = Ladder("p", (day,), 600, "America/Martinique", True)
    assert ladder.on_call(datetime(2026, 12, 7, 12, 30, tzinfo=UTC)) == [day]
    assert ladder.on_call(datetime(2026, 12, 7, 8, 30, tzinfo=UTC)) == []


@pytest.mark.parametrize(
    "line",
    [
        {"account_id": "a", "days": [], "start": "08:00", "end": "09:00"},
        {"account_id": "a", "days": [0], "start": "08:00", "end": "09:00"},
        {"account_id": "a", "days": [True], "start": "08:00", "end": "09:00"},
        {"account_id": "a", "days": [1], "start": "8:00", "end": "09:00"},
        {"account_id": "a", "days": [1], "start": "24:30", "end": "09:00"},
        {"account_id": "a", "days": [1], "start": "08:60", "end": "09:00"},
        {"account_id": 3, "days": [1], "start": "08:00", "end": "09:00"},
    ],
)
def test_a_bad_line_is_refused(line: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        parse({"rungs": [line]}, "Europe/Paris")


def test_24_00_as_an_end_is_midnight() -> None:
    rungs, delay, zone = parse(
        {"rungs": [{"account_id": "a", "days": [1], "start": "20:00", "end": "24:00"}]},
        "Europe/Paris",
    )
    assert (rungs[0].start, rungs[0].end, delay, zone) == (1200, 0, 600, "Europe/Paris")
