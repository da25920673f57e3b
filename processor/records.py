"""Analytics records built from events (pure: no I/O, no clock: ``now_ms`` is passed in).

One record per question, keyed by ``requestId``:

- :func:`unanswered_record`: a query whose response has not arrived yet;
- :func:`complete_record`: a query and its response;
- :func:`orphan_record`: a response whose query never arrived (week and day of the response);
- :func:`completion`: what a response adds to an ``unanswered`` record already stored, for an
  update that never needs the query in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from analytics_contract import AnalyticsRecord, QueryEvent, ResponseEvent, iso_week, utc_day
from processor.config import SECONDS_PER_DAY

CompletedStatus = Literal["answered", "failed"]


def expires_at(timestamp_ms: int, ttl_days: int) -> int:
    """DynamoDB TTL (epoch seconds) ``ttl_days`` after a millisecond timestamp."""
    return timestamp_ms // 1000 + ttl_days * SECONDS_PER_DAY


def completed_status(response: ResponseEvent) -> CompletedStatus:
    return "failed" if response.error is not None else "answered"


def processing_time_ms(query: QueryEvent, response: ResponseEvent) -> float:
    """The response's own figure, else the time between the two events."""
    if response.processing_time_ms is not None:
        return response.processing_time_ms
    # Two hosts' clocks may disagree: a response stamped before its query took no measurable time.
    return float(max(0, response.timestamp - query.timestamp))


def _truncated(*events: QueryEvent | ResponseEvent) -> list[str] | None:
    fields: list[str] = []
    for event in events:
        for name in event.truncated_fields or ():
            if name not in fields:
                fields.append(name)
    return fields or None


def _query_part(query: QueryEvent, *, ttl_days: int) -> dict[str, Any]:
    return {
        "request_id": query.request_id,
        "timestamp": query.timestamp,
        "week": iso_week(query.timestamp),
        "day": utc_day(query.timestamp),
        "session_id": query.session_id,
        "query": query.query,
        "metadata": dict(query.metadata) if query.metadata is not None else None,
        "expires_at": expires_at(query.timestamp, ttl_days),
    }


def _response_part(response: ResponseEvent) -> dict[str, Any]:
    return {
        "match_type": response.match_type,
        "match_score": response.match_score,
        "reasoning": response.reasoning,
        "response": response.response,
        "tokens": response.tokens,
        "model": response.model,
        "error": response.error,
        "response_timestamp": response.timestamp,
    }


def unanswered_record(query: QueryEvent, *, now_ms: int, ttl_days: int) -> AnalyticsRecord:
    """Written as soon as the query arrives, so the question is counted even if never answered."""
    return AnalyticsRecord(
        **_query_part(query, ttl_days=ttl_days),
        status="unanswered",
        truncated_fields=_truncated(query),
        recorded_at=now_ms,
    )


def complete_record(
    query: QueryEvent, response: ResponseEvent, *, now_ms: int, ttl_days: int
) -> AnalyticsRecord:
    return AnalyticsRecord(
        **_query_part(query, ttl_days=ttl_days),
        **_response_part(response),
        status=completed_status(response),
        processing_time_ms=processing_time_ms(query, response),
        truncated_fields=_truncated(query, response),
        recorded_at=now_ms,
    )


def orphan_record(response: ResponseEvent, *, now_ms: int, ttl_days: int) -> AnalyticsRecord:
    """A response whose query never came: counted in the week of the response."""
    return AnalyticsRecord(
        **_response_part(response),
        request_id=response.request_id,
        timestamp=response.timestamp,
        week=iso_week(response.timestamp),
        day=utc_day(response.timestamp),
        status="orphaned",
        session_id=response.session_id,
        processing_time_ms=response.processing_time_ms,
        truncated_fields=_truncated(response),
        recorded_at=now_ms,
        expires_at=expires_at(response.timestamp, ttl_days),
    )


def response_of_orphan(record: AnalyticsRecord) -> ResponseEvent:
    """The response an orphan record was made from (to complete it when its query turns up)."""
    if record.status != "orphaned" or record.match_type is None or record.match_score is None:
        raise ValueError(f"record {record.request_id!r} is not an orphaned response")
    return ResponseEvent.model_validate(
        {
            "schema_version": 1,
            "event_type": "response",
            "request_id": record.request_id,
            "timestamp": record.response_timestamp or record.timestamp,
            "session_id": record.session_id,
            "match_type": record.match_type,
            "match_score": record.match_score,
            "reasoning": record.reasoning,
            "response": record.response,
            "processing_time_ms": record.processing_time_ms,
            "tokens": record.tokens,
            "model": record.model,
            "error": record.error,
            "truncated_fields": record.truncated_fields,
        }
    )


@dataclass(frozen=True)
class Completion:
    """The attributes a response sets on the query's ``unanswered`` record.

    ``processing_time_ms`` is ``None`` when the response does not carry it: the store then has
    DynamoDB compute ``responseTimestamp - timestamp`` in the same update, since only the stored
    record knows the query's timestamp.
    """

    request_id: str
    status: CompletedStatus
    response_timestamp: int
    attributes: dict[str, Any]
    processing_time_ms: float | None
    truncated_fields: list[str]
    recorded_at: int


def completion(response: ResponseEvent, *, now_ms: int) -> Completion:
    attributes = {
        "matchType": response.match_type,
        "matchScore": response.match_score,
        "reasoning": response.reasoning,
        "response": response.response,
        "tokens": response.tokens.to_wire() if response.tokens is not None else None,
        "model": response.model,
        "error": response.error,
    }
    return Completion(
        request_id=response.request_id,
        status=completed_status(response),
        response_timestamp=response.timestamp,
        attributes={name: value for name, value in attributes.items() if value is not None},
        processing_time_ms=response.processing_time_ms,
        truncated_fields=list(response.truncated_fields or ()),
        recorded_at=now_ms,
    )
