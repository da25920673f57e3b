"""Wrappers around the real store: record calls, crash between writes, interleave two callers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from analytics_contract import AnalyticsRecord, AnyEvent, Feedback, FeedbackEvent, ResponseEvent
from processor.ports import Parked, ParkResult, ResponseTarget, Store, WriteResult
from processor.records import QueryPart, ResponsePart

WRITES = {"create", "add_response", "add_query", "set_feedback", "park", "unpark"}
READS = {"parked", "record"}


class DelegatingStore:
    """Calls ``around(name, call, request_id)`` for every store method, ``call`` doing the work."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner

    def around(self, name: str, call: Callable[[], Any], request_id: str) -> Any:
        return call()

    def create(self, record: AnalyticsRecord) -> WriteResult:
        result: WriteResult = self.around(
            "create", lambda: self.inner.create(record), record.request_id
        )
        return result

    def add_response(self, part: ResponsePart, *, to: ResponseTarget) -> WriteResult:
        result: WriteResult = self.around(
            "add_response", lambda: self.inner.add_response(part, to=to), part.request_id
        )
        return result

    def add_query(self, part: QueryPart) -> WriteResult:
        result: WriteResult = self.around(
            "add_query", lambda: self.inner.add_query(part), part.request_id
        )
        return result

    def set_feedback(self, request_id: str, feedback: Feedback) -> WriteResult:
        result: WriteResult = self.around(
            "set_feedback", lambda: self.inner.set_feedback(request_id, feedback), request_id
        )
        return result

    def record(self, request_id: str) -> AnalyticsRecord | None:
        found: AnalyticsRecord | None = self.around(
            "record", lambda: self.inner.record(request_id), request_id
        )
        return found

    def park(
        self,
        request_id: str,
        *,
        response: ResponseEvent | None = None,
        feedback: FeedbackEvent | None = None,
        expires_at: int,
        now_ms: int,
    ) -> ParkResult:
        result: ParkResult = self.around(
            "park",
            lambda: self.inner.park(
                request_id,
                response=response,
                feedback=feedback,
                expires_at=expires_at,
                now_ms=now_ms,
            ),
            request_id,
        )
        return result

    def parked(self, request_id: str) -> Parked | None:
        found: Parked | None = self.around(
            "parked", lambda: self.inner.parked(request_id), request_id
        )
        return found

    def unpark(self, request_id: str) -> None:
        self.around("unpark", lambda: self.inner.unpark(request_id), request_id)


class KeptEvidence:
    """An :class:`processor.ports.Evidence` that keeps what it is given, for the test to read."""

    def __init__(self) -> None:
        self.kept: list[tuple[AnyEvent, str]] = []

    def keep(self, event: AnyEvent, reason: str) -> None:
        self.kept.append((event, reason))


class SpyStore(DelegatingStore):
    def __init__(self, inner: Store) -> None:
        super().__init__(inner)
        self.calls: list[str] = []

    def around(self, name: str, call: Callable[[], Any], request_id: str) -> Any:
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

    def around(self, name: str, call: Callable[[], Any], request_id: str) -> Any:
        result = call()
        self.calls += 1
        if not self.crashed and self.calls == self.crash_after:
            self.crashed = True
            raise CrashError(f"crashed after call {self.calls} ({name})")
        return result


class FailingStore(DelegatingStore):
    """Raises on any write about one of ``request_ids`` (a throttled or broken table)."""

    def __init__(self, inner: Store, request_ids: set[str]) -> None:
        super().__init__(inner)
        self.request_ids = request_ids

    def around(self, name: str, call: Callable[[], Any], request_id: str) -> Any:
        if name in WRITES and request_id in self.request_ids:
            raise RuntimeError(f"ProvisionedThroughputExceeded for {request_id}")
        return call()


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

    def around(self, name: str, call: Callable[[], Any], request_id: str) -> Any:
        self.turnstile.wait_turn(self.me)
        try:
            return call()
        finally:
            self.turnstile.end_turn(self.me)
