from __future__ import annotations

import pytest

from analytics_contract.events import MIN_TIMESTAMP_MS
from processor.records import (
    MIN_RECORD_LIFETIME_DAYS,
    complete_record,
    differing_fields,
    expires_at,
    orphan_record,
    query_part,
    query_view,
    recorded_response_view,
    response_part,
    response_view,
    status_with_query,
    unanswered_record,
)
from tests.unit.processor.conftest import (
    BASE_TS,
    NOW_MS,
    feedback_event,
    query_event,
    response_event,
)

DAY = 86_400


def test_unanswered_record_carries_the_query_its_week_and_ttl() -> None:
    record = unanswered_record(query_event(), now_ms=NOW_MS, ttl_days=90)
    assert record.status == "unanswered"
    assert (record.week, record.day) == ("2025-W46", "2025-11-13")
    assert record.timestamp == BASE_TS
    assert record.query == "What does she know about AWS?"
    assert record.session_id == "sess-1"
    assert record.metadata == {"page": "/cv"}
    assert record.expires_at == BASE_TS // 1000 + 90 * DAY
    assert record.recorded_at == NOW_MS
    assert record.match_type is None and record.processing_time_ms is None


def test_week_is_the_iso_week_year_not_the_calendar_year() -> None:
    new_years_day_2027 = 1_798_761_600_000  # 2027-01-01T00:00:00Z
    record = unanswered_record(
        query_event(timestamp=new_years_day_2027), now_ms=NOW_MS, ttl_days=90
    )
    assert (record.week, record.day) == ("2026-W53", "2027-01-01")


def test_the_ttl_is_counted_from_the_event_but_never_before_a_week_from_now() -> None:
    assert expires_at(BASE_TS, now_ms=NOW_MS, ttl_days=90) == BASE_TS // 1000 + 90 * DAY
    floor = NOW_MS // 1000 + MIN_RECORD_LIFETIME_DAYS * DAY
    assert expires_at(MIN_TIMESTAMP_MS, now_ms=NOW_MS, ttl_days=90) == floor
    assert expires_at(BASE_TS, now_ms=NOW_MS, ttl_days=1) == floor


def test_complete_record_stores_only_what_the_events_said() -> None:
    record = complete_record(query_event(), response_event(), now_ms=NOW_MS, ttl_days=90)
    assert record.status == "answered"
    assert record.processing_time_ms is None  # not carried: derived when read
    assert record.elapsed_ms == 1_500
    assert record.response_timestamp == BASE_TS + 1_500
    assert record.match_type == "full" and record.match_score == 87.5
    assert record.tokens is not None and record.tokens.output == 40
    assert record.week == "2025-W46"


def test_complete_record_keeps_the_response_processing_time_and_variant() -> None:
    response = response_event(processingTimeMs=420.5, variant="prompt-v2")
    record = complete_record(query_event(), response, now_ms=NOW_MS, ttl_days=30)
    assert (record.processing_time_ms, record.variant) == (420.5, "prompt-v2")
    assert record.expires_at == BASE_TS // 1000 + 30 * DAY


def test_a_response_with_an_error_makes_a_failed_record() -> None:
    response = response_event(error="model timed out", matchType="none", matchScore=0)
    record = complete_record(query_event(), response, now_ms=NOW_MS, ttl_days=90)
    assert record.status == "failed"
    assert record.error == "model timed out"


def test_truncated_fields_of_both_events_are_one_sorted_set() -> None:
    query = query_event(truncatedFields=["query"])
    response = response_event(truncatedFields=["response", "reasoning", "query"])
    record = complete_record(query, response, now_ms=NOW_MS, ttl_days=90)
    assert record.truncated_fields == ["query", "reasoning", "response"]


def test_orphan_record_is_counted_in_the_week_of_the_response() -> None:
    sunday_late = 1_763_337_599_000  # 2025-11-16T23:59:59Z, Sunday of 2025-W46
    response = response_event(timestamp=sunday_late + 2_000)  # Monday 2025-W47
    record = orphan_record(response, now_ms=NOW_MS, ttl_days=90)
    assert record.status == "orphaned"
    assert (record.week, record.day) == ("2025-W47", "2025-11-17")
    assert record.timestamp == sunday_late + 2_000
    assert record.query is None
    assert record.elapsed_ms is None
    assert record.expires_at == (sunday_late + 2_000) // 1000 + 90 * DAY


def test_a_feedback_whose_question_never_came_is_an_orphan_of_its_own() -> None:
    feedback = feedback_event(rating=2, thumbs=None, comment="wrong")
    record = orphan_record(feedback=feedback, now_ms=NOW_MS, ttl_days=90)
    assert (record.status, record.timestamp, record.match_type) == (
        "orphaned",
        feedback.timestamp,
        None,
    )
    assert record.feedback == feedback.feedback()
    with pytest.raises(ValueError, match="needs a response or a feedback"):
        orphan_record(now_ms=NOW_MS, ttl_days=90)


def test_response_part_sets_only_present_fields() -> None:
    part = response_part(response_event(response=None, model=None), now_ms=NOW_MS)
    assert part.status == "answered"
    assert part.attributes == {
        "responseTimestamp": BASE_TS + 1_500,
        "matchType": "full",
        "matchScore": 87.5,
        "tokens": {"input": 100, "output": 40},
    }
    assert part.recorded_at == NOW_MS


def test_response_part_of_a_failed_answer() -> None:
    part = response_part(response_event(error="boom", processingTimeMs=3.0), now_ms=NOW_MS)
    assert part.status == "failed"
    assert (part.attributes["error"], part.attributes["processingTimeMs"]) == ("boom", 3.0)


def test_a_late_query_takes_the_status_of_what_its_orphan_holds() -> None:
    answered = orphan_record(response_event(), now_ms=NOW_MS, ttl_days=90)
    failed = orphan_record(response_event(error="x"), now_ms=NOW_MS, ttl_days=90)
    rated = orphan_record(feedback=feedback_event(), now_ms=NOW_MS, ttl_days=90)
    assert [status_with_query(r) for r in (answered, failed, rated)] == [
        "answered",
        "failed",
        "unanswered",
    ]
    part = query_part(query_event(), status="answered", now_ms=NOW_MS, ttl_days=90)
    assert part.attributes["week"] == "2025-W46" and part.attributes["query"]


def test_a_conflict_names_the_fields_that_differ() -> None:
    assert differing_fields(query_view(query_event()), query_view(query_event())) == []
    other = query_event(query="Another question", metadata={"page": "/x"})
    assert differing_fields(query_view(other), query_view(query_event())) == ["metadata", "query"]
    stored = complete_record(query_event(), response_event(), now_ms=NOW_MS, ttl_days=90)
    failed = response_event(error="late")
    assert differing_fields(response_view(failed), recorded_response_view(stored)) == ["error"]


def test_a_record_of_an_earlier_version_with_a_computed_time_is_not_a_conflict() -> None:
    stored = complete_record(
        query_event(), response_event(processingTimeMs=1_500.0), now_ms=NOW_MS, ttl_days=90
    )
    assert differing_fields(response_view(response_event()), recorded_response_view(stored)) == []
