"""What the dashboard shows, computed by the reporter's own aggregation, week by week.

Each week's records go through :class:`reporter.aggregate.WeekAggregator`, exactly as the weekly
email's do, and the dashboard keeps the resulting :class:`~reporter.figures.WeekFigures`: the
trends are those figures side by side, never a second computation. The top questions over time
cluster every week's wordings together with the reporter's clustering
(:class:`~reporter.clustering.QuestionClusters`), then count each week's wordings per cluster.
The session explorer keeps each question's conversation line (question, status, match, timing,
the start of the answer), grouped by session in time order: a listing, not a figure.

Memory: the aggregators are bounded as in the reporter; the explorer holds one short line per
question (answers cut to ``answer_chars``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from analytics_contract.records import AnalyticsRecord
from reporter.aggregate import WeekAggregator
from reporter.figures import WeekFigures
from reporter.questions import display_text, question_key
from reporter.settings import ReportOptions

TOP_QUESTIONS = 10
DEFAULT_ANSWER_CHARS = 280


@dataclass(frozen=True)
class WeekTrend:
    """One week of the trend charts: the reporter's figures, with the rates it prints."""

    figures: WeekFigures
    cost: Decimal | None

    @property
    def week(self) -> str:
        return self.figures.week_id

    @property
    def answer_rate(self) -> float | None:
        """Answered share of the questions (the email's definition)."""
        figures = self.figures
        return figures.answered / figures.questions if figures.questions else None

    @property
    def no_match_rate(self) -> float | None:
        """Share of the answers that found nothing in the CV (match type ``none``)."""
        figures = self.figures
        return figures.match_types["none"] / figures.answered if figures.answered else None

    @property
    def p50_ms(self) -> float | None:
        return self.figures.processing_ms[0.5]

    @property
    def p95_ms(self) -> float | None:
        return self.figures.processing_ms[0.95]

    @property
    def tokens(self) -> int:
        return self.figures.input_tokens + self.figures.output_tokens


@dataclass(frozen=True)
class QuestionOverTime:
    text: str
    total: int
    per_week: list[int]


@dataclass
class SessionLine:
    """One question of a session, as the explorer shows it."""

    timestamp: int
    question: str
    status: str
    match_type: str | None
    score: float | None
    elapsed_ms: float | None
    answer: str | None
    error: str | None
    feedback: str | None

    def compact(self) -> list[Any]:
        return [
            self.timestamp,
            self.question,
            self.status,
            self.match_type,
            self.score,
            None if self.elapsed_ms is None else round(self.elapsed_ms),
            self.answer,
            self.error,
            self.feedback,
        ]


#: The order of a session line's fields in the page's data (``SessionLine.compact``).
SESSION_FIELDS = (
    "timestamp",
    "question",
    "status",
    "match",
    "score",
    "elapsed_ms",
    "answer",
    "error",
    "feedback",
)


@dataclass
class DashboardData:
    weeks: list[str]
    trends: list[WeekTrend]
    top_questions: list[QuestionOverTime]
    sessions: dict[str, list[SessionLine]] = field(default_factory=dict)
    currency: str = "GBP"
    answer_chars: int = DEFAULT_ANSWER_CHARS
    records: int = 0

    @property
    def questions(self) -> int:
        return sum(trend.figures.questions for trend in self.trends)


def _feedback(record: AnalyticsRecord) -> str | None:
    feedback = record.feedback
    if feedback is None:
        return None
    verdict = f"thumbs {feedback.thumbs}" if feedback.thumbs else f"{feedback.rating}/5"
    return f"{verdict}: {display_text(feedback.comment, 200)}" if feedback.comment else verdict


def _line(record: AnalyticsRecord, answer_chars: int) -> SessionLine:
    return SessionLine(
        timestamp=record.timestamp,
        question=display_text(record.query or "", 400),
        status=record.status,
        match_type=record.match_type,
        score=record.match_score,
        elapsed_ms=record.elapsed_ms,
        answer=display_text(record.response, answer_chars) if record.response else None,
        error=display_text(record.error, 200) if record.error else None,
        feedback=_feedback(record),
    )


def _questions_over_time(aggregators: list[WeekAggregator]) -> list[QuestionOverTime]:
    """The most asked question clusters over all weeks, each with its count per week."""
    from reporter.clustering import QuestionClusters

    totals: dict[str, int] = defaultdict(int)
    forms: dict[str, str] = {}
    for aggregator in aggregators:
        for wording in aggregator.question_tally.wordings:
            key = question_key(wording.text)
            totals[key] += wording.count
            forms.setdefault(key, wording.text)
    clusters = QuestionClusters.of({forms[key]: count for key, count in totals.items() if count})
    top = clusters.clusters[:TOP_QUESTIONS]
    index = {id(cluster): row for row, cluster in enumerate(top)}
    counts = [[0] * len(aggregators) for _ in top]
    for column, aggregator in enumerate(aggregators):
        for wording in aggregator.question_tally.wordings:
            cluster = clusters.match(forms[question_key(wording.text)])
            row = index.get(id(cluster)) if cluster is not None else None
            if row is not None:
                counts[row][column] += wording.count
    return [
        QuestionOverTime(display_text(cluster.representative), cluster.count, counts[row])
        for row, cluster in enumerate(top)
    ]


def build_dashboard(
    weeks: list[str],
    records_of: Iterable[tuple[str, Iterator[AnalyticsRecord]]],
    options: ReportOptions | None = None,
    *,
    answer_chars: int = DEFAULT_ANSWER_CHARS,
) -> DashboardData:
    """Aggregate each week (``records_of`` yields ``(week, its records)`` in ``weeks`` order) and
    collect the sessions."""
    options = options or ReportOptions()
    aggregators = {week: WeekAggregator(week, cost=options.cost_function) for week in weeks}
    sessions: dict[str, list[SessionLine]] = defaultdict(list)
    records = 0
    for week, week_records in records_of:
        aggregator = aggregators[week]
        for record in week_records:
            records += 1
            aggregator.add(record)
            if record.status != "orphaned" and record.session_id is not None:
                sessions[record.session_id].append(_line(record, answer_chars))
    trends = []
    for week in weeks:
        figures = aggregators[week].figures()
        trends.append(WeekTrend(figures, options.cost(figures.input_tokens, figures.output_tokens)))
    for lines in sessions.values():
        lines.sort(key=lambda line: line.timestamp)
    return DashboardData(
        weeks=weeks,
        trends=trends,
        top_questions=_questions_over_time([aggregators[week] for week in weeks]),
        sessions=dict(sessions),
        currency=options.currency,
        answer_chars=answer_chars,
        records=records,
    )
