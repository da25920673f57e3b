"""The correlation algorithm against moto: orders, duplicates, crashes and races."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable

import pytest

from analytics_contract import QueryEvent, ResponseEvent
from processor.correlator import Correlator, IncompleteError, Outcome, Request
from processor.ports import Parked, Store
from processor.records import complete_record, orphan_record, unanswered_record
from processor.repository import Repository
from tests.support.store_doubles import (
    READS,
    WRITES,
    CrashingStore,
    KeptEvidence,
    ScheduledStore,
    SpyStore,
    Turnstile,
)
from tests.unit.processor.conftest import (
    BASE_TS,
    NOW_MS,
    Aws,
    FakeClock,
    query_event,
    response_event,
)

WINDOW = 24 * 3_600


def make_correlator(store: Store, clock: FakeClock | None = None) -> Correlator:
    return Correlator(
        store,
        correlation_window_seconds=WINDOW,
        record_ttl_days=90,
        clock=clock or FakeClock(),
        evidence=KeptEvidence(),
    )


class Steps:
    """The correlator driven event by event, as the batch drives it."""

    def __init__(self, correlator: Correlator) -> None:
        self.correlator = correlator

    def query(self, query: QueryEvent, *, redelivered: bool = False) -> Outcome:
        request = Request(query.request_id, query=query, redelivered=redelivered)
        return self.correlator.process(request).outcome("query")

    def response(self, response: ResponseEvent, *, redelivered: bool = False) -> Outcome:
        request = Request(response.request_id, response=response, redelivered=redelivered)
        return self.correlator.process(request).outcome("response")

    def pair(
        self, query: QueryEvent, response: ResponseEvent, *, redelivered: bool = False
    ) -> Outcome:
        request = Request(query.request_id, query=query, response=response, redelivered=redelivered)
        outcome = self.correlator.process(request).question_outcome
        assert outcome is not None
        return outcome

    def expire(self, response: ResponseEvent) -> Outcome:
        result = self.correlator.expire(response.request_id, Parked(response=response))
        return result.outcome("response")


def steps(store: Store, clock: FakeClock | None = None) -> Steps:
    return Steps(make_correlator(store, clock))


def expected_answer(request_id: str = "req-1") -> object:
    """The record a question ends as, whatever the order of its events (``recordedAt`` aside)."""
    record = complete_record(
        query_event(request_id), response_event(request_id), now_ms=0, ttl_days=90
    )
    return record.model_dump(exclude={"recorded_at"})


def final_record(aws: Aws, request_id: str = "req-1") -> object:
    return aws.records()[request_id].model_dump(exclude={"recorded_at"})


# -- orders ----------------------------------------------------------------------------------


def test_query_then_response_across_batches(aws: Aws, store: Repository) -> None:
    spy = SpyStore(store)
    correlator = steps(spy)
    assert correlator.query(query_event()) is Outcome.UNANSWERED_RECORDED
    assert aws.records()["req-1"].status == "unanswered"
    assert correlator.response(response_event()) is Outcome.CORRELATED
    assert final_record(aws) == expected_answer()
    assert aws.parked() == {}
    # 2 writes + 1 read: put, get (nothing parked), update.
    assert spy.calls == ["create", "parked", "add_response"]


def test_response_before_query_parks_then_the_query_completes(
    aws: Aws, store: Repository, clock: FakeClock
) -> None:
    correlator = steps(store, clock)
    assert correlator.response(response_event()) is Outcome.PARKED
    assert aws.records() == {}
    parked = aws.parked()["req-1"]
    assert parked["expiresAt"] == {"N": str(NOW_MS // 1000 + WINDOW)}
    assert correlator.query(query_event()) is Outcome.CORRELATED
    assert final_record(aws) == expected_answer()
    record = aws.records()["req-1"]
    assert (record.processing_time_ms, record.elapsed_ms) == (None, 1_500)
    assert aws.parked() == {}


def test_same_batch_pair_is_one_put_and_never_touches_the_interim_table(
    aws: Aws, store: Repository
) -> None:
    spy = SpyStore(store)
    outcome = steps(spy).pair(query_event(), response_event())
    assert outcome is Outcome.CORRELATED
    assert spy.calls == ["create"]
    assert final_record(aws) == expected_answer()


def test_pair_completes_a_record_its_query_left_unanswered(aws: Aws, store: Repository) -> None:
    correlator = steps(store)
    correlator.query(query_event())
    outcome = correlator.pair(query_event(), response_event())
    assert outcome is Outcome.CORRELATED
    assert final_record(aws) == expected_answer()


def test_a_failed_answer_is_recorded_as_failed(aws: Aws, store: Repository) -> None:
    correlator = steps(store)
    correlator.query(query_event())
    correlator.response(response_event(error="LLM timeout"))
    record = aws.records()["req-1"]
    assert (record.status, record.error) == ("failed", "LLM timeout")


def test_the_response_processing_time_wins_over_the_timestamps(aws: Aws, store: Repository) -> None:
    correlator = steps(store)
    correlator.query(query_event())
    correlator.response(response_event(processingTimeMs=321.0))
    assert aws.records()["req-1"].processing_time_ms == 321.0
    assert aws.records()["req-1"].elapsed_ms == 321.0


# -- duplicates --------------------------------------------------------------------------------


def deliver_all(correlator: Steps, order: list[str], request_id: str = "req-1") -> list[Outcome]:
    outcomes = []
    for step in order:
        if step == "query":
            outcomes.append(correlator.query(query_event(request_id)))
        elif step == "response":
            outcomes.append(correlator.response(response_event(request_id)))
        else:
            outcomes.append(correlator.pair(query_event(request_id), response_event(request_id)))
    return outcomes


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        (["query", "response", "query"], Outcome.DUPLICATE),
        (["query", "response", "response"], Outcome.DUPLICATE),
        (["response", "query", "response"], Outcome.DUPLICATE),
        (["response", "query", "query"], Outcome.DUPLICATE),
        (["pair", "query"], Outcome.DUPLICATE),
        (["pair", "response"], Outcome.DUPLICATE),
        (["pair", "pair"], Outcome.DUPLICATE),
        (["query", "response", "pair"], Outcome.DUPLICATE),
    ],
)
def test_a_duplicate_after_correlation_changes_nothing(
    aws: Aws, store: Repository, order: list[str], expected: Outcome
) -> None:
    correlator = steps(store)
    deliver_all(correlator, order[:-1])
    before = aws.raw_record("req-1")
    [outcome] = deliver_all(correlator, order[-1:])
    assert outcome is expected
    assert aws.raw_record("req-1") == before  # not even recordedAt moved
    assert len(aws.records()) == 1
    assert aws.parked() == {}


def test_duplicates_before_correlation_are_counted_once(aws: Aws, store: Repository) -> None:
    correlator = steps(store)
    outcomes = deliver_all(correlator, ["response", "response", "query", "query", "response"])
    assert outcomes == [
        Outcome.PARKED,
        Outcome.DUPLICATE,
        Outcome.CORRELATED,
        Outcome.DUPLICATE,
        Outcome.DUPLICATE,
    ]
    assert final_record(aws) == expected_answer()
    assert aws.parked() == {}


def test_a_duplicate_query_before_its_response_keeps_one_unanswered_record(
    aws: Aws, store: Repository
) -> None:
    correlator = steps(store)
    assert deliver_all(correlator, ["query", "query"]) == [
        Outcome.UNANSWERED_RECORDED,
        Outcome.DUPLICATE,
    ]
    assert [record.status for record in aws.records().values()] == ["unanswered"]


# -- a query later than its correlation window --------------------------------------------------


def test_a_late_query_completes_the_orphan_of_its_response(aws: Aws, store: Repository) -> None:
    store.create(orphan_record(response_event(), now_ms=NOW_MS, ttl_days=90))
    correlator = steps(store)
    assert correlator.query(query_event()) is Outcome.CORRELATED
    assert final_record(aws) == expected_answer()
    assert correlator.query(query_event()) is Outcome.DUPLICATE


def test_a_late_pair_completes_an_orphan(aws: Aws, store: Repository) -> None:
    store.create(orphan_record(response_event(), now_ms=NOW_MS, ttl_days=90))
    outcome = steps(store).pair(query_event(), response_event())
    assert outcome is Outcome.CORRELATED
    assert final_record(aws) == expected_answer()


# -- crashes between two calls ---------------------------------------------------------------

SCENARIOS = {
    "response first": ["response", "query"],
    "query first": ["query", "response"],
    "same batch": ["pair"],
    "response, duplicate, query": ["response", "response", "query"],
    "query, pair of duplicates": ["query", "pair"],
}


def deliver(correlator: Steps, step: str, request_id: str, *, redelivered: bool) -> Outcome:
    query, response = query_event(request_id), response_event(request_id)
    if step == "query":
        return correlator.query(query, redelivered=redelivered)
    if step == "response":
        return correlator.response(response, redelivered=redelivered)
    return correlator.pair(query, response, redelivered=redelivered)


def count_calls(store: Repository, order: list[str], request_id: str) -> int:
    spy = SpyStore(store)
    correlator = Steps(make_correlator(spy))
    for step in order:
        deliver(correlator, step, request_id, redelivered=False)
    return len(spy.calls)


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("redelivery", ["at once", "after the other events"])
def test_a_crash_after_any_call_is_finished_by_the_redelivery(
    aws: Aws, store: Repository, scenario: str, redelivery: str
) -> None:
    order = SCENARIOS[scenario]
    total = count_calls(store, order, "reference")
    assert final_record(aws, "reference") == expected_answer("reference")
    for crash_after in range(1, total + 1):
        request_id = f"crash-{crash_after}"
        crashing = CrashingStore(store, crash_after)
        correlator = Steps(make_correlator(crashing))
        postponed: list[str] = []
        for step in order:
            try:
                deliver(correlator, step, request_id, redelivered=False)
            except IncompleteError:
                if redelivery == "at once":
                    deliver(correlator, step, request_id, redelivered=True)
                else:
                    postponed.append(step)
        for step in postponed:
            deliver(correlator, step, request_id, redelivered=True)
        assert crashing.crashed
        assert final_record(aws, request_id) == expected_answer(request_id), crash_after
        assert request_id not in aws.parked(), crash_after
    assert len(aws.records()) == total + 1


# -- two calls at the same time --------------------------------------------------------------


def race(
    store: Repository,
    schedule: tuple[str, ...],
    request_id: str,
) -> dict[str, Outcome]:
    turnstile = Turnstile(schedule)
    outcomes: dict[str, Outcome] = {}
    errors: list[BaseException] = []

    def side(name: str, work: Callable[[Steps], Outcome]) -> None:
        correlator = Steps(make_correlator(ScheduledStore(store, turnstile, name)))
        try:
            outcomes[name] = work(correlator)
        except BaseException as error:  # reported by the test
            errors.append(error)
        finally:
            turnstile.finish(name)

    threads = [
        threading.Thread(
            target=side,
            args=("Q", lambda c: c.query(query_event(request_id))),
        ),
        threading.Thread(
            target=side,
            args=("R", lambda c: c.response(response_event(request_id))),
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return outcomes


def test_every_interleaving_of_a_query_and_its_response_correlates_once(
    aws: Aws, store: Repository
) -> None:
    """The Dekker-style double check: each side writes its item before looking for the other's.

    A query makes at most 4 store calls and a response at most 4; every ordering of those calls
    is tried, and every one must end with one complete record and an empty interim table.
    """
    schedules = sorted(set(itertools.permutations("QQQQRRRR")))
    assert len(schedules) == 70
    seen_outcomes = set()
    for number, schedule in enumerate(schedules):
        request_id = f"race-{number}"
        outcomes = race(store, schedule, request_id)
        assert final_record(aws, request_id) == expected_answer(request_id), schedule
        assert request_id not in aws.parked(), schedule
        assert list(outcomes.values()).count(Outcome.CORRELATED) == 1, (schedule, outcomes)
        seen_outcomes.add((outcomes["Q"], outcomes["R"]))
    # The interleavings exercised every way the two sides can meet.
    assert (Outcome.UNANSWERED_RECORDED, Outcome.CORRELATED) in seen_outcomes
    assert (Outcome.CORRELATED, Outcome.PARKED) in seen_outcomes
    assert (Outcome.CORRELATED, Outcome.CONCURRENTLY_CORRELATED) in seen_outcomes or (
        Outcome.CONCURRENTLY_CORRELATED,
        Outcome.CORRELATED,
    ) in seen_outcomes


def test_the_double_check_rescues_a_response_that_both_sides_missed(
    aws: Aws, store: Repository
) -> None:
    """The response misses the record, the query misses the park; the retry finds the record."""
    outcomes = race(store, ("R", "Q", "Q", "R", "R", "R"), "req-1")
    assert outcomes == {"Q": Outcome.UNANSWERED_RECORDED, "R": Outcome.CORRELATED}
    assert final_record(aws) == expected_answer()
    assert aws.parked() == {}


# -- the interim table's TTL -------------------------------------------------------------------


def test_expired_park_without_query_becomes_an_orphan(aws: Aws, store: Repository) -> None:
    correlator = steps(store)
    assert correlator.expire(response_event()) is Outcome.ORPHANED
    record = aws.records()["req-1"]
    assert record.status == "orphaned"
    assert record.timestamp == BASE_TS + 1_500
    assert correlator.expire(response_event()) is Outcome.STALE_PARK
    assert aws.records()["req-1"] == record


def test_expired_park_completes_an_unanswered_record(aws: Aws, store: Repository) -> None:
    store.create(unanswered_record(query_event(), now_ms=NOW_MS, ttl_days=90))
    assert steps(store).expire(response_event()) is Outcome.CORRELATED
    assert final_record(aws) == expected_answer()


def test_expired_park_of_a_complete_record_is_discarded(aws: Aws, store: Repository) -> None:
    complete = complete_record(query_event(), response_event(), now_ms=NOW_MS, ttl_days=90)
    store.create(complete)
    spy = SpyStore(store)
    assert steps(spy).expire(response_event()) is Outcome.STALE_PARK
    assert aws.records()["req-1"] == complete
    assert spy.calls_to(WRITES | READS) == ["add_response"]


def test_expiry_racing_its_query_completes_the_record(aws: Aws, store: Repository) -> None:
    """The query lands between the expiry's failed update and its orphan insert."""

    class QueryLandsFirst(SpyStore):
        def around(self, name: str, call: Callable[[], object], request_id: str) -> object:
            if name == "create" and not self.calls_to(["create"]):
                self.inner.create(unanswered_record(query_event(), now_ms=NOW_MS, ttl_days=90))
            return super().around(name, call, request_id)

    assert steps(QueryLandsFirst(store)).expire(response_event()) is Outcome.CORRELATED
    assert final_record(aws) == expected_answer()
