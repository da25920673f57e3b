"""Ranges of ISO weeks (``2026-W40`` to ``2026-W47``), on the contract's week arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from analytics_contract.weeks import parse_week_id, week_days, week_ending_before

#: Longest range a command reads at once: about two years (the table keeps 90 days anyway).
MAX_WEEKS = 106


def next_week(week_id: str) -> str:
    """The ISO week after ``week_id``."""
    year, week, _ = (week_days(week_id)[0] + timedelta(days=7)).isocalendar()
    return f"{year:04d}-W{week:02d}"


def week_range(first: str, last: str) -> list[str]:
    """Every ISO week from ``first`` to ``last``, both included, oldest first. Raises
    ``ValueError`` naming the problem (a bad week id, ``first`` after ``last``, too long)."""
    parse_week_id(first)
    parse_week_id(last)
    if week_days(first)[0] > week_days(last)[0]:
        raise ValueError(f"the range starts at {first}, after its end {last}")
    weeks = [first]
    while weeks[-1] != last:
        if len(weeks) >= MAX_WEEKS:
            raise ValueError(f"{first} to {last} is more than {MAX_WEEKS} weeks")
        weeks.append(next_week(weeks[-1]))
    return weeks


def last_weeks(count: int, last: str | None = None, *, now: datetime | None = None) -> list[str]:
    """``count`` weeks ending with ``last`` (default: the week that ended most recently)."""
    if not 1 <= count <= MAX_WEEKS:
        raise ValueError(f"weeks must be between 1 and {MAX_WEEKS}, got {count}")
    end = last or week_ending_before(now or datetime.now(UTC))
    monday = week_days(end)[0] - timedelta(days=7 * (count - 1))
    year, week, _ = monday.isocalendar()
    return week_range(f"{year:04d}-W{week:02d}", end)
