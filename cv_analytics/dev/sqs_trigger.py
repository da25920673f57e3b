"""A local stand-in for Lambda's SQS event source mapping, against a real queue (moto).

It does what the mapping does for a function with ``ReportBatchItemFailures``: receive up to 10
messages with all their attributes, invoke the handler with an event shaped exactly like Lambda's
and a context object, delete the messages that succeeded, and leave the failures on the queue, so
that the queue's redrive policy moves a message to the dead-letter queue after
``maxReceiveCount`` receives. If the handler raises, or answers with a malformed failure list,
the whole batch is left for redelivery, as Lambda does.

Local convenience (not Lambda behaviour): ``retry_delay_seconds`` makes failed messages visible
again after that many seconds (``ChangeMessageVisibility``) instead of at the end of the queue's
visibility timeout (180 s here), so tests and demos see retries and redrives at once. Lambda long
polls (20 s); the trigger defaults to short polls so that :meth:`SqsTrigger.drain` returns as soon
as the queue is empty.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient
    from mypy_boto3_sqs.type_defs import MessageAttributeValueOutputTypeDef, MessageTypeDef

Handler = Callable[[dict[str, Any], Any], Any]

#: The system attributes Lambda puts in ``attributes`` (the FIFO ones only on a FIFO queue).
LAMBDA_SYSTEM_ATTRIBUTES = (
    "ApproximateReceiveCount",
    "SentTimestamp",
    "SenderId",
    "ApproximateFirstReceiveTimestamp",
    "SequenceNumber",
    "MessageGroupId",
    "MessageDeduplicationId",
    "AWSTraceHeader",
    "DeadLetterQueueSourceArn",
)
MAX_BATCH_SIZE = 10


@dataclass
class LocalLambdaContext:
    """The parts of Lambda's context object that handlers and powertools read."""

    function_name: str = "processor"
    region: str = "eu-west-2"
    account_id: str = "123456789012"
    memory_limit_in_mb: int = 256
    timeout_seconds: int = 30
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    _started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"local/[{self.function_version}]{self.aws_request_id}"

    def get_remaining_time_in_millis(self) -> int:
        elapsed = time.monotonic() - self._started
        return max(0, int((self.timeout_seconds - elapsed) * 1000))


def lambda_message_attributes(
    attributes: Mapping[str, MessageAttributeValueOutputTypeDef],
) -> dict[str, dict[str, Any]]:
    """``ReceiveMessage``'s ``MessageAttributes`` in the shape of a Lambda SQS record."""
    converted: dict[str, dict[str, Any]] = {}
    for name, value in attributes.items():
        entry: dict[str, Any] = {}
        if "StringValue" in value:
            entry["stringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            entry["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode("ascii")
        entry["stringListValues"] = list(value.get("StringListValues", []))
        entry["binaryListValues"] = [
            base64.b64encode(item).decode("ascii") for item in value.get("BinaryListValues", [])
        ]
        entry["dataType"] = value["DataType"]
        converted[name] = entry
    return converted


def lambda_sqs_record(message: MessageTypeDef, *, queue_arn: str, region: str) -> dict[str, Any]:
    """One received message as Lambda puts it in ``event["Records"]``."""
    received = message.get("Attributes", {})
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {
            name: str(received[name]) for name in LAMBDA_SYSTEM_ATTRIBUTES if name in received
        },
        "messageAttributes": lambda_message_attributes(message.get("MessageAttributes", {})),
        "md5OfBody": message["MD5OfBody"],
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    record.update({"eventSource": "aws:sqs", "eventSourceARN": queue_arn, "awsRegion": region})
    return record


def failed_message_ids(response: Any, message_ids: Sequence[str]) -> set[str]:
    """The messages to retry, read from the handler's answer the way Lambda reads it.

    Success for all: ``None``, ``{}``, or an empty or null ``batchItemFailures``. Failure for all:
    an answer that is not an object, or an item without a known ``itemIdentifier``.
    """
    if response is None:
        return set()
    if not isinstance(response, Mapping):
        return set(message_ids)
    failures = response.get("batchItemFailures")
    if not failures:
        return set()
    if not isinstance(failures, list):
        return set(message_ids)
    failed: set[str] = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, Mapping) else None
        if not isinstance(identifier, str) or identifier not in message_ids:
            return set(message_ids)
        failed.add(identifier)
    return failed


@dataclass(frozen=True)
class BatchResult:
    received: int
    succeeded: int
    failed: int
    handler_error: str | None = None


@dataclass
class DrainResult:
    batches: int = 0
    received: int = 0
    succeeded: int = 0
    failed: int = 0
    handler_errors: int = 0
    left_visible: int = 0
    left_in_flight: int = 0

    def add(self, batch: BatchResult) -> None:
        self.batches += 1
        self.received += batch.received
        self.succeeded += batch.succeeded
        self.failed += batch.failed
        self.handler_errors += batch.handler_error is not None


class SqsTrigger:
    """Polls one queue and invokes one handler, like a Lambda event source mapping."""

    def __init__(
        self,
        sqs: SQSClient,
        queue_url: str,
        handler: Handler,
        *,
        batch_size: int = MAX_BATCH_SIZE,
        wait_time_seconds: int = 0,
        retry_delay_seconds: int | None = None,
        function_name: str = "processor",
    ) -> None:
        if not 1 <= batch_size <= MAX_BATCH_SIZE:
            raise ValueError(f"batch_size must be 1-{MAX_BATCH_SIZE}, got {batch_size}")
        self._sqs = sqs
        self._queue_url = queue_url
        self._handler = handler
        self._batch_size = batch_size
        self._wait_time_seconds = wait_time_seconds
        self._retry_delay_seconds = retry_delay_seconds
        self._function_name = function_name
        self._region = sqs.meta.region_name
        self._queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]

    def poll(self) -> BatchResult:
        """One receive, one invocation; returns what happened to the batch."""
        messages = self._sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=self._batch_size,
            WaitTimeSeconds=self._wait_time_seconds,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return BatchResult(0, 0, 0)
        records = [
            lambda_sqs_record(message, queue_arn=self._queue_arn, region=self._region)
            for message in messages
        ]
        message_ids = [record["messageId"] for record in records]
        context = LocalLambdaContext(
            function_name=self._function_name, region=self._region or "eu-west-2"
        )
        handler_error: str | None = None
        try:
            response = self._handler({"Records": records}, context)
        except Exception as error:  # noqa: BLE001 - as Lambda: a function error retries the batch
            handler_error = f"{type(error).__name__}: {error}"
            failed = set(message_ids)
        else:
            failed = failed_message_ids(response, message_ids)
        done = [message for message in messages if message["MessageId"] not in failed]
        retry = [message for message in messages if message["MessageId"] in failed]
        self._delete(done)
        if self._retry_delay_seconds is not None:
            self._make_visible(retry, self._retry_delay_seconds)
        return BatchResult(len(messages), len(done), len(retry), handler_error)

    def drain(
        self, *, max_batches: int = 100_000, idle_timeout_seconds: float = 5.0
    ) -> DrainResult:
        """Poll until the queue is empty; returns the counts.

        Failed messages that wait out a visibility timeout are waited for only when
        ``retry_delay_seconds`` is set (up to ``idle_timeout_seconds`` past the delay); otherwise
        the drain stops and reports them in ``left_in_flight``.
        """
        result = DrainResult()
        idle_since: float | None = None
        wait_limit = idle_timeout_seconds + (self._retry_delay_seconds or 0)
        while result.batches < max_batches:
            batch = self.poll()
            if batch.received:
                result.add(batch)
                idle_since = None
                continue
            visible, in_flight = self._counts()
            waiting = in_flight if self._retry_delay_seconds is not None else 0
            if visible == 0 and waiting == 0:
                break
            now = time.monotonic()
            idle_since = idle_since if idle_since is not None else now
            if now - idle_since > wait_limit:
                break
            time.sleep(0.05)
        result.left_visible, result.left_in_flight = self._counts()
        return result

    def _counts(self) -> tuple[int, int]:
        attributes = self._sqs.get_queue_attributes(
            QueueUrl=self._queue_url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
            ],
        )["Attributes"]
        return (
            int(attributes.get("ApproximateNumberOfMessages", "0")),
            int(attributes.get("ApproximateNumberOfMessagesNotVisible", "0")),
        )

    def _delete(self, messages: Sequence[MessageTypeDef]) -> None:
        for start in range(0, len(messages), MAX_BATCH_SIZE):
            chunk = messages[start : start + MAX_BATCH_SIZE]
            self._sqs.delete_message_batch(
                QueueUrl=self._queue_url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                    for index, message in enumerate(chunk)
                ],
            )

    def _make_visible(self, messages: Sequence[MessageTypeDef], delay_seconds: int) -> None:
        for start in range(0, len(messages), MAX_BATCH_SIZE):
            chunk = messages[start : start + MAX_BATCH_SIZE]
            self._sqs.change_message_visibility_batch(
                QueueUrl=self._queue_url,
                Entries=[
                    {
                        "Id": str(index),
                        "ReceiptHandle": message["ReceiptHandle"],
                        "VisibilityTimeout": delay_seconds,
                    }
                    for index, message in enumerate(chunk)
                ],
            )
