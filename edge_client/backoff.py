"""When to try again: exponential backoff with jitter, for a failed request or failed entries.

A failed request (throttled, server error, connection trouble) pauses all sending for a growing,
jittered delay; entries that SQS refused inside an accepted batch wait for a delay grown from
their own attempts, and only they (and the later events of their sessions) wait.
"""

from __future__ import annotations

import random
import time

from edge_client.config import Settings


def backoff_delay(attempt: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with "equal jitter": half the step fixed, half random."""
    step = min(cap, base * float(2 ** min(max(attempt - 1, 0), 30)))
    return step / 2 + rng.uniform(0, step / 2)


class Backoff:
    """The sender's pause after failed requests (one driving thread uses it)."""

    def __init__(self, settings: Settings, rng: random.Random | None = None) -> None:
        self._base = settings.retry_base_delay
        self._cap = settings.retry_max_delay
        self._rng = rng or random.Random()
        #: Consecutive failed requests, and the time.monotonic() before which none is sent.
        self.failures = 0
        self.until = 0.0

    def delay(self, attempt: int) -> float:
        return backoff_delay(attempt, base=self._base, cap=self._cap, rng=self._rng)

    def request_failed(self) -> float:
        """Pause sending; returns the delay."""
        self.failures += 1
        delay = self.delay(self.failures)
        self.until = time.monotonic() + delay
        return delay

    def request_succeeded(self) -> int:
        """Resume at once; returns how many requests had failed in a row before this one."""
        failures, self.failures, self.until = self.failures, 0, 0.0
        return failures
