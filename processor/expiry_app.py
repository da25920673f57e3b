"""Lambda handler: the interim table's stream (TTL deletions) -> apply, discard or orphan.

The event source mapping must enable ``ReportBatchItemFailures``; filtering it on
``userIdentity.principalId`` = ``dynamodb.amazonaws.com`` saves invocations, and the handler
ignores other records anyway. Settings: :mod:`processor.settings`.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from processor.metrics import SERVICE_NAME, create_metrics
from processor.settings import ProcessorSettings
from processor.wiring import build_expiry_processor

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger(service=SERVICE_NAME)
metrics = create_metrics()
expiry_processor = build_expiry_processor(
    ProcessorSettings.from_environment(os.environ), logger=logger, metrics=metrics
)


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return expiry_processor.handle(event, context)
