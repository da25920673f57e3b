"""Redaction: the ready redactor, custom hooks, and where the client runs them."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

import pytest

from analytics_contract import MAX_QUERY_CHARS, QueryEvent, ResponseEvent
from edge_client import (
    DeliveryFailure,
    EdgeClient,
    InMemorySink,
    redact_contact_details,
    redact_pii,
    text_redactor,
)

from .conftest import HANG_GUARD

Make = Callable[..., EdgeClient]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail jane.doe+cv@example.co.uk now", "mail [EMAIL] now"),
        ("call +44 20 7946 0000", "call [PHONE]"),
        ("call (020) 7946 0000 today", "call [PHONE] today"),
        ("+1-555-123-4567", "[PHONE]"),
        ("555-1234", "[PHONE]"),
        ("07700 900123", "[PHONE]"),
        ("07700900123", "[PHONE]"),
        ("on 2025-11-14 at 10.30", "on 2025-11-14 at 10.30"),
        ("pi is 3.14159265", "pi is 3.14159265"),
        ("host 192.168.100.200", "host 192.168.100.200"),
        ("she led 12 people for 3 years in 2019", "she led 12 people for 3 years in 2019"),
        ("order 1234567", "order 1234567"),
        ("no personal data here", "no personal data here"),
    ],
)
def test_redact_contact_details(text: str, expected: str) -> None:
    assert redact_contact_details(text) == expected


def test_redact_pii_covers_every_free_text_field_and_leaves_ids_alone() -> None:
    query = QueryEvent(
        schema_version=1,
        event_type="query",
        request_id="r-1",
        timestamp=1_763_000_000_001,
        session_id="s-1",
        query="I am bob@example.com, +44 7700 900123",
        metadata={"referrer": "mailto:bob@example.com", "page": "/cv"},
    )
    redacted = redact_pii(query)
    assert isinstance(redacted, QueryEvent)
    assert redacted.query == "I am [EMAIL], [PHONE]"
    assert redacted.metadata == {"referrer": "mailto:[EMAIL]", "page": "/cv"}
    assert (redacted.request_id, redacted.session_id) == ("r-1", "s-1")

    response = ResponseEvent(
        schema_version=1,
        event_type="response",
        request_id="r-1",
        timestamp=1_763_000_000_002,
        match_type="full",
        match_score=90,
        response="Write to jane@example.org",
        reasoning="asked for +1 (555) 123-4567",
        error="failed for ann@example.net",
        model="model-555-1234567",
    )
    redacted = redact_pii(response)
    assert isinstance(redacted, ResponseEvent)
    assert (redacted.response, redacted.reasoning, redacted.error) == (
        "Write to [EMAIL]",
        "asked for [PHONE]",
        "failed for [EMAIL]",
    )
    assert redacted.model == "model-555-1234567"
    assert redact_pii(redacted) is redacted  # nothing left to change: the same object


def test_the_client_sends_only_redacted_text(make_client: Make) -> None:
    sink = InMemorySink()
    client = make_client(transport=sink, redactor=redact_pii)
    rid = client.track_query(session_id="s", query="reach me at bob@example.com")
    client.track_response(request_id=rid, match_type="full", match_score=1, response="ok bob@x.io")
    assert client.flush(HANG_GUARD) is True
    bodies = [message.body for message in sink.messages]
    assert all("@" not in body for body in bodies)
    assert [json.loads(body).get("query") for body in bodies] == ["reach me at [EMAIL]", None]


def test_the_redactor_runs_on_the_sender_thread_not_the_callers(make_client: Make) -> None:
    threads: list[str] = []

    def spy(text: str) -> str:
        threads.append(threading.current_thread().name)
        return text

    client = make_client(transport=InMemorySink(), redactor=text_redactor(spy))
    client.track_query(session_id="s", query="q")
    assert client.flush(HANG_GUARD) is True
    assert threads == ["edge-client-sender"]


def test_text_a_redactor_lengthens_is_shortened_again_and_flagged(make_client: Make) -> None:
    sink = InMemorySink()
    client = make_client(transport=sink, redactor=text_redactor(lambda text: text + "!" * 50))
    client.track_query(session_id="s", query="q" * MAX_QUERY_CHARS)
    assert client.flush(HANG_GUARD) is True
    (event,) = sink.events
    assert isinstance(event, QueryEvent)
    assert len(event.query) == MAX_QUERY_CHARS
    assert event.truncated_fields == ["query"]


def test_an_event_the_redactor_fails_on_is_never_sent_nor_handed_on(make_client: Make) -> None:
    def broken(text: str) -> str:
        raise RuntimeError("regex exploded")

    failures: list[DeliveryFailure] = []
    sink = InMemorySink()
    client = make_client(transport=sink, redactor=text_redactor(broken), on_error=failures.append)
    rid = client.track_query(session_id="s", query="secret bob@example.com")
    assert client.flush(HANG_GUARD) is False
    assert sink.messages == []
    assert client.stats().failed == 1
    (failure,) = failures
    assert (failure.reason, failure.request_ids, failure.bodies) == ("redaction_failed", (rid,), ())
    assert "regex exploded" in failure.message
