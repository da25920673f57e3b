"""Correlation of query and response events: the algorithm of ``docs/ARCHITECTURE.md``.

Domain orchestration only: every read and write goes through a :class:`Store` (in production
:class:`processor.store.CorrelationStore`), so the algorithm is tested against moto, against
crashes injected between two writes, and against interleavings of concurrent calls.

Invariants that make it safe to retry anything:

- every write is conditional, so replaying an event changes nothing that is already right, and
  the failed condition's old item says what the replay met (a duplicate, a crash's leftovers);
- each side writes its own item before looking for the other's (the query its record, then reads
  the interim table; the response its park, then retries the update), so when a query and its
  response are processed at the same time, at least one of them sees the other;
- a park is deleted only after the record it completes is written: a crash in between leaves a
  park that the redelivery (or, failing that, the TTL expiry handler) removes.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Protocol

from analytics_contract import AnalyticsRecord, QueryEvent, ResponseEvent
from processor.records import (
    Completion,
    complete_record,
    completion,
    orphan_record,
    response_of_orphan,
    unanswered_record,
)
from processor.store import WriteResult


class Outcome(StrEnum):
    """What processing one action did; each maps to one metric (``processor.metrics``)."""

    CORRELATED = "correlated"  # a record completed (or written complete) by this call
    CONCURRENTLY_CORRELATED = "concurrently_correlated"  # the other side of a race completed it
    UNANSWERED_RECORDED = "unanswered_recorded"  # a query recorded, its response not seen yet
    PARKED = "parked"  # a response waiting in the interim table for its query
    DUPLICATE = "duplicate"  # nothing changed: the event had been processed before
    ORPHANED = "orphaned"  # an expired park whose query never came, recorded as orphaned
    STALE_PARK = "stale_park"  # an expired park whose record was already complete


class Store(Protocol):
    """The reads and writes the algorithm needs (see :mod:`processor.store`)."""

    def insert(self, record: AnalyticsRecord) -> WriteResult: ...

    def insert_or_complete(self, record: AnalyticsRecord) -> WriteResult: ...

    def replace_orphan(self, record: AnalyticsRecord) -> WriteResult: ...

    def complete(self, completion: Completion) -> WriteResult: ...

    def park(self, response: ResponseEvent, *, expires_at: int, now_ms: int) -> bool: ...

    def parked_response(self, request_id: str) -> ResponseEvent | None: ...

    def unpark(self, request_id: str) -> None: ...


Clock = Callable[[], int]  # epoch milliseconds


class Correlator:
    def __init__(
        self,
        store: Store,
        *,
        correlation_window_seconds: int,
        record_ttl_days: int,
        clock: Clock,
    ) -> None:
        self._store = store
        self._window_seconds = correlation_window_seconds
        self._ttl_days = record_ttl_days
        self._clock = clock

    # -- the three cases of a batch -----------------------------------------------------------

    def pair(self, query: QueryEvent, response: ResponseEvent, *, redelivered: bool) -> Outcome:
        """Query and response in the same batch: one conditional put, no interim table."""
        record = complete_record(query, response, now_ms=self._clock(), ttl_days=self._ttl_days)
        result = self._store.insert_or_complete(record)
        if not result.written and _status(result) == "orphaned":
            result = self._store.replace_orphan(record)
        if redelivered:
            # A previous delivery of this response may have parked it and crashed.
            self._store.unpark(query.request_id)
        return Outcome.CORRELATED if result.written else Outcome.DUPLICATE

    def query(self, query: QueryEvent, *, redelivered: bool) -> Outcome:
        """Record the question as ``unanswered``, then complete it from a parked response."""
        now_ms = self._clock()
        result = self._store.insert(
            unanswered_record(query, now_ms=now_ms, ttl_days=self._ttl_days)
        )
        if result.written:
            fallback = Outcome.UNANSWERED_RECORDED
        elif _status(result) == "unanswered":
            # A duplicate, or the redelivery of a query that crashed before its interim check:
            # checking again is what finishes the latter.
            fallback = Outcome.DUPLICATE
        elif _status(result) == "orphaned" and result.existing is not None:
            return self._adopt_orphan(query, result.existing)
        else:
            if redelivered:
                self._store.unpark(query.request_id)  # a crash before the park's deletion
            return Outcome.DUPLICATE

        parked = self._store.parked_response(query.request_id)
        if parked is None:
            return fallback
        done = self._store.complete(completion(parked, now_ms=now_ms))
        self._store.unpark(query.request_id)
        if done.written:
            return Outcome.CORRELATED
        # The response's own retry completed it between our read and our update.
        return Outcome.CONCURRENTLY_CORRELATED if fallback is not Outcome.DUPLICATE else fallback

    def response(self, response: ResponseEvent, *, redelivered: bool) -> Outcome:
        """Complete the query's record; if there is none yet, park and check once more."""
        now_ms = self._clock()
        update = completion(response, now_ms=now_ms)
        result = self._store.complete(update)
        if result.written:
            return Outcome.CORRELATED
        if result.existing is not None:
            if redelivered:
                self._store.unpark(response.request_id)  # a crash before the park's deletion
            return Outcome.DUPLICATE

        newly_parked = self._store.park(
            response, expires_at=now_ms // 1000 + self._window_seconds, now_ms=now_ms
        )
        # Dekker-style double check: a query processed concurrently may have written its record
        # after our first update and read the interim table before our park.
        retry = self._store.complete(update)
        if retry.written:
            self._store.unpark(response.request_id)
            return Outcome.CORRELATED
        if retry.existing is not None:
            # Completed meanwhile, by the query from our park or by another copy of this response.
            self._store.unpark(response.request_id)
            return (
                Outcome.CONCURRENTLY_CORRELATED
                if retry.existing.status in ("answered", "failed")
                else Outcome.DUPLICATE
            )
        return Outcome.PARKED if newly_parked else Outcome.DUPLICATE

    # -- the interim table's TTL ----------------------------------------------------------------

    def expire(self, response: ResponseEvent) -> Outcome:
        """A parked response removed by the TTL: complete, discard, or record as orphaned."""
        now_ms = self._clock()
        update = completion(response, now_ms=now_ms)
        result = self._store.complete(update)
        if result.written:
            return Outcome.CORRELATED  # the query did arrive after all, and missed the park
        if result.existing is not None:
            return Outcome.STALE_PARK
        orphan = orphan_record(response, now_ms=now_ms, ttl_days=self._ttl_days)
        inserted = self._store.insert(orphan)
        if inserted.written:
            return Outcome.ORPHANED
        if _status(inserted) == "unanswered":
            # Its query landed between the two writes.
            return (
                Outcome.CORRELATED if self._store.complete(update).written else Outcome.STALE_PARK
            )
        return Outcome.STALE_PARK

    # -- helpers --------------------------------------------------------------------------------

    def _adopt_orphan(self, query: QueryEvent, orphan: AnalyticsRecord) -> Outcome:
        """A query later than its response's correlation window completes the orphan record."""
        record = complete_record(
            query, response_of_orphan(orphan), now_ms=self._clock(), ttl_days=self._ttl_days
        )
        replaced = self._store.replace_orphan(record)
        return Outcome.CORRELATED if replaced.written else Outcome.DUPLICATE


def _status(result: WriteResult) -> str | None:
    return result.existing.status if result.existing is not None else None
