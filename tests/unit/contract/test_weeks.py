from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from analytics_contract import iso_week, utc_day, week_bounds, week_days
from analytics_contract.weeks import parse_week_id, previous_week, week_ending_before


def ms(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return int(datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp() * 1000)


@pytest.mark.parametrize(
    ("when", "week"),
    [
        (ms(2020, 12, 31), "2020-W53"),  # 2020 has 53 ISO weeks
        (ms(2021, 1, 3, 23, 59), "2020-W53"),  # ...which run into January 2021
        (ms(2021, 1, 4), "2021-W01"),
        (ms(2024, 12, 30), "2025-W01"),  # the ISO year starts in December
        (ms(2025, 11, 10), "2025-W46"),
        (ms(2025, 12, 31, 23, 59), "2026-W01"),
        (ms(2026, 12, 31), "2026-W53"),  # 2026 is a 53-week year
        (ms(2027, 1, 3, 23, 59), "2026-W53"),
        (ms(2027, 1, 4), "2027-W01"),
        (ms(2015, 12, 31), "2015-W53"),
        (ms(2016, 1, 1), "2015-W53"),
    ],
)
def test_iso_week_uses_the_iso_week_numbering_year(when: int, week: str) -> None:
    assert iso_week(when) == week


def test_day_is_utc() -> None:
    assert utc_day(ms(2025, 12, 31, 23, 59)) == "2025-12-31"


def test_week_days_and_bounds() -> None:
    days = week_days("2026-W53")
    assert days[0] == date(2026, 12, 28) and days[-1] == date(2027, 1, 3)
    start, end = week_bounds("2026-W53")
    assert start == ms(2026, 12, 28) and end == ms(2027, 1, 4)
    assert iso_week(start) == "2026-W53" and iso_week(end - 1) == "2026-W53"
    assert iso_week(end) == "2027-W01"


@pytest.mark.parametrize(
    ("now", "week"),
    [
        (datetime(2027, 1, 4, 7, 0, tzinfo=UTC), "2026-W53"),
        (datetime(2025, 11, 17, 7, 0, tzinfo=UTC), "2025-W46"),
        (datetime(2021, 1, 4, 0, 0, tzinfo=UTC), "2020-W53"),
        (datetime(2025, 1, 6, 7, 0, tzinfo=UTC), "2025-W01"),
        (datetime(2025, 11, 16, 23, 59, tzinfo=UTC), "2025-W45"),  # Sunday: W46 has not ended
    ],
)
def test_week_ending_before(now: datetime, week: str) -> None:
    assert week_ending_before(now) == week


def test_previous_week_crosses_year_boundaries() -> None:
    assert previous_week("2027-W01") == "2026-W53"
    assert previous_week("2025-W01") == "2024-W52"


@pytest.mark.parametrize("bad", ["2025-46", "2025-W00", "2025-W54", "25-W01", "2025-W53"])
def test_bad_week_ids_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match="weekId"):
        parse_week_id(bad)
