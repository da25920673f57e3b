"""The sender's outbox: prepared messages in tracking order, and which of them go out next.

Order: events are sent in the order they were tracked, and SQS enqueues a batch in its order. An
entry waiting to be retried holds back the later entries of its message group (its session) until
it is sent or given up, so a session's events reach the queue in order across retries. (One case
is beyond any client: SQS refusing an entry for a transient reason while accepting a later entry
of the same session in the same call. The processor accepts events in any order.)

Batches: at most ``batch_size`` entries and 256 KiB of bodies, sent when full, when a flush is
waiting (``urgent``), or when the oldest entry has waited ``flush_interval``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from edge_client.config import MAX_BATCH_BYTES


@dataclass(slots=True)
class Entry:
    """One prepared message: redacted, serialized, sized, with its group and deduplication id."""

    seq: int
    request_id: str
    body: str
    size: int
    group_id: str
    deduplication_id: str
    accepted_at: float
    deadline: float  # time.monotonic() after which it is given up
    attempts: int = 0
    not_before: float = 0.0
    last_error: str | None = None


class Outbox:
    """Entries by sequence number (insertion order is tracking order)."""

    def __init__(self, *, batch_size: int, flush_interval: float) -> None:
        self._entries: dict[int, Entry] = {}
        self._batch_size = batch_size
        self._flush_interval = flush_interval

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._entries.values())

    def add(self, entry: Entry) -> None:
        self._entries[entry.seq] = entry

    def remove(self, entries: Iterable[Entry]) -> None:
        for entry in entries:
            self._entries.pop(entry.seq, None)

    def low(self) -> int | None:
        """The lowest sequence number held."""
        return next(iter(self._entries), None)

    def expired(self, now: float) -> list[Entry]:
        """Entries past their deadline. Deadlines grow with sequence numbers: they are a prefix."""
        expired: list[Entry] = []
        for entry in self._entries.values():
            if entry.deadline > now:
                break
            expired.append(entry)
        return expired

    def next_batch(self, now: float, *, urgent: bool) -> tuple[list[Entry], float]:
        """The batch to send now, or nothing and how long to wait for one (``inf``: no entry)."""
        batch: list[Entry] = []
        size = 0
        full = False
        blocked: set[str] = set()
        soonest = math.inf
        for entry in self._entries.values():
            if entry.group_id in blocked:
                continue
            if entry.not_before > now:
                blocked.add(entry.group_id)  # keep its session's later events behind it
                soonest = min(soonest, entry.not_before - now)
                continue
            if len(batch) >= self._batch_size or size + entry.size > MAX_BATCH_BYTES:
                full = True
                break
            batch.append(entry)
            size += entry.size
        if not batch:
            return [], soonest
        if urgent or full or len(batch) >= self._batch_size:
            return batch, 0.0
        linger = batch[0].accepted_at + self._flush_interval - now
        if linger <= 0:
            return batch, 0.0
        return [], linger
