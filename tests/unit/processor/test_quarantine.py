"""The dead-letter message fits SQS's limits, whatever the body's size; evidence of conflicts."""

from __future__ import annotations

from datetime import UTC, datetime

from analytics_contract import dead_letters
from processor.ports import DeadLetter
from processor.quarantine import MAX_MESSAGE_BYTES, Quarantine, fit, message_bytes
from tests.unit.processor.conftest import Aws, response_event


def added(reason: str = "query: String should have at most 4000 characters") -> dict:
    return {
        dead_letters.REASON: {"DataType": "String", "StringValue": reason},
        dead_letters.KIND: {"DataType": "String", "StringValue": "schema"},
        dead_letters.SOURCE_MESSAGE_ID: {"DataType": "String", "StringValue": "m" * 36},
        dead_letters.SOURCE_QUEUE_ARN: {"DataType": "String", "StringValue": "a" * 60},
        dead_letters.QUARANTINED_AT: {"DataType": "String", "StringValue": "t" * 29},
    }


ORIGINAL = {f"a{i}": {"DataType": "String", "StringValue": "v" * 500} for i in range(8)}


def test_a_small_body_keeps_every_attribute_that_sqs_allows() -> None:
    attributes, dropped, attached = fit("{}", added(), ORIGINAL)
    assert attached and len(attributes) == 10
    assert set(added()) <= set(attributes)
    assert len(dropped) == 3  # 10 attributes at most: 5 of ours, 5 of the original 8


def test_a_body_near_the_limit_drops_original_attributes_first_then_optional_ones() -> None:
    reason_bytes = message_bytes("", added())
    body = "x" * (MAX_MESSAGE_BYTES - reason_bytes)  # room for exactly the quarantine attributes
    attributes, dropped, attached = fit(body, added(), ORIGINAL)
    assert attached and set(attributes) == set(added())
    assert sorted(dropped) == sorted(ORIGINAL)
    assert message_bytes(body, attributes) <= MAX_MESSAGE_BYTES

    tighter = body + "x" * 40  # no room for the queue ARN any more
    attributes, _, attached = fit(tighter, added(), ORIGINAL)
    assert attached and dead_letters.SOURCE_QUEUE_ARN not in attributes
    assert message_bytes(tighter, attributes) <= MAX_MESSAGE_BYTES


def test_a_long_reason_is_shortened_to_fit_and_a_reason_that_cannot_fit_is_not_attached() -> None:
    long_reason = "r" * 1_000
    body = "x" * (MAX_MESSAGE_BYTES - 400)
    attributes, _, attached = fit(body, added(long_reason), {})
    assert attached
    assert attributes[dead_letters.REASON]["StringValue"].endswith("…")
    assert message_bytes(body, attributes) <= MAX_MESSAGE_BYTES

    full = "x" * (MAX_MESSAGE_BYTES - 10)
    attributes, _, attached = fit(full, added(long_reason), {})
    assert (attributes, attached) == ({}, False)  # the caller keeps the reason in a note


def test_a_parked_event_that_conflicts_is_kept_as_evidence_in_the_dlq(aws: Aws) -> None:
    quarantine = Quarantine(
        aws.sqs, aws.resources.dead_letter_queue_url, clock=lambda: datetime(2025, 1, 1, tzinfo=UTC)
    )
    event = response_event("x", error="late failure")
    quarantine.keep(event, "conflict: error differs")
    quarantine.keep(event, "conflict: error differs")  # a retry sends it once (FIFO dedup)
    [letter] = aws.dead_letters()
    assert letter["Body"] == event.to_json()
    attributes = letter["MessageAttributes"]
    assert attributes[dead_letters.KIND]["StringValue"] == "conflict"
    assert letter["Attributes"]["MessageGroupId"] == "sess-1"


def test_send_reports_whether_the_reason_travelled(aws: Aws) -> None:
    quarantine = Quarantine(
        aws.sqs, aws.resources.dead_letter_queue_url, clock=lambda: datetime(2025, 1, 1, tzinfo=UTC)
    )
    letter = DeadLetter(
        body="x" * (MAX_MESSAGE_BYTES - 10),
        reason="query: too long",
        kind="schema",
        group_id="g",
        deduplication_id="m-1",
        source_message_id="m-1",
    )
    assert quarantine.send(letter).reason_attached is False
    [message] = aws.dead_letters()
    assert message.get("MessageAttributes") is None
