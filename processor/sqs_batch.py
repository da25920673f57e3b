"""One SQS FIFO batch: plan it, then process record by record with partial batch failures.

The plan (:mod:`processor.batch_plan`) is made first, from every body, so that the events of one
question in the same batch are written together; each request's work runs once, when the first
of its messages comes up, and its other messages share the result. Powertools' ``BatchProcessor``
runs each record and builds the partial batch response; this module decides what a failure means.

Rules (docs/ARCHITECTURE.md, "Every event in exactly one place"):

- **Last receives.** With the queue's ``maxReceiveCount`` N read from its redrive policy (one
  ``GetQueueAttributes`` per container), receive N-1 is the processor's last chance (N itself when
  N < 3): a message still failing there is decided, not retried. Receive N is kept as a spare, used
  only when an invocation died on the last chance; SQS's redrive after it is a safety net.
- **Decided, not guessed.** On its last chance a failing event is acknowledged if its effect
  already reached a table (what the correlator knows it wrote, else a consistent read), kept as a
  conflict if the record holds another version of it, and quarantined with the error otherwise.
- **Order without hold-ups.** A failure holds up the later messages of its FIFO group in the batch
  (they are retried with it, in order), except messages on their last chance: correlation does not
  depend on order, so they are processed anyway and never redriven unprocessed. Messages on their
  last chance are processed first.
- **Unreachable DLQ.** When a quarantine cannot be sent on a last chance, the reason is kept in a
  note (interim table, keyed by the message id, :mod:`analytics_contract.dead_letters`) and logged
  with the message id, and the message fails alone: SQS's redrive moves it, and only it.
- **Deadline.** Once less than :data:`DEADLINE_MARGIN_MS` of the invocation remains, no new work
  starts: the rest fail (retried on their next receive) and what was done is acknowledged; a message
  on its final receive is quarantined instead, with that reason, so it is never redriven unread.
"""

from __future__ import annotations

import base64
from collections import Counter
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from analytics_contract.dead_letters import DeadLetterNote, QuarantineKind
from processor.batch_plan import BatchPlan, Conflicting, IncomingMessage, Invalid, Valid, plan_batch
from processor.correlator import Correlator, IncompleteError, Outcome, Result
from processor.metrics import (
    ALREADY_RECORDED,
    CONFLICTING_EVENTS,
    DEFERRED_BY_DEADLINE,
    EVENTS_RECEIVED,
    FAILED_EVENTS_QUARANTINED,
    INVALID_EVENTS_QUARANTINED,
    REASONS_NOTED,
    MetricSink,
    count,
    count_outcome,
)
from processor.ports import Clock, DeadLetter, DeadLetterQueue, Notes, RedriveLimits

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
    from aws_lambda_powertools.utilities.typing import LambdaContext

#: No new message is started with less than this left of the invocation (the function's timeout
#: is 30 s; one message's DynamoDB calls take milliseconds, seconds when DynamoDB throttles).
DEADLINE_MARGIN_MS = 10_000

QUARANTINE_METRICS: dict[str, str] = {
    "json": INVALID_EVENTS_QUARANTINED,
    "schema": INVALID_EVENTS_QUARANTINED,
    "failed": FAILED_EVENTS_QUARANTINED,
    "conflict": CONFLICTING_EVENTS,
}


class RequestFailedEarlierError(RuntimeError):
    """Another message of the same request failed earlier in this batch: retry them together."""


class GroupHeldUpError(RuntimeError):
    """An earlier message of the same FIFO group failed in this batch: keep the group's order."""


class DeadlineError(RuntimeError):
    """The invocation is about to time out: not started, retried on the next receive."""


class QuarantineFailedError(RuntimeError):
    """The dead-letter queue could not be reached; the reason is in the log (and a note)."""


def last_chance_receive(max_receive_count: int) -> int:
    """The receive on which the processor decides a failing message: one before SQS's last when
    there are at least 3, so that an invocation that dies there still has a spare receive."""
    return max_receive_count - 1 if max_receive_count >= 3 else max_receive_count


def incoming(record: dict[str, Any]) -> IncomingMessage:
    attributes = record.get("attributes") or {}
    return IncomingMessage(
        message_id=str(record.get("messageId", "")),
        body=str(record.get("body", "")),
        receive_count=_int(attributes.get("ApproximateReceiveCount")),
    )


def original_attributes(record: SQSRecord) -> dict[str, dict[str, Any]]:
    """The record's message attributes (Lambda's shape) in ``SendMessage``'s shape."""
    converted: dict[str, dict[str, Any]] = {}
    for name, attribute in sorted(record.raw_event.get("messageAttributes", {}).items()):
        data_type = attribute.get("dataType") or attribute.get("DataType") or "String"
        if attribute.get("stringValue") is not None:
            converted[name] = {"DataType": data_type, "StringValue": attribute["stringValue"]}
        elif attribute.get("binaryValue") is not None:
            converted[name] = {
                "DataType": data_type,
                "BinaryValue": base64.b64decode(attribute["binaryValue"]),
            }
    return converted


class EventProcessor:
    """Created once per container; :meth:`handle` is the SQS-triggered Lambda's work."""

    def __init__(
        self,
        correlator: Correlator,
        dead_letters: DeadLetterQueue,
        notes: Notes,
        limits: RedriveLimits,
        *,
        logger: Logger,
        metrics: MetricSink,
        clock: Clock,
        fallback_max_receive_count: int = 3,
        deadline_margin_ms: int = DEADLINE_MARGIN_MS,
    ) -> None:
        self.correlator = correlator
        self.dead_letters = dead_letters
        self.notes = notes
        self.logger = logger
        self.metrics = metrics
        self.clock = clock
        self.deadline_margin_ms = deadline_margin_ms
        self._limits = limits
        self._fallback = fallback_max_receive_count
        self._max_receive_counts: dict[str, int] = {}
        self._batch_processor = BatchProcessor(event_type=EventType.SQS)

    def max_receive_count(self, queue_arn: str) -> int:
        """The queue's ``maxReceiveCount``, read once per container (the setting when it cannot
        be read, with a warning)."""
        known = self._max_receive_counts.get(queue_arn)
        if known is not None:
            return known
        value = self._limits.max_receive_count(queue_arn)
        if value is None:
            value = self._fallback
            self.logger.warning(
                "could not read the queue's redrive policy; using MAX_RECEIVE_COUNT",
                extra={"queueArn": queue_arn, "maxReceiveCount": value},
            )
        self._max_receive_counts[queue_arn] = value
        return value

    def handle(
        self, event: dict[str, Any], context: LambdaContext | None = None
    ) -> PartialItemFailureResponse:
        records = event.get("Records") or []
        count(self.metrics, EVENTS_RECEIVED, len(records))
        run = _BatchRun(self, plan_batch(incoming(record) for record in records), context)
        # Messages on their last chance first: if the invocation runs out of time, what is left
        # for the next receive are messages that still have one.
        ordered = sorted(records, key=lambda record: not run.last_chance(SQSRecord(record)))
        try:
            return process_partial_response(
                event={**event, "Records": ordered},
                record_handler=run.process,
                processor=self._batch_processor,
                context=context,
            )
        finally:
            run.log_summary()


class _BatchRun:
    def __init__(
        self, processor: EventProcessor, plan: BatchPlan, context: LambdaContext | None
    ) -> None:
        self._processor = processor
        self._plan = plan
        self._context = context
        self._logger = processor.logger
        self._metrics = processor.metrics
        self._results: dict[str, Result | Exception] = {}
        self._failed_groups: set[str] = set()
        self._outcomes: dict[str, str] = {}  # messageId -> what happened
        self._request_of: dict[str, str] = {}

    # -- receive counts -----------------------------------------------------------------------------

    def _limit(self, record: SQSRecord) -> int:
        return self._processor.max_receive_count(str(record.raw_event.get("eventSourceARN", "")))

    def last_chance(self, record: SQSRecord) -> bool:
        return _receive_count(record) >= last_chance_receive(self._limit(record))

    def _final(self, record: SQSRecord) -> bool:
        return _receive_count(record) >= self._limit(record)

    def _out_of_time(self) -> bool:
        if self._context is None:
            return False
        return self._context.get_remaining_time_in_millis() < self._processor.deadline_margin_ms

    # -- one record ---------------------------------------------------------------------------------

    def process(self, record: SQSRecord) -> str:
        task = self._plan.task(record.message_id)
        keys = {"messageId": record.message_id}
        if not isinstance(task, Invalid):
            keys["requestId"] = task.request_id
            self._request_of[record.message_id] = task.request_id
        group = record.attributes.message_group_id or record.message_id
        with self._logger.append_context_keys(**keys):
            try:
                outcome = self._process(record, task, group)
            except Exception as error:
                self._failed_groups.add(group)
                self._outcomes[record.message_id] = f"retried: {type(error).__name__}"
                raise
            self._outcomes[record.message_id] = outcome
            self._logger.debug("message processed", extra={"outcome": outcome})
            return outcome

    def _process(self, record: SQSRecord, task: Valid | Conflicting | Invalid, group: str) -> str:
        last_chance = self.last_chance(record)
        if group in self._failed_groups and not last_chance:
            raise GroupHeldUpError(f"an earlier message of group {group} failed in this batch")
        if self._out_of_time():
            if self._final(record):
                reason = (
                    f"not processed: the invocation was about to time out on the message's "
                    f"final receive ({_receive_count(record)} of {self._limit(record)}); replay it"
                )
                return self._quarantine(record, task, reason, "failed")
            count(self._metrics, DEFERRED_BY_DEADLINE)
            raise DeadlineError("not started: the invocation is about to time out")
        match task:
            case Invalid(error):
                return self._quarantine(record, task, error.reason, _kind(error.kind))
            case Conflicting(reason=reason):
                return self._quarantine(record, task, reason, "conflict")
            case Valid():
                return self._correlate(record, task, last_chance)

    def _correlate(self, record: SQSRecord, task: Valid, last_chance: bool) -> str:
        result = self._results.get(task.request_id)
        if result is None:
            try:
                result = self._processor.correlator.process(self._plan.request(task.request_id))
            except Exception as error:
                self._results[task.request_id] = error
                self._logger.warning(
                    "processing failed",
                    extra={"lastChance": last_chance, "receive": _receive_count(record)},
                    exc_info=True,
                )
                if last_chance:
                    return self._decide(record, task, error)
                raise
            self._results[task.request_id] = result
            self._count(result)
        elif isinstance(result, Exception):
            if last_chance:
                return self._decide(record, task, result)
            raise RequestFailedEarlierError(
                f"another event of request {task.request_id} failed in this batch: {result}"
            ) from result
        if task.role == "duplicate":
            count_outcome(self._metrics, Outcome.DUPLICATE)
            return Outcome.DUPLICATE.value
        if task.role == "superseded":
            count_outcome(self._metrics, Outcome.FEEDBACK_SUPERSEDED)
            return Outcome.FEEDBACK_SUPERSEDED.value
        if task.event_type in result.conflicts:
            return self._quarantine(record, task, result.conflicts[task.event_type], "conflict")
        return result.outcome(task.event_type).value

    def _count(self, result: Result) -> None:
        for outcome in {result.question_outcome, result.outcomes.get("feedback")}:
            if outcome is not None and outcome is not Outcome.CONFLICT:
                count_outcome(self._metrics, outcome)

    def _decide(self, record: SQSRecord, task: Valid, error: Exception) -> str:
        """Last chance, processing failed: acknowledge, keep as a conflict, or quarantine."""
        cause = error.cause if isinstance(error, IncompleteError) else error
        placed = isinstance(error, IncompleteError) and task.event_type in error.placed
        verdict: str | None = "placed" if placed else None
        if verdict is None:
            try:
                verdict = self._processor.correlator.placement(task.event)
            except Exception:
                self._logger.warning("could not check where the event stands", exc_info=True)
        failure = (
            f"processing failed on receive {_receive_count(record)} of {self._limit(record)}: "
            f"{type(cause).__name__}: {cause}"
        )
        if verdict == "placed":
            count(self._metrics, ALREADY_RECORDED)
            self._logger.info(
                "processing failed on the last chance, but the event is already recorded: "
                "acknowledged",
                extra={"error": failure},
            )
            return "already_recorded"
        if verdict == "conflict":
            reason = (
                f"conflict: the record of requestId {task.request_id} holds another version of "
                f"this {task.event_type} event (and {failure})"
            )
            return self._quarantine(record, task, reason, "conflict")
        if verdict is None:
            failure += (
                f" (whether it reached the table is unknown: look up requestId {task.request_id} "
                "before replaying; a replay of a recorded event changes nothing)"
            )
        return self._quarantine(record, task, failure, "failed")

    # -- the dead-letter queue ----------------------------------------------------------------------

    def _quarantine(
        self,
        record: SQSRecord,
        task: Valid | Conflicting | Invalid,
        reason: str,
        kind: QuarantineKind,
    ) -> str:
        letter = DeadLetter(
            body=record.body,
            reason=reason,
            kind=kind,
            group_id=record.attributes.message_group_id or record.message_id,
            deduplication_id=record.message_id,
            source_message_id=record.message_id,
            source_queue_arn=record.raw_event.get("eventSourceARN"),
            attributes=original_attributes(record),
        )
        try:
            sent = self._processor.dead_letters.send(letter)
        except Exception as error:
            self._logger.error(
                "could not send the message to the dead-letter queue; it will be retried, and "
                "redriven by SQS after its last receive",
                extra={"reason": reason, "kind": kind},
                exc_info=True,
            )
            if self.last_chance(record):
                self._note(record, task, reason, kind)
            raise QuarantineFailedError(f"{kind}: {reason}") from error
        if not sent.reason_attached:
            self._note(record, task, reason, kind)
        count(self._metrics, QUARANTINE_METRICS[kind])
        self._logger.warning(
            "message quarantined in the dead-letter queue",
            extra={"reason": reason, "kind": kind, "droppedAttributes": list(sent.dropped)},
        )
        return "quarantined"

    def _note(
        self,
        record: SQSRecord,
        task: Valid | Conflicting | Invalid,
        reason: str,
        kind: QuarantineKind,
    ) -> None:
        note = DeadLetterNote(
            message_id=record.message_id,
            reason=reason,
            kind=kind,
            noted_at=self._processor.clock(),
            event_request_id=None if isinstance(task, Invalid) else task.request_id,
        )
        try:
            self._processor.notes.keep_note(note)
        except Exception:
            self._logger.error(
                "could not keep the dead letter's reason in a note: this log line is the only "
                "copy of it",
                extra={"reason": reason, "kind": kind},
                exc_info=True,
            )
            return
        count(self._metrics, REASONS_NOTED)
        self._logger.warning(
            "reason kept in a note beside the dead letter", extra={"reason": reason, "kind": kind}
        )

    # -- the batch's log line -----------------------------------------------------------------------

    def log_summary(self) -> None:
        """One INFO line per batch: every request id with what happened to its messages."""
        requests: dict[str, list[str]] = {}
        for message_id, outcome in self._outcomes.items():
            request_id = self._request_of.get(message_id, f"(invalid message {message_id})")
            requests.setdefault(request_id, []).append(outcome)
        tally = Counter(outcome.split(":", 1)[0] for outcome in self._outcomes.values())
        self._logger.info(
            "batch processed",
            extra={"messages": len(self._outcomes), "outcomes": dict(tally), "requests": requests},
        )


def _receive_count(record: SQSRecord) -> int:
    return _int(record.attributes.approximate_receive_count)


def _int(value: object) -> int:
    try:
        return max(1, int(str(value)))
    except (TypeError, ValueError):
        return 1


def _kind(kind: str) -> QuarantineKind:
    return "json" if kind == "json" else "schema"
