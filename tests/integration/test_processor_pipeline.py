"""The processor end to end on a moto server: a shuffled, duplicated, partly invalid stream.

1,000 questions (2,000 events) are sent in random order across 100 FIFO groups (sessions), with
10% of the events sent twice and a few invalid messages mixed in. The local event source mapping
drains the queue into the real Lambda handler, over HTTP, batching as Lambda would.

The producer stays at most :data:`WAVE` messages ahead of the consumer, as on a live queue. That
also keeps the test fast: moto's SQS recounts the whole queue on every send and receive, so a
queue holding all 2,200 messages at once costs minutes.
"""

from __future__ import annotations

import importlib
import json
import logging
import random
import sys
import uuid
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import boto3
import pytest

from analytics_contract import QueryEvent, ResponseEvent
from analytics_contract.storage import record_from_item
from cv_analytics.dev.emulator import LocalAws
from cv_analytics.dev.resources import ResourceNames, Resources, create_all
from cv_analytics.dev.sqs_trigger import DrainResult, SqsTrigger
from cv_analytics.dev.ttl import expire_items
from processor.metrics import SERVICE_NAME

pytestmark = pytest.mark.integration

QUESTIONS = 1_000
SESSIONS = 100
DUPLICATE_SHARE = 0.10
WAVE = 50
START_MS = 1_763_000_000_000  # 2025-11-13, ISO week 2025-W46

INVALID = {
    # body -> the field its quarantine reason must name
    "{oops": "(body)",
    json.dumps(["not", "an", "object"]): "(event)",
    json.dumps({"schemaVersion": 1, "eventType": "click", "requestId": "x"}): "eventType",
    json.dumps(
        {
            "schemaVersion": 1,
            "eventType": "query",
            "requestId": "bad id",
            "timestamp": 1_763_000_000_000,
            "sessionId": "s",
            "query": "q",
        }
    ): "requestId",
    json.dumps(
        {
            "schemaVersion": 1,
            "eventType": "response",
            "requestId": "r",
            "timestamp": 1_763_000_000_000,
            "matchType": "full",
            "matchScore": 250,
        }
    ): "matchScore",
}


def question(number: int) -> tuple[QueryEvent, ResponseEvent, str]:
    session = f"session-{number % SESSIONS:03d}"
    request_id = f"req-{number:05d}"
    asked = START_MS + number * 7_919
    query = QueryEvent(
        schema_version=1,
        event_type="query",
        request_id=request_id,
        timestamp=asked,
        session_id=session,
        query=f"Question {number}?",
    )
    response = ResponseEvent(
        schema_version=1,
        event_type="response",
        request_id=request_id,
        timestamp=asked + 200 + number % 900,
        session_id=session,
        match_type=("full", "partial", "none")[number % 3],
        match_score=float(number % 101),
        response=f"Answer {number}.",
    )
    return query, response, session


@pytest.fixture
def stack(local_aws: LocalAws, monkeypatch: pytest.MonkeyPatch) -> Iterator[Resources]:
    resources = create_all(
        ResourceNames(f"proc-{uuid.uuid4().hex[:8]}"),
        endpoint_url=local_aws.endpoint_url,
        region=local_aws.region,
    )
    environment = {
        **local_aws.environment(),
        "QUERY_EVENTS_TABLE": resources.names.interim_table,
        "ANALYTICS_TABLE": resources.names.analytics_table,
        "DEAD_LETTER_QUEUE_URL": resources.dead_letter_queue_url,
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    # cold_start quiets the service's logger, which outlives this test (it is process-wide): put
    # its level back, or a later test in this worker never sees the processor's INFO lines.
    service_logger = logging.getLogger(SERVICE_NAME)
    level = service_logger.level
    yield resources
    # NOTSET: this test configured it first; powertools would have given it INFO by default.
    service_logger.setLevel(level or logging.INFO)
    for module in ("processor.app", "processor.expiry_app"):
        sys.modules.pop(module, None)


def cold_start(module: str) -> ModuleType:
    sys.modules.pop(module, None)
    loaded = importlib.import_module(module)
    loaded.logger.setLevel("WARNING")  # the service's logger may predate this test
    return loaded


def send_all(
    sqs: Any, queue_url: str, messages: list[tuple[str, str]], *, first_number: int = 0
) -> None:
    for start in range(0, len(messages), 10):
        chunk = messages[start : start + 10]
        response = sqs.send_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {
                    "Id": str(index),
                    "MessageBody": body,
                    "MessageGroupId": group,
                    "MessageDeduplicationId": f"m-{first_number + start + index}",
                }
                for index, (body, group) in enumerate(chunk)
            ],
        )
        assert not response.get("Failed"), response["Failed"]


def drain_queue(sqs: Any, url: str) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    while batch := sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0, MessageAttributeNames=["All"]
    ).get("Messages", []):
        messages.extend(batch)
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)
            ],
        )
    return messages


def scan(dynamodb: Any, table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        items.extend(page["Items"])
    return items


def test_a_shuffled_duplicated_stream_ends_as_one_record_per_question(
    local_aws: LocalAws, stack: Resources
) -> None:
    app = cold_start("processor.app")
    expiry_app = cold_start("processor.expiry_app")
    sqs = boto3.client("sqs", endpoint_url=local_aws.endpoint_url, region_name=local_aws.region)
    dynamodb = boto3.client(
        "dynamodb", endpoint_url=local_aws.endpoint_url, region_name=local_aws.region
    )

    rng = random.Random(20251113)
    questions = [question(number) for number in range(QUESTIONS)]
    events = [(e.to_json(), session) for q, r, session in questions for e in (q, r)]
    duplicates = rng.sample(events, int(len(events) * DUPLICATE_SHARE))
    invalid = [(body, f"session-{rng.randrange(SESSIONS):03d}") for body in INVALID]
    messages = events + duplicates + invalid
    rng.shuffle(messages)

    trigger = SqsTrigger(sqs, stack.queue_url, app.handler, retry_delay_seconds=0)
    drains: list[DrainResult] = []
    for start in range(0, len(messages), WAVE):
        send_all(sqs, stack.queue_url, messages[start : start + WAVE], first_number=start)
        drains.append(trigger.drain())
    assert sum(drain.received for drain in drains) == len(messages)
    assert sum(drain.succeeded for drain in drains) == len(messages)
    assert sum(drain.failed + drain.handler_errors for drain in drains) == 0
    assert all(drain.left_visible == drain.left_in_flight == 0 for drain in drains)

    records = {
        item["requestId"]["S"]: record_from_item(item)
        for item in scan(dynamodb, stack.names.analytics_table)
    }
    assert len(records) == QUESTIONS
    for query, response, session in questions:
        record = records[query.request_id]
        assert record.status == "answered", record
        assert (record.query, record.response) == (query.query, response.response)
        assert record.session_id == session
        assert record.elapsed_ms == response.timestamp - query.timestamp
        assert record.week == "2025-W46"

    dead = drain_queue(sqs, stack.dead_letter_queue_url)
    reasons = {m["Body"]: m["MessageAttributes"]["quarantineReason"]["StringValue"] for m in dead}
    assert len(dead) == len(INVALID)
    for body, field in INVALID.items():
        assert reasons[body].startswith(field), (body, reasons[body])

    # What may remain in the interim table are parks of duplicated responses whose question was
    # completed from the other copy in the same batch as its query (a pair writes no interim item).
    # They are stale by construction, and the TTL's expiry handler discards them.
    leftovers = {item["requestId"]["S"] for item in scan(dynamodb, stack.names.interim_table)}
    duplicated = {json.loads(body)["requestId"] for body, _ in duplicates if '"response"' in body}
    assert leftovers <= duplicated
    far_future = START_MS // 1000 + 30 * 86_400
    expired = expire_items(dynamodb, stack.names.interim_table, expiry_app.handler, now=far_future)
    assert (expired.expired, expired.delivered, expired.failed) == (
        len(leftovers),
        len(leftovers),
        0,
    )
    assert scan(dynamodb, stack.names.interim_table) == []
    after = {
        item["requestId"]["S"]: record_from_item(item)
        for item in scan(dynamodb, stack.names.analytics_table)
    }
    assert after == records
