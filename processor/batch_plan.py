"""What to do with each message of one SQS batch (pure: validation and grouping, no I/O).

Every body is validated first; the valid events are then grouped by ``requestId``, so that a query
and its response delivered in the same batch become one :class:`Pair` (one write, no interim
table), and a second copy of an event in the same batch is known to be a duplicate before anything
is written. Each request gets exactly one :data:`Action`; each message points at its request's
action with a :data:`Role`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from analytics_contract import (
    FeedbackEvent,
    InvalidEventError,
    QueryEvent,
    ResponseEvent,
    parse_event_json,
)


@dataclass(frozen=True)
class IncomingMessage:
    message_id: str
    body: str
    receive_count: int = 1


@dataclass(frozen=True)
class Pair:
    """Query and response of one question, both in this batch."""

    query: QueryEvent
    response: ResponseEvent
    redelivered: bool = False


@dataclass(frozen=True)
class QueryAlone:
    query: QueryEvent
    redelivered: bool = False


@dataclass(frozen=True)
class ResponseAlone:
    response: ResponseEvent
    redelivered: bool = False


Action = Pair | QueryAlone | ResponseAlone

#: primary: the first copy of the query or of the response; duplicate: a later copy of either.
Role = Literal["primary", "duplicate"]


@dataclass(frozen=True)
class Valid:
    request_id: str
    role: Role


@dataclass(frozen=True)
class Invalid:
    error: InvalidEventError


Task = Valid | Invalid


@dataclass(frozen=True)
class BatchPlan:
    tasks: dict[str, Task]  # by messageId
    actions: dict[str, Action]  # by requestId

    def task(self, message_id: str) -> Task:
        return self.tasks[message_id]

    def action(self, request_id: str) -> Action:
        return self.actions[request_id]


@dataclass
class _Request:
    query: QueryEvent | None = None
    response: ResponseEvent | None = None
    redelivered: bool = False

    def action(self) -> Action:
        if self.query is not None and self.response is not None:
            return Pair(self.query, self.response, self.redelivered)
        if self.query is not None:
            return QueryAlone(self.query, self.redelivered)
        if self.response is not None:
            return ResponseAlone(self.response, self.redelivered)
        raise AssertionError("a request always has at least one event")


def plan_batch(messages: Iterable[IncomingMessage]) -> BatchPlan:
    """Validate every body and group the valid events by request (first copy wins)."""
    tasks: dict[str, Task] = {}
    requests: dict[str, _Request] = {}
    for message in messages:
        try:
            event = parse_event_json(message.body)
        except InvalidEventError as error:
            tasks[message.message_id] = Invalid(error)
            continue
        if isinstance(event, FeedbackEvent):
            # Until the processor attaches feedback to its question's record, it is kept in the
            # dead-letter queue with this reason (never dropped), to be replayed after.
            tasks[message.message_id] = Invalid(
                InvalidEventError("eventType: 'feedback' is not processed by this version")
            )
            continue
        request = requests.setdefault(event.request_id, _Request())
        request.redelivered = request.redelivered or message.receive_count > 1
        role: Role = "primary"
        if isinstance(event, QueryEvent):
            if request.query is None:
                request.query = event
            else:
                role = "duplicate"
        elif request.response is None:
            request.response = event
        else:
            role = "duplicate"
        tasks[message.message_id] = Valid(event.request_id, role)
    return BatchPlan(
        tasks=tasks,
        actions={request_id: request.action() for request_id, request in requests.items()},
    )
