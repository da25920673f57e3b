"""Message bodies: size accounting and the last-resort shortening to the message size limit."""

from __future__ import annotations

import json

import pytest

from analytics_contract import InvalidEventError, QueryEvent, ResponseEvent, parse_event_json
from edge_client.config import MAX_BATCH_BYTES
from edge_client.wire import OversizeError, body_size, conform, group_id, serialize, sqs_safe


def response(**fields: object) -> ResponseEvent:
    return ResponseEvent.model_validate(
        {
            "schemaVersion": 1,
            "eventType": "response",
            "requestId": "r",
            "timestamp": 1_763_000_000_000,
            "matchType": "full",
            "matchScore": 1,
            **fields,
        }
    )


def test_body_size_counts_utf8_bytes() -> None:
    assert body_size("abc") == 3
    assert body_size("é€😀") == 2 + 3 + 4


def test_the_contracts_limits_keep_even_a_worst_case_event_under_256_kib() -> None:
    # Every text field at its limit with characters JSON escapes to six bytes each.
    worst = response(response="\x01" * 32_000, reasoning="\x01" * 8_000, error="\x01" * 2_000)
    event, body, size = serialize(worst)
    assert event is worst
    assert size == body_size(body) <= MAX_BATCH_BYTES


def test_an_event_over_the_limit_is_shortened_longest_field_first_and_flagged() -> None:
    event = response(response="é" * 20_000, reasoning="r" * 3_000)
    shortened, body, size = serialize(event, limit=20_000)
    assert size <= 20_000
    assert isinstance(shortened, ResponseEvent)
    assert shortened.truncated_fields == ["response"]
    assert shortened.reasoning == "r" * 3_000
    assert parse_event_json(body) == shortened


def test_an_event_that_cannot_be_shortened_enough_is_refused() -> None:
    event = QueryEvent(
        schema_version=1,
        event_type="query",
        request_id="r",
        timestamp=1_763_000_000_001,
        session_id="s",
        query="q",
        metadata={f"k{n}": "v" * 1_000 for n in range(20)},
    )
    with pytest.raises(OversizeError):
        serialize(event, limit=5_000)


def test_conform_revalidates_what_a_hook_returns() -> None:
    good = response(response="fine")
    assert conform(good) == good
    with pytest.raises(InvalidEventError):
        conform("not an event")  # type: ignore[arg-type]
    broken = good.model_copy(update={"match_score": 500})  # model_copy does not validate
    with pytest.raises(InvalidEventError, match="match_score"):
        conform(broken)


def test_group_id_is_the_session_or_else_the_request() -> None:
    assert group_id("s", "r") == "s"
    assert group_id(None, "r") == "r"
    assert json.loads(response(sessionId="s").to_json())["sessionId"] == "s"


def test_characters_sqs_refuses_are_escaped_and_read_back_unchanged() -> None:
    event = response(response="a\ufffeb\uffffc\x01")
    _event, body, _size = serialize(event)
    assert "\ufffe" not in body and "\uffff" not in body
    assert parse_event_json(body) == event
    assert sqs_safe("plain") == "plain"
