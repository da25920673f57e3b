"""Where batches go: the interface between the sender and SQS (or a test double).

The sender knows nothing about AWS. A transport sends one batch and says, per entry, whether it
was accepted, or raises :class:`TransportError` when the whole request failed; either way it says
whether trying again could help. :mod:`edge_client.sqs` is the real one, :class:`InMemorySink`
keeps messages in memory so applications can test their own code without a queue.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from analytics_contract import AnyEvent, parse_event_json


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One SendMessageBatch entry. ``id`` is unique within its batch only."""

    id: str
    body: str
    group_id: str
    deduplication_id: str


@dataclass(frozen=True, slots=True)
class EntryFailure:
    code: str
    message: str
    retryable: bool


@dataclass(frozen=True, slots=True)
class BatchResult:
    """Entries of the batch that were not accepted, by entry id; every other entry was."""

    failed: dict[str, EntryFailure] = field(default_factory=dict)


class TransportError(Exception):
    """The whole request failed (nothing in the batch is known to be accepted)."""

    def __init__(self, code: str, message: str, *, retryable: bool) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.retryable = retryable


class Transport(Protocol):
    def send_batch(self, messages: Sequence[OutgoingMessage]) -> BatchResult:
        """Send up to 10 messages; called from one thread at a time."""
        ...

    def reset_after_fork(self) -> None:
        """Drop connections and locks inherited from the parent process."""
        ...


class InMemorySink:
    """A transport that keeps every accepted message in memory, for tests of the application.

    ``EdgeClient(transport=InMemorySink())`` runs the real pipeline (validation, truncation,
    redaction, batching, grouping and deduplication ids) without AWS; call ``client.flush()``
    before looking at :attr:`messages` or :attr:`events`. Like SQS FIFO, a message whose
    deduplication id was already accepted is acknowledged but not stored again.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[OutgoingMessage] = []
        self._seen: set[str] = set()
        self.batches = 0

    def send_batch(self, messages: Sequence[OutgoingMessage]) -> BatchResult:
        with self._lock:
            self.batches += 1
            for message in messages:
                key = f"{message.group_id}\x00{message.deduplication_id}"
                if key not in self._seen:
                    self._seen.add(key)
                    self._messages.append(message)
        return BatchResult()

    def reset_after_fork(self) -> None:
        self._lock = threading.Lock()

    @property
    def messages(self) -> list[OutgoingMessage]:
        with self._lock:
            return list(self._messages)

    @property
    def events(self) -> list[AnyEvent]:
        """The accepted messages, parsed back into contract events, in the order they were sent."""
        return [parse_event_json(message.body) for message in self.messages]

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()
            self._seen.clear()
            self.batches = 0
