"""Feedback attached to its question's record: any order, redelivered, repeated, orphaned.

End to end on moto (:class:`tests.support.processor_harness.Harness`): the real queue, handler,
interim table TTL and expiry function.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from processor import metrics as names
from tests.support.processor_harness import BASE_TS, Harness
from tests.unit.processor.conftest import feedback_event, query_event, response_event


@pytest.fixture
def harness() -> Iterator[Harness]:
    with mock_aws():
        yield Harness()


def events(request_id: str, **feedback: Any) -> dict[str, tuple[str, str]]:
    return {
        "query": (query_event(request_id).to_json(), "sess-1"),
        "response": (response_event(request_id).to_json(), "sess-1"),
        "feedback": (feedback_event(request_id, **feedback).to_json(), "sess-1"),
    }


def calls(harness: Harness, request_id: str) -> list[str]:
    return [op for op, _, ids in harness.injector.calls if request_id in ids]


ORDERS = list(itertools.permutations(["query", "response", "feedback"]))


def test_feedback_lands_on_its_record_in_every_order_and_is_counted_once(
    harness: Harness,
) -> None:
    for number, order in enumerate(ORDERS):
        request_id = f"o{number}"
        for kind in order:  # each event in a batch of its own
            harness.send([events(request_id)[kind]])
            harness.drain()
    records = harness.records()
    for number, order in enumerate(ORDERS):
        record = records[f"o{number}"]
        assert (record.status, record.feedback) == (
            "answered",
            feedback_event().feedback(),
        ), order
    assert harness.parked() == {}
    counts, metadata = harness.metrics.counts, harness.metrics.metadata_set
    assert counts[names.QUESTIONS] == counts[names.ANSWERS] == len(ORDERS)
    assert metadata[names.POSITIVE_FEEDBACK] == len(ORDERS)
    assert names.NEGATIVE_FEEDBACK not in metadata


def test_feedback_in_the_same_batch_as_its_question_is_written_with_it(harness: Harness) -> None:
    harness.send(list(events("b").values()))
    harness.drain()
    assert calls(harness, "b") == ["PutItem"]  # one write for three events
    assert harness.records()["b"].feedback == feedback_event().feedback()


def test_feedback_after_the_record_is_complete_costs_one_update(harness: Harness) -> None:
    harness.send([events("late")["query"], events("late")["response"]])
    harness.drain()
    before = len(calls(harness, "late"))
    harness.send([events("late")["feedback"]])
    harness.drain()
    assert calls(harness, "late")[before:] == ["UpdateItem"]


def test_a_feedback_that_overtook_a_same_batch_pair_is_attached_when_its_park_expires(
    harness: Harness,
) -> None:
    """The same-batch pair does not read the interim table (that is what makes it one write): a
    feedback parked before it waits for its window to close, then the expiry attaches it."""
    harness.send([events("fp")["feedback"]])
    harness.drain()
    harness.send([events("fp")["query"], events("fp")["response"]])
    harness.drain()
    assert harness.records()["fp"].feedback is None
    harness.expire()
    record = harness.records()["fp"]
    assert (record.status, record.feedback) == ("answered", feedback_event().feedback())
    assert harness.parked() == {}
    assert harness.metrics.metadata_set[names.POSITIVE_FEEDBACK] == 1


def test_the_latest_feedback_wins_whatever_the_order_and_the_question_counts_once(
    harness: Harness,
) -> None:
    early = feedback_event("r1", thumbs="down", comment="wrong")
    late = feedback_event("r1", timestamp=BASE_TS + 90_000, thumbs="up")
    for request_id, first, second in (("r1", early, late), ("r2", late, early)):
        harness.send(
            [(query_event(request_id).to_json(), "s"), (response_event(request_id).to_json(), "s")]
        )
        harness.drain()
        for feedback in (first, second):
            body = feedback.model_copy(update={"request_id": request_id}).to_json()
            harness.send([(body, "s")])
            harness.drain()
    records = harness.records()
    assert records["r1"].feedback == records["r2"].feedback == late.feedback()
    counts = harness.metrics.metadata_set
    # One per question: the first feedback recorded (a later one replaces it, uncounted).
    assert counts.get(names.POSITIVE_FEEDBACK, 0) + counts.get(names.NEGATIVE_FEEDBACK, 0) == 2
    assert counts[names.FEEDBACK_SUPERSEDED] == 1


def test_a_redelivered_feedback_changes_nothing(harness: Harness) -> None:
    harness.send(list(events("d").values()))
    harness.drain()
    before = harness.raw_records()["d"]
    for _ in range(2):
        harness.send([events("d")["feedback"]])
        harness.drain()
    assert harness.raw_records()["d"] == before
    assert harness.metrics.metadata_set[names.POSITIVE_FEEDBACK] == 1
    assert harness.receive_dead_letters(delete=False) == []


def test_two_feedbacks_of_the_same_moment_with_different_content_conflict(
    harness: Harness,
) -> None:
    harness.send(list(events("c").values()))
    harness.drain()
    harness.send([events("c", thumbs="down")["feedback"]])
    harness.drain()
    [letter] = harness.receive_dead_letters(delete=False)
    assert letter.kind == "conflict" and "thumbs" in (letter.reason or "")
    assert harness.records()["c"].feedback == feedback_event().feedback()


def test_feedback_for_a_question_that_never_came_is_counted_as_an_orphan(
    harness: Harness,
) -> None:
    harness.send([events("lost")["feedback"]])
    harness.drain()
    assert set(harness.parked()) == {"lost"}
    harness.expire()
    record = harness.records()["lost"]
    assert (record.status, record.query, record.timestamp) == (
        "orphaned",
        None,
        feedback_event().timestamp,
    )
    assert record.feedback == feedback_event().feedback()
    # Its question turns up after all: the orphan becomes the question's record.
    harness.send([events("lost")["query"]])
    harness.drain()
    assert harness.records()["lost"].status == "unanswered"
    harness.send([events("lost")["response"]])
    harness.drain()
    record = harness.records()["lost"]
    assert (record.status, record.feedback) == ("answered", feedback_event().feedback())
    assert harness.metrics.metadata_set[names.POSITIVE_FEEDBACK] == 1


def test_a_response_and_a_feedback_that_both_overtook_their_query_share_one_park(
    harness: Harness,
) -> None:
    harness.send([events("both")["response"]])
    harness.drain()
    harness.send([events("both")["feedback"]])
    harness.drain()
    assert set(harness.parked()) == {"both"}
    held = harness.parked()["both"]
    assert {"event", "feedback"} <= set(held)
    harness.send([events("both")["query"]])
    harness.drain()
    record = harness.records()["both"]
    assert (record.status, record.feedback) == ("answered", feedback_event().feedback())
    assert harness.parked() == {}
