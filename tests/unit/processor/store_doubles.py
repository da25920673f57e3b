"""Wrappers around the real store: record calls, crash between writes, interleave two callers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from analytics_contract import AnalyticsRecord, ResponseEvent
from processor.correlator import Store
from processor.records import Completion
from processor.store import WriteResult

WRITES = {"insert", "insert_or_complete", "replace_orphan", "complete", "park", "unpark"}
READS = {"parked_response"}


class DelegatingStore:
    """Calls ``around(name, call)`` for every store method, ``call`` doing the real work."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner

    def around(self, name: str, call: Callable[[], Any]) -> Any:
        return call()

    def insert(self, record: AnalyticsRecord) -> WriteResult:
        result: WriteResult = self.around("insert", lambda: self.inner.insert(record))
        return result

    def insert_or_complete(self, record: AnalyticsRecord) -> WriteResult:
        result: WriteResult = self.around(
            "insert_or_complete", lambda: self.inner.insert_or_complete(record)
        )
        return result

    def replace_orphan(self, record: AnalyticsRecord) -> WriteResult:
        result: WriteResult = self.around(
            "replace_orphan", lambda: self.inner.replace_orphan(record)
        )
        return result

    def complete(self, completion: Completion) -> WriteResult:
        result: WriteResult = self.around("complete", lambda: self.inner.complete(completion))
        return result

    def park(self, response: ResponseEvent, *, expires_at: int, now_ms: int) -> bool:
        parked: bool = self.around(
            "park", lambda: self.inner.park(response, expires_at=expires_at, now_ms=now_ms)
        )
        return parked

    def parked_response(self, request_id: str) -> ResponseEvent | None:
        response: ResponseEvent | None = self.around(
            "parked_response", lambda: self.inner.parked_response(request_id)
        )
        return response

    def unpark(self, request_id: str) -> None:
        self.around("unpark", lambda: self.inner.unpark(request_id))


class SpyStore(DelegatingStore):
    def __init__(self, inner: Store) -> None:
        super().__init__(inner)
        self.calls: list[str] = []

    def around(self, name: str, call: Callable[[], Any]) -> Any:
        self.calls.append(name)
        return call()

    def calls_to(self, names: Iterable[str]) -> list[str]:
        wanted = set(names)
        return [name for name in self.calls if name in wanted]


class CrashError(RuntimeError):
    """The Lambda died here (timeout, out of memory, a lost connection)."""


class CrashingStore(DelegatingStore):
    """Performs the ``crash_after``-th call, then raises (once): a crash between two calls."""

    def __init__(self, inner: Store, crash_after: int | None) -> None:
        super().__init__(inner)
        self.crash_after = crash_after
        self.calls = 0
        self.crashed = False

    def around(self, name: str, call: Callable[[], Any]) -> Any:
        result = call()
        self.calls += 1
        if not self.crashed and self.calls == self.crash_after:
            self.crashed = True
            raise CrashError(f"crashed after call {self.calls} ({name})")
        return result


class FailingStore(DelegatingStore):
    """Raises on any call about one of ``request_ids`` (a throttled or broken table)."""

    def __init__(self, inner: Store, request_ids: set[str]) -> None:
        super().__init__(inner)
        self.request_ids = request_ids

    def insert(self, record: AnalyticsRecord) -> WriteResult:
        self._check(record.request_id)
        return super().insert(record)

    def insert_or_complete(self, record: AnalyticsRecord) -> WriteResult:
        self._check(record.request_id)
        return super().insert_or_complete(record)

    def complete(self, completion: Completion) -> WriteResult:
        self._check(completion.request_id)
        return super().complete(completion)

    def _check(self, request_id: str) -> None:
        if request_id in self.request_ids:
            raise RuntimeError(f"ProvisionedThroughputExceeded for {request_id}")


class Turnstile:
    """Lets two threads call the store in a given order, one call at a time.

    ``schedule`` lists whose turn each call is; a thread that has finished gives up its turns,
    and once the schedule is used up the threads run freely.
    """

    def __init__(self, schedule: Iterable[str], timeout: float = 10.0) -> None:
        self._schedule = list(schedule)
        self._position = 0
        self._finished: set[str] = set()
        self._condition = threading.Condition()
        self._timeout = timeout

    def _skip_finished(self) -> None:
        while (
            self._position < len(self._schedule)
            and self._schedule[self._position] in self._finished
        ):
            self._position += 1

    def wait_turn(self, me: str) -> None:
        with self._condition:
            while True:
                self._skip_finished()
                if self._position >= len(self._schedule) or self._schedule[self._position] == me:
                    return
                if not self._condition.wait(self._timeout):
                    raise TimeoutError(f"{me} never got its turn in {self._schedule}")

    def end_turn(self, me: str) -> None:
        with self._condition:
            if self._position < len(self._schedule) and self._schedule[self._position] == me:
                self._position += 1
            self._condition.notify_all()

    def finish(self, me: str) -> None:
        with self._condition:
            self._finished.add(me)
            self._condition.notify_all()


class ScheduledStore(DelegatingStore):
    def __init__(self, inner: Store, turnstile: Turnstile, me: str) -> None:
        super().__init__(inner)
        self.turnstile = turnstile
        self.me = me

    def around(self, name: str, call: Callable[[], Any]) -> Any:
        self.turnstile.wait_turn(self.me)
        try:
            return call()
        finally:
            self.turnstile.end_turn(self.me)
