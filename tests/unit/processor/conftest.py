"""Fixtures for the processor's unit tests: moto in-process, the real tables and queues."""

from __future__ import annotations

import importlib
import json
import logging
import sys
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any, TypeVar

import boto3
import pytest
from aws_lambda_powertools import Logger
from moto import mock_aws

from analytics_contract import (
    AnalyticsRecord,
    FeedbackEvent,
    QueryEvent,
    ResponseEvent,
    dead_letters,
    parse_event,
)
from analytics_contract.storage import record_from_item
from cv_analytics.dev.resources import ResourceNames, Resources, create_all
from processor.correlator import Correlator
from processor.repository import Repository
from processor.settings import ProcessorSettings
from processor.sqs_batch import EventProcessor
from processor.wiring import build_correlator, build_event_processor
from tests.support.processor_harness import BASE_TS, NOW_MS
from tests.support.processor_harness import Clock as FakeClock
from tests.support.processor_harness import CountingMetrics as RecordingMetrics

__all__ = ["BASE_TS", "NOW_MS", "FakeClock", "RecordingMetrics"]


DEFAULTS: dict[str, dict[str, Any]] = {
    "query": {
        "timestamp": BASE_TS,
        "query": "What does she know about AWS?",
        "metadata": {"page": "/cv"},
    },
    "response": {
        "timestamp": BASE_TS + 1_500,
        "matchType": "full",
        "matchScore": 87.5,
        "response": "Lambda, DynamoDB, SQS.",
        "tokens": {"input": 100, "output": 40},
        "model": "small-llm",
    },
    "feedback": {"timestamp": BASE_TS + 30_000, "thumbs": "up"},
}


E = TypeVar("E", QueryEvent, ResponseEvent, FeedbackEvent)


def event_of(kind: type[E], request_id: str, overrides: dict[str, Any]) -> E:
    """A valid event of ``kind`` (session sess-1), with ``overrides`` (``None`` removes a field)."""
    event_type = {QueryEvent: "query", ResponseEvent: "response", FeedbackEvent: "feedback"}[kind]
    data = {
        "schemaVersion": 1,
        "eventType": event_type,
        "requestId": request_id,
        "sessionId": "sess-1",
        **DEFAULTS[event_type],
        **overrides,
    }
    event = parse_event({key: value for key, value in data.items() if value is not None})
    assert isinstance(event, kind)
    return event


def query_event(request_id: str = "req-1", **overrides: Any) -> QueryEvent:
    return event_of(QueryEvent, request_id, overrides)


def response_event(request_id: str = "req-1", **overrides: Any) -> ResponseEvent:
    return event_of(ResponseEvent, request_id, overrides)


def feedback_event(request_id: str = "req-1", **overrides: Any) -> FeedbackEvent:
    return event_of(FeedbackEvent, request_id, overrides)


def sqs_record(
    body: str | QueryEvent | ResponseEvent | FeedbackEvent,
    *,
    group: str = "sess-1",
    message_id: str | None = None,
    receive_count: int = 1,
    message_attributes: dict[str, Any] | None = None,
    queue_arn: str = "arn:aws:sqs:eu-west-2:123456789012:test-events.fifo",
) -> dict[str, Any]:
    """A record shaped like Lambda's SQS event records."""
    text = body if isinstance(body, str) else body.to_json()
    message_id = message_id or str(uuid.uuid4())
    return {
        "messageId": message_id,
        "receiptHandle": f"handle-{message_id}",
        "body": text,
        "attributes": {
            "ApproximateReceiveCount": str(receive_count),
            "SentTimestamp": "1763000000000",
            "SenderId": "AIDAEXAMPLE",
            "ApproximateFirstReceiveTimestamp": "1763000000001",
            "SequenceNumber": "18849496460467696128",
            "MessageGroupId": group,
            "MessageDeduplicationId": message_id,
        },
        "messageAttributes": message_attributes or {},
        "md5OfBody": "0" * 32,
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": "eu-west-2",
    }


def sqs_event(*records: dict[str, Any]) -> dict[str, Any]:
    return {"Records": list(records)}


@dataclass
class Aws:
    resources: Resources
    dynamodb: Any
    sqs: Any

    @property
    def names(self) -> ResourceNames:
        return self.resources.names

    def settings(self, **overrides: str) -> ProcessorSettings:
        return ProcessorSettings.from_environment(
            {
                "QUERY_EVENTS_TABLE": self.names.interim_table,
                "ANALYTICS_TABLE": self.names.analytics_table,
                "DEAD_LETTER_QUEUE_URL": self.resources.dead_letter_queue_url,
                **overrides,
            }
        )

    def records(self) -> dict[str, AnalyticsRecord]:
        items = self.dynamodb.scan(TableName=self.names.analytics_table, ConsistentRead=True)
        return {item["requestId"]["S"]: record_from_item(item) for item in items["Items"]}

    def raw_record(self, request_id: str) -> dict[str, Any] | None:
        item: dict[str, Any] | None = self.dynamodb.get_item(
            TableName=self.names.analytics_table,
            Key={"requestId": {"S": request_id}},
            ConsistentRead=True,
        ).get("Item")
        return item

    def parked(self) -> dict[str, dict[str, Any]]:
        items = self.dynamodb.scan(TableName=self.names.interim_table, ConsistentRead=True)
        return {
            item["requestId"]["S"]: item
            for item in items["Items"]
            if not dead_letters.is_note_key(item["requestId"]["S"])
        }

    def dead_letters(self) -> list[dict[str, Any]]:
        """Every message of the dead-letter queue (consumed: FIFO groups block while in flight)."""
        messages: list[dict[str, Any]] = []
        while True:
            batch = self.sqs.receive_message(
                QueueUrl=self.resources.dead_letter_queue_url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=0,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
                VisibilityTimeout=300,
            ).get("Messages", [])
            if not batch:
                return messages
            messages.extend(batch)
            self.sqs.delete_message_batch(
                QueueUrl=self.resources.dead_letter_queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)
                ],
            )


@pytest.fixture
def aws() -> Iterator[Aws]:
    with mock_aws():
        resources = create_all(ResourceNames(f"t{uuid.uuid4().hex[:8]}"))
        yield Aws(resources, boto3.client("dynamodb"), boto3.client("sqs"))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(aws: Aws) -> Repository:
    return Repository(
        aws.dynamodb,
        analytics_table=aws.names.analytics_table,
        interim_table=aws.names.interim_table,
    )


@pytest.fixture
def metrics() -> RecordingMetrics:
    return RecordingMetrics()


@pytest.fixture
def correlator(aws: Aws, clock: FakeClock, metrics: RecordingMetrics) -> Correlator:
    return build_correlator(
        aws.settings(), dynamodb=aws.dynamodb, sqs=aws.sqs, metrics=metrics, clock=clock
    )


def make_logger(level: str = "WARNING", handler: logging.Handler | None = None) -> Logger:
    """A powertools logger of its own: loggers of one service name share their configuration."""
    return Logger(
        service=f"processor-test-{uuid.uuid4().hex[:8]}", level=level, logger_handler=handler
    )


@pytest.fixture
def quiet_logger() -> Logger:
    return make_logger()


@pytest.fixture
def event_processor(
    aws: Aws, clock: FakeClock, metrics: RecordingMetrics, quiet_logger: Logger
) -> EventProcessor:
    return build_event_processor(
        aws.settings(),
        logger=quiet_logger,
        metrics=metrics,
        dynamodb=aws.dynamodb,
        sqs=aws.sqs,
        clock=clock,
    )


def failed_ids(response: Mapping[str, Any]) -> set[str]:
    return {failure["itemIdentifier"] for failure in response.get("batchItemFailures", [])}


def body_of(message: dict[str, Any]) -> Any:
    return json.loads(message["Body"])


#: The metrics namespace the cold-started handlers publish to in these tests.
NAMESPACE = "CvAnalyticsTest"


@pytest.fixture
def lambda_environment(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("QUERY_EVENTS_TABLE", aws.names.interim_table)
    monkeypatch.setenv("ANALYTICS_TABLE", aws.names.analytics_table)
    monkeypatch.setenv("DEAD_LETTER_QUEUE_URL", aws.resources.dead_letter_queue_url)
    monkeypatch.setenv("CORRELATION_WINDOW_HOURS", "1")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", NAMESPACE)
    yield
    for module in ("processor.app", "processor.expiry_app"):
        sys.modules.pop(module, None)


def cold_start(module: str) -> ModuleType:
    sys.modules.pop(module, None)
    return importlib.import_module(module)
