"""State shared by the chatbot's threads and the sender: the buffer and the counters.

One short lock guards it. Callers hold it for an append and a few integer updates; the sender for
a swap of the buffer and a few integer updates. It is never held across I/O, logging or user code.

Every accepted event gets a sequence number. The sender reports the lowest number it has not yet
resolved (sent or given up), so ``flush()`` can wait for exactly the events tracked before it was
called, even while other threads keep tracking.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Literal, NamedTuple

DropReason = Literal["full", "closed"]


@dataclass(frozen=True, slots=True)
class ClientStats:
    """A consistent snapshot of the client's counters.

    ``enqueued == sent + failed + pending`` always holds; ``dropped`` and ``invalid`` count events
    that were never accepted.
    """

    enqueued: int  # accepted into the buffer
    sent: int  # accepted by SQS (or the transport)
    retried: int  # entries scheduled for another attempt
    dropped: int  # refused: buffer full, or client closed
    failed: int  # accepted but given up: rejected, expired, unredactable, abandoned at close
    invalid: int  # refused at track_*: broke the contract
    truncated: int  # accepted with text shortened to the contract's limits
    pending: int  # accepted, not yet sent nor given up


class Item(NamedTuple):
    """An accepted event, as the buffer holds it: its wire JSON and the ids the sender needs.

    Not the pydantic model: a model is a dozen objects the garbage collector tracks, a JSON string
    and a tuple of strings are none (CPython stops tracking such a tuple at its first collection).
    A full buffer of models during an outage would slow down every collection of the chatbot's
    whole process, and the collections our allocations trigger would land on ``track_*`` calls.
    """

    seq: int
    body: bytes  # UTF-8 JSON, as the contract's to_json() writes it
    event_type: str
    request_id: str
    session_id: str | None
    accepted_at: float  # time.monotonic()


# tuple.__new__ skips the Python-level __new__ a NamedTuple call goes through: half the cost.
_new_item = tuple.__new__


class SharedState:
    def __init__(self, capacity: int, batch_size: int) -> None:
        self.lock = threading.Lock()
        #: Notified whenever events are resolved; flush() waits on it.
        self.resolved = threading.Condition(self.lock)
        #: The sender's doorbell: new events, a flush, a close.
        self.wake = threading.Event()
        self.capacity = capacity
        self.batch_size = batch_size
        self.items: deque[Item] = deque()
        self.next_seq = 0
        self.sender_low: int | None = None  # lowest unresolved sequence number the sender holds
        self.closed = False  # no more events accepted
        self.stopping = False  # the sender should finish up and exit
        self.abandon = False  # the sender should give up whatever is left, now
        self.urgent = 0  # flush() calls waiting: send without waiting for a full batch
        self.idle = False  # the sender sleeps until woken (it holds nothing)
        self.enqueued = self.sent = self.retried = self.dropped = 0
        self.failed = self.invalid = self.truncated = self.pending = 0

    # -- callers ---------------------------------------------------------------------------------

    def offer(
        self,
        body: bytes,
        *,
        event_type: str,
        request_id: str,
        session_id: str | None,
        truncated: bool,
    ) -> DropReason | None:
        """Append an event, or say why not. Never blocks beyond the short lock."""
        with self.lock:
            if self.closed:
                self.dropped += 1
                return "closed"
            if self.pending >= self.capacity:
                self.dropped += 1
                return "full"
            self.items.append(
                _new_item(
                    Item,
                    (self.next_seq, body, event_type, request_id, session_id, time.monotonic()),
                )
            )
            self.next_seq += 1
            self.pending += 1
            self.enqueued += 1
            if truncated:
                self.truncated += 1
            # Wake the sender when it sleeps with nothing to do, and whenever the events it has
            # not sent yet (held by it or still buffered) make up another full batch.
            ring = self.idle or self.pending % self.batch_size == 0
            self.idle = False
        if ring:
            self.wake.set()
        return None

    def count_invalid(self) -> None:
        with self.lock:
            self.invalid += 1

    def snapshot(self) -> ClientStats:
        with self.lock:
            return ClientStats(
                enqueued=self.enqueued,
                sent=self.sent,
                retried=self.retried,
                dropped=self.dropped,
                failed=self.failed,
                invalid=self.invalid,
                truncated=self.truncated,
                pending=self.pending,
            )

    def low_water(self) -> int:
        """Lowest unresolved sequence number (``next_seq`` when nothing is pending). Hold the lock."""
        if self.sender_low is not None:
            return self.sender_low
        if self.items:
            return self.items[0].seq
        return self.next_seq

    # -- sender ----------------------------------------------------------------------------------

    def take_all(self, sender_low: int | None) -> deque[Item]:
        """Hand every buffered item to the sender (which already holds from ``sender_low``)."""
        with self.lock:
            items = self.items
            self.items = deque()
            if sender_low is None and items:
                sender_low = items[0].seq
            self.sender_low = sender_low
            return items

    def park(self) -> bool:
        """The sender, holding nothing, is about to sleep until woken; False if events came in."""
        with self.lock:
            if self.items or self.stopping:
                return False
            self.idle = True
            return True

    def resolve(
        self, *, sender_low: int | None, sent: int = 0, failed: int = 0, retried: int = 0
    ) -> None:
        with self.lock:
            self.sent += sent
            self.failed += failed
            self.retried += retried
            self.pending -= sent + failed
            self.sender_low = sender_low
            self.resolved.notify_all()
