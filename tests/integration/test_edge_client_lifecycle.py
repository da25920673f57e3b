"""Edge client across process boundaries: a forked worker, and AWS Lambda's serverless mode."""

from __future__ import annotations

import json
import os
import select
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from cv_analytics.dev.emulator import LocalAws
from cv_analytics.dev.resources import ResourceNames, create_queues
from edge_client import EdgeClient, Settings
from edge_client.testing import QueueReader, ReceivedMessage

pytestmark = pytest.mark.integration

HANG_GUARD = 120.0


@pytest.fixture
def queue_url(local_aws: LocalAws) -> str:
    sqs = boto3.session.Session().client("sqs", endpoint_url=local_aws.endpoint_url)
    return create_queues(sqs, ResourceNames(prefix=f"life-{uuid.uuid4().hex[:8]}"))[0]


@pytest.fixture
def reader(local_aws: LocalAws, queue_url: str) -> Iterator[QueueReader]:
    with QueueReader(queue_url, endpoint_url=local_aws.endpoint_url) as queue_reader:
        yield queue_reader


class SentIds:
    """The requestIds of every entry sent, and the threads that sent them (a botocore hook)."""

    def __init__(self, session: boto3.session.Session) -> None:
        self.ids: list[str] = []
        self.threads: set[str] = set()
        session.events.register("before-send.sqs.SendMessageBatch", self._record)

    def _record(self, request: Any, **_: Any) -> None:
        self.threads.add(threading.current_thread().name)
        for entry in json.loads(request.body)["Entries"]:
            self.ids.append(json.loads(entry["MessageBody"])["requestId"])


def request_ids(messages: list[ReceivedMessage]) -> list[str]:
    return [message.event.request_id for message in messages]


def _wait_child(pid: int) -> int:
    """The child's exit status; kills it if it hangs (a hang guard, not a timing assertion)."""
    stop = time.monotonic() + HANG_GUARD
    while time.monotonic() < stop:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    raise AssertionError("the forked child hung")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_delivers_its_own_events_and_not_the_parents(
    local_aws: LocalAws, queue_url: str, reader: QueueReader
) -> None:
    session = boto3.session.Session()
    sent = SentIds(session)
    # A long batching interval keeps the parent's events in its buffer across the fork.
    client = EdgeClient(
        queue_url,
        endpoint_url=local_aws.endpoint_url,
        session=session,
        settings=Settings(flush_interval=600),
    )
    parent_ids = [client.track_query(session_id="parent", query=f"p{n}") for n in range(5)]
    assert client.stats().pending == 5

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: a pre-forked server's worker
        code = 1
        try:
            os.close(read_end)
            inherited = client.stats()
            child_ids = [client.track_query(session_id="child", query=f"c{n}") for n in range(5)]
            delivered = client.close(timeout=HANG_GUARD)
            child_report = {
                "inherited_pending": inherited.pending,
                "child_ids": child_ids,
                "delivered": delivered,
                "sent_ids": sent.ids,
                "stats": client.stats().sent,
            }
            os.write(write_end, json.dumps(child_report).encode())
            code = 0
        finally:
            os._exit(code)

    os.close(write_end)
    ready, _, _ = select.select([read_end], [], [], HANG_GUARD)
    report: dict[str, Any] | None = (
        json.loads(os.read(read_end, 1 << 20).decode()) if ready else None
    )
    os.close(read_end)
    assert _wait_child(pid) == 0
    assert report is not None

    # The child started with an empty buffer and sent exactly its own events.
    assert report["inherited_pending"] == 0
    assert report["delivered"] is True
    assert report["stats"] == 5
    assert report["sent_ids"] == report["child_ids"]
    # The parent still owns its five, and delivers them once.
    assert client.flush(timeout=HANG_GUARD) is True
    assert sent.ids == parent_ids
    received = reader.wait_for(10, timeout=HANG_GUARD)
    received = reader.settle()
    assert sorted(request_ids(received)) == sorted(parent_ids + report["child_ids"])
    assert client.close() is True


class FakeLambdaContext:
    def __init__(self, remaining_ms: int) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def test_serverless_mode_delivers_before_the_handler_returns(
    local_aws: LocalAws, queue_url: str, reader: QueueReader, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "chatbot")  # what the Lambda runtime sets
    session = boto3.session.Session()
    sent = SentIds(session)
    client = EdgeClient(queue_url, endpoint_url=local_aws.endpoint_url, session=session)
    assert client.mode == "serverless"
    during: list[int] = []

    @client.lambda_handler
    def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
        rid = client.track_query(session_id=event["session"], query=event["question"])
        client.track_response(request_id=rid, match_type="full", match_score=93.0)
        during.append(len(sent.ids))
        if event.get("fail"):
            raise RuntimeError("the chatbot failed")
        return {"requestId": rid}

    result = handler({"session": "lambda", "question": "Kubernetes?"}, FakeLambdaContext(10_000))

    # Nothing was sent while the handler ran; both events were sent before it returned, on the
    # invoking thread (there is no background thread to be frozen).
    assert during == [0]
    assert sent.ids == [result["requestId"]] * 2
    assert sent.threads == {threading.current_thread().name}
    assert client.stats().pending == 0
    received = reader.wait_for(2, timeout=HANG_GUARD)
    assert request_ids(received) == [result["requestId"]] * 2

    # A failing invocation still delivers what it tracked, and the error reaches the runtime.
    with pytest.raises(RuntimeError, match="the chatbot failed"):
        handler({"session": "lambda", "question": "Go?", "fail": True}, FakeLambdaContext(10_000))
    assert len(sent.ids) == 4
    assert client.stats().pending == 0
    assert len(reader.wait_for(4, timeout=HANG_GUARD)) == 4
    assert client.close() is True
