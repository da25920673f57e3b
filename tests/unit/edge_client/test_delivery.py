"""The sender: batching limits, triggers, retries, give-up, ordering, grouping, deduplication."""

from __future__ import annotations

import json
import logging
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable

import pytest

from edge_client import DeliveryFailure, EdgeClient, InMemorySink, Settings
from edge_client.backoff import backoff_delay
from edge_client.config import MAX_BATCH_BYTES
from edge_client.transport import TransportError
from edge_client.wire import body_size, deduplication_id

from .conftest import HANG_GUARD, ScriptedTransport, eventually, fail_entries, throttled

Make = Callable[..., EdgeClient]
FAST_RETRY = Settings(retry_base_delay=0.001, retry_max_delay=0.005)


def test_batches_hold_at_most_10_entries(make_client: Make) -> None:
    transport = ScriptedTransport()
    client = make_client(transport=transport)
    for index in range(25):
        client.track_query(session_id=f"s{index}", query=f"q{index}")
    assert client.flush(HANG_GUARD) is True
    assert [len(call) for call in transport.calls] == [10, 10, 5]
    assert all(len({m.id for m in call}) == len(call) for call in transport.calls)


def test_batches_stay_within_256_kib(make_client: Make) -> None:
    transport = ScriptedTransport()
    client = make_client(transport=transport)
    for index in range(10):  # 60 KB answers (2-byte characters): 5 of them outgrow a batch
        rid = client.track_query(session_id=f"s{index}", query=f"q{index}")
        client.track_response(
            request_id=rid, match_type="full", match_score=1, response="é" * 30_000
        )
    assert client.flush(HANG_GUARD) is True
    sizes = [sum(body_size(m.body) for m in call) for call in transport.calls]
    assert max(sizes) <= MAX_BATCH_BYTES
    assert sum(len(call) for call in transport.calls) == 20
    assert len(transport.calls) >= 3


def test_a_full_batch_goes_without_waiting_for_the_interval(make_client: Make) -> None:
    transport = ScriptedTransport()
    client = make_client(transport=transport, settings=Settings(flush_interval=600))
    for index in range(10):
        client.track_query(session_id=f"s{index}", query=f"q{index}")
    assert eventually(lambda: len(transport.accepted) == 10)


def test_a_partial_batch_goes_when_the_interval_ends(make_client: Make) -> None:
    transport = ScriptedTransport()
    client = make_client(transport=transport, settings=Settings(flush_interval=0.05))
    client.track_query(session_id="s", query="alone")
    assert eventually(lambda: len(transport.accepted) == 1)


def test_only_the_failed_entries_are_sent_again(make_client: Make) -> None:
    transport = ScriptedTransport(fail_entries(2, 7))
    client = make_client(transport=transport, settings=FAST_RETRY)
    ids = [client.track_query(session_id=f"s{n}", query=f"q{n}") for n in range(10)]
    assert client.flush(HANG_GUARD) is True

    first, second = transport.calls
    assert len(first) == 10
    resent = [json.loads(m.body)["requestId"] for m in second]
    assert resent == [ids[2], ids[7]]
    assert [m.deduplication_id for m in second] == [
        first[2].deduplication_id,
        first[7].deduplication_id,
    ]
    stats = client.stats()
    assert (stats.sent, stats.retried, stats.failed) == (10, 2, 0)


def test_a_failed_request_is_retried_whole_with_the_same_deduplication_ids(
    make_client: Make,
) -> None:
    transport = ScriptedTransport(throttled(), throttled())
    client = make_client(transport=transport, settings=FAST_RETRY)
    for index in range(4):
        client.track_query(session_id=f"s{index}", query=f"q{index}")
    assert client.flush(HANG_GUARD) is True
    assert len(transport.calls) == 3
    assert transport.calls[0] == transport.calls[1] == transport.calls[2]
    stats = client.stats()
    assert (stats.sent, stats.retried, stats.failed) == (4, 8, 0)


def test_rejected_events_are_given_up_at_once_and_reported(make_client: Make) -> None:
    failures: list[DeliveryFailure] = []
    rejected = TransportError("AccessDenied", "not allowed", retryable=False)
    transport = ScriptedTransport(
        rejected, fail_entries(0, code="InvalidParameterValue", retryable=False)
    )
    client = make_client(transport=transport, on_error=failures.append, settings=FAST_RETRY)
    first = client.track_query(session_id="s", query="one")
    assert client.flush(HANG_GUARD) is False
    second = client.track_query(session_id="s", query="two")
    assert client.flush(HANG_GUARD) is False

    assert [(f.reason, f.code) for f in failures] == [
        ("rejected", "AccessDenied"),
        ("rejected", "InvalidParameterValue"),
    ]
    assert [f.request_ids for f in failures] == [(first,), (second,)]
    assert [e.request_id for f in failures for e in f.events] == [first, second]
    stats = client.stats()
    assert (stats.failed, stats.retried, stats.sent, stats.pending) == (2, 0, 0, 0)
    assert len(transport.calls) == 2


def test_events_not_delivered_in_time_are_given_up_and_counted(make_client: Make) -> None:
    failures: list[DeliveryFailure] = []
    always_throttled = [throttled() for _ in range(10_000)]
    transport = ScriptedTransport(*always_throttled)
    client = make_client(
        transport=transport,
        on_error=failures.append,
        settings=Settings(give_up_after=0.2, retry_base_delay=0.01, retry_max_delay=0.02),
    )
    ids = {client.track_query(session_id="s", query=f"q{n}") for n in range(3)}
    assert client.flush(HANG_GUARD) is False  # returns once they are given up
    stats = client.stats()
    assert (stats.failed, stats.sent, stats.pending) == (3, 0, 0)
    assert {f.reason for f in failures} == {"expired"}
    assert {f.code for f in failures} == {"ThrottlingException"}
    assert {rid for f in failures for rid in f.request_ids} == ids


def test_a_long_backlog_expires_whole_and_is_reported_with_its_bodies(make_client: Make) -> None:
    failures: list[DeliveryFailure] = []
    transport = ScriptedTransport(*[throttled() for _ in range(100_000)])
    client = make_client(
        transport=transport,
        on_error=failures.append,
        settings=Settings(give_up_after=0.2, retry_base_delay=0.05, retry_max_delay=0.05),
    )
    ids = {client.track_query(session_id=f"s{n % 7}", query=f"q{n}") for n in range(500)}
    assert client.flush(HANG_GUARD) is False
    assert client.stats().failed == 500
    assert {rid for f in failures for rid in f.request_ids} == ids
    assert sum(len(f.bodies) for f in failures) == 500
    assert {f.reason for f in failures} == {"expired"}


def test_a_session_stays_in_order_when_one_of_its_events_is_retried(make_client: Make) -> None:
    # a1 fails once; while it waits for its retry, a2 must wait behind it, b2 need not.
    transport = ScriptedTransport(fail_entries(0))
    client = make_client(
        transport=transport, settings=Settings(retry_base_delay=0.2, retry_max_delay=0.2)
    )
    a1 = client.track_query(session_id="a", query="a1")
    b1 = client.track_query(session_id="b", query="b1")
    client.flush(timeout=0)  # send now, without waiting for the result
    assert eventually(lambda: len(transport.calls) == 1)
    a2 = client.track_query(session_id="a", query="a2")
    b2 = client.track_query(session_id="b", query="b2")
    assert client.flush(HANG_GUARD) is True

    accepted = [json.loads(m.body)["requestId"] for m in transport.accepted]
    assert accepted == [b1, b2, a1, a2]
    assert [len(call) for call in transport.calls] == [2, 1, 2]


def test_a_refused_entry_waiting_for_its_retry_does_not_hold_back_other_sessions(
    make_client: Make,
) -> None:
    """Only the refused entry and its session's later events wait for its retry: an event of
    another session tracked meanwhile still goes within the flush interval, without a flush."""
    transport = ScriptedTransport(fail_entries(0))
    client = make_client(
        transport=transport,
        settings=Settings(flush_interval=0.05, retry_base_delay=100, retry_max_delay=100),
    )
    client.track_query(session_id="a", query="a1")
    assert eventually(lambda: client.stats().retried == 1)  # a1 waits 50-100 s for its retry
    b1 = client.track_query(session_id="b", query="b1")
    assert eventually(lambda: b1 in {json.loads(m.body)["requestId"] for m in transport.accepted})


def test_responses_join_their_querys_session(make_client: Make) -> None:
    sink = InMemorySink()
    client = make_client(transport=sink)
    rid = client.track_query(session_id="visitor-7", query="q")
    client.track_response(request_id=rid, match_type="full", match_score=1)
    client.track_response(request_id="unknown-query", match_type="none", match_score=0)
    assert client.flush(HANG_GUARD) is True

    by_key = {
        (json.loads(m.body)["eventType"], json.loads(m.body)["requestId"]): m for m in sink.messages
    }
    query, answered = by_key["query", rid], by_key["response", rid]
    orphan = by_key["response", "unknown-query"]
    assert query.group_id == answered.group_id == "visitor-7"
    assert json.loads(answered.body)["sessionId"] == "visitor-7"
    assert orphan.group_id == "unknown-query"  # no session known: its own group
    assert "sessionId" not in json.loads(orphan.body)


def test_the_session_memory_is_bounded(make_client: Make) -> None:
    sink = InMemorySink()
    client = make_client(transport=sink, settings=Settings(session_memory_size=1))
    old = client.track_query(session_id="old", query="q")
    client.track_query(session_id="new", query="q")
    client.track_response(request_id=old, match_type="full", match_score=1)
    assert client.flush(HANG_GUARD) is True
    assert sink.messages[-1].group_id == old


def test_deduplication_ids_are_stable_short_and_distinct_per_content() -> None:
    body = '{"requestId": "%s"}' % ("r" * 128)
    assert deduplication_id(body) == deduplication_id(body)
    assert deduplication_id(body) != deduplication_id(body.replace("r", "s"))
    assert len(deduplication_id(body)) == 64


def test_the_same_event_tracked_twice_is_deduplicated(make_client: Make) -> None:
    sink = InMemorySink()
    client = make_client(transport=sink)
    for _ in range(2):
        client.track_query(
            session_id="s", query="q", request_id="same", timestamp=1_763_000_000_001
        )
    assert client.flush(HANG_GUARD) is True
    assert len(sink.messages) == 1
    assert client.stats().sent == 2  # both accepted by the transport; SQS keeps one


@pytest.mark.parametrize("attempt", [1, 2, 3, 8, 40])
def test_backoff_grows_exponentially_with_jitter_up_to_the_cap(attempt: int) -> None:
    rng = random.Random(attempt)
    step = min(5.0, 0.1 * 2 ** (attempt - 1))
    delays = [backoff_delay(attempt, base=0.1, cap=5.0, rng=rng) for _ in range(200)]
    assert all(step / 2 <= delay <= step for delay in delays)
    assert len(set(delays)) > 100  # jittered


def test_many_threads_each_event_accepted_exactly_once_and_counters_add_up(
    make_client: Make,
) -> None:
    outcomes = [throttled() if n % 3 == 0 else fail_entries(1, 4) for n in range(30)]
    transport = ScriptedTransport(*outcomes)
    client = make_client(transport=transport, settings=FAST_RETRY)
    ids: list[str] = []
    lock = threading.Lock()

    def chatbot(thread: int) -> None:
        for index in range(250):
            rid = client.track_query(session_id=f"t{thread}-{index % 5}", query="q")
            with lock:
                ids.append(rid)

    threads = [threading.Thread(target=chatbot, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(HANG_GUARD)
    assert client.flush(HANG_GUARD) is True

    accepted = Counter(json.loads(m.body)["requestId"] for m in transport.accepted)
    assert set(accepted) == set(ids) and max(accepted.values()) == 1
    stats = client.stats()
    assert stats.enqueued == stats.sent + stats.failed + stats.pending == 2000
    assert set(transport.threads) == {"edge-client-sender"}


def test_a_wall_clock_jumping_ahead_does_not_expire_fresh_events(
    make_client: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Expiry runs on the monotonic clock: an NTP step of an hour must not give events up."""
    sink = InMemorySink()
    client = make_client(transport=sink, mode="serverless", settings=Settings(give_up_after=60))
    rid = client.track_query(session_id="s", query="q")
    real = time.time_ns
    monkeypatch.setattr("edge_client.sender.time.time_ns", lambda: real() + 3_600 * 1_000_000_000)
    assert client.flush() is True
    monkeypatch.undo()
    assert [event.request_id for event in sink.events] == [rid]
    assert client.stats().failed == 0


class _CountingDoorbell(threading.Event):
    """The sender's doorbell, counting the rings that come from threads other than the sender."""

    def __init__(self) -> None:
        super().__init__()
        self.rings = 0

    def set(self) -> None:
        if threading.current_thread().name != "edge-client-sender":
            self.rings += 1
        super().set()


def test_while_events_keep_coming_no_call_wakes_the_sender(make_client: Make) -> None:
    """A busy sender polls the buffer every flush_interval: calls never pay for waking it."""
    sink = InMemorySink()
    client = make_client(transport=sink, settings=Settings(flush_interval=0.05))
    bell = client._state.wake = _CountingDoorbell()
    client.track_query(session_id="s", query="first")  # starts the sender
    assert eventually(lambda: client.stats().sent == 1)
    rings = bell.rings
    for n in range(5):  # one at a time, each after the sender has emptied its hands
        client.track_query(session_id="s", query=f"q{n}")
        assert eventually(lambda n=n: client.stats().sent == n + 2)
    assert bell.rings == rings  # delivered within the flush interval, without a single ring


def test_after_a_quiet_spell_the_sender_sleeps_until_a_call_wakes_it(
    make_client: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("edge_client.sender.QUIET_BEFORE_PARKING", 0.1)
    sink = InMemorySink()
    client = make_client(transport=sink, settings=Settings(flush_interval=0.05))
    bell = client._state.wake = _CountingDoorbell()
    client.track_query(session_id="s", query="first")
    assert eventually(lambda: client.stats().sent == 1)
    assert eventually(lambda: client._state.idle)  # parked: no more polling
    rings = bell.rings
    client.track_query(session_id="s", query="after the quiet spell")
    assert bell.rings == rings + 1
    assert eventually(lambda: client.stats().sent == 2)


def test_a_burst_of_invalid_events_does_not_crash_the_sender(
    make_client: Make, caplog: pytest.LogCaptureFixture
) -> None:
    """More invalid events than one step prepares, taken at once, leave nothing to send: the
    sender must go back to waiting for events, not ask its doorbell for an infinite wait."""
    sink = InMemorySink()
    client = make_client(transport=sink, settings=Settings(flush_interval=0))
    with caplog.at_level(logging.ERROR, logger="edge_client"):
        client.track_query(session_id="s", query="first")
        assert eventually(lambda: client.stats().sent == 1 and client._state.idle)
        interval = sys.getswitchinterval()
        sys.setswitchinterval(HANG_GUARD)  # the burst lands before the sender runs again
        try:
            for _ in range(11):
                client.track_response(request_id="r", match_type="bogus", match_score=1)
        finally:
            sys.setswitchinterval(interval)
        assert eventually(lambda: client.stats().invalid == 11)
        client.track_query(session_id="s", query="after the invalid ones")
        assert eventually(lambda: client.stats().sent == 2)
    assert "crashed" not in caplog.text


def test_a_flush_of_invalid_events_does_not_sleep_until_its_deadline(
    make_client: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Serverless: the flushing thread delivers; nothing valid to send is no reason to wait."""
    client = make_client(transport=InMemorySink(), mode="serverless")
    for _ in range(11):  # more than one step prepares
        client.track_response(request_id="r", match_type="bogus", match_score=1)
    naps: list[float] = []
    monkeypatch.setattr("edge_client.sender.time.sleep", naps.append)  # records, never sleeps
    assert client.flush(HANG_GUARD) is True
    monkeypatch.undo()
    assert client.stats().invalid == 11
    assert naps == []
