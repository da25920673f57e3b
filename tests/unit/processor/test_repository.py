"""The DynamoDB adapter against moto: conditions, old items, sets, the interim item."""

from __future__ import annotations

from decimal import Decimal

import pytest
from botocore.exceptions import ClientError

from analytics_contract.dead_letters import DeadLetterNote, note_key
from analytics_contract.storage import from_attribute_values, to_attribute_values
from processor.records import (
    complete_record,
    orphan_record,
    query_part,
    response_part,
    unanswered_record,
)
from processor.repository import Repository
from tests.unit.processor.conftest import (
    BASE_TS,
    NOW_MS,
    Aws,
    feedback_event,
    query_event,
    response_event,
)


def test_create_writes_once_and_then_returns_the_existing_record(
    aws: Aws, store: Repository
) -> None:
    record = unanswered_record(query_event(), now_ms=NOW_MS, ttl_days=90)
    assert store.create(record).written
    again = store.create(record.model_copy(update={"query": "changed"}))
    assert not again.written
    assert again.existing == record
    assert aws.records()["req-1"].query == "What does she know about AWS?"


def test_records_are_stored_in_wire_form_with_decimal_numbers_and_a_set(
    aws: Aws, store: Repository
) -> None:
    record = complete_record(
        query_event(truncatedFields=["query"]),
        response_event(processingTimeMs=12.25, truncatedFields=["response"]),
        now_ms=NOW_MS,
        ttl_days=90,
    )
    store.create(record)
    item = aws.raw_record("req-1")
    assert item is not None
    assert item["matchScore"] == {"N": "87.5"}
    assert item["processingTimeMs"] == {"N": "12.25"}
    assert item["week"] == {"S": "2025-W46"}
    assert sorted(item["truncatedFields"]["SS"]) == ["query", "response"]
    assert "reasoning" not in item  # absent, not NULL
    assert aws.records()["req-1"] == record


def test_add_response_completes_an_unanswered_record_and_returns_it_as_it_was(
    aws: Aws, store: Repository
) -> None:
    unanswered = unanswered_record(query_event(), now_ms=NOW_MS, ttl_days=90)
    store.create(unanswered)
    result = store.add_response(response_part(response_event(), now_ms=NOW_MS + 5), to="unanswered")
    assert result.written
    assert result.existing == unanswered  # ALL_OLD: the query's timestamp, for the metrics
    record = aws.records()["req-1"]
    assert record == complete_record(
        query_event(), response_event(), now_ms=NOW_MS + 5, ttl_days=90
    )
    assert record.processing_time_ms is None and record.elapsed_ms == 1_500


def test_add_response_adds_the_response_truncated_fields_to_the_set(
    aws: Aws, store: Repository
) -> None:
    store.create(
        unanswered_record(query_event(truncatedFields=["query"]), now_ms=NOW_MS, ttl_days=90)
    )
    part = response_part(response_event(truncatedFields=["response", "query"]), now_ms=NOW_MS)
    store.add_response(part, to="unanswered")
    assert aws.records()["req-1"].truncated_fields == ["query", "response"]


def test_add_response_without_a_record_reports_no_existing_item(
    aws: Aws, store: Repository
) -> None:
    result = store.add_response(response_part(response_event(), now_ms=NOW_MS), to="unanswered")
    assert (result.written, result.existing) == (False, None)
    assert aws.records() == {}


def test_add_response_to_a_complete_record_returns_it_unchanged(
    aws: Aws, store: Repository
) -> None:
    record = complete_record(query_event(), response_event(), now_ms=NOW_MS, ttl_days=90)
    store.create(record)
    part = response_part(response_event(matchScore=1.0), now_ms=NOW_MS + 9)
    result = store.add_response(part, to="unanswered")
    assert not result.written
    assert result.existing == record
    assert aws.records()["req-1"] == record


def test_add_response_to_an_orphan_needs_one_without_a_response(
    aws: Aws, store: Repository
) -> None:
    store.create(orphan_record(feedback=feedback_event(), now_ms=NOW_MS, ttl_days=90))
    part = response_part(response_event(), now_ms=NOW_MS)
    assert not store.add_response(part, to="unanswered").written
    assert store.add_response(part, to="orphan").written
    assert not store.add_response(part, to="orphan").written
    record = aws.records()["req-1"]
    assert (record.status, record.match_type, record.feedback is not None) == (
        "orphaned",
        "full",
        True,
    )


def test_add_query_completes_an_orphan_and_moves_it_to_the_query_s_week(
    aws: Aws, store: Repository
) -> None:
    store.create(orphan_record(response_event(), now_ms=NOW_MS, ttl_days=90))
    part = query_part(query_event(), status="answered", now_ms=NOW_MS, ttl_days=90)
    assert store.add_query(part).written
    assert aws.records()["req-1"] == complete_record(
        query_event(), response_event(), now_ms=NOW_MS, ttl_days=90
    )
    again = store.add_query(part)
    assert not again.written and again.existing is not None


def test_set_feedback_keeps_the_latest_and_never_touches_the_rest(
    aws: Aws, store: Repository
) -> None:
    assert not store.set_feedback("req-1", feedback_event().feedback()).written  # no record
    record = complete_record(query_event(), response_event(), now_ms=NOW_MS, ttl_days=90)
    store.create(record)
    first = store.set_feedback("req-1", feedback_event(thumbs="down").feedback())
    assert first.written and first.existing is not None and first.existing.feedback is None
    later = feedback_event(timestamp=BASE_TS + 90_000, thumbs="up").feedback()
    assert store.set_feedback("req-1", later).written
    older = store.set_feedback("req-1", feedback_event(thumbs="down").feedback())
    assert not older.written and older.existing is not None
    assert older.existing.feedback == later
    assert aws.records()["req-1"] == record.model_copy(update={"feedback": later})


def test_one_interim_item_holds_a_response_and_a_feedback(aws: Aws, store: Repository) -> None:
    response, feedback = response_event(), feedback_event()
    first = store.park("req-1", response=response, expires_at=123, now_ms=NOW_MS)
    assert first.parked and first.held.response == response and first.held.feedback is None
    again = store.park("req-1", response=response, expires_at=456, now_ms=NOW_MS + 1)
    assert not again.parked and again.held.response == response
    both = store.park("req-1", feedback=feedback, expires_at=789, now_ms=NOW_MS + 2)
    assert both.parked and (both.held.response, both.held.feedback) == (response, feedback)
    item = aws.parked()["req-1"]
    assert (item["expiresAt"], item["parkedAt"]) == ({"N": "123"}, {"N": str(NOW_MS)})
    older = store.park("req-1", feedback=feedback_event(timestamp=BASE_TS), expires_at=1, now_ms=1)
    assert not older.parked and older.held.feedback == feedback
    assert store.parked("req-1") == both.held
    assert store.parked("other") is None
    store.unpark("req-1")
    store.unpark("req-1")  # idempotent
    assert aws.parked() == {}


def test_a_note_is_kept_in_the_interim_table_with_its_own_retention(
    aws: Aws, store: Repository
) -> None:
    note = DeadLetterNote(message_id="m-1", reason="r", kind="failed", noted_at=NOW_MS)
    store.keep_note(note)
    item = aws.dynamodb.get_item(
        TableName=aws.names.interim_table, Key={"requestId": {"S": note_key("m-1")}}
    )["Item"]
    values = from_attribute_values(item)
    assert values["reason"] == "r"
    assert values["expiresAt"] == NOW_MS // 1000 + 15 * 86_400
    assert aws.parked() == {}


def test_errors_other_than_a_failed_condition_propagate(aws: Aws) -> None:
    store = Repository(aws.dynamodb, analytics_table="missing", interim_table="missing")
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        store.create(unanswered_record(query_event(), now_ms=NOW_MS, ttl_days=90))
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        store.add_response(response_part(response_event(), now_ms=NOW_MS), to="unanswered")
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        store.park("req-1", response=response_event(), expires_at=1, now_ms=NOW_MS)


def test_attribute_values_round_trip_numbers_nesting_and_sets() -> None:
    values = {"a": 1.5, "b": 7, "c": {"d": [0.1, 2]}, "e": None, "f": "x", "g": {"z", "y"}}
    wire = to_attribute_values(values)
    assert wire["a"] == {"N": "1.5"}
    assert "e" not in wire
    assert from_attribute_values(wire) == {
        "a": 1.5,
        "b": 7,
        "c": {"d": [0.1, 2]},
        "f": "x",
        "g": ["y", "z"],
    }
    assert isinstance(from_attribute_values({"n": {"N": "3"}})["n"], int)
    assert Decimal("0.1") == Decimal(wire["c"]["M"]["d"]["L"][0]["N"])
    assert from_attribute_values(to_attribute_values({"t": BASE_TS}))["t"] == BASE_TS
