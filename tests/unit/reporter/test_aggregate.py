"""Aggregation figures against an independent, hold-everything-in-memory computation."""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from datetime import UTC, datetime

import pytest

from analytics_contract.records import AnalyticsRecord
from bench.sample_week import generate_week
from reporter.aggregate import WeekFigures, aggregate_week
from tests.unit.reporter.helpers import make_record, ms

WEEK = "2025-W46"  # Monday 10 to Sunday 16 November 2025


def nearest_rank(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def key(text: str) -> str:
    """Written independently of reporter.questions: split/join, strip, lower."""
    text = " ".join(text.split())
    while text and text[-1] in "?!.,;:\u2026\uff1f\u3002\uff01\u061f\uff0e\u00bf\u00a1 ":
        text = text[:-1]
    return text.casefold()


@pytest.fixture(scope="module")
def week() -> tuple[list[AnalyticsRecord], WeekFigures]:
    records = list(generate_week(WEEK, questions=4_000, seed=7, orphan_rate=0.01, variety=False))
    return records, aggregate_week(WEEK, iter(records))


def test_counts_by_status_and_sessions(week: tuple[list[AnalyticsRecord], WeekFigures]) -> None:
    records, figures = week
    status = Counter(r.status for r in records)
    questions = [r for r in records if r.status != "orphaned"]
    assert figures.questions == len(questions) == 4_000
    assert (figures.answered, figures.failed, figures.unanswered, figures.orphaned) == (
        status["answered"],
        status["failed"],
        status["unanswered"],
        status["orphaned"],
    )
    assert figures.orphaned > 0 and figures.failed > 0 and figures.unanswered > 0
    assert figures.sessions == len({r.session_id for r in questions})
    assert figures.sessions_exact


def test_match_types_and_scores(week: tuple[list[AnalyticsRecord], WeekFigures]) -> None:
    records, figures = week
    answered = [r for r in records if r.status == "answered"]
    assert figures.match_types == {
        kind: sum(1 for r in answered if r.match_type == kind)
        for kind in ("full", "partial", "none")
    }
    scores = [r.match_score for r in answered if r.match_score is not None]
    assert figures.score_mean == pytest.approx(statistics.mean(scores))
    assert figures.score_median is not None
    assert abs(figures.score_median - statistics.median(scores)) <= 0.05 + 1e-9


def test_processing_time_percentiles_are_within_one_percent(
    week: tuple[list[AnalyticsRecord], WeekFigures],
) -> None:
    records, figures = week
    times = []
    for r in records:
        if r.status not in ("answered", "failed"):
            continue
        if r.processing_time_ms is not None:
            times.append(r.processing_time_ms)
        elif r.response_timestamp is not None:
            times.append(float(r.response_timestamp - r.timestamp))
    assert any(r.processing_time_ms is None and r.status == "answered" for r in records)
    assert figures.timed_responses == len(times)
    for q in (0.50, 0.95, 0.99):
        exact = nearest_rank(times, q)
        estimate = figures.processing_ms[q]
        assert estimate is not None
        assert abs(estimate - exact) <= 0.01 * exact * (1 + 1e-9)


def test_tokens_per_day_and_busiest_hour(week: tuple[list[AnalyticsRecord], WeekFigures]) -> None:
    records, figures = week
    assert figures.input_tokens == sum(r.tokens.input for r in records if r.tokens)
    assert figures.output_tokens == sum(r.tokens.output for r in records if r.tokens)
    questions = [r for r in records if r.status != "orphaned"]
    days = Counter(r.day for r in questions)
    assert [(d.isoformat(), n) for d, n in figures.per_day] == [
        (f"2025-11-{day}", days[f"2025-11-{day}"]) for day in range(10, 17)
    ]
    hours = Counter(datetime.fromtimestamp(r.timestamp / 1000, UTC).hour for r in questions)
    assert figures.per_hour == [hours[h] for h in range(24)]
    assert figures.busiest_hour == max(range(24), key=lambda h: (hours[h], -h))


def test_top_questions_and_gaps(week: tuple[list[AnalyticsRecord], WeekFigures]) -> None:
    records, figures = week
    by_key: dict[str, Counter[str]] = defaultdict(Counter)
    for r in records:
        if r.status != "orphaned" and r.query is not None:
            by_key[key(r.query)][r.query.strip()] += 1
    # The sample week varies questions in case and punctuation only: one cluster per wording.
    totals = sorted(((-sum(c.values()), k) for k, c in by_key.items()))[:10]
    assert sorted((key(q.text), q.count) for q in figures.top_questions) == sorted(
        (k, -n) for n, k in totals
    )
    assert [q.count for q in figures.top_questions] == [-n for n, _ in totals]
    assert all(q.text in by_key[key(q.text)] for q in figures.top_questions)
    assert figures.distinct_questions == len(by_key)

    gap_scores: dict[str, list[float]] = defaultdict(list)
    for r in records:
        if r.status == "answered" and r.match_type == "none" and r.query is not None:
            gap_scores[key(r.query)].append(r.match_score or 0.0)
    ranked = sorted(
        gap_scores, key=lambda k: (-len(gap_scores[k]), statistics.mean(gap_scores[k]), k)
    )
    assert [q.count for q in figures.gaps] == [len(gap_scores[k]) for k in ranked[:10]]
    assert [q.mean_score for q in figures.gaps] == pytest.approx(
        [statistics.mean(gap_scores[k]) for k in ranked[:10]]
    )
    assert [key(q.text) for q in figures.gaps] == ranked[:10]
    assert all(q.wordings == 1 for q in figures.gaps)
    assert figures.gap_questions == len(gap_scores)


def test_examples_are_the_most_recent_whatever_the_order() -> None:
    monday = ms(2025, 11, 10)
    records = [
        make_record(monday + i * 60_000, "unanswered", query=f"question {i}") for i in range(9)
    ]
    figures = aggregate_week(WEEK, reversed(records))
    assert [e.text for e in figures.unanswered_examples] == [
        f"question {i}" for i in (8, 7, 6, 5, 4)
    ]


def test_orphans_are_not_questions_but_their_tokens_count() -> None:
    orphan = make_record(
        ms(2025, 11, 12), "orphaned", session_id="s-9", tokens={"input": 100, "output": 10}
    )
    figures = aggregate_week(WEEK, [orphan])
    assert (figures.questions, figures.orphaned, figures.sessions) == (0, 1, 0)
    assert (figures.input_tokens, figures.output_tokens) == (100, 10)
    assert figures.top_questions == [] and figures.timed_responses == 0
    assert figures.busiest_hour is None


def test_failed_answers_count_in_latency_but_not_in_quality() -> None:
    when = ms(2025, 11, 11)
    failed = make_record(when, "failed", processing_time_ms=30_000.0)
    answered = make_record(
        when, "answered", match_type="partial", match_score=60.0, processing_time_ms=1_000.0
    )
    figures = aggregate_week(WEEK, [failed, answered])
    assert figures.match_types == {"full": 0, "partial": 1, "none": 0}
    assert figures.score_mean == 60.0
    assert figures.timed_responses == 2
    assert [e.error for e in figures.failed_examples] == ["LLM timed out"]


def test_processing_time_is_the_records_elapsed_time() -> None:
    """AnalyticsRecord.elapsed_ms: as stored, else derived from the two timestamps."""
    when = ms(2025, 11, 11)
    records = [
        make_record(when, processing_time_ms=None, response_timestamp=when + 2_345),
        make_record(when, processing_time_ms=12.5, response_timestamp=when + 2_345),
        make_record(when, "unanswered"),
    ]
    figures = aggregate_week(WEEK, records)
    assert figures.timed_responses == 2
    assert figures.processing_ms[0.99] == pytest.approx(2_345.0, rel=0.01)
    assert figures.processing_ms[0.5] == pytest.approx(12.5, rel=0.01)


def test_an_empty_week() -> None:
    figures = aggregate_week(WEEK, [])
    assert figures.questions == figures.sessions == 0
    assert figures.score_mean is None and figures.processing_ms[0.5] is None
    assert [n for _, n in figures.per_day] == [0] * 7


def test_a_negative_stored_processing_time_counts_as_no_time_not_fatal() -> None:
    """Clock skew between the query's and the response's hosts: a record written before the
    contract bounded it may hold a negative duration; the report still goes out, and the record's
    elapsed time (the contract's one definition) is 0."""
    when = ms(2025, 11, 11)
    skewed = make_record(when, processing_time_ms=-500.0)
    normal = make_record(when + 1, processing_time_ms=800.0)
    figures = aggregate_week("2025-W46", [skewed, normal])
    assert figures.timed_responses == 2
    assert figures.processing_ms[0.5] == 0.0
