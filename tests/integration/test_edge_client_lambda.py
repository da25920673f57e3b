"""Inside AWS Lambda: delivery after the response through the client's internal extension, before
the environment freezes, against a local stand-in of the Runtime and Extensions APIs
(tests/support/lambda_api.py); and the fallback to delivering before the handler returns."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest

from cv_analytics.dev.emulator import LocalAws
from cv_analytics.dev.resources import ResourceNames, create_queues
from edge_client import (
    BatchResult,
    EdgeClient,
    InMemorySink,
    OutgoingMessage,
    Settings,
    TransportError,
)
from edge_client.lambda_extension import RUNTIME_API_ENV
from edge_client.testing import QueueReader
from tests.support.lambda_api import HANG_GUARD, InvocationRecord, LambdaApiStandIn, run_runtime

pytestmark = pytest.mark.integration


@dataclass
class Function:
    """A Lambda function's process: the runtime on a thread, the client created during Init."""

    api: LambdaApiStandIn
    make_client: Callable[[], EdgeClient]
    client: EdgeClient | None = None
    request_ids: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def init(self) -> Callable[[Any, Any], Any]:
        # What the function's module does at import: one client, one decorated handler.
        client = self.client = self.make_client()

        @client.lambda_handler
        def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
            request_id = client.track_query(session_id="visitor", query=event["question"])
            client.track_response(request_id=request_id, match_type="full", match_score=90.0)
            self.request_ids.append(request_id)
            return {"requestId": request_id}

        return handler

    def start(self) -> Function:
        threading.Thread(
            target=run_runtime,
            args=(self.api.address, self.init),
            kwargs={"stop": self.stop},
            name="lambda-runtime",
            daemon=True,
        ).start()
        return self


class GatedSink(InMemorySink):
    """A transport that records, for each batch, whether the invocation's response had been
    posted when the batch was sent; optionally held until ``gate`` opens.

    With ``wait_for_response`` a batch is not sent before the current invocation's response is
    posted: a client that delivered before its handler returned would never see that happen (the
    handler would wait for the batch, the batch for the response), and the batch records False
    after the guard's timeout.
    """

    def __init__(self, api: LambdaApiStandIn, *, wait_for_response: bool = False) -> None:
        super().__init__()
        self.api = api
        self.wait_for_response = wait_for_response
        self.gate = threading.Event()
        self.gate.set()
        #: While the gate is closed, a call times out after this long (as botocore's read_timeout
        #: makes an unanswered SendMessageBatch do).
        self.stall = HANG_GUARD
        self.after_response: list[bool] = []

    def send_batch(self, messages: Sequence[OutgoingMessage]) -> BatchResult:
        if not self.gate.wait(self.stall):
            raise TransportError("ReadTimeoutError", "no answer", retryable=True)
        current = self.api.invocations[-1] if self.api.invocations else None
        if self.wait_for_response and current is not None:
            self.api.wait_response(current, timeout=5.0)
        self.after_response.append(current is not None and current.response_at is not None)
        return super().send_batch(messages)


@pytest.fixture
def lambda_env(monkeypatch: pytest.MonkeyPatch) -> Callable[[LambdaApiStandIn], None]:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "chatbot")

    def point_at(api: LambdaApiStandIn) -> None:
        monkeypatch.setenv(RUNTIME_API_ENV, api.address)

    return point_at


def delivered_at_freeze(
    sink: InMemorySink, seen: dict[str, int]
) -> Callable[[InvocationRecord], None]:
    """An on_freeze hook: how many messages the sink held when each invocation froze."""

    def check(record: InvocationRecord) -> None:
        seen[record.request_id] = len(sink.messages)

    return check


def test_events_are_delivered_after_the_response_and_before_the_freeze(
    lambda_env: Callable[[LambdaApiStandIn], None],
) -> None:
    at_freeze: dict[str, int] = {}
    with LambdaApiStandIn() as api:
        sink = GatedSink(api, wait_for_response=True)
        api._on_freeze = delivered_at_freeze(sink, at_freeze)
        lambda_env(api)
        function = Function(api, lambda: EdgeClient(transport=sink, mode="serverless")).start()
        records = [api.invoke() for _ in range(5)]
        function.stop.set()

    assert function.client is not None and function.client.lambda_extension_active
    assert len(api.extensions) == 1
    # The handler returned without waiting for delivery: every batch could wait for the
    # invocation's response to be posted...
    assert sink.after_response == [True] * 5
    # ...and before the environment froze: 2 events per invocation, all there at each freeze.
    assert [at_freeze[record.request_id] for record in records] == [2, 4, 6, 8, 10]
    assert [event.request_id for event in sink.events] == [
        rid for rid in function.request_ids for _ in range(2)
    ]
    assert function.client.stats().pending == 0


def test_without_the_extensions_api_events_are_delivered_before_the_handler_returns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "chatbot")
    monkeypatch.delenv(RUNTIME_API_ENV, raising=False)
    with LambdaApiStandIn() as api:
        sink = GatedSink(api)
        # The runtime talks to the stand-in, but the client does not know where the API is.
        function = Function(api, lambda: EdgeClient(transport=sink, mode="serverless")).start()
        for _ in range(3):
            api.invoke()
        function.stop.set()

    assert function.client is not None and not function.client.lambda_extension_active
    assert api.extensions == {}
    assert sink.after_response == [False] * 3  # sent before the response: the old way
    assert len(sink.messages) == 6


def test_a_client_created_after_init_is_refused_and_falls_back(
    lambda_env: Callable[[LambdaApiStandIn], None],
) -> None:
    clients: list[EdgeClient] = []
    with LambdaApiStandIn() as api:
        sink = GatedSink(api)
        lambda_env(api)

        def init() -> Callable[[Any, Any], Any]:
            def handler(event: Any, context: Any) -> str:
                if not clients:  # created lazily, in the first invocation: too late to register
                    clients.append(EdgeClient(transport=sink, mode="serverless"))
                with clients[0].invocation(context):
                    return clients[0].track_query(session_id="s", query="q")

            return handler

        threading.Thread(target=run_runtime, args=(api.address, init), daemon=True).start()
        for _ in range(2):
            api.invoke()

    assert [status for _name, status in api.refused] == [403]
    assert not clients[0].lambda_extension_active
    assert sink.after_response == [False, False]
    assert len(sink.messages) == 2


def test_an_unanswering_queue_cannot_hold_the_environment_past_the_functions_deadline(
    lambda_env: Callable[[LambdaApiStandIn], None],
) -> None:
    """Delivery after the response stops ``lambda_deadline_margin`` before the function's own
    deadline. (A request in flight then runs to its socket timeouts: keep ``connect_timeout +
    read_timeout`` under the margin where the deadline must hold to the millisecond.)"""
    with LambdaApiStandIn() as api:
        sink = GatedSink(api)
        sink.gate.clear()  # every SendMessageBatch times out...
        sink.stall = 0.1  # ...after 0.1 s
        lambda_env(api)
        settings = Settings(
            serverless_flush_timeout=5.0,
            lambda_deadline_margin=0.3,
            retry_base_delay=0.01,
            retry_max_delay=0.05,
        )
        function = Function(
            api, lambda: EdgeClient(transport=sink, mode="serverless", settings=settings)
        ).start()
        stuck = api.invoke(timeout_ms=1_000)  # raises if the extension misses the deadline
        assert stuck.late_extensions == []
        assert not stuck.past_deadline  # Lambda would have timed the invocation out
        assert function.client is not None and function.client.stats().pending == 2
        sink.gate.set()  # the queue answers again: the next invocation delivers both
        api.invoke(timeout_ms=5_000)
        function.stop.set()

    assert function.client.stats().pending == 0
    assert len(sink.messages) == 4


def test_events_reach_a_real_queue_before_every_freeze(
    lambda_env: Callable[[LambdaApiStandIn], None], local_aws: LocalAws
) -> None:
    sqs = boto3.session.Session().client("sqs", endpoint_url=local_aws.endpoint_url)
    queue_url = create_queues(sqs, ResourceNames(prefix=f"lambda-{uuid.uuid4().hex[:8]}"))[0]
    sent_at_freeze: list[int] = []
    with (
        LambdaApiStandIn() as api,
        QueueReader(queue_url, endpoint_url=local_aws.endpoint_url) as reader,
    ):
        lambda_env(api)
        function = Function(
            api,
            lambda: EdgeClient(queue_url, endpoint_url=local_aws.endpoint_url, mode="serverless"),
        )
        api._on_freeze = lambda record: sent_at_freeze.append(
            function.client.stats().sent if function.client else -1
        )
        function.start()
        for _ in range(3):
            api.invoke(timeout_ms=10_000)
        function.stop.set()
        received = reader.wait_for(6, HANG_GUARD)

    assert sent_at_freeze == [2, 4, 6]  # SQS had accepted every event when each froze
    assert sorted(message.event.request_id for message in received) == sorted(
        rid for rid in function.request_ids for _ in range(2)
    )
