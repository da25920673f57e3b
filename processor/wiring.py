"""Composition root: settings, boto3 clients and the domain objects of each function.

Called once per container at cold start by ``processor.app`` and ``processor.expiry_app``; tests,
the benchmark and the local stack call it with clients of their own. boto3 honours
``AWS_ENDPOINT_URL``, which is how the local stack points the functions at moto.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import boto3
from aws_lambda_powertools import Logger
from botocore.config import Config

from processor.config import ProcessorSettings, StoreSettings
from processor.correlator import Clock, Correlator
from processor.expiry import ExpiryProcessor
from processor.metrics import MetricSink
from processor.quarantine import Quarantine
from processor.sqs_batch import EventProcessor
from processor.store import CorrelationStore

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_sqs.client import SQSClient

#: Fail fast inside the function's 30 s timeout; standard retries back off on throttling.
CLIENT_CONFIG = Config(
    connect_timeout=3, read_timeout=10, retries={"mode": "standard", "max_attempts": 4}
)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def utc_now() -> datetime:
    return datetime.now(UTC)


def dynamodb_client() -> DynamoDBClient:
    return boto3.client("dynamodb", config=CLIENT_CONFIG)


def sqs_client() -> SQSClient:
    return boto3.client("sqs", config=CLIENT_CONFIG)


def build_correlator(
    settings: StoreSettings, *, dynamodb: DynamoDBClient, clock: Clock = now_ms
) -> Correlator:
    store = CorrelationStore(
        dynamodb,
        analytics_table=settings.analytics_table,
        interim_table=settings.query_events_table,
    )
    return Correlator(
        store,
        correlation_window_seconds=settings.correlation_window_seconds,
        record_ttl_days=settings.record_ttl_days,
        clock=clock,
    )


def build_event_processor(
    settings: ProcessorSettings,
    *,
    logger: Logger,
    metrics: MetricSink,
    dynamodb: DynamoDBClient | None = None,
    sqs: SQSClient | None = None,
    clock: Clock = now_ms,
) -> EventProcessor:
    return EventProcessor(
        build_correlator(settings, dynamodb=dynamodb or dynamodb_client(), clock=clock),
        Quarantine(sqs or sqs_client(), settings.dead_letter_queue_url, clock=utc_now),
        logger=logger,
        metrics=metrics,
        max_receive_count=settings.max_receive_count,
    )


def build_expiry_processor(
    settings: StoreSettings,
    *,
    logger: Logger,
    metrics: MetricSink,
    dynamodb: DynamoDBClient | None = None,
    clock: Clock = now_ms,
) -> ExpiryProcessor:
    return ExpiryProcessor(
        build_correlator(settings, dynamodb=dynamodb or dynamodb_client(), clock=clock),
        logger=logger,
        metrics=metrics,
    )
