"""The report's view-model: every string the templates print, as immutable pydantic models.

The templates hold no logic beyond sections (``{{#x}}``/``{{^x}}``); everything they print is a
field here, formatted once in Python for both the HTML and the text part.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from reporter.view.formatting import FIGURE_LABEL_COLUMNS


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
    #: "12 failed" on a day with failed answers, else "".
    failed: str
    has_failed: bool
    text_failed: str


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
    #: "3 wordings" when the cluster was asked in more than one way, else "".
    wordings: str
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


class RatedRow(_View):
    """One of the lowest-rated answers."""

    when: str
    rating: str
    question: str
    comment: str
    has_comment: bool
    match: str


class FeedbackView(_View):
    share: str
    note: str
    note_colour: str
    summary: str
    lowest: list[RatedRow]
    has_lowest: bool


class ComparisonCell(_View):
    value: str
    #: "+4.1 pts", "-120 ms", "" for the baseline.
    change: str
    #: "significant", "not significant", "too few", "baseline", "".
    verdict: str
    colour: str
    bold: bool


class ComparisonRow(_View):
    """One metric across the arms (the baseline's cell first)."""

    label: str
    cells: list[ComparisonCell]


class ArmHeader(_View):
    label: str
    questions: str


class ComparisonView(_View):
    arms: list[ArmHeader]
    rows: list[ComparisonRow]
    #: The text part: one block per arm, already laid out.
    text_lines: list[str]
    note: str


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
    has_feedback: bool
    feedback: FeedbackView | None
    has_comparison: bool
    comparison: ComparisonView | None
    top_questions: list[QuestionRow]
    distinct_questions: str
    has_new_questions: bool
    new_questions: list[QuestionRow]
    new_summary: str
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
