"""What the processor's domain needs from the outside world, and the types it exchanges with it.

Owned by the domain (:mod:`processor.correlator`, :mod:`processor.sqs_batch`,
:mod:`processor.expiry`); implemented by the adapters (:mod:`processor.repository` on DynamoDB,
:mod:`processor.quarantine` and :mod:`processor.redrive` on SQS, :mod:`processor.metrics` on
CloudWatch EMF) and by the tests' doubles. Nothing here imports boto3 or botocore.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from analytics_contract import (
    AnalyticsRecord,
    AnyEvent,
    Feedback,
    FeedbackEvent,
    InvalidEventError,
    ResponseEvent,
    parse_event_json,
)
from analytics_contract.dead_letters import DeadLetterNote, QuarantineKind
from processor.records import QueryPart, ResponsePart

#: Epoch milliseconds.
Clock = Callable[[], int]


# -- the two tables ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class WriteResult:
    """``written``, and the record as it stood before the write: on a failed condition the item
    that failed it (``None``: there was no item); on success, when the store returns it."""

    written: bool
    existing: AnalyticsRecord | None = None


@dataclass(frozen=True)
class Parked:
    """What waits in the interim table for a request's record: a response that overtook its
    query, a feedback that overtook both, or the two (one item per request)."""

    response: ResponseEvent | None = None
    feedback: FeedbackEvent | None = None

    @property
    def empty(self) -> bool:
        return self.response is None and self.feedback is None


#: Attributes of an interim item (one per request): a parked response's JSON, a parked feedback's
#: JSON and its timestamp (for the condition that keeps the latest).
EVENT = "event"
FEEDBACK = "feedback"
FEEDBACK_TIMESTAMP = "feedbackTimestamp"


def parked_from_item(item: Mapping[str, Any]) -> Parked:
    """What an interim item holds (plain Python values, e.g. a stream's old image)."""
    response = feedback = None
    if item.get(EVENT) is not None:
        event = parse_event_json(str(item[EVENT]))
        if not isinstance(event, ResponseEvent):
            raise InvalidEventError(f"event: the interim item holds a {event.event_type} event")
        response = event
    if item.get(FEEDBACK) is not None:
        event = parse_event_json(str(item[FEEDBACK]))
        if not isinstance(event, FeedbackEvent):
            raise InvalidEventError(f"feedback: the interim item holds a {event.event_type} event")
        feedback = event
    if response is None and feedback is None:
        raise InvalidEventError("(item): the interim item holds neither a response nor a feedback")
    return Parked(response=response, feedback=feedback)


@dataclass(frozen=True)
class ParkResult:
    """``parked``: the event was added; ``held``: what the interim item holds after the write
    (on success) or held when the condition failed (the same event, or a newer feedback)."""

    parked: bool
    held: Parked


ResponseTarget = Literal["unanswered", "orphan"]


class Store(Protocol):
    """The reads and writes of the correlation (analytics table and interim table)."""

    def create(self, record: AnalyticsRecord) -> WriteResult:
        """Put a record where there is none."""
        ...

    def add_response(self, part: ResponsePart, *, to: ResponseTarget) -> WriteResult:
        """Add a response to an ``unanswered`` record, or to an orphan that has none."""
        ...

    def add_query(self, part: QueryPart) -> WriteResult:
        """Add a late query to the orphan record of its response (or feedback)."""
        ...

    def set_feedback(self, request_id: str, feedback: Feedback) -> WriteResult:
        """Set the record's feedback unless it holds one at least as recent."""
        ...

    def record(self, request_id: str) -> AnalyticsRecord | None:
        """The record, read consistently."""
        ...

    def park(
        self,
        request_id: str,
        *,
        response: ResponseEvent | None = None,
        feedback: FeedbackEvent | None = None,
        expires_at: int,
        now_ms: int,
    ) -> ParkResult:
        """Hold one event (a response, or a feedback unless a newer one is held) until the
        record it belongs to exists."""
        ...

    def parked(self, request_id: str) -> Parked | None:
        """What is parked for a request, read consistently (it may have just been written)."""
        ...

    def unpark(self, request_id: str) -> None:
        """Remove a request's interim item once what it held is in the record."""
        ...


class Notes(Protocol):
    """Where the reason of a dead letter that cannot carry it is kept."""

    def keep_note(self, note: DeadLetterNote) -> None: ...


# -- the dead-letter queue --------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadLetter:
    """A message to put in the dead-letter queue, with why."""

    body: str
    reason: str
    kind: QuarantineKind
    group_id: str
    deduplication_id: str
    source_message_id: str | None = None
    source_queue_arn: str | None = None
    #: The original message attributes, in ``SendMessage``'s shape.
    attributes: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Sent:
    """``reason_attached``: False when the body was too close to SQS's size limit for the reason
    to travel with it (it must then be kept in a note); ``dropped``: original attributes left out."""

    reason_attached: bool = True
    dropped: tuple[str, ...] = ()


class DeadLetterQueue(Protocol):
    def send(self, letter: DeadLetter) -> Sent: ...


class Evidence(Protocol):
    """Where an event is kept when it conflicts with what is recorded and no message of its own
    can be quarantined (a parked event found conflicting when its record was completed)."""

    def keep(self, event: AnyEvent, reason: str) -> None: ...


class RedriveLimits(Protocol):
    """The events queue's redrive ``maxReceiveCount``; ``None`` when it cannot be read."""

    def max_receive_count(self, queue_arn: str) -> int | None: ...


# -- what the pipeline learns -----------------------------------------------------------------------


class QualitySink(Protocol):
    """Per-event quality signals, each reported once: when its event is first recorded."""

    def question(self) -> None: ...

    def answer(self, response: ResponseEvent, elapsed_ms: float | None) -> None: ...

    def feedback(self, feedback: Feedback) -> None: ...


class NoQuality:
    """A :class:`QualitySink` that reports nothing."""

    def question(self) -> None:
        return None

    def answer(self, response: ResponseEvent, elapsed_ms: float | None) -> None:
        return None

    def feedback(self, feedback: Feedback) -> None:
        return None
