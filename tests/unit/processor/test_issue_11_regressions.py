"""One test per defect of issue 11 (and per suspected one that proved real), end to end.

Each drives the real functions on moto through :class:`tests.support.processor_harness.Harness`:
a real FIFO queue with its redrive policy (receive counts and SQS's own redrive to the DLQ), the
TTL stand-in for the interim table, faults injected at the AWS call. Each failed on the code
before the fix with the symptom the issue describes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from analytics_contract.events import MIN_TIMESTAMP_MS
from tests.support.aws_faults import Fault, queue_missing, read_timeout
from tests.support.processor_harness import BASE_TS, Harness
from tests.unit.processor.conftest import query_event, response_event, sqs_event, sqs_record

DAY_MS = 86_400_000
SQS_MAX_MESSAGE_BYTES = 262_144


@pytest.fixture
def harness() -> Iterator[Harness]:
    with mock_aws():
        yield Harness()


def q(request_id: str, **overrides: Any) -> tuple[str, str]:
    return query_event(request_id, **overrides).to_json(), "sess-1"


def r(request_id: str, **overrides: Any) -> tuple[str, str]:
    return response_event(request_id, **overrides).to_json(), "sess-1"


# -- defect 1: a failure between two steps, lasting to the last receive -------------------------


def test_1_a_query_whose_interim_check_keeps_failing_is_recorded_not_also_quarantined(
    harness: Harness,
) -> None:
    harness.send([r("a")])
    harness.drain()
    assert set(harness.parked()) == {"a"}
    harness.injector.add(Fault("GetItem", harness.names.interim_table, request_id="a"))
    harness.send([q("a")])
    harness.drain()
    assert harness.receive_dead_letters(delete=False) == []
    assert harness.records()["a"].status == "unanswered"
    harness.injector.heal()
    harness.expire()  # the parked response, when its window closes, completes the record
    assert harness.records()["a"].status == "answered"
    assert harness.receive_dead_letters(delete=False) == []


def test_1_a_parked_response_whose_second_look_keeps_failing_ends_in_one_place(
    harness: Harness,
) -> None:
    harness.injector.add(
        Fault(
            "UpdateItem",
            harness.names.analytics_table,
            request_id="b",
            only_if=lambda: "b" in harness.parked(),
        )
    )
    harness.send([r("b")])
    harness.drain()
    assert harness.receive_dead_letters(delete=False) == []
    assert set(harness.parked()) == {"b"}
    harness.injector.heal()
    harness.expire()
    assert harness.records()["b"].status == "orphaned"
    assert harness.receive_dead_letters(delete=False) == []


def test_1_a_redelivered_pair_whose_clean_up_keeps_failing_is_not_quarantined(
    harness: Harness,
) -> None:
    analytics, interim = harness.names.analytics_table, harness.names.interim_table
    harness.injector.add(Fault("PutItem", analytics, when="after", times=1, error=read_timeout))
    harness.injector.add(Fault("DeleteItem", interim))
    harness.send([q("c"), r("c")])
    harness.drain()
    assert harness.receive_dead_letters(delete=False) == []
    assert harness.records()["c"].status == "answered"


# -- defect 2: the DLQ cannot be reached on the last receive ------------------------------------


def test_2_an_unreachable_dlq_never_takes_the_healthy_events_of_the_session_along(
    harness: Harness,
) -> None:
    harness.injector.add(
        Fault("SendMessage", harness.resources.dead_letter_queue_url, error=queue_missing)
    )
    ids = harness.send([("not json", "sess-1"), q("d"), r("d")])
    harness.drain()
    letters = harness.receive_dead_letters(delete=False)
    assert [letter.message_id for letter in letters] == [ids[0]]  # redriven by SQS itself
    assert harness.records()["d"].status == "answered"
    reason = harness.reason_of(letters[0])
    assert reason is not None and reason.startswith("(body)")


def test_2_a_failing_event_with_the_dlq_unreachable_keeps_its_reason_findable(
    harness: Harness,
) -> None:
    harness.injector.add(Fault("PutItem", harness.names.analytics_table, request_id="e"))
    harness.injector.add(
        Fault("SendMessage", harness.resources.dead_letter_queue_url, error=queue_missing)
    )
    ids = harness.send([q("e"), q("f")])
    harness.drain()
    letters = harness.receive_dead_letters(delete=False)
    assert [letter.message_id for letter in letters] == [ids[0]]
    assert harness.records()["f"].status == "unanswered"
    reason = harness.reason_of(letters[0])
    assert reason is not None and "EndpointConnectionError" in reason


# -- defect 3: numbers the contract accepted could not be stored --------------------------------


def test_3_numbers_are_bounded_by_the_contract_and_never_block_their_session(
    harness: Harness,
) -> None:
    huge_time = json.dumps({**response_event("x").to_wire(), "processingTimeMs": 1e300})
    huge_tokens = json.dumps(
        {**response_event("y").to_wire(), "tokens": {"input": 10**40, "output": 1}}
    )
    harness.send(
        [(huge_time, "sess-1"), (huge_tokens, "sess-1"), q("z"), r("z", matchScore=1e-200)]
    )
    harness.drain()
    assert harness.invocations == 1  # nothing retried
    reasons = sorted(
        (letter.kind, letter.reason or "") for letter in harness.receive_dead_letters(delete=False)
    )
    assert [kind for kind, _ in reasons] == ["schema", "schema"]
    assert reasons[0][1].startswith("processingTimeMs")
    assert reasons[1][1].startswith("tokens.input")
    record = harness.records()["z"]
    assert (record.status, record.match_score) == ("answered", 0.0)


# -- defect 4: the stored record depended on arrival order ---------------------------------------


def test_4_the_stored_record_is_the_same_whatever_the_order(harness: Harness) -> None:
    def events(request_id: str) -> tuple[tuple[str, str], tuple[str, str]]:
        return (
            q(request_id, truncatedFields=["query"]),
            # Stamped 5 s before its query (two hosts' clocks), no processingTimeMs.
            r(request_id, timestamp=BASE_TS - 5_000, truncatedFields=["response", "reasoning"]),
        )

    for request_id, order in (("o1", "qr"), ("o2", "rq")):
        query, response = events(request_id)
        for event in (query, response) if order == "qr" else (response, query):
            harness.send([event])
            harness.drain()
    for request_id, order in (("o3", "qr"), ("o4", "rq")):
        query, response = events(request_id)
        harness.send([query, response] if order == "qr" else [response, query])
        harness.drain()
    stored = {
        key: {
            name: value for name, value in item.items() if name not in ("requestId", "recordedAt")
        }
        for key, item in harness.raw_records().items()
    }
    assert len(stored) == 4
    first = stored["o1"]
    assert all(item == first for item in stored.values()), stored
    assert "processingTimeMs" not in first  # only what the events said
    assert harness.records()["o1"].elapsed_ms == 0.0
    assert harness.records()["o1"].truncated_fields == ["query", "reasoning", "response"]


# -- defect 5: a conflicting duplicate was dropped without trace ----------------------------------


def test_5_a_conflicting_duplicate_is_kept_as_evidence_and_the_record_keeps_the_first(
    harness: Harness,
) -> None:
    harness.send([q("g", query="What is her notice period?")])
    harness.drain()
    harness.send([q("g", query="Does she speak French?")])
    harness.drain()
    harness.send([r("g")])
    harness.drain()
    harness.send([r("g", error="model timed out")])
    harness.drain()
    harness.send([q("h", query="first"), q("h", query="second")])  # in one batch
    harness.drain()
    letters = harness.receive_dead_letters(delete=False)
    assert sorted((letter.request_id, letter.kind) for letter in letters) == [
        ("g", "conflict"),
        ("g", "conflict"),
        ("h", "conflict"),
    ]
    reasons = {json.loads(letter.body).get("eventType"): letter.reason or "" for letter in letters}
    assert "query" in reasons["query"]
    assert "error" in reasons["response"]
    records = harness.records()
    assert (records["g"].query, records["g"].status) == ("What is her notice period?", "answered")
    assert records["h"].query == "first"


# -- defect 6: a record written already expired --------------------------------------------------


def test_6_a_record_never_expires_before_it_is_written(harness: Harness) -> None:
    harness.send([q("old", timestamp=MIN_TIMESTAMP_MS), r("lost", timestamp=MIN_TIMESTAMP_MS)])
    harness.drain()
    harness.expire()  # the response's query never comes: an orphan, as old as the response
    records = harness.records()
    week_ms = 7 * DAY_MS
    for request_id in ("old", "lost"):
        assert records[request_id].expires_at * 1000 >= harness.clock() + week_ms, request_id


# -- suspected, and real -------------------------------------------------------------------------


def test_an_invalid_body_near_the_sqs_limit_is_still_quarantined_within_the_limit(
    harness: Harness,
) -> None:
    sent: list[dict[str, Any]] = []
    harness.sqs.meta.events.register(
        "before-parameter-build.sqs.SendMessage", lambda params, **_: sent.append(dict(params))
    )
    event = {key: value for key, value in query_event("big").to_wire().items() if key != "query"}
    filler = SQS_MAX_MESSAGE_BYTES - 200 - len(json.dumps({**event, "query": ""}))
    body = json.dumps({**event, "query": "q" * filler})  # too long a query, 200 bytes to spare
    ids = harness.send([(body, "sess-1")])
    harness.drain()
    [message] = sent
    size = len(message["MessageBody"].encode()) + sum(
        len(name.encode()) + len(value["DataType"].encode()) + len(value["StringValue"].encode())
        for name, value in message.get("MessageAttributes", {}).items()
    )
    assert size <= SQS_MAX_MESSAGE_BYTES
    [letter] = harness.receive_dead_letters(delete=False)
    assert letter.body == body
    reason = harness.reason_of(letter)
    assert reason is not None and reason.startswith("query"), (ids, reason)


def test_the_processor_follows_the_queue_s_redrive_policy_not_a_setting(harness: Harness) -> None:
    harness.set_max_receive_count(2)  # the worker's max_receive_count lowered; no setting changed
    harness.injector.add(Fault("PutItem", harness.names.analytics_table, request_id="k"))
    harness.send([q("k")])
    harness.drain()
    [letter] = harness.receive_dead_letters(delete=False)
    assert letter.kind == "failed"  # quarantined with its reason, not redriven without one


class ScriptedContext:
    """A Lambda context whose remaining time the test sets."""

    aws_request_id = "test-invocation"
    function_name = "processor"

    def __init__(self) -> None:
        self.remaining_ms = 30_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def test_a_lambda_about_to_time_out_acknowledges_what_it_did_and_starts_nothing_more(
    harness: Harness,
) -> None:
    context = ScriptedContext()

    def running_out(**_: Any) -> None:
        context.remaining_ms = 1_000

    harness.dynamodb.meta.events.register("after-call.dynamodb.PutItem", running_out)
    first = sqs_record(query_event("t1"), group="A")
    last_receive = sqs_record(query_event("t2"), group="B", receive_count=3)
    later = sqs_record(query_event("t3"), group="C")
    response = harness.processor.handle(sqs_event(first, last_receive, later), context)
    failed = {failure["itemIdentifier"] for failure in response["batchItemFailures"]}
    assert set(harness.records()) == {"t2"}  # the message on its last receive went first
    assert failed == {first["messageId"], later["messageId"]}


def test_5_a_parked_response_found_conflicting_when_its_park_expires_is_kept_as_evidence(
    harness: Harness,
) -> None:
    """A same-batch pair never reads the interim table: a conflicting response parked before it
    is found when its park expires, and kept in the DLQ (kind conflict), not dropped."""
    harness.send([r("p")])
    harness.drain()
    harness.send([q("p"), r("p", error="model timed out")])
    harness.drain()
    harness.expire()
    [letter] = harness.receive_dead_letters(delete=False)
    assert letter.body == r("p")[0]
    assert letter.kind == "conflict" and "error" in (letter.reason or "")
    assert harness.records()["p"].status == "failed"
    assert harness.parked() == {}


def test_2_with_the_dlq_and_the_note_unreachable_the_reason_is_still_in_the_log(
    harness: Harness,
) -> None:
    harness.injector.add(
        Fault("SendMessage", harness.resources.dead_letter_queue_url, error=queue_missing)
    )
    harness.injector.add(Fault("PutItem", harness.names.interim_table))  # no note either
    ids = harness.send([("not json", "sess-1"), q("n")])
    harness.drain()
    [letter] = harness.receive_dead_letters(delete=False)
    assert letter.message_id == ids[0]
    assert harness.reason_of(letter) is None
    logged = harness.logged_reason(letter)
    assert logged is not None and logged.startswith("(body)")
    assert harness.records()["n"].status == "unanswered"
