"""The reporter's metric names (CloudWatch EMF through Powertools), in one place.

Namespace ``POWERTOOLS_METRICS_NAMESPACE`` (``CvAnalytics`` by default), dimension
``service=reporter``.
"""

from __future__ import annotations

import os
from typing import Final

from aws_lambda_powertools import Metrics

SERVICE_NAME: Final = "reporter"
DEFAULT_NAMESPACE: Final = "CvAnalytics"

#: A weekly email handed to SES (one per week; a forced resend counts again).
REPORTS_SENT: Final = "ReportsSent"
#: An invocation for a week already sent: nothing sent (a retry or a duplicate).
REPORTS_ALREADY_SENT: Final = "ReportsAlreadySent"
#: Questions in the week reported.
QUESTIONS_REPORTED: Final = "QuestionsReported"


def create_metrics() -> Metrics:
    return Metrics(
        namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", DEFAULT_NAMESPACE),
        service=SERVICE_NAME,
    )
