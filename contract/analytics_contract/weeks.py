"""ISO 8601 week arithmetic in UTC.

The week id uses the ISO week-numbering year, which differs from the calendar year around the new
year: 2027-01-01 is in ``2026-W53`` and 2024-12-30 is in ``2025-W01``. ``datetime.isocalendar`` gets
this right; ``strftime("%Y-W%W")`` does not, so nothing here uses it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

WEEK_ID_PATTERN = r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$"
_WEEK_ID = re.compile(WEEK_ID_PATTERN)


def _utc(timestamp_ms: int) -> datetime:
    return datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC)


def iso_week(timestamp_ms: int) -> str:
    """``YYYY-Www`` of a millisecond UTC timestamp, e.g. ``2025-W46``."""
    year, week, _ = _utc(timestamp_ms).isocalendar()
    return f"{year:04d}-W{week:02d}"


def utc_day(timestamp_ms: int) -> str:
    """``YYYY-MM-DD`` of a millisecond UTC timestamp."""
    return _utc(timestamp_ms).date().isoformat()


def parse_week_id(week_id: str) -> tuple[int, int]:
    """Split and check a week id; raises ``ValueError`` naming the problem."""
    if not _WEEK_ID.match(week_id):
        raise ValueError(f"weekId {week_id!r} is not of the form YYYY-Www (e.g. 2025-W46)")
    year, week = int(week_id[:4]), int(week_id[6:])
    try:
        date.fromisocalendar(year, week, 1)
    except ValueError as exc:
        raise ValueError(f"weekId {week_id!r}: ISO year {year} has no week {week}") from exc
    return year, week


def week_days(week_id: str) -> list[date]:
    """The seven dates, Monday to Sunday, of an ISO week."""
    year, week = parse_week_id(week_id)
    monday = date.fromisocalendar(year, week, 1)
    return [monday + timedelta(days=i) for i in range(7)]


def week_bounds(week_id: str) -> tuple[int, int]:
    """``[start, end)`` of an ISO week in UTC epoch milliseconds."""
    monday = week_days(week_id)[0]
    start = datetime(monday.year, monday.month, monday.day, tzinfo=UTC)
    end = start + timedelta(days=7)
    return int(start.timestamp() * 1000), int(end.timestamp() * 1000)


def previous_week(week_id: str) -> str:
    """The ISO week before ``week_id``."""
    monday = week_days(week_id)[0]
    year, week, _ = (monday - timedelta(days=7)).isocalendar()
    return f"{year:04d}-W{week:02d}"


def week_ending_before(now: datetime) -> str:
    """The ISO week that most recently ended before ``now`` (UTC): run on a Monday, last week."""
    today = now.astimezone(UTC).date()
    last_week_day = today - timedelta(days=today.isoweekday())  # the Sunday before today
    year, week, _ = last_week_day.isocalendar()
    return f"{year:04d}-W{week:02d}"
