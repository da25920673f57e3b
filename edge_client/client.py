"""``EdgeClient``: what the chatbot calls. Fire-and-forget analytics events to SQS FIFO.

``track_query`` / ``track_response`` / ``track_feedback`` do on the caller's thread only what
cannot wait: fill in the request id, read the clock once (the sender makes the timestamp of it),
copy the mutable arguments, append one tuple to the buffer. No validation, no serialization, no redaction, no network I/O, no lock held
across I/O, no exception into the caller. The sender validates each event against the contract
(an invalid one is counted, logged with the field it breaks, and never sent), redacts it and
delivers it:

- **background** mode (servers): a daemon sender thread, started by the first event, batches into
  SendMessageBatch calls and retries; ``flush``/``close`` wait for it with a deadline and an exit
  hook flushes at interpreter exit (:mod:`edge_client.delivery`, :mod:`edge_client.sender`);
- **serverless** mode (chosen automatically inside AWS Lambda): no background thread. The
  invocation's events are delivered after the handler's response, by a Lambda internal extension,
  or else synchronously before the handler returns (:mod:`edge_client.serverless`).

``strict=True`` validates on the caller's thread instead, and raises :class:`InvalidEventError`.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from types import TracebackType
from typing import Any, TypeVar

import boto3
from botocore.config import Config

from analytics_contract import (
    AnyEvent,
    FeedbackEvent,
    InvalidEventError,
    QueryEvent,
    ResponseEvent,
    Tokens,
)
from edge_client import lifecycle
from edge_client.buffer import ACCEPTED_AT, KIND, ClientStats, Item, SharedState
from edge_client.building import build, id_bits
from edge_client.config import Mode, Settings, resolve_mode
from edge_client.delivery import Delivery
from edge_client.failures import ErrorCallback, Reporter
from edge_client.logs import RateLimitedLog, logger
from edge_client.redaction import Redactor
from edge_client.sender import Sender
from edge_client.serverless import ExtensionChoice, Invocation, LambdaContext, Serverless
from edge_client.sqs import SqsTransport, default_config
from edge_client.transport import Transport

Event = AnyEvent
R = TypeVar("R")

#: Environment variables read by :meth:`EdgeClient.from_env`.
ENV_QUEUE_URL = "CV_ANALYTICS_QUEUE_URL"
ENV_DISABLED = "CV_ANALYTICS_DISABLED"
_TRUE = {"1", "true", "yes", "on"}

#: The one clock a tracked call reads: the event's timestamp (unless given) and, on the sender, its
#: age (``edge_client.buffer.accepted_monotonic``). One system clock read, not two.
_time_ns = time.time_ns


def _snapshot(value: Any) -> Any:
    """A copy of a mapping argument, so that the caller may change it after the call."""
    if type(value) is dict:
        return value.copy()
    try:
        return dict(value) if isinstance(value, Mapping) else value
    except Exception:  # noqa: BLE001 - an odd mapping: the contract check will say what is wrong
        return value


class EdgeClient:
    """Sends the chatbot's query, response and feedback events to the analytics queue.

    Create one per process (it is thread-safe) and keep it for the process's life::

        client = EdgeClient(queue_url)
        request_id = client.track_query(session_id=session, query=question)
        ...
        client.track_response(request_id=request_id, match_type="full", match_score=92.0)

    ``queue_url`` with the usual boto3 options (``session``, ``region_name``, ``endpoint_url``,
    ``botocore_config``: merged over the client's own short timeouts and disabled retries);
    or ``transport`` (e.g. :class:`~edge_client.InMemorySink`) instead of a queue; or
    ``disabled=True`` to validate and discard. ``mode``: ``auto`` (serverless inside AWS Lambda,
    background elsewhere), ``background`` or ``serverless``. ``lambda_extension``: in serverless
    mode inside Lambda, deliver after the response through an internal extension when the
    Extensions API accepts one (``False``: always before the handler returns).
    """

    def __init__(
        self,
        queue_url: str | None = None,
        *,
        session: boto3.session.Session | None = None,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        botocore_config: Config | None = None,
        transport: Transport | None = None,
        mode: Mode = "auto",
        disabled: bool = False,
        strict: bool = False,
        redactor: Redactor | None = None,
        on_error: ErrorCallback | None = None,
        settings: Settings | None = None,
        lambda_extension: ExtensionChoice = True,
    ) -> None:
        self.settings = settings or Settings()
        self.mode = resolve_mode(mode)
        self.disabled = disabled
        self.strict = strict
        self.queue_url = queue_url
        if transport is None and not disabled:
            if not queue_url:
                raise ValueError("queue_url is required (or pass transport=..., or disabled=True)")
            config = default_config(
                connect_timeout=self.settings.connect_timeout,
                read_timeout=self.settings.read_timeout,
            )
            if botocore_config is not None:
                config = config.merge(botocore_config)
            transport = SqsTransport(
                queue_url,
                session=session,
                region_name=region_name,
                endpoint_url=endpoint_url,
                config=config,
            )
        self._transport = transport
        self._redactor = redactor
        self._on_error = on_error
        #: Strict mode and a disabled client check the contract on the caller's thread.
        self._check_here = strict or disabled
        self._background = self.mode == "background"
        #: Where a tracked call's item goes: straight to the buffer, or through the contract first.
        self._submit = self._submit_checked if self._check_here else self._offer
        self._init_runtime(closed=False, sessions=None)
        self._serverless = Serverless(
            self,
            self.settings,
            extension=lambda_extension if self.mode == "serverless" and not disabled else False,
        )
        if not disabled:
            lifecycle.register(self)

    def _init_runtime(self, *, closed: bool, sessions: OrderedDict[str, str] | None) -> None:
        """Locks, buffer and sender: built at creation and again in a forked child."""
        self._log = RateLimitedLog(self.settings.log_interval)
        self._state = SharedState(self.settings.max_queue_size, self.settings.batch_size)
        self._state.closed = closed
        self._report = Reporter(self._log, self._on_error)
        self._sender = Sender(
            self._state,
            self._transport if self._transport is not None else _NoTransport(),
            self.settings,
            redactor=self._redactor,
            report=self._report,
            log=self._log,
            sessions=sessions,
        )
        self._delivery = Delivery(self._state, self._sender, self.mode, self._log)

    @classmethod
    def from_env(cls, **options: Any) -> EdgeClient:
        """Queue URL from ``CV_ANALYTICS_QUEUE_URL``; ``CV_ANALYTICS_DISABLED=1`` disables.

        boto3 reads the rest from the environment as usual (``AWS_ENDPOINT_URL``, region,
        credentials). Keyword arguments are passed to the constructor.
        """
        options.setdefault("queue_url", os.environ.get(ENV_QUEUE_URL))
        if os.environ.get(ENV_DISABLED, "").strip().lower() in _TRUE:
            options.setdefault("disabled", True)
        return cls(**options)

    # -- tracking (the caller's thread: cheap, never blocks, never raises unless strict) ----------

    def track_query(
        self,
        *,
        query: str,
        session_id: str,
        request_id: str | None = None,
        timestamp: int | datetime | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> str:
        """Record a question; returns its requestId (generated unless given) for track_response.

        ``timestamp``: epoch milliseconds (or an aware ``datetime``); now when not given.
        """
        if request_id is None:
            request_id = id_bits(128).to_bytes(16, "big").hex()  # building.new_request_id, inline
        if metadata is not None:  # a copy: the caller may change its dict after the call
            metadata = metadata.copy() if type(metadata) is dict else _snapshot(metadata)
        item = (
            "query",
            _time_ns(),
            query,
            session_id,
            request_id,
            timestamp,
            metadata,
        )
        self._submit(item)
        return request_id

    def track_response(
        self,
        *,
        request_id: str,
        match_type: str,
        match_score: float,
        session_id: str | None = None,
        timestamp: int | datetime | None = None,
        reasoning: str | None = None,
        response: str | None = None,
        processing_time_ms: float | None = None,
        tokens: Tokens | Mapping[str, int] | None = None,
        model: str | None = None,
        variant: str | None = None,
        error: str | None = None,
    ) -> str:
        """Record the answer to a question (or its failure: set ``error``); returns the requestId.

        ``variant``: the prompt version or A/B arm that produced the answer. Without
        ``session_id`` the response joins the session its query was tracked with in this process
        (for FIFO ordering, and filled into the event), or else its own message group.
        """
        if tokens is not None:
            tokens = tokens.copy() if type(tokens) is dict else _snapshot(tokens)
        item = (
            "response",
            _time_ns(),
            request_id,
            match_type,
            match_score,
            session_id,
            timestamp,
            reasoning,
            response,
            processing_time_ms,
            tokens,
            model,
            variant,
            error,
        )
        self._submit(item)
        return request_id

    def track_feedback(
        self,
        request_id: str,
        *,
        thumbs: str | None = None,
        rating: int | None = None,
        comment: str | None = None,
        session_id: str | None = None,
        timestamp: int | datetime | None = None,
    ) -> str:
        """Record what the visitor thought of an answer: ``thumbs`` ("up"/"down") or a 1-5
        ``rating`` (exactly one), and an optional ``comment`` (shortened to the contract's limit,
        redacted like the other free text). Joins its question's session like a response does.
        """
        item = (
            "feedback",
            _time_ns(),
            request_id,
            thumbs,
            rating,
            comment,
            session_id,
            timestamp,
        )
        self._submit(item)
        return request_id

    def track(self, event: Event) -> str:
        """Record an event already built with the contract's models; returns its requestId."""
        if not isinstance(event, QueryEvent | ResponseEvent | FeedbackEvent):
            self._invalid("", TypeError(f"expected a contract event, got {type(event).__name__}"))
            return ""
        if not self.disabled:
            self._offer(("event", _time_ns(), event))
        return event.request_id

    def _submit_checked(self, item: Item) -> None:
        """Strict mode and a disabled client: the contract is checked on the caller's thread."""
        try:
            event = build(item)
        except Exception as exc:  # noqa: BLE001 - bad input is reported, raised only if strict
            self._invalid(item[KIND], exc)
            return
        if not self.disabled:
            self._offer(("event", item[ACCEPTED_AT], event))

    def _invalid(self, kind: str, exc: Exception) -> None:
        self._state.count_invalid()
        reason = self._report.invalid_logged(kind, exc)
        if self.strict:
            if isinstance(exc, InvalidEventError):
                raise exc
            raise InvalidEventError(reason) from exc

    def _offer(self, item: Item) -> None:
        try:
            refused = self._state.offer(item)
            if refused is None:
                if self._background and not self._sender.running:
                    self._delivery.start_sender(from_track=True)
            elif refused == "full":
                self._log.warning(
                    "dropped-full",
                    "edge_client: buffer full (%d events pending): event dropped",
                    self.settings.max_queue_size,
                )
            else:
                self._log.warning("dropped-closed", "edge_client: client closed: event dropped")
        except Exception:  # noqa: BLE001 - never into the chatbot
            logger.exception("edge_client: could not enqueue an event")

    # -- delivery control --------------------------------------------------------------------------

    def flush(self, timeout: float | None = None) -> bool:
        """Deliver every event tracked before this call, waiting at most ``timeout`` seconds.

        True when all of them were accepted by SQS (or found invalid, and logged) and no event was
        given up since the previous flush. False when the deadline came first (the events stay
        buffered and keep being retried) or some event was given up; see :meth:`stats`. Never
        hangs, whatever the state of the endpoint or of the sender thread.
        """
        if self.disabled:
            return True
        timeout = self.settings.flush_timeout if timeout is None else timeout
        return self._delivery.flush_until(time.monotonic() + max(timeout, 0.0))

    def close(self, timeout: float | None = None) -> bool:
        """Flush (at most ``timeout`` seconds), stop the sender, refuse further events.

        Returns True when everything was delivered; events still pending are given up, counted as
        failed and reported to ``on_error``. Idempotent.
        """
        timeout = self.settings.flush_timeout if timeout is None else timeout
        return self._close(timeout, when="close")

    def _close(self, timeout: float, *, when: str) -> bool:
        if self.disabled:
            return True
        self._serverless.stop()
        delivered = self._delivery.close(time.monotonic() + max(timeout, 0.0), when=when)
        lifecycle.unregister(self)
        return delivered

    @property
    def exit_timeout(self) -> float:
        return self.settings.exit_timeout

    def _close_at_exit(self, deadline: float) -> None:
        timeout = min(self.settings.exit_timeout, deadline - time.monotonic())
        self._close(timeout, when="exit")

    def _reset_after_fork(self) -> None:
        self._init_runtime(closed=self._state.closed, sessions=OrderedDict(self._sender.sessions))
        self._serverless.reset_after_fork()
        if self._transport is not None:
            self._transport.reset_after_fork()

    def stats(self) -> ClientStats:
        return self._state.snapshot()

    def __enter__(self) -> EdgeClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    async def aflush(self, timeout: float | None = None) -> bool:
        """:meth:`flush` for an event loop: waits in a worker thread, not on the loop."""
        return await asyncio.to_thread(self.flush, timeout)

    async def aclose(self, timeout: float | None = None) -> bool:
        return await asyncio.to_thread(self.close, timeout)

    # -- serverless ------------------------------------------------------------------------------

    def invocation(
        self, context: LambdaContext | None = None, *, timeout: float | None = None
    ) -> AbstractContextManager[Invocation]:
        """Deliver the events tracked in the block when it ends (Lambda's ``waitUntil``).

        After the response through the Lambda extension when there is one (``delivered`` stays
        None), else before leaving the block, within ``timeout`` (default
        ``serverless_flush_timeout``) and ``lambda_deadline_margin`` before the invocation's own
        deadline. What is not delivered in time stays buffered for the next invocation.
        """
        return self._serverless.invocation(context, timeout=timeout)

    def lambda_handler(self, handler: Callable[[Any, Any], R]) -> Callable[[Any, Any], R]:
        """Decorator for a Lambda handler ``(event, context)``: its events are delivered after
        the response (Lambda extension) or before it returns (fallback)."""
        return self._serverless.wrap(handler)

    @property
    def lambda_extension_active(self) -> bool:
        """Whether this client delivers after the response, through a Lambda internal extension."""
        return self._serverless.extension_active


class _NoTransport:
    """The transport of a disabled client: never used, since nothing is ever enqueued."""

    def send_batch(self, messages: Any) -> Any:  # pragma: no cover
        raise RuntimeError("a disabled client sends nothing")

    def reset_after_fork(self) -> None:
        pass
