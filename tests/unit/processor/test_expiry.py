"""Expired parks: the local TTL stand-in feeding the expiry handler genuine stream records."""

from __future__ import annotations

from typing import Any

import pytest

from analytics_contract.storage import to_attribute_values
from cv_analytics.dev.ttl import TTL_USER_IDENTITY, expire_items, remove_record
from processor import metrics as names
from processor.correlator import Correlator, Request
from processor.expiry import ExpiryProcessor
from processor.records import complete_record, orphan_record, unanswered_record
from processor.repository import Repository
from tests.unit.processor.conftest import (
    BASE_TS,
    NOW_MS,
    Aws,
    RecordingMetrics,
    make_logger,
    query_event,
    response_event,
)

WINDOW = 86_400
AFTER_WINDOW = NOW_MS // 1000 + WINDOW + 1


@pytest.fixture
def expiry(correlator: Correlator, metrics: RecordingMetrics) -> ExpiryProcessor:
    return ExpiryProcessor(correlator, logger=make_logger(), metrics=metrics)


def park(correlator: Correlator, request_id: str = "req-1") -> None:
    correlator.process(Request(request_id, response=response_event(request_id)))


def test_a_response_whose_query_never_came_is_recorded_as_orphaned(
    aws: Aws, correlator: Correlator, expiry: ExpiryProcessor, metrics: RecordingMetrics
) -> None:
    park(correlator)
    result = expire_items(aws.dynamodb, aws.names.interim_table, expiry.handle, now=AFTER_WINDOW)
    assert (result.expired, result.delivered, result.failed) == (1, 1, 0)
    record = aws.records()["req-1"]
    assert record.status == "orphaned"
    assert (record.week, record.timestamp) == ("2025-W46", BASE_TS + 1_500)
    assert record.match_score == 87.5
    assert aws.parked() == {}
    assert metrics.metadata_set[names.ORPHANS_RECORDED] == 1


def test_parks_inside_their_window_are_left_alone(
    aws: Aws, correlator: Correlator, expiry: ExpiryProcessor
) -> None:
    park(correlator)
    result = expire_items(
        aws.dynamodb, aws.names.interim_table, expiry.handle, now=AFTER_WINDOW - 2
    )
    assert (result.scanned, result.expired) == (1, 0)
    assert set(aws.parked()) == {"req-1"}
    assert aws.records() == {}


def test_a_stale_park_of_a_complete_record_is_discarded(
    aws: Aws,
    store: Repository,
    correlator: Correlator,
    expiry: ExpiryProcessor,
    metrics: RecordingMetrics,
) -> None:
    # A park left behind: the question was completed from another copy of the response.
    store.park("req-1", response=response_event(), expires_at=AFTER_WINDOW - 1, now_ms=NOW_MS)
    complete = complete_record(query_event(), response_event(), now_ms=NOW_MS, ttl_days=90)
    store.create(complete)
    expire_items(aws.dynamodb, aws.names.interim_table, expiry.handle, now=AFTER_WINDOW)
    assert aws.records() == {"req-1": complete}
    assert aws.parked() == {}
    assert metrics.metadata_set[names.STALE_PARKS_DISCARDED] == 1


def test_a_query_that_landed_but_missed_the_park_is_completed(
    aws: Aws, store: Repository, correlator: Correlator, expiry: ExpiryProcessor
) -> None:
    park(correlator)
    # The query's record is there but its interim check never happened (e.g. TTL deleted the
    # park between the query's put and its get).
    store.create(unanswered_record(query_event(), now_ms=NOW_MS, ttl_days=90))
    expire_items(aws.dynamodb, aws.names.interim_table, expiry.handle, now=AFTER_WINDOW)
    record = aws.records()["req-1"]
    assert (record.status, record.elapsed_ms, record.week) == (
        "answered",
        1_500,
        "2025-W46",
    )


def test_the_orphan_is_completed_if_its_query_arrives_after_all(
    aws: Aws, correlator: Correlator, expiry: ExpiryProcessor
) -> None:
    park(correlator)
    expire_items(aws.dynamodb, aws.names.interim_table, expiry.handle, now=AFTER_WINDOW)
    correlator.process(Request("req-1", query=query_event()))
    record = aws.records()["req-1"]
    assert (record.status, record.query, record.timestamp) == (
        "answered",
        query_event().query,
        BASE_TS,
    )


def stream_record(item: dict[str, Any], **changes: Any) -> dict[str, Any]:
    record = remove_record(
        to_attribute_values(item),
        key_names=["requestId"],
        stream_arn="arn:aws:dynamodb:eu-west-2:123456789012:table/t/stream/x",
        region="eu-west-2",
        now_seconds=AFTER_WINDOW,
    )
    record.update(changes)
    return record


def parked_item(request_id: str = "req-1") -> dict[str, Any]:
    return {
        "requestId": request_id,
        "event": response_event(request_id).to_json(),
        "expiresAt": AFTER_WINDOW - 1,
        "parkedAt": NOW_MS,
    }


def test_removals_not_made_by_ttl_are_ignored(aws: Aws, expiry: ExpiryProcessor) -> None:
    by_the_processor = stream_record(parked_item("a"))
    del by_the_processor["userIdentity"]
    by_someone_else = stream_record(
        parked_item("b"), userIdentity={"type": "Service", "principalId": "other.amazonaws.com"}
    )
    an_insert = stream_record(parked_item("c"), eventName="INSERT")
    response = expiry.handle({"Records": [by_the_processor, by_someone_else, an_insert]})
    assert response == {"batchItemFailures": []}
    assert aws.records() == {}


def test_an_unreadable_park_is_reported_and_skipped(
    aws: Aws, expiry: ExpiryProcessor, metrics: RecordingMetrics
) -> None:
    broken = stream_record({**parked_item("a"), "event": query_event("a").to_json()})
    fine = stream_record(parked_item("b"))
    assert expiry.handle({"Records": [broken, fine]}) == {"batchItemFailures": []}
    assert set(aws.records()) == {"b"}
    assert metrics.metadata_set[names.UNREADABLE_PARKS] == 1


def test_a_failing_record_is_reported_by_sequence_number(
    aws: Aws, store: Repository, metrics: RecordingMetrics
) -> None:
    from tests.support.store_doubles import FailingStore, KeptEvidence

    failing = Correlator(
        FailingStore(store, {"a"}),
        correlation_window_seconds=WINDOW,
        record_ttl_days=90,
        clock=lambda: NOW_MS,
        evidence=KeptEvidence(),
    )
    expiry = ExpiryProcessor(failing, logger=make_logger(), metrics=metrics)
    records = [stream_record(parked_item("a")), stream_record(parked_item("b"))]
    response = expiry.handle({"Records": records})
    assert response == {
        "batchItemFailures": [{"itemIdentifier": records[0]["dynamodb"]["SequenceNumber"]}]
    }
    assert set(aws.records()) == {"b"}


def test_the_local_ttl_retries_failed_records_then_gives_up(
    aws: Aws, store: Repository, correlator: Correlator
) -> None:
    for request_id in ("a", "b"):
        park(correlator, request_id)
    calls: list[list[str]] = []

    def flaky(event: dict[str, Any], context: Any) -> dict[str, Any]:
        ids = [record["dynamodb"]["Keys"]["requestId"]["S"] for record in event["Records"]]
        calls.append(ids)
        assert event["Records"][0]["userIdentity"] == TTL_USER_IDENTITY
        assert context.aws_request_id
        failed = [r for r in event["Records"] if r["dynamodb"]["Keys"]["requestId"]["S"] == "b"]
        return {
            "batchItemFailures": [
                {"itemIdentifier": r["dynamodb"]["SequenceNumber"]} for r in failed
            ]
        }

    result = expire_items(
        aws.dynamodb, aws.names.interim_table, flaky, now=AFTER_WINDOW, max_attempts=3
    )
    assert (result.expired, result.delivered, result.failed) == (2, 1, 1)
    assert calls[1:] == [["b"], ["b"]]
    assert aws.parked() == {}


def test_orphan_record_shape_matches_the_builder(
    aws: Aws, correlator: Correlator, expiry: ExpiryProcessor
) -> None:
    park(correlator)
    expire_items(aws.dynamodb, aws.names.interim_table, expiry.handle, now=AFTER_WINDOW)
    expected = orphan_record(response_event(), now_ms=NOW_MS, ttl_days=90)
    assert aws.records()["req-1"] == expected
