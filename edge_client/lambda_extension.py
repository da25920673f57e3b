"""A Lambda internal extension: deliver the invocation's events after the response is returned.

Inside AWS Lambda the execution environment keeps running after the runtime has posted the
function's response, until every registered extension has asked for its next event
(``GET /2020-01-01/extension/event/next``); only then may it freeze. An *internal* extension is a
thread of the function's own process that registers with the Extensions API
(``POST /2020-01-01/extension/register``, header ``Lambda-Extension-Name``, events ``INVOKE``:
internal extensions cannot register for ``SHUTDOWN``). So the client's extension thread, given an
``INVOKE`` event, waits for the handler to finish (the :class:`Handover` from
``EdgeClient.invocation``), delivers what the invocation tracked, then asks for its next event:
the caller has its response while the events are being sent, and they are sent before the
environment freezes.

Registration is allowed only during the Init phase, which ends when the runtime asks for its first
invocation: the client registers when it is created, and a client created at import time in the
function's module (the usual place: once per execution environment) is created during Init. A
client created later, or outside Lambda, gets a refusal (or no ``AWS_LAMBDA_RUNTIME_API`` at all)
and falls back to delivering before the handler returns.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from edge_client.logs import logger

#: Set by Lambda in every execution environment: ``host:port`` of the Runtime and Extensions APIs.
RUNTIME_API_ENV = "AWS_LAMBDA_RUNTIME_API"
EXTENSION_NAME = "cv-analytics-edge-client"
EXTENSIONS_API = "/2020-01-01/extension"
#: Registration is one loopback request during Init; it must not slow a cold start for long.
REGISTER_TIMEOUT_SECONDS = 1.0
#: How long the extension lets the response go out before it starts delivering (bench/edge_lambda
#: measures the effect); the environment stays up this much longer per invocation.
RESPONSE_HEAD_START_SECONDS = 0.002
_names = itertools.count(1)


class RegistrationRefused(Exception):  # noqa: N818 - an answer, not a bug
    """The Extensions API is not there, or refused the registration (e.g. after Init)."""


@dataclass(frozen=True, slots=True)
class InvokeEvent:
    request_id: str
    deadline_ms: int  # epoch milliseconds


class ExtensionsApi:
    """The two calls of the Extensions API an internal extension needs (stdlib ``http.client``)."""

    def __init__(self, address: str) -> None:
        host, _, port = address.rpartition(":")
        self._host = host or address
        self._port = int(port) if host and port.isdigit() else None

    def _request(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        body: bytes | None,
        timeout: float | None,
    ) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection(self._host, self._port, timeout=timeout)
        try:
            connection.request(method, EXTENSIONS_API + path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def register(self, name: str) -> str:
        """Register for INVOKE events; returns the extension identifier."""
        try:
            status, headers, body = self._request(
                "POST",
                "/register",
                {"Lambda-Extension-Name": name, "Content-Type": "application/json"},
                json.dumps({"events": ["INVOKE"]}).encode(),
                REGISTER_TIMEOUT_SECONDS,
            )
        except (OSError, http.client.HTTPException) as exc:
            raise RegistrationRefused(f"Extensions API unreachable: {exc}") from exc
        identifier = {key.lower(): value for key, value in headers.items()}.get(
            "lambda-extension-identifier"
        )
        if status != 200 or not identifier:
            raise RegistrationRefused(f"HTTP {status}: {body[:200]!r}")
        return identifier

    def next_event(self, identifier: str) -> dict[str, Any]:
        """Block until the next lifecycle event (no timeout: the environment may freeze here)."""
        status, _headers, body = self._request(
            "GET", "/event/next", {"Lambda-Extension-Identifier": identifier}, None, None
        )
        if status != 200:
            raise RuntimeError(f"event/next answered HTTP {status}: {body[:200]!r}")
        event: dict[str, Any] = json.loads(body)
        return event


class Handover:
    """Between the handler's thread (which ends invocations) and the extension thread.

    Invocations run one at a time in an execution environment, but the extension receives its
    INVOKE event concurrently with the runtime: the handler may end before or after the extension
    has seen the invocation. Both orders meet here, by Lambda request id.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        #: A handler wrapped by the client exists: the extension waits for invocations to end.
        self.armed = False
        self._waiting: str | None = None  # the invocation the extension waits for
        self._skipped: str | None = None  # the last invocation it did not wait for (not armed)
        self._ended: set[str] = set()  # invocations that ended before the extension saw them

    # -- the extension thread --------------------------------------------------------------------

    def begin(self, request_id: str) -> bool:
        """An INVOKE arrived: whether to wait for its end (False: the client does not wrap it)."""
        with self._changed:
            if not self.armed:
                self._skipped = request_id
                return False
            self._waiting = request_id
            return True

    def wait_end(self, request_id: str, deadline: float) -> bool:
        """Wait until the invocation ended, at most until ``deadline`` (time.monotonic())."""
        with self._changed:
            try:
                while request_id not in self._ended:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return False
                    self._changed.wait(remaining)
                return True
            finally:
                self._ended.discard(request_id)
                self._waiting = None

    # -- the handler's thread --------------------------------------------------------------------

    def end(self, request_id: str | None) -> bool:
        """The wrapped invocation ended: True when the extension delivers its events."""
        with self._changed:
            if request_id is None:
                request_id = self._waiting  # no context given: the invocation in progress
                if request_id is None:
                    return False
            if request_id == self._skipped:
                return False
            self._ended.add(request_id)
            if len(self._ended) > 64:  # invocations the extension never saw (a bug elsewhere)
                self._ended.discard(next(iter(self._ended)))
            self._changed.notify_all()
            return True


class LambdaExtension:
    """The extension thread: registered at creation, then one loop per INVOKE event."""

    def __init__(
        self,
        api: ExtensionsApi,
        identifier: str,
        *,
        deliver: Callable[[float], bool],
        deadline_margin: float,
        handover: Handover,
    ) -> None:
        self._api = api
        self._identifier = identifier
        self._deliver = deliver
        self._margin = deadline_margin
        self.handover = handover
        self.alive = True
        self.last_delivered: bool | None = None
        self._thread = threading.Thread(
            target=self._run, name="edge-client-lambda-extension", daemon=True
        )
        self._thread.start()

    @classmethod
    def register(
        cls,
        *,
        deliver: Callable[[float], bool],
        deadline_margin: float,
        handover: Handover,
        address: str | None = None,
    ) -> LambdaExtension:
        """Register with the Extensions API and start the thread; raises RegistrationRefused."""
        address = address or os.environ.get(RUNTIME_API_ENV)
        if not address:
            raise RegistrationRefused(f"{RUNTIME_API_ENV} is not set (not inside AWS Lambda)")
        api = ExtensionsApi(address)
        number = next(_names)
        identifier = api.register(EXTENSION_NAME if number == 1 else f"{EXTENSION_NAME}-{number}")
        return cls(
            api, identifier, deliver=deliver, deadline_margin=deadline_margin, handover=handover
        )

    def _run(self) -> None:
        try:
            while True:
                # Asking for the next event also says "done with the previous invocation": from
                # here on the environment may freeze until the next one.
                event = self._api.next_event(self._identifier)
                if event.get("eventType") != "INVOKE":
                    continue
                invoke = InvokeEvent(str(event.get("requestId", "")), int(event["deadlineMs"]))
                self._after_invocation(invoke)
        except Exception:  # noqa: BLE001 - fall back to delivering before the handler returns
            logger.exception(
                "edge_client: the Lambda extension stopped; events are now delivered before the "
                "handler returns"
            )
        finally:
            self.alive = False

    def _after_invocation(self, invoke: InvokeEvent) -> None:
        if not self.handover.begin(invoke.request_id):
            return
        # The function's own deadline bounds the whole invocation, the time after the response
        # included: keep the margin before it.
        until_deadline = invoke.deadline_ms / 1000 - time.time() - self._margin
        deadline = time.monotonic() + until_deadline
        if not self.handover.wait_end(invoke.request_id, deadline):
            logger.warning(
                "edge_client: invocation %s did not end through the client before its deadline",
                invoke.request_id,
            )
        # Give the response a head start: the runtime holds the GIL until its response is on the
        # socket, but the Runtime API must still be scheduled to pass it on, and the delivery below
        # is a burst of CPU (validation, redaction, botocore) on what may be a fraction of a vCPU.
        time.sleep(RESPONSE_HEAD_START_SECONDS)
        self.last_delivered = self._deliver(deadline)
