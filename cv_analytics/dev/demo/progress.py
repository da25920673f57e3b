"""Progress lines on stderr for the demo's long steps (plain lines: fine in a log or a pipe)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Prints ``[demo] step...`` lines and, for counted work, a line every ``every`` percent."""

    def __init__(self, stream: TextIO | None = None, *, enabled: bool = True) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self._started = time.monotonic()

    def say(self, message: str) -> None:
        if self.enabled:
            elapsed = time.monotonic() - self._started
            print(f"[demo {elapsed:5.1f}s] {message}", file=self.stream, flush=True)

    def counter(self, label: str, total: int, *, every: int = 25) -> Counter:
        return Counter(self, label, total, every)


class Counter:
    """Counts done items and reports ``label: 25% (150/600)`` at each ``every`` percent."""

    def __init__(self, progress: Progress, label: str, total: int, every: int) -> None:
        self.progress = progress
        self.label = label
        self.total = max(total, 0)
        self.every = every
        self.done = 0
        self._next = every

    def add(self, count: int = 1) -> None:
        self.done += count
        if self.total <= 0:
            return
        percent = self.done * 100 // self.total
        if percent >= self._next:
            self.progress.say(f"{self.label}: {min(percent, 100)}% ({self.done}/{self.total})")
            while self._next <= percent:
                self._next += self.every
