"""Fixtures for the edge client's unit tests: a scriptable transport and clients that get closed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from analytics_contract import QueryEvent, ResponseEvent, parse_event_json
from edge_client import BatchResult, EdgeClient, EntryFailure, OutgoingMessage, TransportError

HANG_GUARD = 30.0

#: What the scripted transport does with one call: accept all, fail the call, or fail entries.
Outcome = BatchResult | TransportError | Callable[[Sequence[OutgoingMessage]], BatchResult]


class ScriptedTransport:
    """Plays a script of outcomes, one per call (then accepts everything); records every call."""

    def __init__(self, *script: Outcome) -> None:
        self.script = list(script)
        self.calls: list[list[OutgoingMessage]] = []
        self.threads: list[str] = []
        self.accepted: list[OutgoingMessage] = []
        self.gate = threading.Event()
        self.gate.set()
        self.lock = threading.Lock()
        self.resets = 0

    def send_batch(self, messages: Sequence[OutgoingMessage]) -> BatchResult:
        self.gate.wait(HANG_GUARD)
        with self.lock:
            self.calls.append(list(messages))
            self.threads.append(threading.current_thread().name)
            outcome: Outcome = self.script.pop(0) if self.script else BatchResult()
        if isinstance(outcome, TransportError):
            raise outcome
        result = outcome(messages) if callable(outcome) else outcome
        with self.lock:
            self.accepted.extend(m for m in messages if m.id not in result.failed)
        return result

    def reset_after_fork(self) -> None:
        self.resets += 1

    @property
    def events(self) -> list[QueryEvent | ResponseEvent]:
        with self.lock:
            return [parse_event_json(message.body) for message in self.accepted]


def fail_entries(*indexes: int, code: str = "InternalError", retryable: bool = True) -> BatchResult:
    return BatchResult(
        failed={str(index): EntryFailure(code, "injected", retryable) for index in indexes}
    )


def throttled() -> TransportError:
    return TransportError("ThrottlingException", "Rate exceeded", retryable=True)


def eventually(condition: Callable[[], Any], timeout: float = HANG_GUARD) -> bool:
    """Poll until ``condition`` holds; the timeout only guards against a hang."""
    stop = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > stop:
            return False
        time.sleep(0.005)
    return True


@pytest.fixture
def make_client() -> Iterator[Callable[..., EdgeClient]]:
    """Build clients (``mode="background"`` unless given) and close them all after the test."""
    clients: list[EdgeClient] = []

    def make(**options: Any) -> EdgeClient:
        options.setdefault("mode", "background")
        client = EdgeClient(**options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close(timeout=1.0)
