"""Turn captured ``track_*`` arguments into validated contract events.

Runs on the sender (or on the caller's thread in strict mode): fill in what the caller left out,
shorten over-long text to the contract's limits (listing it in ``truncatedFields``), validate with
the contract's own models. An invalid call raises :class:`InvalidEventError` naming the argument,
in the caller's own (snake_case) names.

The positional order of each builder's parameters is the order :mod:`edge_client.client` captures
the arguments in (one tuple per call, the cheapest thing to build on the caller's thread).
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from pydantic import ValidationError

from analytics_contract import (
    MAX_COMMENT_CHARS,
    MAX_ERROR_CHARS,
    MAX_QUERY_CHARS,
    MAX_REASONING_CHARS,
    MAX_RESPONSE_CHARS,
    SCHEMA_VERSION,
    AnyEvent,
    FeedbackEvent,
    InvalidEventError,
    QueryEvent,
    ResponseEvent,
    Tokens,
)
from analytics_contract.events import TEXT_LIMITS
from edge_client.buffer import ACCEPTED_AT, KIND, Item

Event = AnyEvent
E = TypeVar("E", QueryEvent, ResponseEvent, FeedbackEvent)

_QUERY_TEXT = ("query",)
_RESPONSE_TEXT = ("response", "reasoning", "error")  # the contract's order
_FEEDBACK_TEXT = ("comment",)


# Request ids come from a private generator seeded from os.urandom, reseeded in every forked
# child. Not uuid4/os.urandom: those release the GIL (a system call), which hands it to the sender
# thread for a whole burst of its work and turns a 2 µs call into a 200 µs one. Not the global
# ``random``: the application may seed it, and then every process would draw the same ids.
_ids = random.Random()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_ids.seed)
id_bits = _ids.getrandbits


def new_request_id() -> str:
    """128 random bits as 32 hex characters: unique per question, hard to guess, not a secret."""
    return id_bits(128).to_bytes(16, "big").hex()  # half the cost of f"{...:032x}"


def timestamp_ms(value: object, accepted_ns: int) -> object:
    """Milliseconds since the epoch: the call's own time (``accepted_ns``, its ``time.time_ns()``)
    when none was given, or from an aware ``datetime``; anything else for the contract."""
    if value is None:
        return accepted_ns // 1_000_000
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InvalidEventError("timestamp: a datetime must be timezone-aware")
        return int(value.timestamp() * 1000)
    return value


def plain(value: object) -> object:
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
    parts = []
    for item in error.errors(include_url=False):
        location = ".".join(str(part) for part in item["loc"]) or "(event)"
        message = item["msg"].removeprefix("Value error, ")
        # A cross-field rule ("thumbs, rating: give exactly one of them") names its own fields.
        parts.append(
            message if location == "(event)" and ": " in message else f"{location}: {message}"
        )
    return "; ".join(parts)


def _validated(contract_model: type[E], /, **fields: Any) -> E:
    """The contract's model built from keyword fields; its errors in the caller's names."""
    try:
        return contract_model(**fields)
    except ValidationError as exc:
        raise InvalidEventError(describe(exc)) from exc


def build_query(
    query: str,
    session_id: str,
    request_id: str,
    timestamp: int | datetime | None,
    metadata: Mapping[str, str] | None,
    *,
    accepted_ns: int,
) -> QueryEvent:
    truncated: list[str] | None = None
    if isinstance(query, str) and len(query) > MAX_QUERY_CHARS:
        query, truncated = query[:MAX_QUERY_CHARS], ["query"]
    return _validated(
        QueryEvent,
        schema_version=SCHEMA_VERSION,
        event_type="query",
        request_id=request_id,
        timestamp=timestamp_ms(timestamp, accepted_ns),
        session_id=session_id,
        query=query,
        metadata=None if metadata is None else plain(metadata),
        truncated_fields=truncated,
    )


def build_response(
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
    variant: str | None,
    error: str | None,
    *,
    accepted_ns: int,
) -> ResponseEvent:
    truncated: list[str] | None = None
    if (
        (isinstance(response, str) and len(response) > MAX_RESPONSE_CHARS)
        or (isinstance(reasoning, str) and len(reasoning) > MAX_REASONING_CHARS)
        or (isinstance(error, str) and len(error) > MAX_ERROR_CHARS)
    ):
        fields: dict[str, Any] = {"response": response, "reasoning": reasoning, "error": error}
        truncated = shorten(fields, _RESPONSE_TEXT)
        response, reasoning, error = fields["response"], fields["reasoning"], fields["error"]
    return _validated(
        ResponseEvent,
        schema_version=SCHEMA_VERSION,
        event_type="response",
        request_id=request_id,
        timestamp=timestamp_ms(timestamp, accepted_ns),
        session_id=session_id,
        match_type=match_type,
        match_score=match_score,
        reasoning=reasoning,
        response=response,
        processing_time_ms=processing_time_ms,
        tokens=tokens if tokens is None or isinstance(tokens, Tokens) else plain(tokens),
        model=model,
        variant=variant,
        error=error,
        truncated_fields=truncated,
    )


def build_feedback(
    request_id: str,
    thumbs: str | None,
    rating: int | None,
    comment: str | None,
    session_id: str | None,
    timestamp: int | datetime | None,
    *,
    accepted_ns: int,
) -> FeedbackEvent:
    truncated: list[str] | None = None
    if isinstance(comment, str) and len(comment) > MAX_COMMENT_CHARS:
        comment, truncated = comment[:MAX_COMMENT_CHARS], ["comment"]
    return _validated(
        FeedbackEvent,
        schema_version=SCHEMA_VERSION,
        event_type="feedback",
        request_id=request_id,
        timestamp=timestamp_ms(timestamp, accepted_ns),
        session_id=session_id,
        thumbs=thumbs,
        rating=rating,
        comment=comment,
        truncated_fields=truncated,
    )


#: The builder of each kind of captured call.
BUILDERS: dict[str, Callable[..., Event]] = {
    "query": build_query,
    "response": build_response,
    "feedback": build_feedback,
}


def build(item: Item) -> Event:
    """The validated event of a buffered item (an event given ready is returned as it is)."""
    kind = item[KIND]
    if kind == "event":
        event: Event = item[2]
        return event
    return BUILDERS[kind](*item[2:], accepted_ns=item[ACCEPTED_AT])


def item_kind(item: Item) -> str:
    """What kind of event an item holds, for messages."""
    kind: str = item[KIND]
    return str(getattr(item[2], "event_type", "")) if kind == "event" else kind


def text_fields(event: Event) -> tuple[str, ...]:
    """The contract's shortenable text fields of this kind of event."""
    if isinstance(event, QueryEvent):
        return _QUERY_TEXT
    return _RESPONSE_TEXT if isinstance(event, ResponseEvent) else _FEEDBACK_TEXT


def merge_truncated(event: Event, extra: list[str]) -> list[str]:
    """``truncatedFields`` of ``event`` plus ``extra``, without duplicates, in the contract's order."""
    present = set(event.truncated_fields or ()) | set(extra)
    return [name for name in TEXT_LIMITS if name in present]
