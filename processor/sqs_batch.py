"""One SQS FIFO batch: plan it, then process record by record with partial batch failures.

Powertools' ``SqsFifoPartialProcessor(skip_group_on_error=True)`` walks the records in order and,
once a record fails, fails the later records of the same message group only (FIFO order is kept
per group; other sessions' events go on). The plan (:mod:`processor.batch_plan`) is made first,
from every body, so that a query and its response in the same batch are written together; the
action of a request runs once, when the first of its messages comes up, and its other messages
(the pair's other event, duplicate copies) share that result:

- the action succeeded: they succeed (a duplicate copy is counted as one);
- the action failed: they fail too, so that every event of the request is redelivered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    SqsFifoPartialProcessor,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from analytics_contract import InvalidEventError
from processor.batch_plan import (
    Action,
    BatchPlan,
    IncomingMessage,
    Invalid,
    Pair,
    QueryAlone,
    ResponseAlone,
    Valid,
    plan_batch,
)
from processor.correlator import Correlator, Outcome
from processor.metrics import (
    EVENTS_RECEIVED,
    FAILED_EVENTS_QUARANTINED,
    INVALID_EVENTS_QUARANTINED,
    MetricSink,
    count,
    count_outcome,
)
from processor.quarantine import Quarantine

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
    from aws_lambda_powertools.utilities.typing import LambdaContext


class RequestFailedEarlierError(RuntimeError):
    """Another message of the same request failed earlier in this batch: retry them together."""


def incoming(record: dict[str, Any]) -> IncomingMessage:
    attributes = record.get("attributes") or {}
    return IncomingMessage(
        message_id=str(record.get("messageId", "")),
        body=str(record.get("body", "")),
        receive_count=int(attributes.get("ApproximateReceiveCount", "1")),
    )


class EventProcessor:
    """Created once per container; :meth:`handle` is the SQS-triggered Lambda's work."""

    def __init__(
        self,
        correlator: Correlator,
        quarantine: Quarantine,
        *,
        logger: Logger,
        metrics: MetricSink,
        max_receive_count: int = 3,
    ) -> None:
        self._correlator = correlator
        self._quarantine = quarantine
        self._logger = logger
        self._metrics = metrics
        self._max_receive_count = max_receive_count
        self._batch_processor = SqsFifoPartialProcessor(skip_group_on_error=True)

    def handle(
        self, event: dict[str, Any], context: LambdaContext | None = None
    ) -> PartialItemFailureResponse:
        records = event.get("Records") or []
        count(self._metrics, EVENTS_RECEIVED, len(records))
        run = _BatchRun(
            plan_batch(incoming(record) for record in records),
            self._correlator,
            self._quarantine,
            self._logger,
            self._metrics,
            self._max_receive_count,
        )
        return process_partial_response(
            event=event,
            record_handler=run.process,
            processor=self._batch_processor,
            context=context,
        )


class _BatchRun:
    def __init__(
        self,
        plan: BatchPlan,
        correlator: Correlator,
        quarantine: Quarantine,
        logger: Logger,
        metrics: MetricSink,
        max_receive_count: int,
    ) -> None:
        self._plan = plan
        self._correlator = correlator
        self._quarantine = quarantine
        self._logger = logger
        self._metrics = metrics
        self._max_receive_count = max_receive_count
        self._results: dict[str, Outcome | Exception] = {}

    def process(self, record: SQSRecord) -> str:
        task = self._plan.task(record.message_id)
        keys = {"messageId": record.message_id}
        if isinstance(task, Valid):
            keys["requestId"] = task.request_id
        with self._logger.append_context_keys(**keys):
            if isinstance(task, Invalid):
                return self._quarantine_record(record, task.error)
            try:
                return self._correlate(task)
            except Exception as error:
                if _receive_count(record) < self._max_receive_count:
                    raise
                return self._quarantine_failure(record, error)

    def _quarantine_record(self, record: SQSRecord, error: InvalidEventError) -> str:
        try:
            dropped = self._quarantine.send(record, error)
        except Exception:
            self._logger.exception("could not quarantine an invalid event; it will be retried")
            raise
        count(self._metrics, INVALID_EVENTS_QUARANTINED)
        self._logger.warning(
            "invalid event quarantined in the dead-letter queue",
            extra={"reason": error.reason, "kind": error.kind, "droppedAttributes": dropped},
        )
        return "quarantined"

    def _quarantine_failure(self, record: SQSRecord, error: Exception) -> str:
        """Last receive and still failing: to the DLQ with the error, so its group moves on."""
        reason = (
            f"processing failed on receive {_receive_count(record)} of {self._max_receive_count}: "
            f"{type(error).__name__}: {error}"
        )
        try:
            self._quarantine.send_with_reason(record, reason=reason, kind="failed")
        except Exception:
            self._logger.exception("could not quarantine a failing event; SQS will redrive it")
            raise error from None
        count(self._metrics, FAILED_EVENTS_QUARANTINED)
        self._logger.error(
            "event failed on its last receive; quarantined in the dead-letter queue",
            extra={"reason": reason},
        )
        return "quarantined"

    def _correlate(self, task: Valid) -> str:
        previous = self._results.get(task.request_id)
        if isinstance(previous, Exception):
            raise RequestFailedEarlierError(
                f"another event of request {task.request_id} failed in this batch: {previous}"
            ) from previous
        if previous is not None:
            if task.role == "duplicate":
                count_outcome(self._metrics, Outcome.DUPLICATE)
                self._logger.info(
                    "duplicate event in the same batch", extra={"outcome": "duplicate"}
                )
                return Outcome.DUPLICATE.value
            return previous.value  # the pair's other event, written with it

        action = self._plan.action(task.request_id)
        try:
            outcome = self._run(action)
        except Exception as error:
            self._results[task.request_id] = error
            self._logger.exception("processing failed; the message will be retried")
            raise
        self._results[task.request_id] = outcome
        count_outcome(self._metrics, outcome)
        self._logger.info(
            "event processed", extra={"outcome": outcome.value, "action": type(action).__name__}
        )
        return outcome.value

    def _run(self, action: Action) -> Outcome:
        match action:
            case Pair(query, response, redelivered):
                return self._correlator.pair(query, response, redelivered=redelivered)
            case QueryAlone(query, redelivered):
                return self._correlator.query(query, redelivered=redelivered)
            case ResponseAlone(response, redelivered):
                return self._correlator.response(response, redelivered=redelivered)


def _receive_count(record: SQSRecord) -> int:
    try:
        return int(record.attributes.approximate_receive_count)
    except (TypeError, ValueError):
        return 1
