"""Composition root: the reporter's settings, boto3 clients, adapters and use case.

Called once per container at cold start by :mod:`reporter.app`; tests and the fault bench call
:func:`build_reporter` with clients of their own. boto3 honours ``AWS_ENDPOINT_URL``, which is how
the local stack points the function at moto.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3
from aws_lambda_powertools import Logger
from botocore.config import Config

from reporter.deliveries import IdempotentDeliveryLog, NoDeliveryLog
from reporter.invocation import MetricSink, WeeklyReporter
from reporter.mailer import ReportMailer
from reporter.ports import DeliveryLog
from reporter.repository import AnalyticsTable
from reporter.settings import ReporterSettings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_sesv2.client import SESV2Client

#: Reads: standard retries back off on throttling (a read is safe to repeat).
DYNAMODB_CONFIG = Config(
    connect_timeout=3, read_timeout=10, retries={"mode": "standard", "max_attempts": 5}
)
#: The send: no botocore retry at all. botocore would also retry a read timeout, i.e. a send SES
#: may already have accepted; the mailer retries only what SES refused (see reporter.mailer).
SES_CONFIG = Config(connect_timeout=3, read_timeout=20, retries={"total_max_attempts": 1})


def dynamodb_client() -> DynamoDBClient:
    return boto3.client("dynamodb", config=DYNAMODB_CONFIG)


def ses_client() -> SESV2Client:
    return boto3.client("sesv2", config=SES_CONFIG)


def build_reporter(
    settings: ReporterSettings,
    *,
    logger: Logger,
    metrics: MetricSink,
    dynamodb: DynamoDBClient | None = None,
    ses: SESV2Client | None = None,
) -> WeeklyReporter:
    dynamodb = dynamodb or dynamodb_client()
    deliveries: DeliveryLog = (
        IdempotentDeliveryLog(dynamodb, settings.idempotency_table)
        if settings.idempotency_table
        else NoDeliveryLog()
    )
    if settings.idempotency_table is None:
        logger.warning(
            "IDEMPOTENCY_TABLE is not set: a repeated invocation for a week sends its email again"
        )
    return WeeklyReporter(
        source=AnalyticsTable(dynamodb, settings.analytics_table, settings.week_index_name),
        mailer=ReportMailer(ses or ses_client(), settings.sender, settings.recipients),
        deliveries=deliveries,
        options=settings.options,
        logger=logger,
        metrics=metrics,
    )
