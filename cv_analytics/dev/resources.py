"""The AWS resources of the pipeline, created directly through boto3.

Used by the unit and integration tests (moto in-process or over HTTP) and by the local stack where
Terraform is not available. The Terraform workspaces are the source of truth for real deployments;
``tests/infra`` checks that these definitions stay identical to what Terraform creates.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3

WEEK_INDEX = "week-index"
SESSION_INDEX = "session-index"
TTL_ATTRIBUTE = "expiresAt"
MAX_RECEIVE_COUNT = 3
DLQ_RETENTION_SECONDS = 14 * 24 * 3600
# The contract keeps every event far below it; Terraform's provider caps it at 256 KiB too.
MAX_MESSAGE_BYTES = 256 * 1024
# AWS: a source queue's visibility timeout should be at least 6x the function timeout.
PROCESSOR_TIMEOUT_SECONDS = 30
VISIBILITY_TIMEOUT_SECONDS = 6 * PROCESSOR_TIMEOUT_SECONDS


@dataclass(frozen=True)
class ResourceNames:
    """Names of one stack's resources; ``prefix`` keeps parallel stacks apart."""

    prefix: str = "cv-analytics"

    @property
    def queue(self) -> str:
        return f"{self.prefix}-events.fifo"

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.prefix}-events-dlq.fifo"

    @property
    def interim_table(self) -> str:
        return f"{self.prefix}-query-events"

    @property
    def analytics_table(self) -> str:
        return f"{self.prefix}-analytics"


@dataclass(frozen=True)
class Resources:
    names: ResourceNames
    queue_url: str
    queue_arn: str
    dead_letter_queue_url: str
    dead_letter_queue_arn: str


def interim_table_definition(name: str) -> dict[str, Any]:
    """Early-arriving responses wait here (TTL); its stream feeds the orphan handler."""
    return {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "requestId", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "requestId", "KeyType": "HASH"}],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "OLD_IMAGE"},
    }


def analytics_table_definition(name: str) -> dict[str, Any]:
    """One record per question, with a week index (reports) and a session index."""
    projection = {"ProjectionType": "ALL"}
    return {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": "requestId", "AttributeType": "S"},
            {"AttributeName": "week", "AttributeType": "S"},
            {"AttributeName": "sessionId", "AttributeType": "S"},
            {"AttributeName": "timestamp", "AttributeType": "N"},
        ],
        "KeySchema": [{"AttributeName": "requestId", "KeyType": "HASH"}],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": WEEK_INDEX,
                "KeySchema": [
                    {"AttributeName": "week", "KeyType": "HASH"},
                    {"AttributeName": "timestamp", "KeyType": "RANGE"},
                ],
                "Projection": projection,
            },
            {
                "IndexName": SESSION_INDEX,
                "KeySchema": [
                    {"AttributeName": "sessionId", "KeyType": "HASH"},
                    {"AttributeName": "timestamp", "KeyType": "RANGE"},
                ],
                "Projection": projection,
            },
        ],
    }


def create_tables(dynamodb: Any, names: ResourceNames) -> None:
    for definition in (
        interim_table_definition(names.interim_table),
        analytics_table_definition(names.analytics_table),
    ):
        dynamodb.create_table(**definition)
        dynamodb.update_time_to_live(
            TableName=definition["TableName"],
            TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
        )


def create_queues(sqs: Any, names: ResourceNames) -> tuple[str, str, str, str]:
    """The FIFO queue and its FIFO dead-letter queue; returns (url, arn, dlq_url, dlq_arn)."""
    dlq_url = sqs.create_queue(
        QueueName=names.dead_letter_queue,
        Attributes={
            "FifoQueue": "true",
            "MaximumMessageSize": str(MAX_MESSAGE_BYTES),
            "MessageRetentionPeriod": str(DLQ_RETENTION_SECONDS),
            "SqsManagedSseEnabled": "true",
        },
    )["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    url = sqs.create_queue(
        QueueName=names.queue,
        Attributes={
            "FifoQueue": "true",
            "MaximumMessageSize": str(MAX_MESSAGE_BYTES),
            "DeduplicationScope": "messageGroup",
            "FifoThroughputLimit": "perMessageGroupId",
            "ReceiveMessageWaitTimeSeconds": "20",
            "VisibilityTimeout": str(VISIBILITY_TIMEOUT_SECONDS),
            "SqsManagedSseEnabled": "true",
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE_COUNT}
            ),
        },
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return url, arn, dlq_url, dlq_arn


def create_all(
    names: ResourceNames | None = None,
    *,
    endpoint_url: str | None = None,
    region: str | None = None,
) -> Resources:
    """Create queues and tables (against moto: in-process mock or a server's endpoint)."""
    names = names or ResourceNames()
    session = boto3.session.Session(region_name=region)
    sqs = session.client("sqs", endpoint_url=endpoint_url)
    dynamodb = session.client("dynamodb", endpoint_url=endpoint_url)
    create_tables(dynamodb, names)
    url, arn, dlq_url, dlq_arn = create_queues(sqs, names)
    return Resources(names, url, arn, dlq_url, dlq_arn)
