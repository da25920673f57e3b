"""A local stand-in for AWS Lambda's Runtime API and Extensions API, and a minimal runtime.

It follows the documented protocol and orders the phases as Lambda does:

- **Init**: extensions may register (``POST /2020-01-01/extension/register``, header
  ``Lambda-Extension-Name``; ``INVOKE`` only for internal extensions: a ``SHUTDOWN`` registration
  is refused) until the runtime asks for its first invocation
  (``GET /2018-06-01/runtime/invocation/next``); after that a registration gets ``403``. Init ends
  when the runtime and every registered extension are waiting for their next event.
- **Invoke**: the invocation goes to the runtime and an ``INVOKE`` event (``requestId``,
  ``deadlineMs``) to every extension at the same time. The caller's response is the runtime's
  ``POST /2018-06-01/runtime/invocation/{id}/response``.
- **Freeze**: once the response is posted *and* the runtime and every extension have asked for
  their next event (``GET /2020-01-01/extension/event/next``), the environment may freeze. The
  stand-in calls ``on_freeze`` at that moment, which is when a test checks what was delivered:
  anything still in flight would be frozen with the process in real Lambda.

:func:`run_runtime` plays the runtime (what ``awslambdaric`` does for Python): it creates the
handler during Init (importing the function's module, which is when a client created at import
time registers its extension), then loops on ``next``, calls the handler with a context and posts
its response.

Timestamps are ``time.monotonic()``, which is system-wide on Linux: a stand-in in another process
(the benchmark's) reports times comparable with the function's own.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

RUNTIME = "/2018-06-01/runtime"
EXTENSION = "/2020-01-01/extension"
HANG_GUARD = 60.0


@dataclass
class InvocationRecord:
    request_id: str
    deadline_ms: int
    invoked_at: float = 0.0  # the event sent to the runtime
    response_at: float | None = None  # the response posted: what the caller waits for
    frozen_at: float | None = None  # response posted, runtime and every extension waiting
    response: bytes = b""
    error: bytes | None = None
    #: Extensions that had not asked for their next event a second after the deadline.
    late_extensions: list[str] = field(default_factory=list)
    #: Frozen after ``deadline_ms``: Lambda would have timed the invocation out (and reset the
    #: execution environment), whatever the extensions were doing.
    past_deadline: bool = False

    @property
    def response_latency(self) -> float:
        assert self.response_at is not None
        return self.response_at - self.invoked_at


class LambdaApiStandIn:
    """The Runtime and Extensions APIs on 127.0.0.1; drive it with :meth:`invoke`."""

    def __init__(self, on_freeze: Callable[[InvocationRecord], None] | None = None) -> None:
        self._changed = threading.Condition()
        self._on_freeze = on_freeze
        self.init_done = False  # the runtime has asked for its first invocation
        self.extensions: dict[str, str] = {}  # identifier -> name
        self.refused: list[tuple[str, int]] = []  # (name, status) of refused registrations
        self._extension_waiting: set[str] = set()
        self._extension_events: dict[str, list[dict[str, Any]]] = {}
        self._runtime_waiting = False
        self._runtime_event: InvocationRecord | None = None
        self.invocations: list[InvocationRecord] = []
        self._current: InvocationRecord | None = None
        self._finished = False
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="lambda-api-stand-in", daemon=True
        )

    @property
    def address(self) -> str:
        """What Lambda puts in ``AWS_LAMBDA_RUNTIME_API``."""
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    def __enter__(self) -> LambdaApiStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- driving it ------------------------------------------------------------------------------

    def wait_ready(self, timeout: float = HANG_GUARD) -> None:
        """Wait until the runtime and every extension are waiting for their next event."""
        with self._changed:
            if not self._changed.wait_for(self._all_waiting, timeout):
                raise TimeoutError(
                    "the runtime or an extension never asked for its next event "
                    f"(runtime waiting: {self._runtime_waiting}, extensions waiting: "
                    f"{len(self._extension_waiting)} of {len(self.extensions)})"
                )

    def invoke(self, *, timeout_ms: int = 3_000) -> InvocationRecord:
        """One invocation, from the event to the freeze; returns what happened and when."""
        self.wait_ready()
        record = InvocationRecord(
            request_id=str(uuid.uuid4()), deadline_ms=int(time.time() * 1000) + timeout_ms
        )
        with self._changed:
            self._current = record
            self.invocations.append(record)
            record.invoked_at = time.monotonic()
            self._runtime_event = record
            self._runtime_waiting = False
            for identifier in self.extensions:
                self._extension_events.setdefault(identifier, []).append(
                    {
                        "eventType": "INVOKE",
                        "deadlineMs": record.deadline_ms,
                        "requestId": record.request_id,
                        "invokedFunctionArn": "arn:aws:lambda:eu-west-2:123456789012:function:chatbot",
                        "tracing": {"type": "X-Amzn-Trace-Id", "value": "Root=1-00000000-0"},
                    }
                )
            self._extension_waiting.clear()
            self._changed.notify_all()
            deadline = time.monotonic() + timeout_ms / 1000
            frozen = self._changed.wait_for(
                lambda: (
                    (record.response_at is not None or record.error is not None)
                    and self._all_waiting()
                ),
                max(deadline - time.monotonic(), 0) + 1.0,
            )
            if not frozen:
                record.late_extensions = [
                    name
                    for identifier, name in self.extensions.items()
                    if identifier not in self._extension_waiting
                ]
                raise TimeoutError(
                    f"invocation {record.request_id} did not complete by its deadline "
                    f"(late extensions: {record.late_extensions})"
                )
            record.frozen_at = time.monotonic()
            record.past_deadline = time.time() * 1000 > record.deadline_ms
            self._current = None
        if self._on_freeze is not None:
            self._on_freeze(record)
        return record

    def finish(self) -> None:
        """No more invocations: the runtime's next ``next`` gets an error, and it stops."""
        with self._changed:
            self._finished = True
            self._changed.notify_all()

    def wait_response(self, record: InvocationRecord, timeout: float) -> bool:
        """Wait until the runtime has posted ``record``'s response (or error)."""
        with self._changed:
            return self._changed.wait_for(
                lambda: record.response_at is not None or record.error is not None, timeout
            )

    def _all_waiting(self) -> bool:
        return self._runtime_waiting and set(self.extensions) <= self._extension_waiting

    # -- the HTTP side ---------------------------------------------------------------------------

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Headers and body are two writes: without this, Nagle's algorithm holds the body
                # back for the client's delayed ACK (40 ms) on a kept-alive connection.
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _reply(
                self, status: int, body: Any = b"", headers: dict[str, str] | None = None
            ) -> None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def do_POST(self) -> None:
                body = self._body()
                if self.path == f"{EXTENSION}/register":
                    self._reply(*api._register(self.headers.get("Lambda-Extension-Name"), body))
                elif self.path.startswith(f"{RUNTIME}/invocation/"):
                    request_id, _, what = self.path.removeprefix(
                        f"{RUNTIME}/invocation/"
                    ).partition("/")
                    self._reply(*api._runtime_result(request_id, what, body))
                elif self.path in (f"{RUNTIME}/init/error", f"{EXTENSION}/init/error"):
                    self._reply(202, {"status": "OK"})
                else:
                    self._reply(404, {"errorMessage": f"no route {self.path}"})

            def do_GET(self) -> None:
                if self.path == f"{EXTENSION}/event/next":
                    self._reply(
                        *api._extension_next(self.headers.get("Lambda-Extension-Identifier"))
                    )
                elif self.path == f"{RUNTIME}/invocation/next":
                    self._reply(*api._runtime_next())
                else:
                    self._reply(404, {"errorMessage": f"no route {self.path}"})

        return Handler

    def _register(self, name: str | None, body: bytes) -> tuple[int, Any, dict[str, str]]:
        events = set(json.loads(body or b"{}").get("events", []))
        with self._changed:
            if not name:
                return 400, {"errorType": "Extension.MissingName", "errorMessage": "no name"}, {}
            if self.init_done:
                self.refused.append((name, 403))
                return (
                    403,
                    {"errorType": "Extension.InvalidPhase", "errorMessage": "Init is over"},
                    {},
                )
            if not events <= {"INVOKE"}:  # in-process: an internal extension
                self.refused.append((name, 400))
                return (
                    400,
                    {
                        "errorType": "Extension.InvalidEvent",
                        "errorMessage": "internal extensions cannot register for SHUTDOWN",
                    },
                    {},
                )
            identifier = str(uuid.uuid4())
            self.extensions[identifier] = name
            self._changed.notify_all()
        return (
            200,
            {"functionName": "chatbot", "functionVersion": "$LATEST", "handler": "app.handler"},
            {"Lambda-Extension-Identifier": identifier},
        )

    def _extension_next(self, identifier: str | None) -> tuple[int, Any, dict[str, str]]:
        with self._changed:
            if identifier not in self.extensions:
                return 403, {"errorType": "Extension.Unknown", "errorMessage": "not registered"}, {}
            self._extension_waiting.add(identifier)
            self._changed.notify_all()
            if not self._changed.wait_for(
                lambda: bool(self._extension_events.get(identifier)), HANG_GUARD * 10
            ):
                return 500, {"errorType": "StandIn.Timeout", "errorMessage": "no event"}, {}
            event = self._extension_events[identifier].pop(0)
        return 200, event, {"Lambda-Extension-Event-Identifier": str(uuid.uuid4())}

    def _runtime_next(self) -> tuple[int, Any, dict[str, str]]:
        with self._changed:
            self.init_done = True
            self._runtime_waiting = True
            self._changed.notify_all()
            if not self._changed.wait_for(
                lambda: self._runtime_event is not None or self._finished, HANG_GUARD * 10
            ):
                return 500, {"errorMessage": "no invocation"}, {}
            if self._runtime_event is None:
                return 500, {"errorMessage": "the stand-in has finished"}, {}
            record = self._runtime_event
            assert record is not None
            self._runtime_event = None
            # Measured here, as the event leaves for the runtime: the stand-in's own threads
            # (the extensions' INVOKE events go out at the same time) are not the function's time.
            record.invoked_at = time.monotonic()
        return (
            200,
            {"question": "Has she used Terraform?"},
            {
                "Lambda-Runtime-Aws-Request-Id": record.request_id,
                "Lambda-Runtime-Deadline-Ms": str(record.deadline_ms),
                "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:eu-west-2:123456789012:function:chatbot",
            },
        )

    def _runtime_result(
        self, request_id: str, what: str, body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        now = time.monotonic()
        with self._changed:
            record = next((r for r in self.invocations if r.request_id == request_id), None)
            if record is None:
                return 400, {"errorMessage": f"unknown invocation {request_id}"}, {}
            if what == "response":
                record.response_at, record.response = now, body
            else:
                record.error = body
            self._changed.notify_all()
        return 202, {"status": "OK"}, {}


@dataclass
class LambdaContext:
    """What the runtime passes as ``context``, as far as the client uses it."""

    aws_request_id: str
    deadline_ms: int

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self.deadline_ms - int(time.time() * 1000))


Handler = Callable[[Any, Any], Any]


class _Connection:
    """One kept-alive HTTP connection to the API, as the real runtime client keeps (curl in
    ``awslambdaric``): no new connection, and no connect() releasing the GIL, per request."""

    def __init__(self, address: str) -> None:
        host, _, port = address.rpartition(":")
        self._connection = http.client.HTTPConnection(host, int(port), timeout=None)

    def request(
        self, method: str, path: str, body: bytes | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        self._connection.request(method, path, body=body)
        response = self._connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()

    def close(self) -> None:
        self._connection.close()


def run_runtime(
    address: str, init: Callable[[], Handler], *, stop: threading.Event | None = None
) -> None:
    """Play the runtime: ``init()`` during Init (returns the handler), then invoke it for ever.

    Runs until ``stop`` is set and one more invocation arrives, or the stand-in finishes or goes
    away. Like ``awslambdaric``, it posts the handler's response as soon as the handler returns.
    """
    handler = init()
    connection = _Connection(address)
    try:
        while stop is None or not stop.is_set():
            try:
                status, headers, body = connection.request("GET", f"{RUNTIME}/invocation/next")
            except (OSError, http.client.HTTPException):
                return
            if status != 200:
                return
            request_id = headers["Lambda-Runtime-Aws-Request-Id"]
            context = LambdaContext(request_id, int(headers["Lambda-Runtime-Deadline-Ms"]))
            try:
                result = handler(json.loads(body), context)
            except Exception as exc:  # reported to the API, as the runtime does
                error = json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)})
                path = f"{RUNTIME}/invocation/{request_id}/error"
                connection.request("POST", path, error.encode())
                continue
            path = f"{RUNTIME}/invocation/{request_id}/response"
            connection.request("POST", path, json.dumps(result).encode())
    finally:
        connection.close()
