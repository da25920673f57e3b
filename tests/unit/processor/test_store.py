from __future__ import annotations

from decimal import Decimal

import pytest
from botocore.exceptions import ClientError

from analytics_contract.storage import from_attribute_values, to_attribute_values
from processor.records import complete_record, completion, orphan_record, unanswered_record
from processor.store import CorrelationStore
from tests.unit.processor.conftest import BASE_TS, NOW_MS, Aws, query_event, response_event


def test_insert_writes_once_and_then_returns_the_existing_record(
    aws: Aws, store: CorrelationStore
) -> None:
    record = unanswered_record(query_event(), now_ms=NOW_MS, ttl_days=90)
    assert store.insert(record).written
    again = store.insert(record.model_copy(update={"query": "changed"}))
    assert not again.written
    assert again.existing == record
    assert aws.records()["req-1"].query == "What does she know about AWS?"


def test_records_are_stored_in_wire_form_with_decimal_numbers(
    aws: Aws, store: CorrelationStore
) -> None:
    record = complete_record(
        query_event(), response_event(processingTimeMs=12.25), now_ms=NOW_MS, ttl_days=90
    )
    store.insert(record)
    item = aws.raw_record("req-1")
    assert item is not None
    assert item["matchScore"] == {"N": "87.5"}
    assert item["processingTimeMs"] == {"N": "12.25"}
    assert item["week"] == {"S": "2025-W46"}
    assert "reasoning" not in item  # absent, not NULL
    assert aws.records()["req-1"] == record


def test_complete_has_dynamodb_compute_the_processing_time(
    aws: Aws, store: CorrelationStore
) -> None:
    store.insert(unanswered_record(query_event(), now_ms=NOW_MS, ttl_days=90))
    result = store.complete(completion(response_event(), now_ms=NOW_MS + 5))
    assert result.written
    record = aws.records()["req-1"]
    assert record.status == "answered"
    assert record.processing_time_ms == 1_500  # response timestamp - query timestamp
    assert record.recorded_at == NOW_MS + 5
    assert record.query == "What does she know about AWS?"
    assert record == complete_record(
        query_event(), response_event(), now_ms=NOW_MS + 5, ttl_days=90
    )


def test_complete_appends_the_response_truncated_fields(aws: Aws, store: CorrelationStore) -> None:
    query = query_event(truncatedFields=["query"])
    store.insert(unanswered_record(query, now_ms=NOW_MS, ttl_days=90))
    store.complete(completion(response_event(truncatedFields=["response"]), now_ms=NOW_MS))
    assert aws.records()["req-1"].truncated_fields == ["query", "response"]


def test_complete_without_a_record_reports_no_existing_item(
    aws: Aws, store: CorrelationStore
) -> None:
    result = store.complete(completion(response_event(), now_ms=NOW_MS))
    assert (result.written, result.existing) == (False, None)
    assert aws.records() == {}


def test_complete_of_a_complete_record_returns_it_unchanged(
    aws: Aws, store: CorrelationStore
) -> None:
    record = complete_record(query_event(), response_event(), now_ms=NOW_MS, ttl_days=90)
    store.insert(record)
    result = store.complete(completion(response_event(matchScore=1.0), now_ms=NOW_MS + 9))
    assert not result.written
    assert result.existing == record
    assert aws.records()["req-1"] == record


def test_insert_or_complete_replaces_only_an_unanswered_record(
    aws: Aws, store: CorrelationStore
) -> None:
    store.insert(unanswered_record(query_event(), now_ms=NOW_MS, ttl_days=90))
    record = complete_record(query_event(), response_event(), now_ms=NOW_MS, ttl_days=90)
    assert store.insert_or_complete(record).written
    second = store.insert_or_complete(record.model_copy(update={"match_score": 1.0}))
    assert not second.written
    assert second.existing is not None and second.existing.match_score == 87.5


def test_replace_orphan_needs_an_orphan(aws: Aws, store: CorrelationStore) -> None:
    record = complete_record(query_event(), response_event(), now_ms=NOW_MS, ttl_days=90)
    missing = store.replace_orphan(record)
    assert (missing.written, missing.existing) == (False, None)
    store.insert(orphan_record(response_event(), now_ms=NOW_MS, ttl_days=90))
    assert store.replace_orphan(record).written
    assert aws.records()["req-1"].status == "answered"


def test_park_holds_one_copy_until_unparked(aws: Aws, store: CorrelationStore) -> None:
    response = response_event()
    assert store.park(response, expires_at=123, now_ms=NOW_MS) is True
    assert store.park(response, expires_at=456, now_ms=NOW_MS) is False
    item = aws.parked()["req-1"]
    assert item["expiresAt"] == {"N": "123"}
    assert store.parked_response("req-1") == response
    assert store.parked_response("other") is None
    store.unpark("req-1")
    store.unpark("req-1")  # idempotent
    assert aws.parked() == {}


def test_errors_other_than_a_failed_condition_propagate(aws: Aws) -> None:
    store = CorrelationStore(aws.dynamodb, analytics_table="missing", interim_table="missing")
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        store.insert(unanswered_record(query_event(), now_ms=NOW_MS, ttl_days=90))
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        store.complete(completion(response_event(), now_ms=NOW_MS))
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        store.park(response_event(), expires_at=1, now_ms=NOW_MS)


def test_attribute_values_round_trip_numbers_and_nesting() -> None:
    values = {"a": 1.5, "b": 7, "c": {"d": [0.1, 2]}, "e": None, "f": "x"}
    wire = to_attribute_values(values)
    assert wire["a"] == {"N": "1.5"}
    assert "e" not in wire
    assert from_attribute_values(wire) == {"a": 1.5, "b": 7, "c": {"d": [0.1, 2]}, "f": "x"}
    assert isinstance(from_attribute_values({"n": {"N": "3"}})["n"], int)
    assert Decimal("0.1") == Decimal(wire["c"]["M"]["d"]["L"][0]["N"])
    assert from_attribute_values(to_attribute_values({"t": BASE_TS}))["t"] == BASE_TS
