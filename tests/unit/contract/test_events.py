from __future__ import annotations

import json

import pytest

from analytics_contract import (
    MAX_QUERY_CHARS,
    InvalidEventError,
    QueryEvent,
    ResponseEvent,
    parse_event,
    parse_event_json,
)

QUERY = {
    "schemaVersion": 1,
    "eventType": "query",
    "requestId": "req-1",
    "timestamp": 1_763_000_000_000,
    "sessionId": "sess-1",
    "query": "What languages does she know?",
    "metadata": {"page": "/cv", "country": "GB"},
}
RESPONSE = {
    "schemaVersion": 1,
    "eventType": "response",
    "requestId": "req-1",
    "timestamp": 1_763_000_000_900,
    "matchType": "full",
    "matchScore": 92.5,
    "tokens": {"input": 120, "output": 80},
}


def test_valid_events_parse_to_their_models() -> None:
    assert isinstance(parse_event(QUERY), QueryEvent)
    response = parse_event_json(json.dumps(RESPONSE))
    assert isinstance(response, ResponseEvent)
    assert response.tokens is not None and response.tokens.output == 80
    assert response.session_id is None


def test_wire_format_round_trips_in_camel_case() -> None:
    event = parse_event(QUERY)
    assert event.to_wire() == QUERY
    assert parse_event_json(event.to_json()) == event


def test_unknown_extra_fields_are_ignored() -> None:
    event = parse_event({**QUERY, "colour": "blue", "nested": {"a": 1}})
    assert "colour" not in event.to_wire()


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({**QUERY, "eventType": "click"}, "eventType"),
        ({k: v for k, v in QUERY.items() if k != "eventType"}, "eventType"),
        ({**QUERY, "schemaVersion": 2}, "schemaVersion"),
        ({k: v for k, v in QUERY.items() if k != "requestId"}, "requestId"),
        ({**QUERY, "requestId": "has space"}, "requestId"),
        ({**QUERY, "requestId": "x" * 129}, "requestId"),
        ({**QUERY, "sessionId": ""}, "sessionId"),
        ({**QUERY, "timestamp": "2025-11-10"}, "timestamp"),
        ({**QUERY, "timestamp": True}, "timestamp"),
        ({**QUERY, "timestamp": -1}, "timestamp"),
        ({**QUERY, "timestamp": 1_763_000_000}, "timestamp"),  # seconds, not milliseconds
        ({**QUERY, "timestamp": 253_402_300_800_000}, "timestamp"),  # year 10000
        ({**RESPONSE, "timestamp": 4_102_444_800_000}, "timestamp"),  # 2100-01-01
        ({**QUERY, "query": ""}, "query"),
        ({**QUERY, "query": "q" * (MAX_QUERY_CHARS + 1)}, "query"),
        ({**QUERY, "metadata": {"page": 3}}, "metadata.page"),
        ({**RESPONSE, "matchType": "great"}, "matchType"),
        ({**RESPONSE, "matchScore": 100.5}, "matchScore"),
        ({**RESPONSE, "processingTimeMs": -3}, "processingTimeMs"),
        ({**RESPONSE, "tokens": {"input": -1, "output": 2}}, "tokens.input"),
    ],
)
def test_invalid_events_name_the_field(event: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidEventError) as caught:
        parse_event(event)
    assert caught.value.reason.startswith(field), caught.value.reason


def test_not_json_and_not_an_object_are_invalid() -> None:
    with pytest.raises(InvalidEventError) as caught:
        parse_event_json("{not json")
    assert caught.value.kind == "json"
    with pytest.raises(InvalidEventError, match="expected a JSON object"):
        parse_event_json("[1, 2]")
