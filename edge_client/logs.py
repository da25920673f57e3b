"""Rate-limited logging: an outage or a full buffer must not flood the chatbot's logs.

Each kind of problem (a key such as ``"dropped"`` or ``"retry"``) logs at most once per interval;
occurrences in between are counted and the count is reported with the next record of that kind.
"""

from __future__ import annotations

import logging
import threading
import time

logger = logging.getLogger("edge_client")


class RateLimitedLog:
    def __init__(self, interval: float, log: logging.Logger = logger) -> None:
        self._interval = interval
        self._log = log
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def reset_after_fork(self) -> None:
        self._lock = threading.Lock()

    def log(self, level: int, key: str, message: str, *args: object) -> None:
        if not self._log.isEnabledFor(level):
            return
        now = time.monotonic()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self._interval:
                self._suppressed[key] = self._suppressed.get(key, 0) + 1
                return
            self._last[key] = now
            suppressed = self._suppressed.pop(key, 0)
        if suppressed:
            message += " (%d similar messages suppressed)"
            args = (*args, suppressed)
        self._log.log(level, message, *args)

    def warning(self, key: str, message: str, *args: object) -> None:
        self.log(logging.WARNING, key, message, *args)

    def error(self, key: str, message: str, *args: object) -> None:
        self.log(logging.ERROR, key, message, *args)
