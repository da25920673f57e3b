"""The interim table's TTL deletions (its DynamoDB stream): parked responses whose window closed.

Only removals made by DynamoDB's TTL process count (``userIdentity`` is the DynamoDB service
principal); a park deleted by the processor itself was consumed and is ignored. Each expired park is
handed to :meth:`Correlator.expire`, which completes, discards or records it as orphaned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)

from analytics_contract import InvalidEventError
from processor.correlator import Correlator
from processor.metrics import UNREADABLE_PARKS, MetricSink, count, count_outcome
from processor.store import parked_response

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
    from aws_lambda_powertools.utilities.typing import LambdaContext

TTL_USER_IDENTITY = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}


def is_ttl_removal(record: DynamoDBRecord) -> bool:
    identity = record.user_identity
    return record.event_name == DynamoDBRecordEventName.REMOVE and all(
        identity.get(key) == value for key, value in TTL_USER_IDENTITY.items()
    )


class ExpiryProcessor:
    """Created once per container; :meth:`handle` is the stream-triggered Lambda's work."""

    def __init__(self, correlator: Correlator, *, logger: Logger, metrics: MetricSink) -> None:
        self._correlator = correlator
        self._logger = logger
        self._metrics = metrics
        self._batch_processor = BatchProcessor(event_type=EventType.DynamoDBStreams)

    def handle(
        self, event: dict[str, Any], context: LambdaContext | None = None
    ) -> PartialItemFailureResponse:
        return process_partial_response(
            event=event,
            record_handler=self.process,
            processor=self._batch_processor,
            context=context,
        )

    def process(self, record: DynamoDBRecord) -> str:
        if not is_ttl_removal(record) or record.dynamodb is None:
            return "ignored"
        image = record.dynamodb.old_image
        with self._logger.append_context_keys(
            requestId=str(image.get("requestId", "")), eventId=record.event_id
        ):
            try:
                response = parked_response(image)
            except (InvalidEventError, KeyError) as error:
                # Parks are written from validated events, so this is a bug: retrying cannot
                # fix it and would hold up the shard. Logged with the image for an operator.
                count(self._metrics, UNREADABLE_PARKS)
                self._logger.error(
                    "expired park is unreadable", extra={"error": str(error), "image": image}
                )
                return "unreadable"
            try:
                outcome = self._correlator.expire(response)
            except Exception:
                self._logger.exception("expiry failed; the stream record will be retried")
                raise
            count_outcome(self._metrics, outcome)
            self._logger.info("expired park processed", extra={"outcome": outcome.value})
            return outcome.value
