"""The local SQS event source mapping against moto's queues."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from cv_analytics.dev.resources import MAX_RECEIVE_COUNT
from cv_analytics.dev.sqs_trigger import SqsTrigger, failed_message_ids
from tests.unit.dev.conftest import Aws

LAMBDA_RECORD_KEYS = [
    "messageId",
    "receiptHandle",
    "body",
    "attributes",
    "messageAttributes",
    "md5OfBody",
    "md5OfMessageAttributes",
    "eventSource",
    "eventSourceARN",
    "awsRegion",
]


def send(aws: Aws, body: str, group: str = "g", dedup: str | None = None, **extra: Any) -> None:
    aws.sqs.send_message(
        QueueUrl=aws.resources.queue_url,
        MessageBody=body,
        MessageGroupId=group,
        MessageDeduplicationId=dedup or body,
        **extra,
    )


class Recorder:
    def __init__(self, fail: set[str] | None = None, raise_error: bool = False) -> None:
        self.events: list[dict[str, Any]] = []
        self.contexts: list[Any] = []
        self.fail = fail or set()
        self.raise_error = raise_error

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.events.append(event)
        self.contexts.append(context)
        if self.raise_error:
            raise RuntimeError("function error")
        return {
            "batchItemFailures": [
                {"itemIdentifier": record["messageId"]}
                for record in event["Records"]
                if record["body"] in self.fail
            ]
        }

    def bodies(self) -> list[list[str]]:
        return [[record["body"] for record in event["Records"]] for event in self.events]


def test_records_and_context_are_shaped_like_lambdas(aws: Aws) -> None:
    send(
        aws,
        "hello",
        MessageAttributes={
            "kind": {"DataType": "String", "StringValue": "query"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )
    recorder = Recorder()
    SqsTrigger(aws.sqs, aws.resources.queue_url, recorder, function_name="proc").poll()
    [record] = recorder.events[0]["Records"]
    assert list(record) == LAMBDA_RECORD_KEYS
    assert record["body"] == "hello"
    assert record["md5OfBody"] == hashlib.md5(b"hello").hexdigest()
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == aws.resources.queue_arn
    assert record["awsRegion"] == "eu-west-2"
    assert set(record["attributes"]) == {
        "ApproximateReceiveCount",
        "SentTimestamp",
        "SenderId",
        "ApproximateFirstReceiveTimestamp",
        "SequenceNumber",
        "MessageGroupId",
        "MessageDeduplicationId",
    }
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["attributes"]["MessageGroupId"] == "g"
    assert record["messageAttributes"] == {
        "kind": {
            "stringValue": "query",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        },
        "blob": {
            "binaryValue": "AAE=",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "Binary",
        },
    }
    context = recorder.contexts[0]
    assert context.function_name == "proc"
    assert context.invoked_function_arn.endswith(":function:proc")
    assert context.aws_request_id and 0 < context.get_remaining_time_in_millis() <= 30_000


def test_successes_are_deleted_and_failures_redelivered_until_redrive(aws: Aws) -> None:
    for body in ("ok-1", "bad", "ok-2"):
        send(aws, body, group=body)
    recorder = Recorder(fail={"bad"})
    trigger = SqsTrigger(aws.sqs, aws.resources.queue_url, recorder, retry_delay_seconds=0)
    result = trigger.drain()
    assert (result.succeeded, result.failed) == (2, MAX_RECEIVE_COUNT)
    assert (
        sum(body == "bad" for bodies in recorder.bodies() for body in bodies) == MAX_RECEIVE_COUNT
    )
    counts = [
        int(record["attributes"]["ApproximateReceiveCount"])
        for event in recorder.events
        for record in event["Records"]
        if record["body"] == "bad"
    ]
    assert counts == [1, 2, 3]
    [dead] = aws.dead_letters()
    assert dead["Body"] == "bad"
    assert (result.left_visible, result.left_in_flight) == (0, 0)


def test_a_handler_error_leaves_the_whole_batch(aws: Aws) -> None:
    for body in ("a", "b"):
        send(aws, body, group=body)
    trigger = SqsTrigger(
        aws.sqs, aws.resources.queue_url, Recorder(raise_error=True), retry_delay_seconds=0
    )
    first = trigger.poll()
    assert (first.received, first.failed) == (2, 2)
    assert first.handler_error == "RuntimeError: function error"
    result = trigger.drain()
    assert result.handler_errors == MAX_RECEIVE_COUNT - 1
    assert sorted(message["Body"] for message in aws.dead_letters()) == ["a", "b"]


def test_without_the_retry_delay_failures_wait_out_the_visibility_timeout(aws: Aws) -> None:
    send(aws, "bad", group="g")
    send(aws, "next-in-group", group="g")
    send(aws, "other", group="h")
    recorder = Recorder(fail={"bad", "next-in-group"})
    result = SqsTrigger(aws.sqs, aws.resources.queue_url, recorder).drain(idle_timeout_seconds=0)
    assert result.failed == 2 and result.succeeded == 1
    assert result.left_in_flight == 2  # Lambda would see them again after 180 s
    assert aws.dead_letters() == []


def test_long_batches_are_received_up_to_ten(aws: Aws) -> None:
    for number in range(25):
        send(aws, f"m{number}", group="g")
    recorder = Recorder()
    result = SqsTrigger(aws.sqs, aws.resources.queue_url, recorder).drain()
    assert result.received == 25
    assert [len(bodies) for bodies in recorder.bodies()] == [10, 10, 5]
    assert [body for bodies in recorder.bodies() for body in bodies] == [f"m{n}" for n in range(25)]


def test_batch_size_is_checked() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        SqsTrigger(None, "url", Recorder(), batch_size=11)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("response", "failed"),
    [
        (None, set()),
        ({}, set()),
        ({"batchItemFailures": []}, set()),
        ({"batchItemFailures": None}, set()),
        ({"batchItemFailures": [{"itemIdentifier": "b"}]}, {"b"}),
        ({"batchItemFailures": [{"itemIdentifier": "zzz"}]}, {"a", "b"}),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, {"a", "b"}),
        ({"batchItemFailures": [{"id": "a"}]}, {"a", "b"}),
        ("not an object", {"a", "b"}),
    ],
)
def test_failure_lists_are_read_the_way_lambda_reads_them(response: Any, failed: set[str]) -> None:
    assert failed_message_ids(response, ["a", "b"]) == failed
