"""Analytics records built from events (pure: no I/O, no clock: ``now_ms`` is passed in).

One record per question, keyed by ``requestId``. A record is made of up to three parts, one per
event: the query's (text, session, week), the response's (match, answer, tokens, model, variant,
error) and the feedback (the latest by timestamp). Which parts it holds decides its status:
query and response ``answered`` or ``failed``, query alone ``unanswered``, no query ``orphaned``.

Builders for a whole record (:func:`unanswered_record`, :func:`complete_record`,
:func:`orphan_record`) and for the part an update adds to a stored record (:func:`response_part`,
:func:`query_part`), so that an update never needs the rest of the record in memory.

The stored record never depends on the order the events arrived in: each part holds only what its
event said (``processingTimeMs`` only when the response carried it: the elapsed time is derived
when read, :attr:`AnalyticsRecord.elapsed_ms`), and ``truncatedFields`` is a set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic.alias_generators import to_camel

from analytics_contract import (
    AnalyticsRecord,
    Feedback,
    FeedbackEvent,
    QueryEvent,
    ResponseEvent,
    Tokens,
    iso_week,
    utc_day,
)

SECONDS_PER_DAY = 86_400
#: A record written now lives at least this long, however old its event: the retention is counted
#: from the event, but a TTL already in the past would make DynamoDB delete the record at once.
MIN_RECORD_LIFETIME_DAYS = 7

CompletedStatus = Literal["answered", "failed"]


def expires_at(timestamp_ms: int, *, now_ms: int, ttl_days: int) -> int:
    """DynamoDB TTL (epoch seconds): ``ttl_days`` after the event, and never less than
    :data:`MIN_RECORD_LIFETIME_DAYS` after ``now_ms``."""
    retained = timestamp_ms // 1000 + ttl_days * SECONDS_PER_DAY
    floor = now_ms // 1000 + MIN_RECORD_LIFETIME_DAYS * SECONDS_PER_DAY
    return max(retained, floor)


def completed_status(response: ResponseEvent) -> CompletedStatus:
    return "failed" if response.error is not None else "answered"


def status_with_query(record: AnalyticsRecord) -> Literal["answered", "failed", "unanswered"]:
    """The status an orphan record takes when its query arrives."""
    if not has_response(record):
        return "unanswered"
    return "failed" if record.error is not None else "answered"


def has_query(record: AnalyticsRecord) -> bool:
    return record.query is not None


def has_response(record: AnalyticsRecord) -> bool:
    return record.match_type is not None


def elapsed_ms(query_timestamp: int | None, response: ResponseEvent) -> float | None:
    """What :attr:`AnalyticsRecord.elapsed_ms` will read for this response (for metrics)."""
    if response.processing_time_ms is not None:
        return response.processing_time_ms
    if query_timestamp is None:
        return None
    return float(max(0, response.timestamp - query_timestamp))


def _truncated(*events: QueryEvent | ResponseEvent | None) -> list[str] | None:
    fields = {
        name for event in events if event is not None for name in event.truncated_fields or ()
    }
    return sorted(fields) or None


def _query_fields(query: QueryEvent, *, now_ms: int, ttl_days: int) -> dict[str, Any]:
    return {
        "request_id": query.request_id,
        "timestamp": query.timestamp,
        "week": iso_week(query.timestamp),
        "day": utc_day(query.timestamp),
        "session_id": query.session_id,
        "query": query.query,
        "metadata": dict(query.metadata) if query.metadata is not None else None,
        "expires_at": expires_at(query.timestamp, now_ms=now_ms, ttl_days=ttl_days),
    }


def _response_fields(response: ResponseEvent) -> dict[str, Any]:
    return {
        "match_type": response.match_type,
        "match_score": response.match_score,
        "reasoning": response.reasoning,
        "response": response.response,
        "processing_time_ms": response.processing_time_ms,
        "tokens": response.tokens,
        "model": response.model,
        "variant": response.variant,
        "error": response.error,
        "response_timestamp": response.timestamp,
    }


def _feedback(feedback: FeedbackEvent | None) -> Feedback | None:
    return feedback.feedback() if feedback is not None else None


def unanswered_record(
    query: QueryEvent, *, now_ms: int, ttl_days: int, feedback: FeedbackEvent | None = None
) -> AnalyticsRecord:
    """Written as soon as the query arrives, so the question is counted even if never answered."""
    return AnalyticsRecord(
        **_query_fields(query, now_ms=now_ms, ttl_days=ttl_days),
        status="unanswered",
        feedback=_feedback(feedback),
        truncated_fields=_truncated(query),
        recorded_at=now_ms,
    )


def complete_record(
    query: QueryEvent,
    response: ResponseEvent,
    *,
    now_ms: int,
    ttl_days: int,
    feedback: FeedbackEvent | None = None,
) -> AnalyticsRecord:
    return AnalyticsRecord(
        **_query_fields(query, now_ms=now_ms, ttl_days=ttl_days),
        **_response_fields(response),
        status=completed_status(response),
        feedback=_feedback(feedback),
        truncated_fields=_truncated(query, response),
        recorded_at=now_ms,
    )


def orphan_record(
    response: ResponseEvent | None = None,
    feedback: FeedbackEvent | None = None,
    *,
    now_ms: int,
    ttl_days: int,
) -> AnalyticsRecord:
    """A response (or only a feedback) whose query never came: counted in the week of the
    response (or of the feedback), with no query text."""
    event: ResponseEvent | FeedbackEvent | None = response or feedback
    if event is None:
        raise ValueError("an orphan record needs a response or a feedback")
    return AnalyticsRecord(
        **(_response_fields(response) if response is not None else {}),
        request_id=event.request_id,
        timestamp=event.timestamp,
        week=iso_week(event.timestamp),
        day=utc_day(event.timestamp),
        status="orphaned",
        session_id=event.session_id,
        feedback=_feedback(feedback),
        truncated_fields=_truncated(response),
        recorded_at=now_ms,
        expires_at=expires_at(event.timestamp, now_ms=now_ms, ttl_days=ttl_days),
    )


# -- parts added to a stored record by an update ---------------------------------------------------


@dataclass(frozen=True)
class ResponsePart:
    """What a response adds to a stored record (wire names: the store writes them as they are).

    ``status`` is the record's status once the response is in it, when the record holds its query
    (an orphan keeps ``orphaned``).
    """

    request_id: str
    status: CompletedStatus
    attributes: dict[str, Any]
    truncated_fields: frozenset[str]
    recorded_at: int


def response_part(response: ResponseEvent, *, now_ms: int) -> ResponsePart:
    return ResponsePart(
        request_id=response.request_id,
        status=completed_status(response),
        attributes={
            name: value for name, value in response_view(response).items() if value is not None
        },
        truncated_fields=frozenset(response.truncated_fields or ()),
        recorded_at=now_ms,
    )


@dataclass(frozen=True)
class QueryPart:
    """What a late query adds to the orphan record of its response: the question, its session,
    its week (the record moves from the response's week to the query's) and a new status."""

    request_id: str
    status: Literal["answered", "failed", "unanswered"]
    attributes: dict[str, Any]
    truncated_fields: frozenset[str]
    recorded_at: int


def query_part(
    query: QueryEvent,
    *,
    status: Literal["answered", "failed", "unanswered"],
    now_ms: int,
    ttl_days: int,
) -> QueryPart:
    fields = _query_fields(query, now_ms=now_ms, ttl_days=ttl_days)
    attributes = {
        "timestamp": fields["timestamp"],
        "week": fields["week"],
        "day": fields["day"],
        "sessionId": fields["session_id"],
        "query": fields["query"],
        "metadata": fields["metadata"],
        "expiresAt": fields["expires_at"],
    }
    return QueryPart(
        request_id=query.request_id,
        status=status,
        attributes={name: value for name, value in attributes.items() if value is not None},
        truncated_fields=frozenset(query.truncated_fields or ()),
        recorded_at=now_ms,
    )


# -- what an event says, to tell a duplicate from a conflict ------------------------------------


#: What a record keeps of each event, by field (the same names on the event and on the record).
QUERY_FIELDS = ("session_id", "query", "metadata")
RESPONSE_FIELDS = (
    "match_type",
    "match_score",
    "reasoning",
    "response",
    "processing_time_ms",
    "tokens",
    "model",
    "variant",
    "error",
)


def _view(source: object, names: tuple[str, ...]) -> dict[str, Any]:
    view: dict[str, Any] = {}
    for name in names:
        value = getattr(source, name)
        if isinstance(value, Tokens):
            value = value.to_wire()
        elif isinstance(value, Mapping):
            value = dict(value) or None
        view[to_camel(name)] = value
    return view


def query_view(query: QueryEvent) -> dict[str, Any]:
    """The content of a query, as a record keeps it."""
    return {"timestamp": query.timestamp, **_view(query, QUERY_FIELDS)}


def recorded_query_view(record: AnalyticsRecord) -> dict[str, Any]:
    return {"timestamp": record.timestamp, **_view(record, QUERY_FIELDS)}


def response_view(response: ResponseEvent) -> dict[str, Any]:
    """The content of a response, as a record keeps it (wire names)."""
    return {"responseTimestamp": response.timestamp, **_view(response, RESPONSE_FIELDS)}


def recorded_response_view(record: AnalyticsRecord) -> dict[str, Any]:
    return {"responseTimestamp": record.response_timestamp, **_view(record, RESPONSE_FIELDS)}


def differing_fields(event: dict[str, Any], stored: dict[str, Any]) -> list[str]:
    """The fields where an event and what is stored for it differ (empty: a duplicate).

    A response that does not carry ``processingTimeMs`` is not compared on it: records written by
    earlier versions stored a computed one.
    """
    return sorted(
        name
        for name, value in event.items()
        if stored.get(name) != value and not (name == "processingTimeMs" and value is None)
    )


def feedback_differences(event: Feedback, stored: Feedback) -> list[str]:
    mine, theirs = event.to_wire(), stored.to_wire()
    return sorted(
        name for name in mine.keys() | theirs.keys() if mine.get(name) != theirs.get(name)
    )
