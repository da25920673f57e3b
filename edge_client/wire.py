"""What an event looks like on the queue: body, message group, deduplication id, size.

Runs on the sender. The contract's text limits keep a typical event far below SQS's 256 KiB
message limit, but not every event: 32,000 characters of non-Latin text are already 96 KB of
UTF-8, and JSON escapes control characters six bytes each. An event whose body is still too big is
shortened further, longest text field first, and flagged in ``truncatedFields`` like any other cut.
"""

from __future__ import annotations

import hashlib
import json

from analytics_contract import AnyEvent, FeedbackEvent, InvalidEventError, QueryEvent, ResponseEvent
from analytics_contract.events import parse_event
from edge_client.building import merge_truncated, shorten, text_fields
from edge_client.config import MAX_BATCH_BYTES

Event = AnyEvent

#: Each shrinking round aims this many bytes below the limit, so that it rarely needs a second.
_SHRINK_SLACK = 256
_MAX_SHRINK_ROUNDS = 8


def body_size(body: str) -> int:
    """Size of the message body as SQS counts it (UTF-8 bytes)."""
    return len(body) if body.isascii() else len(body.encode("utf-8"))


def sqs_safe(body: str) -> str:
    """Escape the two characters SQS refuses although JSON carries them raw (U+FFFE, U+FFFF).

    SQS accepts only the XML character set in a message; JSON's own escaping already covers the
    control characters, and a lone surrogate never passes the contract's validation. The escaped
    body parses back to exactly the same text.
    """
    if "\ufffe" in body or "\uffff" in body:
        body = body.replace("\ufffe", "\\ufffe").replace("\uffff", "\\uffff")
    return body


def group_id(session_id: str | None, request_id: str) -> str:
    """FIFO order is kept per session; without one, per question (both are contract identifiers)."""
    return session_id or request_id


def deduplication_id(event_type: str, request_id: str) -> str:
    """Stable per (requestId, eventType), so every retry of an event is deduplicated by SQS.

    Hashed: a requestId may be 128 characters, the deduplication id may not be longer than that.
    """
    return hashlib.sha256(f"{event_type}:{request_id}".encode()).hexdigest()


def conform(event: Event) -> Event:
    """Re-validate an event a hook has changed, shortening its text to the contract's limits."""
    if not isinstance(event, QueryEvent | ResponseEvent | FeedbackEvent):
        raise InvalidEventError(f"(event): expected a contract event, got {type(event).__name__}")
    fields = event.model_dump()
    cut = shorten(fields, text_fields(event))
    if cut:
        fields["truncated_fields"] = merge_truncated(event, cut)
    return parse_event(fields)


class OversizeError(ValueError):
    """An event that cannot be brought under the message size limit by shortening its text."""


def _encoded_length(text: str) -> int:
    return body_size(json.dumps(text, ensure_ascii=False))


def serialize(event: Event, limit: int = MAX_BATCH_BYTES) -> tuple[Event, str, int]:
    """The event (shortened if it had to be), its JSON body and the body's size in bytes."""
    body = sqs_safe(event.to_json())
    size = body_size(body)
    rounds = 0
    while size > limit:
        rounds += 1
        candidates = [
            (name, value)
            for name in text_fields(event)
            if isinstance(value := getattr(event, name), str) and len(value) > 1
        ]
        if not candidates or rounds > _MAX_SHRINK_ROUNDS:
            raise OversizeError(f"event body is {size} bytes, over the {limit}-byte limit")
        name, value = max(candidates, key=lambda item: _encoded_length(item[1]))
        field_bytes = _encoded_length(value)
        keep_bytes = max(0, field_bytes - (size - limit) - _SHRINK_SLACK)
        keep = max(1, len(value) * keep_bytes // field_bytes)
        event = event.model_copy(
            update={name: value[:keep], "truncated_fields": merge_truncated(event, [name])}
        )
        body = sqs_safe(event.to_json())
        size = body_size(body)
    return event, body, size
