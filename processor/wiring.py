"""Composition root: settings, boto3 clients and the domain objects of each function.

Called once per container at cold start by ``processor.app`` and ``processor.expiry_app``; tests,
the benchmarks and the local stack call it with clients of their own. boto3 honours
``AWS_ENDPOINT_URL``, which is how the local stack points the functions at moto.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import boto3
from aws_lambda_powertools import Logger
from botocore.config import Config

from processor.correlator import Correlator
from processor.expiry import ExpiryProcessor
from processor.metrics import MetricSink, QualityMetrics
from processor.ports import Clock
from processor.quarantine import Quarantine
from processor.redrive import QueueRedrive
from processor.repository import Repository
from processor.settings import ProcessorSettings
from processor.sqs_batch import EventProcessor

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_sqs.client import SQSClient

#: Fail fast inside the function's 30 s timeout (one call: at most 3 attempts of 2 s + 5 s, with
#: standard mode's backoff on throttling), so that the batch's deadline check has time to act.
CLIENT_CONFIG = Config(
    connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3}
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
    settings: ProcessorSettings,
    *,
    dynamodb: DynamoDBClient,
    sqs: SQSClient,
    metrics: MetricSink,
    clock: Clock = now_ms,
) -> Correlator:
    return Correlator(
        Repository(
            dynamodb,
            analytics_table=settings.analytics_table,
            interim_table=settings.query_events_table,
        ),
        correlation_window_seconds=settings.correlation_window_seconds,
        record_ttl_days=settings.record_ttl_days,
        clock=clock,
        quality=QualityMetrics(metrics),
        evidence=Quarantine(sqs, settings.dead_letter_queue_url, clock=utc_now),
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
    dynamodb = dynamodb or dynamodb_client()
    sqs = sqs or sqs_client()
    return EventProcessor(
        build_correlator(settings, dynamodb=dynamodb, sqs=sqs, metrics=metrics, clock=clock),
        Quarantine(sqs, settings.dead_letter_queue_url, clock=utc_now),
        Repository(
            dynamodb,
            analytics_table=settings.analytics_table,
            interim_table=settings.query_events_table,
        ),
        QueueRedrive(sqs),
        logger=logger,
        metrics=metrics,
        clock=clock,
        fallback_max_receive_count=settings.max_receive_count,
    )


def build_expiry_processor(
    settings: ProcessorSettings,
    *,
    logger: Logger,
    metrics: MetricSink,
    dynamodb: DynamoDBClient | None = None,
    sqs: SQSClient | None = None,
    clock: Clock = now_ms,
) -> ExpiryProcessor:
    return ExpiryProcessor(
        build_correlator(
            settings,
            dynamodb=dynamodb or dynamodb_client(),
            sqs=sqs or sqs_client(),
            metrics=metrics,
            clock=clock,
        ),
        logger=logger,
        metrics=metrics,
    )
