"""The balance: each event sent ends in exactly one place, and a gap is reported, never hidden."""

from __future__ import annotations

import pytest

from cv_analytics.dev.accounting import (
    Observed,
    ObservedDeadLetter,
    ObservedRecord,
    balance,
    render_balance,
)
from cv_analytics.dev.traffic import simulate_week


@pytest.fixture(scope="module")
def manifest():
    return simulate_week("2026-W47", 120, seed=3)


def perfect(manifest) -> Observed:
    """What a correct pipeline leaves behind."""
    records = {
        q.request_id: ObservedRecord(q.request_id, q.expected_status, q.feedback is not None)
        for q in manifest.questions
    }
    letters = tuple(
        ObservedDeadLetter(d.body(), f"invalid: {d.malformed_reason}")
        for d in manifest.deliveries
        if d.kind == "malformed"
    )
    return Observed(records=records, waiting=frozenset(), dead_letters=letters)


def test_a_correct_pipeline_balances(manifest):
    result = balance(manifest, perfect(manifest))
    assert result.ok, result.problems
    assert result.sent() == len(manifest.deliveries)
    assert result.placed("missing") == 0
    assert result.placed("quarantined") == manifest.count(kind="malformed")
    # Every query ends in a record that has the question; every response in a complete record.
    assert result.placed("unanswered", "query") == sum(
        q.query_sent for q in manifest.questions if q.expected_status == "unanswered"
    )
    assert result.placed("orphaned", "response") == sum(
        q.response_sent for q in manifest.questions if q.expected_status == "orphaned"
    )
    assert sum(result.duplicates.values()) == manifest.count(duplicate=True)
    for status in ("answered", "failed", "unanswered", "orphaned"):
        assert result.recorded(status) == manifest.expected(status)
    text = render_balance(result)
    assert "Balance OK" in text and "quarantined" in text


def test_a_lost_event_is_missing_and_fails_the_balance(manifest):
    observed = perfect(manifest)
    answered = next(q for q in manifest.questions if q.expected_status == "answered")
    records = dict(observed.records)
    records[answered.request_id] = ObservedRecord(answered.request_id, "unanswered")
    result = balance(manifest, Observed(records, observed.waiting, observed.dead_letters))
    assert not result.ok
    assert result.placed("missing", "response") == answered.response_sent
    assert any(f"question {answered.request_id}: expected answered" in p for p in result.problems)
    assert "BALANCE DOES NOT ADD UP" in render_balance(result)


def test_a_waiting_response_is_placed_but_its_orphan_is_not_recorded(manifest):
    observed = perfect(manifest)
    orphan = next(q for q in manifest.questions if q.expected_status == "orphaned")
    records = {k: v for k, v in observed.records.items() if k != orphan.request_id}
    result = balance(
        manifest, Observed(records, frozenset({orphan.request_id}), observed.dead_letters)
    )
    assert result.placed("waiting", "response") == orphan.response_sent
    assert result.placed("missing") == 0
    assert [p for p in result.problems] == [
        f"question {orphan.request_id}: expected orphaned, recorded waiting"
    ]


def test_dead_letters_are_claimed_once_each(manifest):
    observed = perfect(manifest)
    # A valid query that SQS redrove (no reason), found by its requestId, not its exact bytes.
    unanswered = next(q for q in manifest.questions if q.expected_status == "unanswered")
    records = {k: v for k, v in observed.records.items() if k != unanswered.request_id}
    redriven = ObservedDeadLetter(
        f'{{"eventType": "query", "requestId": "{unanswered.request_id}"}}', None
    )
    letters = (*observed.dead_letters, redriven)
    result = balance(manifest, Observed(records, frozenset(), letters))
    assert result.placed("dead-lettered", "query") == 1
    duplicates_of_query = unanswered.query_sent - 1
    assert result.placed("missing", "query") == duplicates_of_query
    # A dead letter no event accounts for is a problem too.
    stray = ObservedDeadLetter("not ours", "invalid")
    result = balance(
        manifest, Observed(observed.records, frozenset(), (*observed.dead_letters, stray))
    )
    assert any("matches no event" in p for p in result.problems)


def test_records_nobody_asked_for_are_reported(manifest):
    observed = perfect(manifest)
    records = {**observed.records, "intruder": ObservedRecord("intruder", "answered")}
    result = balance(manifest, Observed(records, frozenset(), observed.dead_letters))
    assert result.problems == ["record intruder matches no question that was asked"]


def test_a_feedback_lost_is_reported(manifest):
    rated = next(q for q in manifest.questions if q.feedback is not None)
    observed = perfect(manifest)
    records = dict(observed.records)
    records[rated.request_id] = ObservedRecord(rated.request_id, rated.expected_status, False)
    result = balance(manifest, Observed(records, observed.waiting, observed.dead_letters))
    assert result.placed("missing", "feedback") == rated.feedback_sent >= 1
    assert f"question {rated.request_id}: its feedback is not recorded" in result.problems
