"""The week's figures, computed in one pass over its analytics records.

Memory grows with the number of distinct questions (the question groups), never with the number
of records: counts are counters, processing-time percentiles come from a :class:`QuantileSketch`
(1% relative error), the score median from a :class:`LinearHistogram` (within 0.05 points),
sessions from a :class:`DistinctCounter` (exact up to 5,000 sessions), and the example lists keep
only their last few entries.

Which records feed which figure:

* questions = ``answered`` + ``failed`` + ``unanswered``; orphaned responses (no question text)
  are counted apart and appear in no other figure but tokens;
* match types, match scores and the gaps describe ``answered`` questions (a failed response's
  match is meaningless); the gaps are the questions answered with match type ``none``, the most
  asked first, then the lowest mean score (a gap asked forty times matters more than a one-off);
* processing time covers every response to a question, ``answered`` and ``failed`` (a visitor waits
  for a failure too); it is ``processingTimeMs``, or ``responseTimestamp - timestamp`` on records
  written before the processor stored it;
* tokens count every record that reports them, orphans included: they were paid for.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from analytics_contract.records import AnalyticsRecord
from analytics_contract.weeks import week_bounds, week_days
from reporter.questions import QuestionGroups
from reporter.sketch import DistinctCounter, LinearHistogram, QuantileSketch

TOP_QUESTIONS = 10
TOP_GAPS = 10
EXAMPLES = 5
MATCH_TYPES = ("full", "partial", "none")
PERCENTILES = (0.50, 0.95, 0.99)
_DAY_MS = 86_400_000
_HOUR_MS = 3_600_000


@dataclass(frozen=True)
class QuestionCount:
    text: str
    count: int
    mean_score: float | None = None


@dataclass(frozen=True)
class Example:
    text: str
    timestamp: int
    error: str | None = None


@dataclass(frozen=True)
class WeekFigures:
    """Everything the report says about one ISO week (raw numbers; the view formats them)."""

    week_id: str
    questions: int = 0
    answered: int = 0
    failed: int = 0
    unanswered: int = 0
    orphaned: int = 0
    sessions: int = 0
    sessions_exact: bool = True
    match_types: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MATCH_TYPES, 0))
    score_mean: float | None = None
    score_median: float | None = None
    processing_ms: dict[float, float | None] = field(
        default_factory=lambda: dict.fromkeys(PERCENTILES, None)
    )
    timed_responses: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    per_day: list[tuple[date, int]] = field(default_factory=list)
    per_hour: list[int] = field(default_factory=lambda: [0] * 24)
    top_questions: list[QuestionCount] = field(default_factory=list)
    distinct_questions: int = 0
    gaps: list[QuestionCount] = field(default_factory=list)
    gap_questions: int = 0
    unanswered_examples: list[Example] = field(default_factory=list)
    failed_examples: list[Example] = field(default_factory=list)
    unreadable: int = 0

    @property
    def busiest_hour(self) -> int | None:
        """The UTC hour (0-23) with most questions; the earliest of equally busy hours."""
        if not self.questions:
            return None
        return max(range(24), key=lambda hour: (self.per_hour[hour], -hour))


class LatestExamples:
    """The ``limit`` most recent examples, whatever order they arrive in (a bounded min-heap)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._heap: list[tuple[int, int, Example]] = []
        self._order = itertools.count()

    def add(self, example: Example) -> None:
        entry = (example.timestamp, next(self._order), example)
        if len(self._heap) < self.limit:
            heapq.heappush(self._heap, entry)
        elif entry > self._heap[0]:
            heapq.heapreplace(self._heap, entry)

    def newest_first(self) -> list[Example]:
        return [example for _, _, example in sorted(self._heap, reverse=True)]


def processing_time(record: AnalyticsRecord) -> float | None:
    """Milliseconds to answer: as stored, or derived from the two timestamps on old records.

    A negative value (the response stamped before its query by a host whose clock is behind, and
    derived by DynamoDB from the two timestamps) is no measurement: it is left out, never allowed
    to fail the report.
    """
    if record.processing_time_ms is not None:
        return record.processing_time_ms if record.processing_time_ms >= 0 else None
    if record.response_timestamp is not None:
        elapsed = record.response_timestamp - record.timestamp
        return float(elapsed) if elapsed >= 0 else None
    return None


class WeekAggregator:
    """Feed it a week's records one at a time (:meth:`add`), then read :meth:`figures`."""

    def __init__(self, week_id: str) -> None:
        self.week_id = week_id
        self._start_ms, self._end_ms = week_bounds(week_id)
        self._status = dict.fromkeys(("answered", "failed", "unanswered", "orphaned"), 0)
        self._sessions = DistinctCounter()
        self._match_types = dict.fromkeys(MATCH_TYPES, 0)
        self._score_total = 0.0
        self._scores = LinearHistogram(0.0, 100.0, 0.1)
        self._latency = QuantileSketch(relative_accuracy=0.01)
        self._input_tokens = 0
        self._output_tokens = 0
        self._per_day = [0] * 7
        self._per_hour = [0] * 24
        self._questions = QuestionGroups()
        self._gaps = QuestionGroups()
        self._unanswered = LatestExamples(EXAMPLES)
        self._failed = LatestExamples(EXAMPLES)
        self.unreadable = 0

    def add_all(self, records: Iterable[AnalyticsRecord]) -> WeekAggregator:
        for record in records:
            self.add(record)
        return self

    def add(self, record: AnalyticsRecord) -> None:
        self._status[record.status] += 1
        if record.tokens is not None:
            self._input_tokens += record.tokens.input
            self._output_tokens += record.tokens.output
        if record.status == "orphaned":
            return
        self._add_question(record)
        if record.status == "unanswered":
            self._unanswered.add(Example(record.query or "", record.timestamp))
            return
        elapsed = processing_time(record)
        if elapsed is not None:
            self._latency.add(elapsed)
        if record.status == "failed":
            self._failed.add(Example(record.query or "", record.timestamp, record.error))
            return
        if record.match_type is not None:
            self._match_types[record.match_type] += 1
        if record.match_score is not None:
            self._score_total += record.match_score
            self._scores.add(record.match_score)
        if record.match_type == "none":
            self._gaps.add(record.query or "", record.match_score)

    def _add_question(self, record: AnalyticsRecord) -> None:
        if record.session_id is not None:
            self._sessions.add(record.session_id)
        if record.query is not None:
            self._questions.add(record.query)
        if self._start_ms <= record.timestamp < self._end_ms:
            offset = record.timestamp - self._start_ms
            self._per_day[offset // _DAY_MS] += 1
            self._per_hour[(offset // _HOUR_MS) % 24] += 1

    def figures(self) -> WeekFigures:
        status = self._status
        questions = status["answered"] + status["failed"] + status["unanswered"]
        scored = self._scores.count
        return WeekFigures(
            week_id=self.week_id,
            questions=questions,
            answered=status["answered"],
            failed=status["failed"],
            unanswered=status["unanswered"],
            orphaned=status["orphaned"],
            sessions=self._sessions.count(),
            sessions_exact=self._sessions.exact,
            match_types=dict(self._match_types),
            score_mean=self._score_total / scored if scored else None,
            score_median=self._scores.median(),
            processing_ms={q: self._latency.quantile(q) for q in PERCENTILES},
            timed_responses=self._latency.count,
            input_tokens=self._input_tokens,
            output_tokens=self._output_tokens,
            per_day=list(zip(week_days(self.week_id), self._per_day, strict=True)),
            per_hour=list(self._per_hour),
            top_questions=[
                QuestionCount(group.wording, group.count)
                for group in self._questions.most_common(TOP_QUESTIONS)
            ],
            distinct_questions=len(self._questions),
            gaps=[
                QuestionCount(group.wording, group.count, group.mean_score)
                for group in self._gaps.gaps(TOP_GAPS)
            ],
            gap_questions=len(self._gaps),
            unanswered_examples=self._unanswered.newest_first(),
            failed_examples=self._failed.newest_first(),
            unreadable=self.unreadable,
        )


def aggregate_week(week_id: str, records: Iterable[AnalyticsRecord]) -> WeekFigures:
    """One pass over ``records`` (any iterable: a DynamoDB paginator, a generator, a list)."""
    return WeekAggregator(week_id).add_all(records).figures()
