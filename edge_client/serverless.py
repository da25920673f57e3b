"""Serverless mode (AWS Lambda): no background thread; delivery when each invocation ends.

A sender thread would be frozen with the execution environment between invocations, possibly in
the middle of a request. Instead, ``EdgeClient.lambda_handler`` (or ``invocation()``) marks where an
invocation ends, and its events are delivered:

- **after the response**, by the client's Lambda internal extension
  (:mod:`edge_client.lambda_extension`) when the Extensions API accepted it: the handler returns at
  once and the environment stays up until the events are sent (or the deadline passes);
- **before the handler returns**, synchronously, where extensions are not available (no
  ``AWS_LAMBDA_RUNTIME_API``, a client created after Init, registration refused), as
  Cloudflare's ``ctx.waitUntil`` would.

Either way the delivery takes at most ``serverless_flush_timeout`` and ends
``lambda_deadline_margin`` before the function's own deadline; what misses it stays buffered for
the next invocation of the same execution environment.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from edge_client.config import Settings
from edge_client.lambda_extension import Handover, LambdaExtension, RegistrationRefused
from edge_client.logs import logger

R = TypeVar("R")
#: ``lambda_extension=``: deliver after the response through an extension when one can register.
ExtensionChoice = bool


class LambdaContext(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


class _Client(Protocol):
    def flush(self, timeout: float | None = None) -> bool: ...

    def stats(self) -> Any: ...


@dataclass
class Invocation:
    """Outcome of :meth:`EdgeClient.invocation`, filled in when the block ends.

    ``delivered``: whether the events were delivered before the block ended; None when they are
    delivered after the response, by the Lambda extension (``after_response``).
    """

    delivered: bool | None = None
    after_response: bool = False


class Serverless:
    def __init__(self, client: _Client, settings: Settings, *, extension: ExtensionChoice) -> None:
        self._client = client
        self._settings = settings
        self._handover = Handover()
        self._extension: LambdaExtension | None = None
        if extension:
            try:
                self._extension = LambdaExtension.register(
                    deliver=self._deliver_after_response,
                    deadline_margin=settings.lambda_deadline_margin,
                    handover=self._handover,
                )
            except RegistrationRefused as exc:
                logger.debug("edge_client: no Lambda extension (%s)", exc)

    @property
    def extension_active(self) -> bool:
        return self._extension is not None and self._extension.alive

    def stop(self) -> None:
        """At close: the extension (blocked in the API, a daemon thread) has nothing left to do."""
        self._handover.armed = False

    def reset_after_fork(self) -> None:
        self._extension = None  # its thread stayed in the parent

    # -- the handler's side ----------------------------------------------------------------------

    def wrap(self, handler: Callable[[Any, Any], R]) -> Callable[[Any, Any], R]:
        # Decorated at import, during Init: the extension knows before the first invocation that
        # it must wait for each one to end.
        self._handover.armed = True

        @functools.wraps(handler)
        def wrapper(event: Any, context: Any) -> R:
            with self.invocation(context):
                return handler(event, context)

        return wrapper

    @contextmanager
    def invocation(
        self, context: LambdaContext | None = None, *, timeout: float | None = None
    ) -> Iterator[Invocation]:
        outcome = Invocation()
        if self._extension is not None:
            self._handover.armed = True
        try:
            yield outcome
        finally:
            if self.extension_active and self._handover.end(
                getattr(context, "aws_request_id", None)
            ):
                outcome.after_response = True
            else:
                outcome.delivered = self._flush_now(context, timeout)

    def _flush_now(self, context: LambdaContext | None, timeout: float | None) -> bool:
        budget = self._settings.serverless_flush_timeout if timeout is None else timeout
        if context is not None:
            try:
                remaining = context.get_remaining_time_in_millis() / 1000
            except Exception:  # noqa: BLE001 - a stand-in context; use the budget alone
                remaining = budget
            budget = min(budget, remaining - self._settings.lambda_deadline_margin)
        if budget <= 0:
            logger.warning(
                "edge_client: no time left in this invocation; %d events wait for the next",
                self._client.stats().pending,
            )
            return False
        return self._client.flush(budget)

    # -- the extension's side --------------------------------------------------------------------

    def _deliver_after_response(self, deadline: float) -> bool:
        """Called on the extension thread once the handler has returned."""
        budget = min(self._settings.serverless_flush_timeout, deadline - time.monotonic())
        if budget <= 0:
            return False
        return self._client.flush(budget)
