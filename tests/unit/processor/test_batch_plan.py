from __future__ import annotations

import json

from analytics_contract import QueryEvent, ResponseEvent
from processor.batch_plan import (
    IncomingMessage,
    Invalid,
    Pair,
    QueryAlone,
    ResponseAlone,
    Valid,
    plan_batch,
)
from tests.unit.processor.conftest import query_event, response_event


def message(
    message_id: str, event: str | QueryEvent | ResponseEvent, receive_count: int = 1
) -> IncomingMessage:
    body = event if isinstance(event, str) else event.to_json()
    return IncomingMessage(message_id, body, receive_count)


def test_query_and_response_of_one_request_become_a_pair() -> None:
    plan = plan_batch([message("m1", response_event("a")), message("m2", query_event("a"))])
    assert plan.action("a") == Pair(query_event("a"), response_event("a"))
    assert plan.task("m1") == Valid("a", "primary")
    assert plan.task("m2") == Valid("a", "primary")


def test_lone_events_stay_alone() -> None:
    plan = plan_batch([message("m1", query_event("a")), message("m2", response_event("b"))])
    assert plan.action("a") == QueryAlone(query_event("a"))
    assert plan.action("b") == ResponseAlone(response_event("b"))


def test_later_copies_are_duplicates_and_the_first_copy_wins() -> None:
    first = query_event("a", query="first")
    plan = plan_batch(
        [
            message("m1", first),
            message("m2", query_event("a", query="second")),
            message("m3", response_event("a")),
            message("m4", response_event("a")),
        ]
    )
    assert plan.action("a") == Pair(first, response_event("a"))
    roles = {message_id: plan.task(message_id) for message_id in ("m1", "m2", "m3", "m4")}
    assert roles == {
        "m1": Valid("a", "primary"),
        "m2": Valid("a", "duplicate"),
        "m3": Valid("a", "primary"),
        "m4": Valid("a", "duplicate"),
    }


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
    assert set(plan.actions) == {"b"}


def test_a_redelivered_message_marks_its_request_redelivered() -> None:
    plan = plan_batch(
        [
            message("m1", query_event("a")),
            message("m2", response_event("a"), receive_count=2),
            message("m3", query_event("b")),
        ]
    )
    assert plan.action("a") == Pair(query_event("a"), response_event("a"), redelivered=True)
    assert plan.action("b") == QueryAlone(query_event("b"), redelivered=False)
