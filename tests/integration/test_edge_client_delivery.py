"""Edge client against a moto server over HTTP: exactly-once delivery, overflow, retries.

Each test creates its own FIFO queue (unique prefix). Messages are read back with a
:class:`~edge_client.testing.QueueReader` while they are sent, and compared by (eventType,
requestId): every event tracked must arrive once, and nothing else.
"""

from __future__ import annotations

import functools
import json
import threading
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from cv_analytics.dev.emulator import LocalAws
from cv_analytics.dev.resources import ResourceNames, create_queues
from edge_client import DeliveryFailure, EdgeClient, Settings
from edge_client.testing import QueueReader, ReceivedMessage

pytestmark = pytest.mark.integration

SENDER_THREAD = "edge-client-sender"
HANG_GUARD = 300.0  # seconds: only ever reached if something hangs


@pytest.fixture
def queue_url(local_aws: LocalAws) -> str:
    sqs = boto3.session.Session().client("sqs", endpoint_url=local_aws.endpoint_url)
    url, _arn, _dlq_url, _dlq_arn = create_queues(
        sqs, ResourceNames(prefix=f"edge-{uuid.uuid4().hex[:10]}")
    )
    return url


@pytest.fixture
def reader(local_aws: LocalAws, queue_url: str) -> Iterator[QueueReader]:
    with QueueReader(queue_url, endpoint_url=local_aws.endpoint_url) as queue_reader:
        yield queue_reader


@pytest.fixture
def lean_moto_sqs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Take moto's per-message bookkeeping out of a 10,000-message test (the server is in-process).

    moto 5.2.1 rebuilds a queue's whole attribute dict several times for every message it accepts
    (only to read ``ContentBasedDeduplication``), and each rebuild converts 27 names from camelCase
    (~80 µs each) and counts visible, delayed and in-flight messages by scanning the queue. That
    costs ~10 ms of CPU per message, 100 s for this test. For its duration, the name conversion is
    memoized (a pure function) and the three approximate counts, which nothing here reads, are not
    computed. What the server accepts, stores, orders, deduplicates and returns is unchanged.
    """
    import moto.sqs.models as sqs_models

    convert = sqs_models.__dict__["camelcase_to_underscores"]
    monkeypatch.setattr(
        sqs_models, "camelcase_to_underscores", functools.lru_cache(maxsize=512)(convert)
    )
    for name in (
        "approximate_number_of_messages",
        "approximate_number_of_messages_delayed",
        "approximate_number_of_messages_not_visible",
    ):
        monkeypatch.setattr(sqs_models.Queue, name, property(lambda _queue: 0))


class SendLog:
    """botocore hooks on a session: which thread sent each SendMessageBatch, with which entries."""

    def __init__(self, session: boto3.session.Session) -> None:
        self.threads: list[str] = []
        self.entries: list[str] = []  # requestIds, in the order requests were sent
        self._lock = threading.Lock()
        session.events.register("before-send.sqs.SendMessageBatch", self._before_send)

    def _before_send(self, request: Any, **_: Any) -> None:
        body = json.loads(request.body)
        with self._lock:
            self.threads.append(threading.current_thread().name)
            self.entries.extend(
                json.loads(entry["MessageBody"])["requestId"] for entry in body["Entries"]
            )


def keys(messages: list[ReceivedMessage]) -> Counter[tuple[str, str]]:
    return Counter((m.event.event_type, m.event.request_id) for m in messages)


@pytest.mark.usefixtures("lean_moto_sqs")
def test_10000_events_from_16_threads_arrive_exactly_once_and_in_session_order(
    local_aws: LocalAws, queue_url: str, reader: QueueReader
) -> None:
    session = boto3.session.Session()
    sends = SendLog(session)

    # Flow control for moto's sake: the sender waits while more than 100 messages are unread
    # (moto's receive scans the whole queue: a deep queue makes every call slower).
    def flow_control(**_: Any) -> None:
        reader.wait_for(len(sends.entries) - 100, timeout=HANG_GUARD)

    session.events.register("before-send.sqs.SendMessageBatch", flow_control)
    client = EdgeClient(queue_url, endpoint_url=local_aws.endpoint_url, session=session)
    threads_count, pairs_per_thread = 16, 312  # + one lone query each: 16 * 625 = 10,000 events
    start = threading.Barrier(threads_count)
    tracked: dict[int, list[tuple[str, str, str]]] = {}  # thread -> (session, type, requestId)

    def chatbot(thread: int) -> None:
        mine: list[tuple[str, str, str]] = []
        start.wait()
        for index in range(pairs_per_thread):
            session_id = f"t{thread}-s{index % 8}"
            request_id = client.track_query(session_id=session_id, query=f"question {index}")
            mine.append((session_id, "query", request_id))
            # No sessionId: the client must group it with its query's session.
            client.track_response(request_id=request_id, match_type="full", match_score=80.0)
            mine.append((session_id, "response", request_id))
        lone = client.track_query(session_id=f"t{thread}-lone", query="unanswered")
        mine.append((f"t{thread}-lone", "query", lone))
        tracked[thread] = mine

    workers = [threading.Thread(target=chatbot, args=(n,)) for n in range(threads_count)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(HANG_GUARD)

    expected = {(kind, rid) for events in tracked.values() for _session, kind, rid in events}
    assert len(expected) == 10_000
    assert client.flush(timeout=HANG_GUARD) is True
    received = reader.wait_for(10_000, timeout=HANG_GUARD)
    received = reader.settle()  # anything extra (a duplicate) would show up too

    counts = keys(received)
    assert set(counts) == expected
    assert max(counts.values()) == 1
    stats = client.stats()
    assert (stats.enqueued, stats.sent, stats.pending) == (10_000, 10_000, 0)
    assert (stats.dropped, stats.failed, stats.invalid) == (0, 0, 0)
    # Never on the chatbot's threads: every request went out from the sender thread.
    assert set(sends.threads) == {SENDER_THREAD}
    # Each session's events arrive in the order they were tracked, responses in their session.
    arrived: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for message in received:
        event = message.event
        assert message.group_id == event.session_id
        arrived[message.group_id].append((event.event_type, event.request_id))
    for events in tracked.values():
        by_session: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for session_id, kind, rid in events:
            by_session[session_id].append((kind, rid))
        for session_id, in_order in by_session.items():
            assert arrived[session_id] == in_order
    assert client.close() is True


def test_a_full_buffer_drops_exactly_the_events_it_counts(
    local_aws: LocalAws, queue_url: str, reader: QueueReader
) -> None:
    session = boto3.session.Session()
    gate = threading.Event()  # closed: the sender's first request waits, nothing is delivered

    def wait_at_gate(**_: Any) -> None:
        gate.wait(HANG_GUARD)

    session.events.register("before-send.sqs.SendMessageBatch", wait_at_gate)
    client = EdgeClient(
        queue_url,
        endpoint_url=local_aws.endpoint_url,
        session=session,
        settings=Settings(max_queue_size=100),
    )
    ids = [client.track_query(session_id="overflow", query=f"q{n}") for n in range(250)]

    stats = client.stats()
    assert (stats.enqueued, stats.dropped, stats.pending, stats.sent) == (100, 150, 100, 0)
    gate.set()
    assert client.flush(timeout=HANG_GUARD) is True
    received = reader.wait_for(100, timeout=HANG_GUARD)
    received = reader.settle()
    # The first 100 were kept (newest dropped), each delivered once, in order.
    assert [m.event.request_id for m in received] == ids[:100]
    assert client.stats().dropped == 150
    assert client.close() is True


class InjectedFailures:
    """Turns the first SendMessageBatch calls into throttling errors, then partial failures.

    - calls 1..``throttled``: answered with HTTP 400 ThrottlingException without reaching moto;
    - the next ``partial`` calls: the last two entries are taken out of the request and reported
      as failed (one server-side InternalError, one RequestThrottled), the rest really sent.
    """

    def __init__(self, session: boto3.session.Session, *, throttled: int, partial: int) -> None:
        self.throttled = throttled
        self.partial = partial
        self.calls = 0
        session.events.register("before-parameter-build.sqs.SendMessageBatch", self._params)
        session.events.register("before-call.sqs.SendMessageBatch", self._before_call)
        session.events.register("after-call.sqs.SendMessageBatch", self._after_call)

    def _params(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        self.calls += 1
        context["injected_call"] = self.calls
        if self.throttled < self.calls <= self.throttled + self.partial:
            entries = params["Entries"]
            if len(entries) >= 3:
                context["removed"] = [entry["Id"] for entry in entries[-2:]]
                del entries[-2:]

    def _before_call(self, context: dict[str, Any], **_: Any) -> Any:
        if context["injected_call"] <= self.throttled:
            error = {"Code": "ThrottlingException", "Message": "Rate exceeded (injected)"}
            response = AWSResponse("http://injected", 400, HTTPHeaders(), None)
            return response, {"Error": error, "ResponseMetadata": {"HTTPStatusCode": 400}}
        return None

    def _after_call(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        removed = context.get("removed")
        if not removed:
            return
        failures = [
            {"Id": removed[0], "SenderFault": False, "Code": "InternalError", "Message": "x"},
            {"Id": removed[1], "SenderFault": True, "Code": "RequestThrottled", "Message": "x"},
        ]
        parsed.setdefault("Failed", []).extend(failures)


def test_throttling_and_partial_failures_are_retried_without_duplicates(
    local_aws: LocalAws, queue_url: str, reader: QueueReader
) -> None:
    session = boto3.session.Session()
    injected = InjectedFailures(session, throttled=3, partial=4)
    client = EdgeClient(
        queue_url,
        endpoint_url=local_aws.endpoint_url,
        session=session,
        settings=Settings(retry_base_delay=0.01, retry_max_delay=0.05),
    )
    order: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for index in range(60):
        session_id = f"session-{index % 4}"
        rid = client.track_query(session_id=session_id, query=f"q{index}")
        client.track_response(
            request_id=rid, session_id=session_id, match_type="none", match_score=0
        )
        order[session_id] += [("query", rid), ("response", rid)]

    assert client.flush(timeout=HANG_GUARD) is True
    received = reader.wait_for(120, timeout=HANG_GUARD)
    received = reader.settle()
    counts = keys(received)
    assert len(counts) == 120
    assert max(counts.values()) == 1
    stats = client.stats()
    # 3 throttled batches of 10, then 4 batches with 2 failed entries each.
    assert stats.retried >= 3 * 10 + 4 * 2
    assert (stats.sent, stats.failed, stats.pending) == (120, 0, 0)
    assert injected.calls > 12  # 12 batches when nothing fails
    # Retried entries held back their sessions' later events: order survives the retries.
    arrived: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for message in received:
        arrived[message.group_id].append((message.event.event_type, message.event.request_id))
    assert arrived == order
    assert client.close() is True


def test_a_missing_queue_is_given_up_at_once_and_reported(local_aws: LocalAws) -> None:
    failures: list[DeliveryFailure] = []
    missing = f"{local_aws.endpoint_url}/123456789012/no-such-queue-{uuid.uuid4().hex[:8]}.fifo"
    client = EdgeClient(missing, endpoint_url=local_aws.endpoint_url, on_error=failures.append)
    request_id = client.track_query(session_id="s", query="anyone there?")

    assert client.flush(timeout=HANG_GUARD) is False
    stats = client.stats()
    assert (stats.failed, stats.sent, stats.retried, stats.pending) == (1, 0, 0, 0)
    assert [failure.reason for failure in failures] == ["rejected"]
    assert "NonExistentQueue" in (failures[0].code or "")
    assert [event.request_id for event in failures[0].events] == [request_id]
    client.close()
