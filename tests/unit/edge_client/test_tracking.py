"""track_query / track_response / track_feedback: ids, timestamps, truncation, validation off
the caller's thread, strict mode."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from analytics_contract import (
    MAX_COMMENT_CHARS,
    MAX_ERROR_CHARS,
    MAX_QUERY_CHARS,
    MAX_REASONING_CHARS,
    MAX_RESPONSE_CHARS,
    FeedbackEvent,
    InvalidEventError,
    QueryEvent,
    ResponseEvent,
    Tokens,
)
from edge_client import EdgeClient, InMemorySink, Settings

Make = Callable[..., EdgeClient]


def test_track_query_fills_in_a_fresh_request_id_and_the_current_time(make_client: Make) -> None:
    sink = InMemorySink()
    client = make_client(transport=sink)
    before = time.time_ns() // 1_000_000
    first = client.track_query(session_id="s-1", query="Python?")
    second = client.track_query(session_id="s-1", query="Go?")
    after = time.time_ns() // 1_000_000
    assert client.flush() is True

    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second
    events = sink.events
    assert [event.request_id for event in events] == [first, second]
    assert all(before <= event.timestamp <= after for event in events)
    assert all(isinstance(event, QueryEvent) and event.schema_version == 1 for event in events)


def test_given_ids_and_timestamps_are_kept(make_client: Make) -> None:
    sink = InMemorySink()
    client = make_client(transport=sink)
    at = datetime(2025, 11, 14, 9, 30, tzinfo=UTC)
    rid = client.track_query(
        session_id="s", query="q", request_id="req-1", timestamp=at, metadata={"page": "/"}
    )
    client.track_response(
        request_id=rid,
        timestamp=1_763_112_601_000,
        match_type="partial",
        match_score=55.5,
        tokens={"input": 3, "output": 4},
        processing_time_ms=12.5,
        model="m",
    )
    assert client.flush() is True

    query, response = sink.events
    assert isinstance(query, QueryEvent) and isinstance(response, ResponseEvent)
    assert (rid, query.timestamp, query.metadata) == ("req-1", 1_763_112_600_000, {"page": "/"})
    assert (response.request_id, response.timestamp) == ("req-1", 1_763_112_601_000)
    assert response.tokens is not None and (response.tokens.input, response.tokens.output) == (3, 4)


@pytest.mark.parametrize(
    "tokens", [{"input": 812, "output": 64}, Tokens(input=812, output=64)], ids=["dict", "model"]
)
def test_tokens_are_kept_whether_given_as_a_dict_or_as_the_contract_model(
    make_client: Make, tokens: object
) -> None:
    sink = InMemorySink()
    client = make_client(transport=sink)
    client.track_response(request_id="req-1", match_type="full", match_score=90.0, tokens=tokens)
    assert client.flush() is True
    [response] = sink.events
    assert isinstance(response, ResponseEvent)
    assert response.tokens == Tokens(input=812, output=64)


def test_over_long_text_is_shortened_to_the_contract_limits_and_flagged(make_client: Make) -> None:
    sink = InMemorySink()
    client = make_client(transport=sink)
    rid = client.track_query(session_id="s", query="q" * (MAX_QUERY_CHARS + 10))
    client.track_response(
        request_id=rid,
        match_type="none",
        match_score=0,
        response="r" * (MAX_RESPONSE_CHARS + 1),
        reasoning="why " * MAX_REASONING_CHARS,
        error="e" * MAX_ERROR_CHARS,  # exactly at the limit: kept whole
    )
    assert client.flush() is True

    query, response = sink.events
    assert isinstance(query, QueryEvent) and isinstance(response, ResponseEvent)
    assert query.query == "q" * MAX_QUERY_CHARS
    assert query.truncated_fields == ["query"]
    assert response.response is not None and len(response.response) == MAX_RESPONSE_CHARS
    assert response.reasoning is not None and len(response.reasoning) == MAX_REASONING_CHARS
    assert response.error == "e" * MAX_ERROR_CHARS
    assert response.truncated_fields == ["response", "reasoning"]
    assert client.stats().truncated == 2


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda c: c.track_query(session_id="not allowed!", query="q"), "session_id"),
        (lambda c: c.track_query(session_id="s", query=""), "query"),
        (lambda c: c.track_query(session_id="s", query="q", metadata={"k": 1}), "metadata"),
        (lambda c: c.track_query(session_id="s", query="q", metadata=[1]), "metadata"),
        (
            lambda c: c.track_query(session_id="s", query="q", timestamp=datetime(2025, 1, 1)),
            "timestamp",
        ),
        (
            lambda c: c.track_response(request_id="r", match_type="good", match_score=1),
            "match_type",
        ),
        (lambda c: c.track_response(request_id="r", match_type="full", match_score=101), "score"),
        (
            lambda c: c.track_response(
                request_id="r", match_type="full", match_score=1, tokens={"input": -1, "output": 0}
            ),
            "tokens",
        ),
    ],
)
def test_invalid_input_is_counted_and_reported_never_raised_by_default(
    make_client: Make,
    caplog: pytest.LogCaptureFixture,
    call: Callable[[EdgeClient], str],
    field: str,
) -> None:
    sink = InMemorySink()
    client = make_client(transport=sink)
    with caplog.at_level(logging.WARNING, logger="edge_client"):
        returned = call(client)
    assert isinstance(returned, str)
    assert client.flush() is True
    assert sink.messages == []
    stats = client.stats()
    assert (stats.invalid, stats.enqueued) == (1, 0)
    assert any(field in record.getMessage() for record in caplog.records)


def test_strict_mode_raises_the_contract_error(make_client: Make) -> None:
    client = make_client(transport=InMemorySink(), strict=True)
    with pytest.raises(InvalidEventError, match="session_id"):
        client.track_query(session_id="bad id", query="q")
    with pytest.raises(InvalidEventError, match="metadata"):
        client.track_query(session_id="s", query="q", metadata=[1])  # type: ignore[arg-type]
    assert client.stats().invalid == 2


def test_invalid_events_log_once_per_interval(
    make_client: Make, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client(transport=InMemorySink(), settings=Settings(log_interval=3600))
    with caplog.at_level(logging.WARNING, logger="edge_client"):
        for _ in range(200):
            client.track_query(session_id="bad id", query="q")
        assert client.flush() is True
    assert client.stats().invalid == 200
    # (Only this client's kind of record: another test's client may still be finishing its close.)
    assert len([r for r in caplog.records if "invalid query event" in r.getMessage()]) == 1


def test_track_accepts_a_ready_contract_event(make_client: Make) -> None:
    sink = InMemorySink()
    client = make_client(transport=sink)
    event = QueryEvent(
        schema_version=1,
        event_type="query",
        request_id="r-9",
        timestamp=1_763_000_000_005,
        session_id="s",
        query="q",
    )
    assert client.track(event) == "r-9"
    assert client.track("not an event") == ""  # type: ignore[arg-type]
    assert client.flush() is True
    assert sink.events == [event]
    assert [m.body for m in sink.messages] == [event.to_json()]  # the contract's own wire form
    assert client.stats().invalid == 1


def test_a_disabled_client_validates_and_sends_nothing() -> None:
    client = EdgeClient(disabled=True)
    rid = client.track_query(session_id="s", query="q")
    client.track_response(request_id=rid, match_type="full", match_score=1)
    client.track_query(session_id="bad id", query="q")
    assert client.flush() is True
    assert client.close() is True
    stats = client.stats()
    assert (stats.enqueued, stats.sent, stats.invalid) == (0, 0, 1)


def test_a_queue_url_or_a_transport_is_required() -> None:
    with pytest.raises(ValueError, match="queue_url"):
        EdgeClient()


def test_from_env_reads_the_queue_url_and_the_disabled_switch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CV_ANALYTICS_QUEUE_URL", "https://sqs.eu-west-2.amazonaws.com/1/q.fifo")
    client = EdgeClient.from_env(mode="background")
    assert client.queue_url == "https://sqs.eu-west-2.amazonaws.com/1/q.fifo"
    assert client.close() is True
    monkeypatch.setenv("CV_ANALYTICS_DISABLED", "true")
    assert EdgeClient.from_env().disabled is True


def test_the_contract_is_checked_off_the_callers_thread(
    make_client: Make, caplog: pytest.LogCaptureFixture
) -> None:
    sink = InMemorySink()
    client = make_client(transport=sink)
    with caplog.at_level(logging.WARNING, logger="edge_client"):
        client.track_query(session_id="bad id", query="q")
        good = client.track_query(session_id="s", query="q")
        # Accepted into the buffer at first: the call did nothing but capture its arguments.
        assert client.stats().invalid in (0, 1)
        assert client.flush() is True
    [record] = [r for r in caplog.records if "invalid" in r.getMessage()]
    assert record.threadName == "edge-client-sender"
    assert "session_id" in record.getMessage()
    assert [event.request_id for event in sink.events] == [good]
    stats = client.stats()
    assert (stats.invalid, stats.enqueued, stats.sent, stats.pending) == (1, 1, 1, 0)
    assert stats.enqueued == stats.sent + stats.failed + stats.pending


def test_strict_mode_checks_on_the_callers_thread_and_sends_what_passes(make_client: Make) -> None:
    sink = InMemorySink()
    client = make_client(transport=sink, strict=True)
    rid = client.track_query(session_id="s", query="q")
    with pytest.raises(InvalidEventError, match=r"thumbs, rating: give exactly one"):
        client.track_feedback(rid, thumbs="up", rating=5)
    client.track_feedback(rid, rating=4)
    assert client.flush() is True
    assert [event.event_type for event in sink.events] == ["query", "feedback"]
    assert client.stats().invalid == 1


def test_arguments_are_copied_when_tracked(make_client: Make) -> None:
    sink = InMemorySink()
    client = make_client(transport=sink, settings=Settings(flush_interval=600))
    metadata = {"page": "/cv"}
    tokens = {"input": 1, "output": 2}
    rid = client.track_query(session_id="s", query="q", metadata=metadata)
    client.track_response(request_id=rid, match_type="full", match_score=1, tokens=tokens)
    metadata["page"] = "/changed"
    tokens["input"] = 999
    assert client.flush() is True
    query, response = sink.events
    assert isinstance(query, QueryEvent) and isinstance(response, ResponseEvent)
    assert query.metadata == {"page": "/cv"}
    assert response.tokens == Tokens(input=1, output=2)


def test_the_timestamp_is_the_time_of_the_call_not_of_the_send(make_client: Make) -> None:
    sink = InMemorySink()
    client = make_client(transport=sink, settings=Settings(flush_interval=600))
    before = time.time_ns() // 1_000_000
    client.track_query(session_id="s", query="q")
    after = time.time_ns() // 1_000_000
    time.sleep(0.05)
    assert client.flush() is True
    [event] = sink.events
    assert before <= event.timestamp <= after


def test_track_feedback_joins_its_questions_session_and_is_shortened(make_client: Make) -> None:
    sink = InMemorySink()
    client = make_client(transport=sink)
    rid = client.track_query(session_id="visitor-3", query="Python?")
    client.track_response(
        request_id=rid, match_type="full", match_score=90, variant="prompt-v2", model="m"
    )
    client.track_feedback(rid, thumbs="down", comment="c" * (MAX_COMMENT_CHARS + 5))
    client.track_feedback(rid, rating=5, session_id="visitor-3", timestamp=1_763_000_000_000)
    client.track_feedback("other-question", rating=3)
    assert client.flush() is True

    _query, response, thumbs, rated, _other = sink.events
    assert isinstance(response, ResponseEvent) and response.variant == "prompt-v2"
    assert isinstance(thumbs, FeedbackEvent) and isinstance(rated, FeedbackEvent)
    assert (thumbs.thumbs, thumbs.rating, thumbs.session_id) == ("down", None, "visitor-3")
    assert thumbs.comment == "c" * MAX_COMMENT_CHARS
    assert thumbs.truncated_fields == ["comment"]
    assert (rated.rating, rated.timestamp) == (5, 1_763_000_000_000)
    groups = [message.group_id for message in sink.messages]
    assert groups == ["visitor-3"] * 4 + ["other-question"]
    # A second feedback on the same answer is a new event (the processor keeps the latest by
    # timestamp), not a duplicate for SQS to drop.
    assert len({message.deduplication_id for message in sink.messages[2:4]}) == 2
    assert client.stats().truncated == 1


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda c: c.track_feedback("r"), "thumbs, rating"),
        (lambda c: c.track_feedback("r", thumbs="sideways"), "thumbs"),
        (lambda c: c.track_feedback("r", rating=6), "rating"),
        (lambda c: c.track_feedback("r", rating=4.5), "rating"),
        (
            lambda c: c.track_response(
                request_id="r", match_type="full", match_score=1, variant=""
            ),
            "variant",
        ),
    ],
)
def test_invalid_feedback_and_variants_name_the_field(
    make_client: Make,
    caplog: pytest.LogCaptureFixture,
    call: Callable[[EdgeClient], str],
    field: str,
) -> None:
    sink = InMemorySink()
    client = make_client(transport=sink)
    with caplog.at_level(logging.WARNING, logger="edge_client"):
        call(client)
        assert client.flush() is True
    assert sink.messages == []
    assert client.stats().invalid == 1
    [message] = [r.getMessage() for r in caplog.records]
    assert f": invalid {'response' if field == 'variant' else 'feedback'} event" in message
    assert f"not tracked: {field}" in message


def test_one_clock_read_stamps_the_event_with_the_calls_wall_time(
    make_client: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The caller reads one clock (time.time_ns); the sender turns it into the timestamp later."""
    sink = InMemorySink()
    client = make_client(transport=sink, mode="serverless")
    reads: list[int] = []

    def call_time() -> int:
        reads.append(1_763_112_600_123_456_789)
        return reads[-1]

    monkeypatch.setattr("edge_client.client._time_ns", call_time)
    rid = client.track_query(session_id="s", query="q")
    client.track_response(request_id=rid, match_type="full", match_score=90.0)
    client.track_feedback(rid, thumbs="up")
    monkeypatch.undo()  # the send happens later, on the real clock
    assert client.flush() is True
    assert len(reads) == 3  # one clock read per call
    assert [event.timestamp for event in sink.events] == [1_763_112_600_123] * 3
