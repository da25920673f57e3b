from __future__ import annotations

import json

from analytics_contract import FeedbackEvent, QueryEvent, ResponseEvent
from processor.batch_plan import Conflicting, IncomingMessage, Invalid, Valid, plan_batch
from processor.correlator import Request
from tests.unit.processor.conftest import BASE_TS, feedback_event, query_event, response_event


def message(
    message_id: str,
    event: str | QueryEvent | ResponseEvent | FeedbackEvent,
    receive_count: int = 1,
) -> IncomingMessage:
    body = event if isinstance(event, str) else event.to_json()
    return IncomingMessage(message_id, body, receive_count)


def test_the_events_of_one_request_become_one_request() -> None:
    plan = plan_batch(
        [
            message("m1", response_event("a")),
            message("m2", query_event("a")),
            message("m3", feedback_event("a")),
        ]
    )
    assert plan.request("a") == Request(
        "a", query=query_event("a"), response=response_event("a"), feedback=feedback_event("a")
    )
    assert plan.task("m1") == Valid("a", response_event("a"))
    assert plan.task("m2") == Valid("a", query_event("a"))


def test_lone_events_stay_alone() -> None:
    plan = plan_batch([message("m1", query_event("a")), message("m2", response_event("b"))])
    assert plan.request("a") == Request("a", query=query_event("a"))
    assert plan.request("b") == Request("b", response=response_event("b"))


def test_a_later_identical_copy_is_a_duplicate_and_a_different_one_a_conflict() -> None:
    first = query_event("a", query="first")
    plan = plan_batch(
        [
            message("m1", first),
            message("m2", query_event("a", query="second")),
            message("m3", response_event("a")),
            message("m4", response_event("a")),
        ]
    )
    assert plan.request("a") == Request("a", query=first, response=response_event("a"))
    assert plan.task("m1") == Valid("a", first)
    conflict = plan.task("m2")
    assert isinstance(conflict, Conflicting) and "query differ" in conflict.reason
    assert plan.task("m4") == Valid("a", response_event("a"), "duplicate")


def test_the_latest_feedback_of_a_batch_wins_whatever_its_position() -> None:
    early = feedback_event("a", thumbs="down")
    late = feedback_event("a", timestamp=BASE_TS + 99_000)
    for order in ([early, late], [late, early]):
        plan = plan_batch([message(f"m{i}", event) for i, event in enumerate(order)])
        assert plan.request("a").feedback == late
        roles = {
            event.thumbs: getattr(plan.task(f"m{i}"), "role", None) for i, event in enumerate(order)
        }
        assert roles == {"up": "primary", "down": "superseded"}


def test_two_different_feedbacks_with_the_same_timestamp_conflict() -> None:
    plan = plan_batch(
        [message("m1", feedback_event("a")), message("m2", feedback_event("a", thumbs="down"))]
    )
    assert isinstance(plan.task("m2"), Conflicting)
    assert plan.request("a").feedback == feedback_event("a")


def test_invalid_bodies_are_planned_for_quarantine_with_the_reason() -> None:
    plan = plan_batch(
        [
            message("m1", "{not json"),
            message("m2", json.dumps({**query_event("a").to_wire(), "requestId": "bad id!"})),
            message("m3", query_event("b")),
        ]
    )
    first, second = plan.task("m1"), plan.task("m2")
    assert isinstance(first, Invalid) and first.error.kind == "json"
    assert isinstance(second, Invalid) and second.error.reason.startswith("requestId")
    assert set(plan.requests) == {"b"}


def test_a_redelivered_message_marks_its_request_redelivered() -> None:
    plan = plan_batch(
        [
            message("m1", query_event("a")),
            message("m2", response_event("a"), receive_count=2),
            message("m3", query_event("b")),
        ]
    )
    assert plan.request("a").redelivered
    assert not plan.request("b").redelivered
