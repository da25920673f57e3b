"""Turn ``track_*`` arguments into validated contract events (runs on the caller's thread).

Kept deliberately small: fill in the id and timestamp, shorten over-long text to the contract's
limits (listing it in ``truncatedFields``), validate with the contract's own models. Everything
heavier (redaction, message sizing, grouping, deduplication ids) happens later, on the sender.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from analytics_contract import (
    MAX_ERROR_CHARS,
    MAX_QUERY_CHARS,
    MAX_REASONING_CHARS,
    MAX_RESPONSE_CHARS,
    SCHEMA_VERSION,
    AnyEvent,
    InvalidEventError,
    QueryEvent,
    ResponseEvent,
    Tokens,
)
from analytics_contract.events import TEXT_LIMITS

Event = AnyEvent

_QUERY_TEXT = ("query",)
_RESPONSE_TEXT = ("response", "reasoning", "error")  # the contract's order
_FEEDBACK_TEXT = ("comment",)


# Request ids come from a private generator seeded from os.urandom, reseeded in every forked
# child. Not uuid4/os.urandom: those release the GIL (a system call), which hands it to the sender
# thread for a whole burst of its work and turns a 10 µs call into a 200 µs one. Not the global
# ``random``: the application may seed it, and then every process would draw the same ids.
_ids = random.Random()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_ids.seed)


def new_request_id() -> str:
    """128 random bits as 32 hex characters: unique per question, not a secret."""
    return f"{_ids.getrandbits(128):032x}"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def timestamp_ms(value: int | datetime | None) -> int:
    """Milliseconds since the epoch; a ``datetime`` must be timezone-aware."""
    if value is None:
        return now_ms()
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InvalidEventError("timestamp: a datetime must be timezone-aware")
        return int(value.timestamp() * 1000)
    return value


def _plain(value: object) -> object:
    """A read-only mapping as a dict; anything else as given, for the contract to judge."""
    if isinstance(value, Mapping) and not isinstance(value, dict):
        return dict(value)
    return value


def shorten(fields: dict[str, Any], names: tuple[str, ...]) -> list[str] | None:
    """Cut the named text fields to their contract limits, in place; returns what was cut."""
    cut: list[str] | None = None
    for name in names:
        value = fields.get(name)
        limit = TEXT_LIMITS[name]
        if isinstance(value, str) and len(value) > limit:
            fields[name] = value[:limit]
            if cut is None:
                cut = []
            cut.append(name)
    return cut


def describe(error: ValidationError) -> str:
    """``field: problem; ...`` in the caller's own (snake_case) argument names."""
    return "; ".join(
        f"{'.'.join(str(part) for part in item['loc']) or '(event)'}: {item['msg']}"
        for item in error.errors(include_url=False)
    )


# The two builders below are the hot path of every track_* call: keyword construction of the
# contract's models (no intermediate dict), and only cheap length checks before it.


def build_query(
    *,
    query: str,
    session_id: str,
    request_id: str,
    timestamp: int | datetime | None,
    metadata: Mapping[str, str] | None,
) -> QueryEvent:
    truncated: list[str] | None = None
    if isinstance(query, str) and len(query) > MAX_QUERY_CHARS:
        query, truncated = query[:MAX_QUERY_CHARS], ["query"]
    try:
        return QueryEvent(
            schema_version=SCHEMA_VERSION,
            event_type="query",
            request_id=request_id,
            timestamp=now_ms() if timestamp is None else timestamp_ms(timestamp),
            session_id=session_id,
            query=query,
            metadata=None if metadata is None else _plain(metadata),
            truncated_fields=truncated,
        )
    except ValidationError as exc:
        raise InvalidEventError(describe(exc)) from exc


def build_response(
    *,
    request_id: str,
    match_type: str,
    match_score: float,
    session_id: str | None,
    timestamp: int | datetime | None,
    reasoning: str | None,
    response: str | None,
    processing_time_ms: float | None,
    tokens: Tokens | Mapping[str, int] | None,
    model: str | None,
    error: str | None,
) -> ResponseEvent:
    truncated: list[str] | None = None
    if (
        (response is not None and len(response) > MAX_RESPONSE_CHARS)
        or (reasoning is not None and len(reasoning) > MAX_REASONING_CHARS)
        or (error is not None and len(error) > MAX_ERROR_CHARS)
    ):
        fields: dict[str, Any] = {"response": response, "reasoning": reasoning, "error": error}
        truncated = shorten(fields, _RESPONSE_TEXT)
        response, reasoning, error = fields["response"], fields["reasoning"], fields["error"]
    try:
        return ResponseEvent(
            schema_version=SCHEMA_VERSION,
            event_type="response",
            request_id=request_id,
            timestamp=now_ms() if timestamp is None else timestamp_ms(timestamp),
            session_id=session_id,
            match_type=match_type,
            match_score=match_score,
            reasoning=reasoning,
            response=response,
            processing_time_ms=processing_time_ms,
            tokens=tokens if tokens is None or isinstance(tokens, Tokens) else _plain(tokens),
            model=model,
            error=error,
            truncated_fields=truncated,
        )
    except ValidationError as exc:
        raise InvalidEventError(describe(exc)) from exc


def text_fields(event: Event) -> tuple[str, ...]:
    """The contract's shortenable text fields of this kind of event."""
    if isinstance(event, QueryEvent):
        return _QUERY_TEXT
    return _RESPONSE_TEXT if isinstance(event, ResponseEvent) else _FEEDBACK_TEXT


def merge_truncated(event: Event, extra: list[str]) -> list[str]:
    """``truncatedFields`` of ``event`` plus ``extra``, without duplicates, in the contract's order."""
    present = set(event.truncated_fields or ()) | set(extra)
    return [name for name in TEXT_LIMITS if name in present]
