from __future__ import annotations

import json

import pytest

from analytics_contract import (
    MAX_QUERY_CHARS,
    AnalyticsRecord,
    Feedback,
    FeedbackEvent,
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
FEEDBACK = {
    "schemaVersion": 1,
    "eventType": "feedback",
    "requestId": "req-1",
    "timestamp": 1_763_000_060_000,
    "thumbs": "up",
    "comment": "Clear answer, thanks",
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
        # numbers the contract bounds to what DynamoDB can store and what makes sense
        ({**RESPONSE, "processingTimeMs": 1e300}, "processingTimeMs"),
        ({**RESPONSE, "processingTimeMs": 86_400_001}, "processingTimeMs"),
        ({**RESPONSE, "tokens": {"input": 10**40, "output": 2}}, "tokens.input"),
        ({**RESPONSE, "tokens": {"input": 1, "output": 100_000_001}}, "tokens.output"),
        # strict types: JSON true, "50" and 1.0 are not what the contract asks for
        ({**QUERY, "schemaVersion": True}, "schemaVersion"),
        ({**QUERY, "schemaVersion": 1.0}, "schemaVersion"),
        ({**QUERY, "schemaVersion": "1"}, "schemaVersion"),
        ({**RESPONSE, "matchScore": True}, "matchScore"),
        ({**RESPONSE, "matchScore": "50"}, "matchScore"),
        ({**RESPONSE, "tokens": {"input": 1.5, "output": 2}}, "tokens.input"),
        # text
        ({**QUERY, "query": "  \t\n "}, "query"),
        ({**QUERY, "query": "caf\ud800"}, "query"),
        ({**RESPONSE, "variant": ""}, "variant"),
        ({**RESPONSE, "variant": "v" * 65}, "variant"),
        ({**RESPONSE, "variant": "   "}, "variant"),
        # feedback
        ({**FEEDBACK, "rating": 6, "thumbs": None}, "rating"),
        ({**FEEDBACK, "rating": 0, "thumbs": None}, "rating"),
        ({**FEEDBACK, "thumbs": "sideways"}, "thumbs"),
        ({**FEEDBACK, "comment": "c" * 2_001}, "comment"),
        ({k: v for k, v in FEEDBACK.items() if k != "requestId"}, "requestId"),
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


def test_feedback_events_carry_thumbs_or_a_rating() -> None:
    event = parse_event(FEEDBACK)
    assert isinstance(event, FeedbackEvent)
    assert event.feedback() == Feedback(
        timestamp=FEEDBACK["timestamp"], thumbs="up", comment="Clear answer, thanks"
    )
    assert parse_event({**FEEDBACK, "thumbs": None, "rating": 2}).to_wire()["rating"] == 2


@pytest.mark.parametrize(
    "scores", [{"thumbs": "up", "rating": 5}, {"thumbs": None}, {"thumbs": None, "rating": None}]
)
def test_feedback_needs_exactly_one_of_thumbs_and_rating(scores: dict[str, object]) -> None:
    with pytest.raises(InvalidEventError, match="thumbs, rating: give exactly one of them"):
        parse_event({**FEEDBACK, **scores})


@pytest.mark.parametrize(
    ("scores", "positive"),
    [
        ({"thumbs": "up"}, True),
        ({"thumbs": "down"}, False),
        ({"rating": 5}, True),
        ({"rating": 4}, True),
        ({"rating": 3}, None),
        ({"rating": 2}, False),
        ({"rating": 1}, False),
    ],
)
def test_positive_feedback_has_one_definition(
    scores: dict[str, object], positive: bool | None
) -> None:
    assert Feedback(timestamp=FEEDBACK["timestamp"], **scores).positive is positive


def test_variant_is_kept_on_responses() -> None:
    response = parse_event({**RESPONSE, "variant": "prompt-v2"})
    assert isinstance(response, ResponseEvent) and response.variant == "prompt-v2"


def test_fractions_are_rounded_so_dynamodb_can_store_them() -> None:
    response = parse_event({**RESPONSE, "matchScore": 1e-200, "processingTimeMs": 1234.56789})
    assert isinstance(response, ResponseEvent)
    assert response.match_score == 0.0 and str(response.match_score) == "0.0"
    assert response.processing_time_ms == 1234.568
    assert parse_event({**RESPONSE, "matchScore": 50}).to_wire()["matchScore"] == 50.0


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_extensions_for_non_finite_numbers_are_not_json(constant: str) -> None:
    body = json.dumps(RESPONSE).replace('"matchScore": 92.5', f'"matchScore": {constant}')
    with pytest.raises(InvalidEventError, match=f"not valid JSON: {constant}") as caught:
        parse_event_json(body)
    assert caught.value.kind == "json"


def test_deeply_nested_json_is_invalid_not_a_crash() -> None:
    with pytest.raises(InvalidEventError, match="nested too deeply") as caught:
        parse_event_json('{"metadata": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert caught.value.kind == "json"


def test_unknown_event_type_lists_the_three_types() -> None:
    with pytest.raises(InvalidEventError, match="'query', 'response' or 'feedback'"):
        parse_event({**QUERY, "eventType": "click"})


def _record(**fields: object) -> AnalyticsRecord:
    base: dict[str, object] = {
        "request_id": "req-1",
        "timestamp": 1_763_000_000_000,
        "week": "2025-W46",
        "day": "2025-11-13",
        "status": "answered",
        "recorded_at": 1_763_000_001_000,
        "expires_at": 1_770_000_000,
    }
    return AnalyticsRecord.model_validate({**base, **fields})


def test_elapsed_time_is_derived_when_read_and_never_negative() -> None:
    assert _record(processing_time_ms=812.5).elapsed_ms == 812.5
    assert _record(response_timestamp=1_763_000_000_900).elapsed_ms == 900.0
    assert _record(response_timestamp=1_762_999_995_000).elapsed_ms == 0.0  # clocks disagree
    assert _record(status="unanswered").elapsed_ms is None
    orphan = _record(status="orphaned", response_timestamp=1_763_000_000_000)
    assert orphan.elapsed_ms is None
