from __future__ import annotations

import pytest

from processor.records import (
    complete_record,
    completion,
    expires_at,
    orphan_record,
    response_of_orphan,
    unanswered_record,
)
from tests.unit.processor.conftest import BASE_TS, NOW_MS, query_event, response_event

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


def test_complete_record_computes_processing_time_when_the_response_has_none() -> None:
    record = complete_record(query_event(), response_event(), now_ms=NOW_MS, ttl_days=90)
    assert record.status == "answered"
    assert record.processing_time_ms == 1_500
    assert record.response_timestamp == BASE_TS + 1_500
    assert record.match_type == "full" and record.match_score == 87.5
    assert record.tokens is not None and record.tokens.output == 40
    assert record.week == "2025-W46"
    assert record.expires_at == expires_at(BASE_TS, 90)


def test_complete_record_keeps_the_response_processing_time() -> None:
    response = response_event(processingTimeMs=420.5)
    record = complete_record(query_event(), response, now_ms=NOW_MS, ttl_days=30)
    assert record.processing_time_ms == 420.5
    assert record.expires_at == BASE_TS // 1000 + 30 * DAY


def test_a_response_with_an_error_makes_a_failed_record() -> None:
    response = response_event(error="model timed out", matchType="none", matchScore=0)
    record = complete_record(query_event(), response, now_ms=NOW_MS, ttl_days=90)
    assert record.status == "failed"
    assert record.error == "model timed out"


def test_truncated_fields_of_both_events_are_merged() -> None:
    query = query_event(truncatedFields=["query"])
    response = response_event(truncatedFields=["response", "reasoning"])
    record = complete_record(query, response, now_ms=NOW_MS, ttl_days=90)
    assert record.truncated_fields == ["query", "response", "reasoning"]


def test_orphan_record_is_counted_in_the_week_of_the_response() -> None:
    sunday_late = 1_763_337_599_000  # 2025-11-16T23:59:59Z, Sunday of 2025-W46
    response = response_event(timestamp=sunday_late + 2_000)  # Monday 2025-W47
    record = orphan_record(response, now_ms=NOW_MS, ttl_days=90)
    assert record.status == "orphaned"
    assert (record.week, record.day) == ("2025-W47", "2025-11-17")
    assert record.timestamp == sunday_late + 2_000
    assert record.query is None
    assert record.processing_time_ms is None
    assert record.expires_at == (sunday_late + 2_000) // 1000 + 90 * DAY


def test_an_orphan_gives_back_its_response() -> None:
    response = response_event(processingTimeMs=12.0, truncatedFields=["response"])
    record = orphan_record(response, now_ms=NOW_MS, ttl_days=90)
    assert response_of_orphan(record) == response


def test_only_an_orphan_gives_back_a_response() -> None:
    with pytest.raises(ValueError, match="not an orphaned response"):
        response_of_orphan(unanswered_record(query_event(), now_ms=NOW_MS, ttl_days=90))


def test_completion_sets_only_present_fields() -> None:
    update = completion(response_event(response=None, model=None), now_ms=NOW_MS)
    assert update.status == "answered"
    assert update.attributes == {
        "matchType": "full",
        "matchScore": 87.5,
        "tokens": {"input": 100, "output": 40},
    }
    assert update.processing_time_ms is None  # computed by DynamoDB from the stored query
    assert update.response_timestamp == BASE_TS + 1_500
    assert update.recorded_at == NOW_MS


def test_completion_of_a_failed_answer() -> None:
    update = completion(response_event(error="boom", processingTimeMs=3.0), now_ms=NOW_MS)
    assert update.status == "failed"
    assert update.attributes["error"] == "boom"
    assert update.processing_time_ms == 3.0


def test_a_response_stamped_before_its_query_took_no_time_not_negative_time() -> None:
    """The chatbot's hosts' clocks may disagree by a little: never store a negative duration."""
    skewed = response_event(timestamp=BASE_TS - 500)
    record = complete_record(query_event(), skewed, now_ms=NOW_MS, ttl_days=90)
    assert record.processing_time_ms == 0
