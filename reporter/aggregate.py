"""The week's figures, computed in one pass over its analytics records.

Memory grows with the number of distinct question wordings (bounded by ``QuestionTally``) and of
models/variants, never with the number of records: counts are counters, processing-time
percentiles come from a :class:`QuantileSketch` (1% relative error), the score median from a
:class:`LinearHistogram` (within 0.05 points), sessions from a :class:`DistinctCounter` (exact up
to 5,000 sessions), and the example lists keep only their last few entries. One aggregator per
week: a dashboard builds one for each week it shows.

Which records feed which figure:

* questions = ``answered`` + ``failed`` + ``unanswered``; orphaned responses (no question text)
  are counted apart and appear in no other figure but tokens;
* match types, match scores and the gaps describe ``answered`` questions (a failed response's
  match is meaningless); the gaps are the question clusters answered with match type ``none``,
  the most asked first, then the lowest mean score;
* processing time covers every response to a question, ``answered`` and ``failed`` (a visitor waits
  for a failure too): :attr:`AnalyticsRecord.elapsed_ms`;
* tokens count every record that reports them, orphans included: they were paid for;
* feedback counts the rated questions (the latest rating of each);
* the model/variant comparison covers the responses (``answered`` and ``failed``).

Questions are clustered (:mod:`reporter.clustering`) when :meth:`WeekAggregator.figures` is
called; "new this week" needs the questions of earlier weeks, given to it as plain text.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable

from analytics_contract.records import AnalyticsRecord
from analytics_contract.weeks import week_bounds, week_days
from reporter.arms import ArmsTally, CostFunction
from reporter.clustering import QuestionClusters
from reporter.feedback import FeedbackTally
from reporter.figures import MATCH_TYPES, PERCENTILES, Example, WeekFigures
from reporter.questions import (
    QuestionRow,
    QuestionTally,
    gap_questions,
    question_key,
    top_questions,
)
from reporter.sketch import DistinctCounter, LinearHistogram, QuantileSketch

__all__ = ["Example", "WeekAggregator", "WeekFigures", "aggregate_week", "new_questions"]

TOP_QUESTIONS = 10
TOP_GAPS = 10
NEW_QUESTIONS = 5
EXAMPLES = 5
#: Distinct earlier wordings remembered while reading earlier weeks (beyond it, each is matched
#: again: slower, never wrong).
EARLIER_WORDINGS_REMEMBERED = 100_000
_DAY_MS = 86_400_000
_HOUR_MS = 3_600_000


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


def new_questions(
    clusters: QuestionClusters, earlier: Iterable[str]
) -> tuple[list[QuestionRow], int] | None:
    """This week's clusters that none of the ``earlier`` questions belongs to (most asked first),
    with how many there are; ``None`` when there were no earlier questions to compare with."""
    seen: set[int] = set()
    remembered: set[str] = set()
    any_earlier = False
    for text in earlier:
        any_earlier = True
        key = question_key(text)
        if key in remembered:
            continue
        if len(remembered) < EARLIER_WORDINGS_REMEMBERED:
            remembered.add(key)
        cluster = clusters.match(text)
        if cluster is not None:
            seen.add(id(cluster))
    if not any_earlier:
        return None
    fresh = [cluster for cluster in clusters.clusters if id(cluster) not in seen]
    rows = [
        QuestionRow(cluster.representative, cluster.count, len(cluster.wordings))
        for cluster in fresh[:NEW_QUESTIONS]
    ]
    return rows, len(fresh)


class WeekAggregator:
    """Feed it a week's records one at a time (:meth:`add`), then read :meth:`figures`."""

    def __init__(self, week_id: str, *, cost: CostFunction | None = None) -> None:
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
        self._failed_per_day = [0] * 7
        self._per_hour = [0] * 24
        self._questions = QuestionTally()
        self._unanswered = LatestExamples(EXAMPLES)
        self._failed = LatestExamples(EXAMPLES)
        self._feedback = FeedbackTally()
        self._arms = ArmsTally(cost)
        self.unreadable = 0

    @property
    def question_tally(self) -> QuestionTally:
        """The week's questions counted by wording, for a reader that compares several weeks
        (the dashboard clusters them together); read it, never add to it."""
        return self._questions

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
        self._feedback.add(record)
        if record.status == "unanswered":
            self._unanswered.add(Example(record.query or "", record.timestamp))
            return
        self._arms.add(record)
        elapsed = record.elapsed_ms
        if elapsed is not None:
            self._latency.add(elapsed)
        if record.status == "failed":
            self._failed.add(Example(record.query or "", record.timestamp, record.error))
            if self._start_ms <= record.timestamp < self._end_ms:
                self._failed_per_day[(record.timestamp - self._start_ms) // _DAY_MS] += 1
            return
        if record.match_type is not None:
            self._match_types[record.match_type] += 1
        if record.match_score is not None:
            self._score_total += record.match_score
            self._scores.add(record.match_score)
        if record.match_type == "none" and record.query is not None:
            self._questions.add_gap(record.query, record.match_score)

    def _add_question(self, record: AnalyticsRecord) -> None:
        if record.session_id is not None:
            self._sessions.add(record.session_id)
        if record.query is not None:
            self._questions.add(record.query)
        if self._start_ms <= record.timestamp < self._end_ms:
            offset = record.timestamp - self._start_ms
            self._per_day[offset // _DAY_MS] += 1
            self._per_hour[(offset // _HOUR_MS) % 24] += 1

    def figures(
        self, earlier_questions: Iterable[str] | None = None, *, history_weeks: int = 0
    ) -> WeekFigures:
        """The week's figures. ``earlier_questions``: the question texts of the weeks before
        (``history_weeks`` of them), read lazily, for "new this week"."""
        status = self._status
        questions = status["answered"] + status["failed"] + status["unanswered"]
        scored = self._scores.count
        clusters = self._questions.clusters()
        fresh = (
            new_questions(clusters, earlier_questions) if earlier_questions is not None else None
        )
        gaps = gap_questions(clusters, self._questions)
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
            failed_per_day=list(self._failed_per_day),
            per_hour=list(self._per_hour),
            top_questions=top_questions(clusters, self._questions, TOP_QUESTIONS),
            distinct_questions=len(self._questions),
            clusters=len(clusters.clusters),
            gaps=gaps[:TOP_GAPS],
            gap_questions=len(gaps),
            new_questions=fresh[0] if fresh is not None else None,
            new_question_count=fresh[1] if fresh is not None else 0,
            history_weeks=history_weeks if fresh is not None else 0,
            uncounted_questions=self._questions.dropped,
            unanswered_examples=self._unanswered.newest_first(),
            failed_examples=self._failed.newest_first(),
            feedback=self._feedback.figures(),
            arms=self._arms.figures(),
            unreadable=self.unreadable,
        )


def aggregate_week(
    week_id: str, records: Iterable[AnalyticsRecord], *, cost: CostFunction | None = None
) -> WeekFigures:
    """One pass over ``records`` (any iterable: a DynamoDB paginator, a generator, a list)."""
    return WeekAggregator(week_id, cost=cost).add_all(records).figures()
