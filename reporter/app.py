"""Lambda entry point (``reporter.app.handler``): the weekly report, by email, once per week.

Triggered by the EventBridge schedule or by hand (``{"weekId": "YYYY-Www"}``, ``"force": true``
to resend); see :mod:`reporter.trigger`. Configuration is validated when the module loads, so a
misconfigured function fails its cold start with every bad variable named.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.utilities.typing import LambdaContext

from reporter.metrics import SERVICE_NAME, create_metrics
from reporter.settings import ReporterSettings
from reporter.wiring import build_reporter

logger = Logger(service=SERVICE_NAME)
metrics = create_metrics()
# The library modules log through the standard library; give them the handler's JSON format.
copy_config_to_registered_loggers(source_logger=logger, include={"reporter.repository"})
reporter = build_reporter(
    ReporterSettings.from_environment(os.environ), logger=logger, metrics=metrics
)


@logger.inject_lambda_context(log_event=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return reporter.handle(event)
