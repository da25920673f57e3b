"""The processor and its expiry function on moto, with faults injected at every AWS call.

A :class:`Harness` provisions one stack's queues and tables (inside an active ``mock_aws``),
wires the real functions through :mod:`processor.wiring` with boto3 clients that carry a
:class:`~tests.support.aws_faults.FaultInjector`, and drives them the way AWS would:

- :meth:`Harness.drain`: the local SQS event source mapping (real receive counts, real redrive to
  the dead-letter queue after ``maxReceiveCount`` receives; failed messages come back at once);
- :meth:`Harness.expire`: the local TTL stand-in feeding the expiry function the interim table's
  stream (``REMOVE`` records of the TTL principal);
- :meth:`Harness.replay`: ``cv-analytics dlq replay`` (every DLQ message back to the queue).

What it reads back (records, parks, dead letters with their reasons) is read through clients
without faults. Used by the processor's fault tests and by ``python -m bench.faults``.
"""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import boto3
from aws_lambda_powertools import Logger

from analytics_contract import AnalyticsRecord, dead_letters
from analytics_contract.storage import from_attribute_values, record_from_item
from cv_analytics.dev.resources import ResourceNames, Resources, create_all
from cv_analytics.dev.sqs_trigger import DrainResult, SqsTrigger
from cv_analytics.dev.ttl import ExpiryResult, expire_items
from processor.metrics import PUBLISHED_METRICS
from processor.settings import ProcessorSettings
from processor.wiring import build_event_processor, build_expiry_processor
from tests.support.aws_faults import FaultInjector, InvocationDied

BASE_TS = 1_763_000_000_000  # 2025-11-13T02:13:20Z, ISO week 2025-W46
NOW_MS = BASE_TS + 60_000


@dataclass
class Clock:
    now: int = NOW_MS

    def __call__(self) -> int:
        return self.now


@dataclass
class CountingMetrics:
    """A :class:`processor.metrics.MetricSink` that keeps everything across invocations:
    ``counts``, the published metrics' sums; ``metadata_set``, the other counts (EMF metadata,
    summed by :func:`processor.metrics.count`, never cleared here)."""

    counts: dict[str, float] = field(default_factory=dict)
    metadata_set: dict[str, Any] = field(default_factory=dict)

    def add_metric(self, name: str, unit: Any, value: float, resolution: int = 60) -> None:
        assert name in PUBLISHED_METRICS, f"{name} published as a CloudWatch metric"
        self.counts[name] = self.counts.get(name, 0) + value

    def add_metadata(self, key: str, value: Any) -> None:
        self.metadata_set[key] = value


@dataclass(frozen=True)
class DeadLetter:
    message_id: str
    body: str
    attributes: dict[str, str]
    deduplication_id: str | None

    @property
    def kind(self) -> str | None:
        return self.attributes.get(dead_letters.KIND)

    @property
    def reason(self) -> str | None:
        return self.attributes.get(dead_letters.REASON)

    @property
    def request_id(self) -> str | None:
        try:
            value = json.loads(self.body).get("requestId")
        except (ValueError, AttributeError):
            return None
        return value if isinstance(value, str) else None


@dataclass
class Clients:
    """The boto3 clients of a harness (creating a client takes a tenth of a second: a run of many
    harnesses shares one set, and each harness starts with fresh injectors)."""

    peek_dynamodb: Any
    peek_sqs: Any
    injector: FaultInjector
    dynamodb: Any
    sqs: Any
    expiry_injector: FaultInjector
    expiry_dynamodb: Any
    expiry_sqs: Any

    @classmethod
    def create(cls) -> Clients:
        # One injector per function: a fault can target the processor's calls or the expiry's.
        injector, expiry_injector = FaultInjector(), FaultInjector()
        return cls(
            peek_dynamodb=boto3.client("dynamodb"),
            peek_sqs=boto3.client("sqs"),
            injector=injector,
            dynamodb=injector.attach(boto3.client("dynamodb")),
            sqs=injector.attach(boto3.client("sqs")),
            expiry_injector=expiry_injector,
            expiry_dynamodb=expiry_injector.attach(boto3.client("dynamodb")),
            expiry_sqs=expiry_injector.attach(boto3.client("sqs")),
        )

    def reset(self) -> None:
        for injector in (self.injector, self.expiry_injector):
            injector.faults.clear()
            injector.calls.clear()
            injector.effective.clear()


class Harness:
    def __init__(
        self,
        *,
        prefix: str | None = None,
        environment: dict[str, str] | None = None,
        max_receive_count: int | None = None,
        log_level: str = "WARNING",
        clients: Clients | None = None,
    ) -> None:
        if clients is None:
            clients = Clients.create()
        else:
            clients.reset()
        self.names = ResourceNames(prefix or f"h{uuid.uuid4().hex[:8]}")
        self.resources: Resources = create_all(self.names)
        self.peek_dynamodb = clients.peek_dynamodb
        self.peek_sqs = clients.peek_sqs
        if max_receive_count is not None:
            self.set_max_receive_count(max_receive_count)
        self.injector = clients.injector
        self.dynamodb = clients.dynamodb
        self.sqs = clients.sqs
        self.expiry_injector = clients.expiry_injector
        self.expiry_dynamodb = clients.expiry_dynamodb
        self.expiry_sqs = clients.expiry_sqs
        self.clock = Clock()
        self.metrics = CountingMetrics()
        self.log = io.StringIO()
        self.logger = Logger(
            service=f"harness-{uuid.uuid4().hex[:8]}",
            level=log_level,
            logger_handler=logging.StreamHandler(self.log),
        )
        self.settings = ProcessorSettings.from_environment(
            {
                "QUERY_EVENTS_TABLE": self.names.interim_table,
                "ANALYTICS_TABLE": self.names.analytics_table,
                "DEAD_LETTER_QUEUE_URL": self.resources.dead_letter_queue_url,
                **(environment or {}),
            }
        )
        self.processor = build_event_processor(
            self.settings,
            logger=self.logger,
            metrics=self.metrics,
            dynamodb=self.dynamodb,
            sqs=self.sqs,
            clock=self.clock,
        )
        self.expiry = build_expiry_processor(
            self.settings,
            logger=self.logger,
            metrics=self.metrics,
            dynamodb=self.expiry_dynamodb,
            sqs=self.expiry_sqs,
            clock=self.clock,
        )
        self.invocations = 0
        self.died = 0
        self._sent = 0

    # -- driving ------------------------------------------------------------------------------

    def set_max_receive_count(self, count: int) -> None:
        policy = {
            "deadLetterTargetArn": self.resources.dead_letter_queue_arn,
            "maxReceiveCount": count,
        }
        self.peek_sqs.set_queue_attributes(
            QueueUrl=self.resources.queue_url, Attributes={"RedrivePolicy": json.dumps(policy)}
        )

    def send(self, messages: Iterable[tuple[str, str]]) -> list[str]:
        """Send (body, message group) pairs in order; returns their message ids."""
        ids = []
        for body, group in messages:
            self._sent += 1
            ids.append(
                self.peek_sqs.send_message(
                    QueueUrl=self.resources.queue_url,
                    MessageBody=body,
                    MessageGroupId=group,
                    MessageDeduplicationId=f"d{self._sent}",
                )["MessageId"]
            )
        return ids

    def invoke(self, event: dict[str, Any], context: Any) -> Any:
        self.invocations += 1
        try:
            return self.processor.handle(event, context)
        except InvocationDied as death:
            self.died += 1
            raise RuntimeError(str(death)) from None

    def drain(self, *, batch_size: int = 10) -> DrainResult:
        trigger = SqsTrigger(
            self.peek_sqs,
            self.resources.queue_url,
            self.invoke,
            batch_size=batch_size,
            retry_delay_seconds=0,
        )
        return trigger.drain(idle_timeout_seconds=0.5)

    def expire(self, *, after_seconds: int = 2 * 86_400) -> ExpiryResult:
        """Time passes (by default two days: every park's window has closed; the dead-letter
        notes, kept 15 days, stay) and the interim table's TTL deletes what expired."""

        def handler(event: dict[str, Any], context: Any) -> Any:
            try:
                return self.expiry.handle(event, context)
            except InvocationDied as death:
                raise RuntimeError(str(death)) from None

        return expire_items(
            self.peek_dynamodb,
            self.names.interim_table,
            handler,
            now=self.clock() // 1000 + after_seconds,
            max_attempts=10,
        )

    def replay(self) -> int:
        """Every dead letter back to the queue (what ``cv-analytics dlq replay`` does)."""
        letters = self.receive_dead_letters(delete=True)
        for letter in letters:
            attributes: dict[str, Any] = {
                name: {"DataType": "String", "StringValue": value}
                for name, value in letter.attributes.items()
                if name not in dead_letters.QUARANTINE_ATTRIBUTES
            }
            self.peek_sqs.send_message(
                QueueUrl=self.resources.queue_url,
                MessageBody=letter.body,
                MessageAttributes=attributes,
                MessageGroupId="replay",
                MessageDeduplicationId=f"replay-{letter.message_id}",
            )
        return len(letters)

    # -- reading back ---------------------------------------------------------------------------

    def records(self) -> dict[str, AnalyticsRecord]:
        items = self._scan(self.names.analytics_table)
        return {item["requestId"]["S"]: record_from_item(item) for item in items}

    def raw_records(self) -> dict[str, dict[str, Any]]:
        items = self._scan(self.names.analytics_table)
        return {item["requestId"]["S"]: from_attribute_values(item) for item in items}

    def interim_items(self) -> dict[str, dict[str, Any]]:
        items = self._scan(self.names.interim_table)
        return {item["requestId"]["S"]: from_attribute_values(item) for item in items}

    def parked(self) -> dict[str, dict[str, Any]]:
        return {
            key: item
            for key, item in self.interim_items().items()
            if not dead_letters.is_note_key(key)
        }

    def notes(self) -> dict[str, dead_letters.DeadLetterNote]:
        """The reasons kept for dead letters that carry none, by the source message id."""
        notes = {}
        for key, item in self.interim_items().items():
            if dead_letters.is_note_key(key):
                note = dead_letters.note_from_item(item)
                notes[note.message_id] = note
        return notes

    def receive_dead_letters(self, *, delete: bool) -> list[DeadLetter]:
        letters: list[DeadLetter] = []
        handles: list[str] = []
        while True:
            batch = self.peek_sqs.receive_message(
                QueueUrl=self.resources.dead_letter_queue_url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=0,
                VisibilityTimeout=600,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not batch:
                break
            for message in batch:
                handles.append(message["ReceiptHandle"])
                letters.append(
                    DeadLetter(
                        message_id=message["MessageId"],
                        body=message["Body"],
                        attributes={
                            name: value["StringValue"]
                            for name, value in message.get("MessageAttributes", {}).items()
                            if "StringValue" in value
                        },
                        deduplication_id=message.get("Attributes", {}).get(
                            "MessageDeduplicationId"
                        ),
                    )
                )
        for handle in handles:
            if delete:
                self.peek_sqs.delete_message(
                    QueueUrl=self.resources.dead_letter_queue_url, ReceiptHandle=handle
                )
            else:
                self.peek_sqs.change_message_visibility(
                    QueueUrl=self.resources.dead_letter_queue_url,
                    ReceiptHandle=handle,
                    VisibilityTimeout=0,
                )
        return letters

    def reason_of(self, letter: DeadLetter) -> str | None:
        """Where an operator finds why a dead letter is there: its attributes, or else the note
        kept under its message id (SQS's redrive keeps it) or its deduplication id (on a FIFO
        DLQ, SQS sets it to the source message id; the processor's sends use it too)."""
        if letter.reason:
            return letter.reason
        notes = self.notes()
        for key in (letter.message_id, letter.deduplication_id):
            if key and key in notes:
                return notes[key].reason
        return None

    def logged_reason(self, letter: DeadLetter) -> str | None:
        """The reason the processor logged with the message id (the last resort, when even the
        note could not be written)."""
        for line in self.log.getvalue().splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("messageId") in (letter.message_id, letter.deduplication_id) and entry.get(
                "reason"
            ):
                return str(entry["reason"])
        return None

    def _scan(self, table: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        paginator = self.peek_dynamodb.get_paginator("scan")
        for page in paginator.paginate(TableName=table, ConsistentRead=True):
            items.extend(page["Items"])
        return items
