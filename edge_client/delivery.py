"""Waiting for delivery: the sender thread's start and restarts, ``flush`` and ``close``.

Every wait has a deadline and returns by it, whatever the endpoint or the sender thread does. When
there is no sender thread (serverless mode, a sender that keeps dying, an interpreter too far into
its exit to start threads) the waiting thread delivers itself, within its deadline.
"""

from __future__ import annotations

import threading
import time

from edge_client.buffer import Marker, SharedState
from edge_client.config import ResolvedMode
from edge_client.logs import RateLimitedLog, logger
from edge_client.sender import Sender

#: The clock that spaces out restarts of a dead sender from track_* (a seam for tests).
_restart_clock = time.monotonic


class Delivery:
    def __init__(
        self, state: SharedState, sender: Sender, mode: ResolvedMode, log: RateLimitedLog
    ) -> None:
        self._state = state
        self.sender = sender
        self._background = mode == "background"
        self._log = log
        self._start_lock = threading.Lock()
        self._next_start = 0.0  # _restart_clock() before which track_* does not restart it
        self._close_lock = threading.Lock()
        self._close_result: bool | None = None
        self._failed_reported = 0  # the failed counter as the last flush saw it

    def start_sender(self, *, from_track: bool = False) -> bool:
        """Make sure the background thread runs; False when there can be none (serverless, exit).

        From ``track_*`` it never waits (another thread may be starting it) and restarts a sender
        that died at most once a second: a crashing sender must not cost every call a new thread.
        """
        if not self._background:
            return False
        if not self._start_lock.acquire(blocking=not from_track):
            return self.sender.running
        try:
            if self.sender.running:
                return True
            now = _restart_clock()
            if from_track and now < self._next_start:
                return False
            self._next_start = now + 1.0
            try:
                self.sender.start()
            except RuntimeError as exc:  # "can't create new thread at interpreter shutdown"
                self._log.warning("no-thread", "edge_client: no sender thread (%s)", exc)
                return False
            return self.sender.running
        finally:
            self._start_lock.release()

    def flush_until(self, deadline: float) -> bool:
        """Deliver every event tracked before this call, by ``deadline``.

        True when all of them were resolved and no event was given up since the previous flush.
        """
        state = self._state
        marker = state.mark()
        try:
            resolved = self._wait(marker, deadline)
        finally:
            state.unmark()
        failed_now = state.failed
        clean = failed_now == self._failed_reported
        self._failed_reported = failed_now
        return resolved and clean

    def _wait(self, marker: Marker, deadline: float) -> bool:
        restarted = False
        while not marker.done.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if self.sender.running:
                # Wake up now and then to notice a sender that died meanwhile.
                marker.done.wait(min(remaining, 0.25))
                continue
            if not restarted and self.start_sender():
                restarted = True
                continue
            self.sender.drain(deadline)
        return True

    def close(self, deadline: float, *, when: str) -> bool:
        """Flush by ``deadline``, stop the sender, give up what is left. Idempotent."""
        with self._close_lock:
            if self._close_result is not None:
                return self._close_result
            state = self._state
            state.closed = True
            delivered = self.flush_until(deadline)
            pending = state.pending
            state.abandon = pending > 0
            state.stopping = True
            state.wake.set()
            if self.sender.running:
                self.sender.join(deadline - time.monotonic())
            else:
                self.sender.abandon("closed")
            if pending:
                logger.warning(
                    "edge_client: %d events not delivered at %s (SQS unreachable or too slow)",
                    pending,
                    when,
                )
            self._close_result = delivered
            return delivered
