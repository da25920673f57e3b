"""The correlation algorithm against moto: orders, duplicates, crashes and races."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable

import pytest

from processor.correlator import Correlator, Outcome, Store
from processor.records import complete_record, orphan_record, unanswered_record
from processor.store import CorrelationStore
from tests.unit.processor.conftest import (
    BASE_TS,
    NOW_MS,
    Aws,
    FakeClock,
    query_event,
    response_event,
)
from tests.unit.processor.store_doubles import (
    READS,
    WRITES,
    CrashError,
    CrashingStore,
    ScheduledStore,
    SpyStore,
    Turnstile,
)

WINDOW = 24 * 3_600


def make_correlator(store: Store, clock: FakeClock | None = None) -> Correlator:
    return Correlator(
        store,
        correlation_window_seconds=WINDOW,
        record_ttl_days=90,
        clock=clock or FakeClock(),
    )


def expected_answer(request_id: str = "req-1") -> object:
    """The record a question ends as, whatever the order of its events (``recordedAt`` aside)."""
    record = complete_record(
        query_event(request_id), response_event(request_id), now_ms=0, ttl_days=90
    )
    return record.model_dump(exclude={"recorded_at"})


def final_record(aws: Aws, request_id: str = "req-1") -> object:
    return aws.records()[request_id].model_dump(exclude={"recorded_at"})


# -- orders ----------------------------------------------------------------------------------


def test_query_then_response_across_batches(aws: Aws, store: CorrelationStore) -> None:
    spy = SpyStore(store)
    correlator = make_correlator(spy)
    assert correlator.query(query_event(), redelivered=False) is Outcome.UNANSWERED_RECORDED
    assert aws.records()["req-1"].status == "unanswered"
    assert correlator.response(response_event(), redelivered=False) is Outcome.CORRELATED
    assert final_record(aws) == expected_answer()
    assert aws.parked() == {}
    # 2 writes + 1 read: put, get (nothing parked), update.
    assert spy.calls == ["insert", "parked_response", "complete"]


def test_response_before_query_parks_then_the_query_completes(
    aws: Aws, store: CorrelationStore, clock: FakeClock
) -> None:
    correlator = make_correlator(store, clock)
    assert correlator.response(response_event(), redelivered=False) is Outcome.PARKED
    assert aws.records() == {}
    parked = aws.parked()["req-1"]
    assert parked["expiresAt"] == {"N": str(NOW_MS // 1000 + WINDOW)}
    assert correlator.query(query_event(), redelivered=False) is Outcome.CORRELATED
    assert final_record(aws) == expected_answer()
    assert aws.records()["req-1"].processing_time_ms == 1_500
    assert aws.parked() == {}


def test_same_batch_pair_is_one_put_and_never_touches_the_interim_table(
    aws: Aws, store: CorrelationStore
) -> None:
    spy = SpyStore(store)
    correlator = make_correlator(spy)
    outcome = correlator.pair(query_event(), response_event(), redelivered=False)
    assert outcome is Outcome.CORRELATED
    assert spy.calls == ["insert_or_complete"]
    assert final_record(aws) == expected_answer()


def test_pair_completes_a_record_its_query_left_unanswered(
    aws: Aws, store: CorrelationStore
) -> None:
    correlator = make_correlator(store)
    correlator.query(query_event(), redelivered=False)
    outcome = correlator.pair(query_event(), response_event(), redelivered=False)
    assert outcome is Outcome.CORRELATED
    assert final_record(aws) == expected_answer()


def test_a_failed_answer_is_recorded_as_failed(aws: Aws, store: CorrelationStore) -> None:
    correlator = make_correlator(store)
    correlator.query(query_event(), redelivered=False)
    correlator.response(response_event(error="LLM timeout"), redelivered=False)
    record = aws.records()["req-1"]
    assert (record.status, record.error) == ("failed", "LLM timeout")


def test_the_response_processing_time_wins_over_the_timestamps(
    aws: Aws, store: CorrelationStore
) -> None:
    correlator = make_correlator(store)
    correlator.query(query_event(), redelivered=False)
    correlator.response(response_event(processingTimeMs=321.0), redelivered=False)
    assert aws.records()["req-1"].processing_time_ms == 321.0


# -- duplicates --------------------------------------------------------------------------------


def deliver_all(
    correlator: Correlator, steps: list[str], request_id: str = "req-1"
) -> list[Outcome]:
    outcomes = []
    for step in steps:
        if step == "query":
            outcomes.append(correlator.query(query_event(request_id), redelivered=False))
        elif step == "response":
            outcomes.append(correlator.response(response_event(request_id), redelivered=False))
        else:
            outcomes.append(
                correlator.pair(
                    query_event(request_id), response_event(request_id), redelivered=False
                )
            )
    return outcomes


@pytest.mark.parametrize(
    ("steps", "expected"),
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
    aws: Aws, store: CorrelationStore, steps: list[str], expected: Outcome
) -> None:
    correlator = make_correlator(store)
    deliver_all(correlator, steps[:-1])
    before = aws.raw_record("req-1")
    [outcome] = deliver_all(correlator, steps[-1:])
    assert outcome is expected
    assert aws.raw_record("req-1") == before  # not even recordedAt moved
    assert len(aws.records()) == 1
    assert aws.parked() == {}


def test_duplicates_before_correlation_are_counted_once(aws: Aws, store: CorrelationStore) -> None:
    correlator = make_correlator(store)
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
    aws: Aws, store: CorrelationStore
) -> None:
    correlator = make_correlator(store)
    assert deliver_all(correlator, ["query", "query"]) == [
        Outcome.UNANSWERED_RECORDED,
        Outcome.DUPLICATE,
    ]
    assert [record.status for record in aws.records().values()] == ["unanswered"]


# -- a query later than its correlation window --------------------------------------------------


def test_a_late_query_completes_the_orphan_of_its_response(
    aws: Aws, store: CorrelationStore
) -> None:
    store.insert(orphan_record(response_event(), now_ms=NOW_MS, ttl_days=90))
    correlator = make_correlator(store)
    assert correlator.query(query_event(), redelivered=False) is Outcome.CORRELATED
    assert final_record(aws) == expected_answer()
    assert correlator.query(query_event(), redelivered=False) is Outcome.DUPLICATE


def test_a_late_pair_completes_an_orphan(aws: Aws, store: CorrelationStore) -> None:
    store.insert(orphan_record(response_event(), now_ms=NOW_MS, ttl_days=90))
    outcome = make_correlator(store).pair(query_event(), response_event(), redelivered=False)
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


def deliver(correlator: Correlator, step: str, request_id: str, *, redelivered: bool) -> Outcome:
    query, response = query_event(request_id), response_event(request_id)
    if step == "query":
        return correlator.query(query, redelivered=redelivered)
    if step == "response":
        return correlator.response(response, redelivered=redelivered)
    return correlator.pair(query, response, redelivered=redelivered)


def count_calls(store: CorrelationStore, steps: list[str], request_id: str) -> int:
    spy = SpyStore(store)
    correlator = make_correlator(spy)
    for step in steps:
        deliver(correlator, step, request_id, redelivered=False)
    return len(spy.calls)


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("redelivery", ["at once", "after the other events"])
def test_a_crash_after_any_call_is_finished_by_the_redelivery(
    aws: Aws, store: CorrelationStore, scenario: str, redelivery: str
) -> None:
    steps = SCENARIOS[scenario]
    total = count_calls(store, steps, "reference")
    assert final_record(aws, "reference") == expected_answer("reference")
    for crash_after in range(1, total + 1):
        request_id = f"crash-{crash_after}"
        crashing = CrashingStore(store, crash_after)
        correlator = make_correlator(crashing)
        postponed: list[str] = []
        for step in steps:
            try:
                deliver(correlator, step, request_id, redelivered=False)
            except CrashError:
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
    store: CorrelationStore,
    schedule: tuple[str, ...],
    request_id: str,
) -> dict[str, Outcome]:
    turnstile = Turnstile(schedule)
    outcomes: dict[str, Outcome] = {}
    errors: list[BaseException] = []

    def side(name: str, work: Callable[[Correlator], Outcome]) -> None:
        correlator = make_correlator(ScheduledStore(store, turnstile, name))
        try:
            outcomes[name] = work(correlator)
        except BaseException as error:  # reported by the test
            errors.append(error)
        finally:
            turnstile.finish(name)

    threads = [
        threading.Thread(
            target=side,
            args=("Q", lambda c: c.query(query_event(request_id), redelivered=False)),
        ),
        threading.Thread(
            target=side,
            args=("R", lambda c: c.response(response_event(request_id), redelivered=False)),
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return outcomes


def test_every_interleaving_of_a_query_and_its_response_correlates_once(
    aws: Aws, store: CorrelationStore
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
    aws: Aws, store: CorrelationStore
) -> None:
    """The response misses the record, the query misses the park; the retry finds the record."""
    outcomes = race(store, ("R", "Q", "Q", "R", "R", "R"), "req-1")
    assert outcomes == {"Q": Outcome.UNANSWERED_RECORDED, "R": Outcome.CORRELATED}
    assert final_record(aws) == expected_answer()
    assert aws.parked() == {}


# -- the interim table's TTL -------------------------------------------------------------------


def test_expired_park_without_query_becomes_an_orphan(aws: Aws, store: CorrelationStore) -> None:
    correlator = make_correlator(store)
    assert correlator.expire(response_event()) is Outcome.ORPHANED
    record = aws.records()["req-1"]
    assert record.status == "orphaned"
    assert record.timestamp == BASE_TS + 1_500
    assert correlator.expire(response_event()) is Outcome.STALE_PARK
    assert aws.records()["req-1"] == record


def test_expired_park_completes_an_unanswered_record(aws: Aws, store: CorrelationStore) -> None:
    store.insert(unanswered_record(query_event(), now_ms=NOW_MS, ttl_days=90))
    assert make_correlator(store).expire(response_event()) is Outcome.CORRELATED
    assert final_record(aws) == expected_answer()


def test_expired_park_of_a_complete_record_is_discarded(aws: Aws, store: CorrelationStore) -> None:
    complete = complete_record(query_event(), response_event(), now_ms=NOW_MS, ttl_days=90)
    store.insert(complete)
    spy = SpyStore(store)
    assert make_correlator(spy).expire(response_event(matchScore=3.0)) is Outcome.STALE_PARK
    assert aws.records()["req-1"] == complete
    assert spy.calls_to(WRITES | READS) == ["complete"]


def test_expiry_racing_its_query_completes_the_record(aws: Aws, store: CorrelationStore) -> None:
    """The query lands between the expiry's failed update and its orphan insert."""

    class QueryLandsFirst(SpyStore):
        def around(self, name: str, call: Callable[[], object]) -> object:
            if name == "insert" and not self.calls_to(["insert"]):
                self.inner.insert(unanswered_record(query_event(), now_ms=NOW_MS, ttl_days=90))
            return super().around(name, call)

    assert make_correlator(QueryLandsFirst(store)).expire(response_event()) is Outcome.CORRELATED
    assert final_record(aws) == expected_answer()
