"""The interim table's TTL deletions (its DynamoDB stream): parks whose correlation window closed.

Only removals made by DynamoDB's TTL process count (``userIdentity`` is the DynamoDB service
principal); a park deleted by the processor itself was consumed and is ignored, and so are the
dead-letter notes the table also holds. Each expired park (a response and/or a feedback) is handed
to :meth:`Correlator.expire`, which applies it to its record or records it as an orphan.
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

from analytics_contract import InvalidEventError, dead_letters
from analytics_contract.storage import plain_numbers
from processor.correlator import Correlator
from processor.metrics import UNREADABLE_PARKS, MetricSink, count, count_outcome
from processor.ports import parked_from_item

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
        self._done: dict[str, str] = {}

    def handle(
        self, event: dict[str, Any], context: LambdaContext | None = None
    ) -> PartialItemFailureResponse:
        self._done = {}
        try:
            return process_partial_response(
                event=event,
                record_handler=self.process,
                processor=self._batch_processor,
                context=context,
            )
        finally:
            # One INFO line per batch, with every request id and what its expired park became.
            self._logger.info(
                "expired parks processed",
                extra={"records": len(event.get("Records") or []), "requests": self._done},
            )

    def process(self, record: DynamoDBRecord) -> str:
        if not is_ttl_removal(record) or record.dynamodb is None:
            return "ignored"
        image = plain_numbers(record.dynamodb.old_image)
        request_id = str(image.get("requestId", ""))
        if dead_letters.is_note_key(request_id):
            return "ignored"  # a dead-letter note reached the end of its retention
        with self._logger.append_context_keys(requestId=request_id, eventId=record.event_id):
            try:
                held = parked_from_item(image)
            except (InvalidEventError, KeyError) as error:
                # Parks are written from validated events, so this is a bug: retrying cannot
                # fix it and would hold up the shard. Logged with the image for an operator.
                count(self._metrics, UNREADABLE_PARKS)
                self._logger.error(
                    "expired park is unreadable", extra={"error": str(error), "image": image}
                )
                return "unreadable"
            try:
                result = self._correlator.expire(request_id, held)
            except Exception:
                self._logger.exception("expiry failed; the stream record will be retried")
                raise
            for outcome in set(result.outcomes.values()):
                count_outcome(self._metrics, outcome)
            summary = ",".join(
                f"{kind}:{outcome.value}" for kind, outcome in result.outcomes.items()
            )
            self._done[request_id] = summary
            self._logger.debug("expired park processed", extra={"outcome": summary})
            return summary
