"""What to do with each message of one SQS batch (pure: validation and grouping, no I/O).

Every body is validated first; the valid events are then grouped by ``requestId`` into one
:class:`~processor.correlator.Request` per question (its query, response and feedback in this
batch), so that a query and its response delivered together become one write with no interim
table, and a second copy of an event in the same batch is known before anything is written:

- ``duplicate``: the same content as the first copy (counted, shares the first copy's result);
- ``conflict``: the same requestId and eventType with other content (kept as evidence: quarantined
  with the fields that differ; the first copy is the one processed);
- ``superseded``: a feedback older than another feedback of the same question in the batch (the
  latest by timestamp is the one processed; the older one is absorbed, as it would be later).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Literal, TypeVar

from analytics_contract import (
    FeedbackEvent,
    InvalidEventError,
    QueryEvent,
    ResponseEvent,
    parse_event_json,
)
from processor.correlator import EventType, Request
from processor.records import differing_fields, feedback_differences, query_view, response_view

QuestionEvent = QueryEvent | ResponseEvent | FeedbackEvent


@dataclass(frozen=True)
class IncomingMessage:
    message_id: str
    body: str
    receive_count: int = 1


#: primary: the copy that is processed; duplicate: a later copy with the same content;
#: superseded: an older feedback of the same question.
Role = Literal["primary", "duplicate", "superseded"]


@dataclass(frozen=True)
class Valid:
    request_id: str
    event: QuestionEvent
    role: Role = "primary"

    @property
    def event_type(self) -> EventType:
        return self.event.event_type


@dataclass(frozen=True)
class Conflicting:
    """Another copy of an event in this batch, with other content."""

    request_id: str
    event: QuestionEvent
    reason: str


@dataclass(frozen=True)
class Invalid:
    error: InvalidEventError


Task = Valid | Conflicting | Invalid


@dataclass(frozen=True)
class BatchPlan:
    tasks: dict[str, Task]  # by messageId
    requests: dict[str, Request]  # by requestId

    def task(self, message_id: str) -> Task:
        return self.tasks[message_id]

    def request(self, request_id: str) -> Request:
        return self.requests[request_id]


@dataclass
class _Collected:
    events: dict[EventType, tuple[str, QuestionEvent]] = field(default_factory=dict)
    redelivered: bool = False


def _in_batch_conflict(first: QuestionEvent, other: QuestionEvent) -> list[str]:
    if isinstance(first, QueryEvent) and isinstance(other, QueryEvent):
        return differing_fields(query_view(other), query_view(first))
    if isinstance(first, ResponseEvent) and isinstance(other, ResponseEvent):
        return differing_fields(response_view(other), response_view(first))
    if isinstance(first, FeedbackEvent) and isinstance(other, FeedbackEvent):
        return feedback_differences(other.feedback(), first.feedback())
    raise TypeError("events of different types")


def plan_batch(messages: Iterable[IncomingMessage]) -> BatchPlan:
    """Validate every body and group the valid events by request."""
    tasks: dict[str, Task] = {}
    collected: dict[str, _Collected] = {}
    for message in messages:
        try:
            event = parse_event_json(message.body)
        except InvalidEventError as error:
            tasks[message.message_id] = Invalid(error)
            continue
        request = collected.setdefault(event.request_id, _Collected())
        request.redelivered = request.redelivered or message.receive_count > 1
        kind: EventType = event.event_type
        held = request.events.get(kind)
        if held is None:
            request.events[kind] = (message.message_id, event)
            tasks[message.message_id] = Valid(event.request_id, event)
            continue
        held_id, first = held
        if isinstance(event, FeedbackEvent) and event.timestamp != first.timestamp:
            newer, older_id = (event, held_id) if event.timestamp > first.timestamp else (first, "")
            if older_id:  # the new one wins: the held one is superseded
                request.events[kind] = (message.message_id, newer)
                tasks[held_id] = replace(_valid(tasks[held_id]), role="superseded")
                tasks[message.message_id] = Valid(event.request_id, event)
            else:
                tasks[message.message_id] = Valid(event.request_id, event, "superseded")
            continue
        differing = _in_batch_conflict(first, event)
        if differing:
            tasks[message.message_id] = Conflicting(
                event.request_id,
                event,
                f"conflict: another {kind} event with requestId {event.request_id} in the same "
                f"batch has different content; {', '.join(differing)} differ (the first is kept)",
            )
        else:
            tasks[message.message_id] = Valid(event.request_id, event, "duplicate")
    requests = {
        request_id: Request(
            request_id,
            query=_typed(held.events.get("query"), QueryEvent),
            response=_typed(held.events.get("response"), ResponseEvent),
            feedback=_typed(held.events.get("feedback"), FeedbackEvent),
            redelivered=held.redelivered,
        )
        for request_id, held in collected.items()
    }
    return BatchPlan(tasks=tasks, requests=requests)


def _valid(task: Task) -> Valid:
    if not isinstance(task, Valid):  # pragma: no cover - only valid events are held
        raise TypeError(f"expected a valid task, got {task!r}")
    return task


_E = TypeVar("_E", QueryEvent, ResponseEvent, FeedbackEvent)


def _typed(held: tuple[str, QuestionEvent] | None, kind: type[_E]) -> _E | None:
    if held is None:
        return None
    event = held[1]
    if not isinstance(event, kind):  # pragma: no cover - held by event type
        raise TypeError(f"expected a {kind.__name__}")
    return event
