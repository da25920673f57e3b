"""State shared by the chatbot's threads and the sender: the buffer, flush markers, the counters.

The buffer is a ``collections.deque`` with many producers (the ``track_*`` callers) and one
consumer (whichever thread drives the sender). ``deque.append`` and ``deque.popleft`` are atomic,
so a caller takes no lock at all: it reads two flags, appends one tuple and, now and then, rings
the sender's doorbell. The lock guards the counters, which only the sender and the slow paths
(a drop, a flush, a snapshot) write.

``flush()`` puts a :class:`Marker` in the same deque: every event tracked before the flush is ahead
of it. The sender numbers items in the order it takes them and sets the marker once everything
ahead of it is resolved (sent, given up, or found invalid), so a flush waits for exactly the events
tracked before it, even while other threads keep tracking.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Any, Literal

DropReason = Literal["full", "closed"]
#: Which ``track_*`` call captured an item (the builder the sender validates it with).
Kind = Literal["query", "response", "feedback", "event"]


@dataclass(frozen=True, slots=True)
class ClientStats:
    """A consistent snapshot of the client's counters.

    ``enqueued == sent + failed + pending`` always holds. ``dropped`` and ``invalid`` count events
    that were never accepted: an event the sender finds invalid (the contract is checked off the
    caller's thread) moves from ``enqueued`` to ``invalid``.
    """

    enqueued: int  # accepted into the buffer (and not found invalid since)
    sent: int  # accepted by SQS (or the transport)
    retried: int  # entries scheduled for another attempt
    dropped: int  # refused: buffer full, or client closed
    failed: int  # accepted but given up: rejected, expired, unredactable, abandoned at close
    invalid: int  # broke the contract: never sent
    truncated: int  # sent or pending with text shortened to the contract's limits
    pending: int  # accepted, not yet sent nor given up


#: A tracked event as the buffer holds it: one flat tuple ``(kind, accepted_at, *arguments)``.
#:
#: ``kind`` names the ``track_*`` call whose arguments follow (the request id filled in, mutable
#: arguments copied, the timestamp as given: ``None`` for now), for the sender to validate with the
#: matching builder; or it is ``"event"`` and one contract event follows, already validated
#: (``track(event)``, strict mode). ``accepted_at`` is the caller's ``time.time_ns()``, the one clock
#: the call reads: the event's timestamp when the call gave none, and (through
#: :func:`accepted_monotonic`) its age for the sender. One tuple per call is the least the caller can
#: allocate; tuples of strings and numbers also stop being tracked by the garbage collector, unlike
#: pydantic models, so a buffer full of them during an outage costs the process nothing at each
#: collection.
Item = tuple[Any, ...]
KIND, ACCEPTED_AT = 0, 1


def accepted_monotonic(accepted_ns: int, now: float, now_ns: int, taken_since: float) -> float:
    """When an item was tracked, on ``time.monotonic()``'s clock: its age by the wall clock, never
    more than ``now - taken_since`` (it reached the buffer after the previous take began, so a
    wall clock stepped forward meanwhile cannot make it look expired) nor less than 0 (stepped
    back)."""
    age = min(max((now_ns - accepted_ns) / 1e9, 0.0), max(now - taken_since, 0.0))
    return now - age


class Marker:
    """A flush's place in the buffer; ``done`` is set once everything ahead of it is resolved."""

    __slots__ = ("done", "position")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.position = -1  # items taken before it (set by the sender)


class SharedState:
    def __init__(self, capacity: int, batch_size: int) -> None:
        self.lock = threading.Lock()
        #: The sender's doorbell: new events, a flush, a close.
        self.wake = threading.Event()
        self.capacity = capacity
        self.batch_size = batch_size
        self.items: deque[Item | Marker] = deque()
        self.closed = False  # no more events accepted
        self.stopping = False  # the sender should finish up and exit
        self.abandon = False  # the sender should give up whatever is left, now
        self.urgent = 0  # flush() calls waiting: send without waiting for a full batch
        self.idle = False  # the sender has parked: it sleeps until woken (it holds nothing)
        #: Items taken by the sender and not resolved yet (read without the lock by callers).
        self.held = 0
        self.markers_buffered = 0
        self.taken = self.sent = self.retried = self.dropped = 0
        self.failed = self.invalid = self.invalid_taken = self.truncated = 0

    # -- callers ---------------------------------------------------------------------------------

    def offer(self, item: Item) -> DropReason | None:
        """Append an event, or say why not. Takes no lock, never blocks."""
        if self.closed:
            return self._refuse("closed")
        items = self.items
        if len(items) + self.held >= self.capacity:  # may overshoot by a racing caller or two
            return self._refuse("full")
        items.append(item)
        # Wake the sender when it has parked (quiet for a while: it no longer polls, see
        # sender.QUIET_BEFORE_PARKING), and whenever the events it has not sent yet (held by it or
        # still buffered) make up another full batch.
        if self.idle or (len(items) + self.held) % self.batch_size == 0:
            self.idle = False
            self.wake.set()
        return None

    def _refuse(self, reason: DropReason) -> DropReason:
        with self.lock:
            self.dropped += 1
        return reason

    def count_invalid(self) -> None:
        """An event refused on the caller's thread (strict mode, a disabled client)."""
        with self.lock:
            self.invalid += 1

    def mark(self) -> Marker:
        """Put a flush marker behind every event tracked so far."""
        marker = Marker()
        with self.lock:
            self.markers_buffered += 1
            self.urgent += 1
        self.items.append(marker)
        self.idle = False
        self.wake.set()
        return marker

    def unmark(self) -> None:
        with self.lock:
            self.urgent -= 1

    def snapshot(self) -> ClientStats:
        with self.lock:
            buffered = len(self.items) - self.markers_buffered
            enqueued = self.taken + buffered - self.invalid_taken
            return ClientStats(
                enqueued=enqueued,
                sent=self.sent,
                retried=self.retried,
                dropped=self.dropped,
                failed=self.failed,
                invalid=self.invalid,
                truncated=self.truncated,
                pending=enqueued - self.sent - self.failed,
            )

    @property
    def pending(self) -> int:
        return self.snapshot().pending

    # -- sender ----------------------------------------------------------------------------------

    def take(self, limit: int) -> tuple[list[Item], list[Marker]]:
        """Up to ``limit`` buffered items, in order, and the flush markers met on the way."""
        items: list[Item] = []
        markers: list[Marker] = []
        popleft = self.items.popleft
        try:
            while len(items) < limit:
                entry = popleft()
                if isinstance(entry, Marker):
                    entry.position = self.taken + len(items)
                    markers.append(entry)
                else:
                    items.append(entry)
        except IndexError:
            pass
        if items or markers:
            with self.lock:
                self.taken += len(items)
                self.held += len(items)
                self.markers_buffered -= len(markers)
        return items, markers

    def park(self) -> bool:
        """The sender, holding nothing, is about to sleep until woken; False if events came in."""
        self.idle = True
        if self.items or self.stopping:  # re-checked after the flag: no wake-up is missed
            self.idle = False
            return False
        return True

    def resolve(
        self,
        *,
        sent: int = 0,
        failed: int = 0,
        retried: int = 0,
        invalid: int = 0,
        truncated: int = 0,
    ) -> None:
        with self.lock:
            self.sent += sent
            self.failed += failed
            self.retried += retried
            self.invalid += invalid
            self.invalid_taken += invalid
            self.truncated += truncated
            self.held -= sent + failed + invalid
