"""Edge client with SQS unreachable: the caller never waits, flush/close/exit keep their deadlines,
and what is buffered is delivered once the endpoint comes back.

"Unreachable" is a free loopback port with nothing listening (connection refused); "comes back" is
a moto server started later on that same port. No assertion is about elapsed time: deadlines are
checked through what the calls return and what the client counts.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from cv_analytics.dev.emulator import free_port, moto_server
from cv_analytics.dev.resources import ResourceNames, create_queues
from edge_client import DeliveryFailure, EdgeClient, Settings
from edge_client.testing import QueueReader

pytestmark = pytest.mark.integration

HANG_GUARD = 120.0
ACCOUNT = "123456789012"  # moto's default account: part of the queue URL it will hand out


class Attempts:
    """Records the thread of every SendMessageBatch attempt; can hold the sender at a gate."""

    def __init__(self, session: boto3.session.Session) -> None:
        self.threads: list[str] = []
        self.gate = threading.Event()
        self.gate.set()
        self.parked = threading.Event()
        session.events.register("before-send.sqs.SendMessageBatch", self._before_send)

    def _before_send(self, **_: Any) -> None:
        self.threads.append(threading.current_thread().name)
        if not self.gate.is_set():
            self.parked.set()
            self.gate.wait(HANG_GUARD)


def eventually(condition: Callable[[], bool], timeout: float = HANG_GUARD) -> bool:
    """Poll ``condition`` until it holds; ``timeout`` is a hang guard, not an expectation."""
    stop = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > stop:
            return False
        time.sleep(0.02)
    return True


def test_unreachable_endpoint_never_blocks_the_caller_and_delivers_when_it_returns() -> None:
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    names = ResourceNames(prefix=f"outage-{uuid.uuid4().hex[:8]}")
    queue_url = f"{endpoint}/{ACCOUNT}/{names.queue}"
    session = boto3.session.Session()
    attempts = Attempts(session)
    client = EdgeClient(
        queue_url,
        endpoint_url=endpoint,
        session=session,
        settings=Settings(retry_base_delay=0.05, retry_max_delay=0.2),
    )

    request_ids = []
    for index in range(100):
        request_id = client.track_query(session_id=f"s{index % 5}", query=f"q{index}")
        client.track_response(request_id=request_id, match_type="full", match_score=99.0)
        request_ids.append(request_id)
    # Every call returned while nothing could be delivered: all 200 events are held, none lost.
    stats = client.stats()
    assert (stats.enqueued, stats.dropped, stats.sent) == (200, 0, 0)

    assert client.flush(timeout=1.0) is False  # the deadline passed; flush reports it
    stats = client.stats()
    assert (stats.sent, stats.failed, stats.pending) == (0, 0, 200)
    assert attempts.threads  # the sender did try...
    assert set(attempts.threads) == {"edge-client-sender"}  # ...and only the sender

    # Hold the sender between two attempts, bring the endpoint up, then let it go on.
    attempts.gate.clear()
    assert attempts.parked.wait(HANG_GUARD)
    with moto_server(port=port) as aws:
        assert aws.endpoint_url == endpoint
        sqs = boto3.session.Session().client("sqs", endpoint_url=endpoint)
        assert create_queues(sqs, names)[0] == queue_url
        with QueueReader(queue_url, endpoint_url=endpoint) as reader:
            attempts.gate.set()
            assert client.flush(timeout=HANG_GUARD) is True
            received = reader.wait_for(200, timeout=HANG_GUARD)
            received = reader.settle()
        assert client.close() is True

    assert sorted((m.event.event_type, m.event.request_id) for m in received) == sorted(
        (kind, rid) for rid in request_ids for kind in ("query", "response")
    )
    stats = client.stats()
    assert (stats.sent, stats.failed, stats.pending) == (200, 0, 0)
    assert stats.retried > 0


def test_close_with_the_endpoint_unreachable_keeps_its_deadline_and_counts_the_loss() -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"
    failures: list[DeliveryFailure] = []
    client = EdgeClient(
        f"{endpoint}/{ACCOUNT}/nowhere.fifo",
        endpoint_url=endpoint,
        on_error=failures.append,
        settings=Settings(retry_base_delay=0.05, retry_max_delay=0.2),
    )
    ids = {client.track_query(session_id="s", query=f"q{n}") for n in range(30)}

    assert client.close(timeout=0.5) is False
    # The loss is counted and reported, never silent (the sender accounts for it as soon as its
    # current attempt returns).
    assert eventually(lambda: client.stats().pending == 0)
    stats = client.stats()
    assert (stats.enqueued, stats.sent, stats.failed, stats.pending) == (30, 0, 30, 0)
    assert {rid for failure in failures for rid in failure.request_ids} == ids
    assert {failure.reason for failure in failures} == {"closed"}
    # Closed: further events are refused, and counted.
    client.track_query(session_id="s", query="too late")
    assert client.stats().dropped == 1


EXIT_SCRIPT = textwrap.dedent(
    """
    import logging, sys
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    from edge_client import EdgeClient, Settings

    client = EdgeClient(
        sys.argv[1],
        endpoint_url=sys.argv[2],
        settings=Settings(exit_timeout=1.0, retry_base_delay=0.05, retry_max_delay=0.2),
    )
    for index in range(50):
        client.track_query(session_id="exit", query=f"q{index}")
    print("tracked", client.stats().enqueued, flush=True)
    # No flush, no close: the interpreter's exit hook runs with the endpoint unreachable.
    """
)


def test_process_exit_with_the_endpoint_unreachable_keeps_its_deadline() -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"
    completed = subprocess.run(
        [sys.executable, "-c", EXIT_SCRIPT, f"{endpoint}/{ACCOUNT}/q.fifo", endpoint],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,  # hang guard only: the exit hook's own deadline is 1 s
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == ["tracked", "50"]
    assert "50 events not delivered at exit" in completed.stderr


DELIVER_ON_EXIT_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from edge_client import EdgeClient, Settings

    # A long batching interval: only the exit hook can have sent these.
    client = EdgeClient.from_env(settings=Settings(flush_interval=600, exit_timeout=60))
    ids = []
    for index in range(20):
        rid = client.track_query(session_id=f"s{index % 3}", query=f"q{index}")
        client.track_response(request_id=rid, match_type="partial", match_score=50.0)
        ids.append(rid)
    print(json.dumps({"ids": ids, "sent": client.stats().sent}), flush=True)
    """
)


def test_a_process_that_exits_without_flushing_still_delivers(local_aws: Any) -> None:
    sqs = boto3.session.Session().client("sqs", endpoint_url=local_aws.endpoint_url)
    queue_url = create_queues(sqs, ResourceNames(prefix=f"exit-{uuid.uuid4().hex[:8]}"))[0]
    with QueueReader(queue_url, endpoint_url=local_aws.endpoint_url) as reader:
        completed = subprocess.run(
            [sys.executable, "-c", DELIVER_ON_EXIT_SCRIPT],
            capture_output=True,
            text=True,
            timeout=HANG_GUARD,
            check=False,
            env={
                **local_aws.environment(),
                "PATH": "/usr/bin:/bin",
                "CV_ANALYTICS_QUEUE_URL": queue_url,
            },
        )
        assert completed.returncode == 0, completed.stderr
        output = json.loads(completed.stdout)
        assert output["sent"] == 0  # nothing had gone when the script's last line ran
        received = reader.wait_for(40, timeout=HANG_GUARD)
        received = reader.settle()
    assert sorted((m.event.event_type, m.event.request_id) for m in received) == sorted(
        (kind, rid) for rid in output["ids"] for kind in ("query", "response")
    )
