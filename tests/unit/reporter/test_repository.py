from __future__ import annotations

import logging
from typing import Any

import boto3
import pytest

from reporter.repository import REPORT_ATTRIBUTES, AnalyticsTable
from tests.unit.reporter.helpers import TABLE, make_record, ms

WEEK = "2025-W46"


def test_reads_every_page_of_the_week_in_timestamp_order(dynamodb: Any, put_records: Any) -> None:
    monday = ms(2025, 11, 10, 0)
    this_week = [make_record(monday + i * 3_600_000, session_id=f"s-{i}") for i in range(23)]
    other_weeks = [make_record(ms(2025, 11, 9, 23, 59)), make_record(ms(2025, 11, 17, 0, 0))]
    put_records([*reversed(this_week), *other_weeks])

    records = AnalyticsTable(dynamodb, TABLE, page_size=5).week(WEEK)
    read = list(records)

    assert records.pages >= 5  # 23 items, 5 a page
    assert [r.request_id for r in read] == [r.request_id for r in this_week]
    assert records.unreadable == 0


def test_the_default_page_size_reads_everything_too(dynamodb: Any, put_records: Any) -> None:
    put_records(make_record(ms(2025, 11, 12) + i) for i in range(30))
    assert len(list(AnalyticsTable(dynamodb, TABLE).week(WEEK))) == 30


def test_numbers_come_back_as_the_record_types(dynamodb: Any, put_records: Any) -> None:
    original = make_record(
        ms(2025, 11, 12),
        match_score=87.5,
        processing_time_ms=1234.0,
        tokens={"input": 2100, "output": 180},
        response_timestamp=ms(2025, 11, 12) + 1234,
        response="a long answer the report never needs",
        reasoning="why",
    )
    put_records([original])
    (read,) = AnalyticsTable(dynamodb, TABLE).week(WEEK)
    assert read.match_score == 87.5 and read.processing_time_ms == 1234.0
    assert read.tokens is not None and (read.tokens.input, read.tokens.output) == (2100, 180)
    assert read.timestamp == original.timestamp and isinstance(read.timestamp, int)
    # Only the attributes the report uses are fetched.
    assert read.response is None and read.reasoning is None
    assert read.model_dump(exclude={"response", "reasoning"}) == original.model_dump(
        exclude={"response", "reasoning"}
    )


def test_an_unreadable_item_is_counted_and_logged_not_fatal(
    dynamodb: Any, put_records: Any, caplog: pytest.LogCaptureFixture
) -> None:
    put_records([make_record(ms(2025, 11, 12)), make_record(ms(2025, 11, 13))])
    boto3.resource("dynamodb").Table(TABLE).put_item(
        Item={
            "requestId": "broken-1",
            "week": WEEK,
            "timestamp": ms(2025, 11, 14),
            "status": "lost",
        }
    )
    records = AnalyticsTable(dynamodb, TABLE).week(WEEK)
    with caplog.at_level(logging.WARNING, logger="reporter.repository"):
        read = list(records)
    assert len(read) == 2
    assert records.unreadable == 1
    (warning,) = caplog.records
    assert warning.requestId == "broken-1"  # type: ignore[attr-defined]


def test_iterating_again_reads_again(dynamodb: Any, put_records: Any) -> None:
    put_records([make_record(ms(2025, 11, 12))])
    records = AnalyticsTable(dynamodb, TABLE).week(WEEK)
    assert len(list(records)) == len(list(records)) == 1


def test_a_malformed_week_id_is_refused(dynamodb: Any) -> None:
    with pytest.raises(ValueError, match="YYYY-Www"):
        AnalyticsTable(dynamodb, TABLE).week("2025-46")


def test_the_report_reads_model_variant_feedback_and_tokens(
    dynamodb: Any, put_records: Any
) -> None:
    for name in ("model", "variant", "feedback", "tokens"):
        assert name in REPORT_ATTRIBUTES
    original = make_record(
        ms(2025, 11, 12),
        model="model-a",
        variant="prompt-v2",
        tokens={"input": 10, "output": 2},
        feedback={"timestamp": ms(2025, 11, 12, 13), "rating": 2, "comment": "Too vague"},
    )
    put_records([original])
    (read,) = AnalyticsTable(dynamodb, TABLE).week(WEEK)
    assert (read.model, read.variant) == ("model-a", "prompt-v2")
    assert read.feedback is not None and read.feedback.positive is False
    assert read.feedback.comment == "Too vague"


def test_questions_reads_only_the_question_texts(dynamodb: Any, put_records: Any) -> None:
    put_records(
        [
            make_record(ms(2025, 11, 12), query="Where are you based?"),
            make_record(ms(2025, 11, 13), "orphaned"),
            make_record(ms(2025, 11, 19), query="next week's"),
        ]
    )
    assert list(AnalyticsTable(dynamodb, TABLE, page_size=1).questions(WEEK)) == [
        "Where are you based?"
    ]
