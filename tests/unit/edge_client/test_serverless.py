"""Serverless mode: chosen inside Lambda, no thread, delivery at the end of each invocation."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from edge_client import EdgeClient, InMemorySink, Invocation, Settings
from edge_client.config import resolve_mode

from .conftest import ScriptedTransport, throttled

Make = Callable[..., EdgeClient]


class Context:
    def __init__(self, remaining_ms: int) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def test_auto_mode_is_serverless_inside_lambda_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    assert resolve_mode("auto") == "background"
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "chatbot")
    assert resolve_mode("auto") == "serverless"
    assert resolve_mode("background") == "background"
    assert EdgeClient(transport=InMemorySink()).mode == "serverless"


def sender_threads() -> int:
    return sum(thread.name == "edge-client-sender" for thread in threading.enumerate())


def test_the_decorated_handler_delivers_before_returning_without_a_thread(
    make_client: Make,
) -> None:
    transport = ScriptedTransport()
    client = make_client(transport=transport, mode="serverless")
    threads_before = sender_threads()
    pending_inside: list[int] = []

    @client.lambda_handler
    def handler(event: dict[str, str], context: Any) -> str:
        rid = client.track_query(session_id="s", query=event["q"])
        client.track_response(request_id=rid, match_type="full", match_score=1)
        pending_inside.append(client.stats().pending)
        return rid

    rid = handler({"q": "hello"}, Context(5_000))
    assert pending_inside == [2]  # tracked during the invocation, not sent yet
    assert client.stats().sent == 2  # sent before the handler returned
    assert transport.threads == [threading.current_thread().name]  # one call, on this thread
    assert rid in transport.accepted[0].body
    assert sender_threads() == threads_before


def test_the_invocation_block_reports_and_still_flushes_on_errors(make_client: Make) -> None:
    sink = InMemorySink()
    client = make_client(transport=sink, mode="serverless")
    outcomes: list[Invocation] = []

    def failing_invocation() -> None:
        with client.invocation() as outcome:
            outcomes.append(outcome)
            client.track_query(session_id="s", query="q")
            raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        failing_invocation()
    assert [outcome.delivered for outcome in outcomes] == [True]
    assert len(sink.messages) == 1


def test_the_flush_ends_before_the_lambdas_own_deadline(make_client: Make) -> None:
    sink = InMemorySink()
    client = make_client(
        transport=sink, mode="serverless", settings=Settings(lambda_deadline_margin=0.3)
    )
    with client.invocation(Context(remaining_ms=200)) as outcome:  # less than the margin
        client.track_query(session_id="s", query="waits")
    assert outcome.delivered is False
    assert client.stats().pending == 1  # kept for the next invocation
    with client.invocation(Context(remaining_ms=10_000)) as outcome:
        client.track_query(session_id="s", query="next")
    assert outcome.delivered is True
    assert len(sink.messages) == 2


def test_retries_happen_inside_the_invocations_deadline(make_client: Make) -> None:
    transport = ScriptedTransport(throttled(), throttled())
    client = make_client(
        transport=transport,
        mode="serverless",
        settings=Settings(retry_base_delay=0.001, retry_max_delay=0.002),
    )
    with client.invocation(Context(10_000), timeout=30) as outcome:
        client.track_query(session_id="s", query="q")
    assert outcome.delivered is True
    assert len(transport.calls) == 3
    assert client.stats().retried == 2


def test_an_unreachable_queue_cannot_hold_the_invocation_past_its_budget(make_client: Make) -> None:
    transport = ScriptedTransport(*[throttled() for _ in range(100_000)])
    client = make_client(
        transport=transport,
        mode="serverless",
        settings=Settings(retry_base_delay=0.01, retry_max_delay=0.02),
    )
    with client.invocation(timeout=0.2) as outcome:
        client.track_query(session_id="s", query="q")
    assert outcome.delivered is False
    assert client.stats().pending == 1
    assert client.close(timeout=0) is False
