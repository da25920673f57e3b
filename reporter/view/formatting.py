"""Formatting of numbers, dates, bars and text for both parts of the email (no logic of the
report itself: the section builders decide what to show, these say how it reads)."""

from __future__ import annotations

import textwrap
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

#: Widest bar, in percent of the row (the count is printed after it) or in text columns.
BAR_MAX_PERCENT = 82
TEXT_BAR_COLUMNS = 32
TEXT_QUESTION_COLUMNS = 60
ERROR_CHARS = 100
FIGURE_LABEL_COLUMNS = 18

# English names whatever the process locale (strftime's %a/%b follow it).
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip

GOOD, BAD, NEUTRAL = "#15803d", "#b91c1c", "#64748b"
BAR, BUSIEST_BAR = "#818cf8", "#4338ca"
MATCH_COLOURS = {"full": "#16a34a", "partial": "#f59e0b", "none": "#dc2626"}
MATCH_LABELS = {"full": "Full match", "partial": "Partial match", "none": "No match"}


def count(value: int) -> str:
    return f"{value:,}"


def plural(value: int, word: str, words: str | None = None) -> str:
    return f"{value:,} {word if value == 1 else (words or word + 's')}"


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "0.0%"


def score(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def duration(milliseconds: float | None) -> str:
    if milliseconds is None:
        return "n/a"
    if milliseconds < 1000:
        return f"{milliseconds:.0f} ms"
    return f"{milliseconds / 1000:.1f} s"


def money(amount: Decimal, currency: str) -> str:
    places = Decimal("0.01") if amount >= 1 or amount == 0 else Decimal("0.0001")
    return f"{amount.quantize(places, rounding=ROUND_HALF_UP):,} {currency}"


def change_percent(current: int, previous: int) -> str | None:
    """``+12%``, ``-5%``, ``±0%``; ``None`` when there is nothing to compare with."""
    if previous == 0:
        return None
    change = round(100 * (current - previous) / previous)
    return "\u00b10%" if change == 0 else f"{change:+d}%"


def change_points(current: float | None, previous: float | None) -> str | None:
    if current is None or previous is None:
        return None
    change = round(current - previous, 1)
    return "\u00b10.0 pts" if change == 0 else f"{change:+.1f} pts"


def trend_colour(current: float | None, previous: float | None) -> str:
    if current is None or previous is None or current == previous:
        return NEUTRAL
    return GOOD if current > previous else BAD


def day_label(day: date) -> str:
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1][:3]}"


def week_range(days: list[date]) -> str:
    first, last = days[0], days[-1]
    first_month, last_month = MONTHS[first.month - 1][:3], MONTHS[last.month - 1][:3]
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}\u2013{last.day} {MONTHS[last.month - 1]} {last.year}"
    if first.year == last.year:
        return f"{first.day} {first_month} \u2013 {last.day} {last_month} {last.year}"
    return f"{first.day} {first_month} {first.year} \u2013 {last.day} {last_month} {last.year}"


def moment(timestamp_ms: int) -> str:
    when = datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC)
    return f"{day_label(when.date())} {when:%H:%M}"


def text_bar(value: int, largest: int, columns: int = TEXT_BAR_COLUMNS) -> str:
    if value <= 0 or largest <= 0:
        return ""
    return "\u2588" * max(1, round(columns * value / largest))


def bar_percent(value: int, largest: int) -> int:
    if value <= 0 or largest <= 0:
        return 0
    return max(1, round(BAR_MAX_PERCENT * value / largest))


def wrap(text: str, columns: int = TEXT_QUESTION_COLUMNS) -> list[str]:
    """Word-wrap for the text part (a long word is split rather than overflow)."""
    return textwrap.wrap(text, columns, break_long_words=True) or [""]
