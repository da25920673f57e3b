"""Messages that break the contract, as a buggy or hostile producer would put them on the queue
(the edge client refuses to send them): each must end in the dead-letter queue with its reason."""

from __future__ import annotations

import json

#: The kinds of malformed message, in the order the simulator cycles through them, and what each
#: one is.
MALFORMED: tuple[tuple[str, str], ...] = (
    ("not_json", "a body cut off in transit (not JSON)"),
    ("missing_request_id", "a query without requestId"),
    ("score_out_of_range", "a response with matchScore 150"),
    ("unknown_event_type", "an event of an unknown type"),
    ("wrong_schema_version", "a query claiming schemaVersion 2"),
)


def malformed_body(kind: str, *, request_id: str, session_id: str, timestamp: int) -> str:
    """The body of a malformed message of ``kind`` (one of :data:`MALFORMED`)."""
    base: dict[str, object] = {
        "schemaVersion": 1,
        "eventType": "query",
        "requestId": request_id,
        "timestamp": timestamp,
        "sessionId": session_id,
        "query": "What is your experience with Rust?",
    }
    if kind == "not_json":
        return json.dumps(base)[:37]
    if kind == "missing_request_id":
        return json.dumps({k: v for k, v in base.items() if k != "requestId"})
    if kind == "score_out_of_range":
        return json.dumps({**base, "eventType": "response", "matchType": "full", "matchScore": 150})
    if kind == "unknown_event_type":
        return json.dumps({**base, "eventType": "click", "target": "#contact"})
    if kind == "wrong_schema_version":
        return json.dumps({**base, "schemaVersion": 2})
    raise ValueError(f"unknown malformed kind {kind!r}")
