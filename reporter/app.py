"""Lambda entry point (``reporter.app.handler``): the weekly report, by email.

Triggered by the EventBridge schedule (reports the ISO week that ended before the event's time) or
by hand with ``{"weekId": "YYYY-Www"}``. Configuration is validated when the module loads, so a
misconfigured function fails its cold start with the variable's name in the error.
"""

from __future__ import annotations

import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from reporter.mailer import ReportMailer
from reporter.repository import AnalyticsTable
from reporter.service import send_weekly_report
from reporter.settings import load_settings
from reporter.trigger import week_for_event

SERVICE = "reporter"
DEFAULT_NAMESPACE = "CvAnalytics"

logger = Logger(service=SERVICE)
metrics = Metrics(
    namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", DEFAULT_NAMESPACE), service=SERVICE
)
# The library modules log through the standard library; give them the handler's JSON format.
copy_config_to_registered_loggers(source_logger=logger, include={"reporter.repository"})

settings = load_settings(os.environ)
table = AnalyticsTable(boto3.client("dynamodb"), settings.analytics_table, settings.week_index_name)
mailer = ReportMailer(boto3.client("sesv2"), settings.sender, settings.recipients)


@logger.inject_lambda_context(log_event=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    week_id = week_for_event(event)
    logger.append_keys(week_id=week_id)
    sent = send_weekly_report(table, mailer, week_id, settings.options)
    metrics.add_metric(name="ReportsSent", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="QuestionsReported", unit=MetricUnit.Count, value=sent.questions)
    logger.info(
        "weekly report sent",
        extra={
            "subject": sent.subject,
            "message_id": sent.message_id,
            "recipients": len(mailer.recipients),
        },
    )
    return {
        "weekId": sent.week_id,
        "subject": sent.subject,
        "questions": sent.questions,
        "messageId": sent.message_id,
    }
