"""The report's view-model: every string the templates print, formatted here.

The templates hold no logic beyond sections (``{{#x}}``/``{{^x}}``): numbers, percentages, bar
widths, colours and shortened texts are computed in Python, once, for both the HTML and the text
part. User-supplied text (questions, error messages) is passed through :func:`display_text` and
left for the template to escape.
"""

from __future__ import annotations

import textwrap
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel, ConfigDict

from reporter.aggregate import MATCH_TYPES, Example, QuestionCount, WeekFigures
from reporter.questions import display_text
from reporter.settings import ReportOptions

TITLE = "Chatbot analytics"
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


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class Tile(_View):
    label: str
    value: str
    note: str
    note_colour: str
    text_label: str
    text_value: str


class TileRow(_View):
    tiles: list[Tile]


class DayBar(_View):
    label: str
    count: str
    has_bar: bool
    bar_percent: int
    bar_colour: str
    text_bar: str
    text_label: str
    text_count: str


class MatchRow(_View):
    label: str
    text_label: str
    count: str
    share: str
    colour: str
    has_bar: bool
    bar_percent: int
    text_bar: str
    text_share: str


class QuestionRow(_View):
    rank: str
    text: str
    count: str
    score: str
    text_rank: str
    text_count: str
    text_score: str
    first_line: str
    more_lines: list[str]
    text_indent: str


class ExampleRow(_View):
    when: str
    text: str
    error: str
    has_error: bool


class Figure(_View):
    label: str
    value: str
    text_label: str

    @classmethod
    def of(cls, label: str, value: str) -> Figure:
        return cls(label=label, value=value, text_label=label.ljust(FIGURE_LABEL_COLUMNS))


class ReportView(_View):
    """Everything both templates print."""

    title: str
    subject: str
    week_id: str
    previous_week_id: str
    week_range: str
    rule: str
    question_count: int
    empty: bool
    headline: str
    previous_note: str
    tiles: list[Tile]
    tile_rows: list[TileRow]
    days: list[DayBar]
    busiest_hour: str
    match_rows: list[MatchRow]
    match_segments: list[MatchRow]
    has_answers: bool
    quality: list[Figure]
    speed_and_cost: list[Figure]
    top_questions: list[QuestionRow]
    distinct_questions: str
    gaps: list[QuestionRow]
    has_gaps: bool
    gap_summary: str
    unanswered: str
    unanswered_examples: list[ExampleRow]
    has_unanswered: bool
    failed: str
    failed_examples: list[ExampleRow]
    has_failed: bool
    notes: list[str]
    generated_at: str


# -- formatting ------------------------------------------------------------------------------


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


def subject_line(current: WeekFigures, previous: WeekFigures) -> str:
    if current.questions == 0:
        return f"{TITLE} {current.week_id}: no questions"
    change = change_percent(current.questions, previous.questions)
    headline = f"{TITLE} {current.week_id}: {plural(current.questions, 'question')}"
    return f"{headline} ({change})" if change else headline


# -- sections --------------------------------------------------------------------------------


def _tile(label: str, value: str, note: str, note_colour: str) -> Tile:
    return Tile(
        label=label,
        value=value,
        note=note,
        note_colour=note_colour,
        text_label=label.ljust(FIGURE_LABEL_COLUMNS),
        text_value=value.rjust(8),
    )


def _tiles(current: WeekFigures, previous: WeekFigures) -> list[Tile]:
    last_week = previous.week_id[5:]  # "W45": the year is in the report's title

    def versus(change: str | None, before: str) -> str:
        if change is None:
            return f"no questions in {last_week}" if not previous.questions else ""
        return f"{change} vs {last_week} ({before})"

    sessions = ("" if current.sessions_exact else "\u2248") + count(current.sessions)
    answered_share = percent(current.answered, current.questions)
    score_change = change_points(current.score_mean, previous.score_mean)
    return [
        _tile(
            "Questions",
            count(current.questions),
            versus(
                change_percent(current.questions, previous.questions), count(previous.questions)
            ),
            trend_colour(current.questions, previous.questions or None),
        ),
        _tile(
            "Sessions",
            sessions,
            versus(change_percent(current.sessions, previous.sessions), count(previous.sessions)),
            trend_colour(current.sessions, previous.sessions or None),
        ),
        _tile(
            "Answered",
            answered_share,
            f"{count(current.failed)} failed \u00b7 {count(current.unanswered)} unanswered",
            BAD if current.failed or current.unanswered else NEUTRAL,
        ),
        _tile(
            "Mean score",
            score(current.score_mean),
            (
                f"{score_change} vs {last_week} ({score(previous.score_mean)})"
                if score_change
                else f"median {score(current.score_median)}"
            ),
            trend_colour(current.score_mean, previous.score_mean),
        ),
    ]


def _days(figures: WeekFigures) -> list[DayBar]:
    largest = max((n for _, n in figures.per_day), default=0)
    width = max((len(count(n)) for _, n in figures.per_day), default=1)
    return [
        DayBar(
            label=day_label(day),
            count=count(n),
            has_bar=n > 0,
            bar_percent=bar_percent(n, largest),
            bar_colour=BUSIEST_BAR if n == largest else BAR,
            text_bar=text_bar(n, largest),
            text_label=day_label(day).ljust(10),
            text_count=count(n).rjust(width),
        )
        for day, n in figures.per_day
    ]


def _busiest_hour(figures: WeekFigures) -> str:
    hour = figures.busiest_hour
    if hour is None:
        return ""
    return (
        f"{hour:02d}:00\u2013{(hour + 1) % 24:02d}:00 UTC "
        f"({plural(figures.per_hour[hour], 'question')} over the week)"
    )


def _match_rows(figures: WeekFigures) -> list[MatchRow]:
    total = sum(figures.match_types.values())
    largest = max(figures.match_types.values(), default=0)
    rows = []
    for kind in MATCH_TYPES:
        n = figures.match_types[kind]
        share = percent(n, total)
        rows.append(
            MatchRow(
                label=MATCH_LABELS[kind],
                text_label=kind.ljust(8),
                count=count(n),
                share=share,
                colour=MATCH_COLOURS[kind],
                has_bar=n > 0,
                bar_percent=round(100 * n / total) if total else 0,
                text_bar=text_bar(n, largest, TEXT_BAR_COLUMNS).ljust(TEXT_BAR_COLUMNS),
                text_share=share.rjust(6),
            )
        )
    return rows


def _question_rows(groups: list[QuestionCount], *, with_score: bool) -> list[QuestionRow]:
    count_width = max([len(count(g.count)) for g in groups] + [len("Asked")])
    rank_width = len(f"{len(groups)}.")
    rows = []
    for rank, group in enumerate(groups, start=1):
        text = display_text(group.text)
        lines = wrap(text)
        mean = score(group.mean_score) if with_score else ""
        text_rank = f"{rank}.".rjust(rank_width)
        text_count = count(group.count).rjust(count_width)
        text_score = mean.rjust(len("Score"))
        indent = " " * (
            len(text_count) + len(text_score) + 2
            if with_score
            else rank_width + 1 + len(text_count)
        )
        rows.append(
            QuestionRow(
                rank=f"{rank}.",
                text=text,
                count=count(group.count),
                score=mean,
                text_rank=text_rank,
                text_count=text_count,
                text_score=text_score,
                first_line=lines[0],
                more_lines=lines[1:],
                text_indent=indent,
            )
        )
    return rows


def _examples(examples: list[Example]) -> list[ExampleRow]:
    return [
        ExampleRow(
            when=moment(example.timestamp),
            text=display_text(example.text) or "(no question text)",
            error=display_text(example.error or "", ERROR_CHARS),
            has_error=bool(example.error),
        )
        for example in examples
    ]


def _notes(figures: WeekFigures) -> list[str]:
    notes: list[str] = []
    if figures.questions:
        notes.append(
            "Percentiles are estimated to within 1%; the median score to within 0.05. "
            "Times are UTC."
        )
    if not figures.sessions_exact:
        notes.append("Sessions are estimated (HyperLogLog, standard error 0.8%).")
    if figures.orphaned:
        notes.append(
            f"{plural(figures.orphaned, 'orphaned response')} (an answer whose question never "
            "reached the pipeline) not counted as questions."
        )
    if figures.unreadable:
        notes.append(
            f"{plural(figures.unreadable, 'analytics record')} could not be read and "
            "{} left out; the reporter's log names {}.".format(
                "was" if figures.unreadable == 1 else "were",
                "it" if figures.unreadable == 1 else "them",
            )
        )
    return notes


def build_view(
    current: WeekFigures,
    previous: WeekFigures,
    options: ReportOptions,
    *,
    generated_at: datetime | None = None,
) -> ReportView:
    """Format ``current`` (compared with ``previous``) for the templates."""
    generated = (generated_at or datetime.now(tz=UTC)).astimezone(UTC)
    days = [day for day, _ in current.per_day]
    answered = current.answered
    quality = [
        Figure.of("Mean match score", score(current.score_mean)),
        Figure.of("Median match score", score(current.score_median)),
    ]
    p50, p95, p99 = (current.processing_ms[q] for q in sorted(current.processing_ms))
    speed_and_cost = [
        Figure.of(
            "Processing time",
            f"p50 {duration(p50)} \u00b7 p95 {duration(p95)} \u00b7 p99 {duration(p99)}",
        ),
        Figure.of(
            "Tokens",
            f"{count(current.input_tokens)} in \u00b7 {count(current.output_tokens)} out",
        ),
    ]
    cost = options.cost(current.input_tokens, current.output_tokens)
    if cost is not None:
        speed_and_cost.append(Figure.of("LLM cost", money(cost, options.currency)))
    match_rows = _match_rows(current)
    tiles = _tiles(current, previous)
    gaps = _question_rows(current.gaps, with_score=True)
    return ReportView(
        title=TITLE,
        subject=subject_line(current, previous),
        week_id=current.week_id,
        previous_week_id=previous.week_id,
        week_range=week_range(days),
        rule="=" * 72,
        question_count=current.questions,
        empty=current.questions == 0,
        previous_note=(
            f"{previous.week_id} had {plural(previous.questions, 'question')}."
            if previous.questions
            else f"{previous.week_id} had none either."
        ),
        headline=(
            f"{plural(current.questions, 'question')} from {plural(current.sessions, 'session')}"
            if current.questions
            else "No questions this week."
        ),
        tiles=tiles,
        tile_rows=[TileRow(tiles=tiles[i : i + 2]) for i in range(0, len(tiles), 2)],
        days=_days(current),
        busiest_hour=_busiest_hour(current),
        match_rows=match_rows,
        match_segments=[row for row in match_rows if row.has_bar],
        has_answers=answered > 0,
        quality=quality,
        speed_and_cost=speed_and_cost,
        top_questions=_question_rows(current.top_questions, with_score=False),
        distinct_questions=plural(current.distinct_questions, "distinct question"),
        gaps=gaps,
        has_gaps=bool(gaps),
        gap_summary=(
            f"{plural(current.match_types['none'], 'answer')} found nothing in the CV "
            f"({plural(current.gap_questions, 'distinct question')}). Most asked first."
        ),
        unanswered=count(current.unanswered),
        unanswered_examples=_examples(current.unanswered_examples),
        has_unanswered=current.unanswered > 0,
        failed=count(current.failed),
        failed_examples=_examples(current.failed_examples),
        has_failed=current.failed > 0,
        notes=_notes(current),
        generated_at=f"{generated:%Y-%m-%d %H:%M} UTC",
    )
