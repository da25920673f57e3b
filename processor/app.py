"""Lambda handler: SQS FIFO batches of events -> the analytics table (wired in processor.wiring).

The event source mapping must enable ``ReportBatchItemFailures``: the response lists only the
records to retry. Settings: :mod:`processor.settings`.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from processor.metrics import SERVICE_NAME, create_metrics
from processor.settings import ProcessorSettings
from processor.wiring import build_event_processor

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger(service=SERVICE_NAME)
metrics = create_metrics()
event_processor = build_event_processor(
    ProcessorSettings.from_environment(os.environ), logger=logger, metrics=metrics
)


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return event_processor.handle(event, context)
