"""``EdgeClient``: what the chatbot calls. Fire-and-forget analytics events to SQS FIFO.

``track_query`` / ``track_response`` validate, append to an in-memory buffer and return: no network
I/O, no lock held across I/O, no exception into the caller (unless ``strict=True`` and the input
breaks the contract). Delivery happens elsewhere:

- **background** mode (servers): a daemon sender thread, started by the first event, batches into
  SendMessageBatch calls and retries; ``flush``/``close`` wait for it with a deadline and an exit
  hook flushes at interpreter exit.
- **serverless** mode (chosen automatically inside AWS Lambda): there is no thread, which the
  runtime would freeze between invocations, possibly in the middle of a request. Events are sent
  synchronously, with a deadline, when the invocation ends (``lambda_handler`` / ``invocation``),
  the equivalent of Cloudflare's ``ctx.waitUntil``.
"""

from __future__ import annotations

import asyncio
import functools
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, TypeVar

import boto3
from botocore.config import Config

from analytics_contract import AnyEvent, InvalidEventError, QueryEvent, ResponseEvent, Tokens
from edge_client import lifecycle
from edge_client.buffer import ClientStats, SharedState
from edge_client.building import build_query, build_response, new_request_id
from edge_client.config import Mode, Settings, resolve_mode
from edge_client.logs import RateLimitedLog, logger
from edge_client.redaction import Redactor
from edge_client.sender import ErrorCallback, Sender
from edge_client.sqs import SqsTransport, default_config
from edge_client.transport import Transport

Event = AnyEvent
R = TypeVar("R")

#: The clock that spaces out restarts of a dead sender from track_* (a seam for tests).
_restart_clock = time.monotonic

#: Environment variables read by :meth:`EdgeClient.from_env`.
ENV_QUEUE_URL = "CV_ANALYTICS_QUEUE_URL"
ENV_DISABLED = "CV_ANALYTICS_DISABLED"
_TRUE = {"1", "true", "yes", "on"}


class LambdaContext(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


@dataclass
class Invocation:
    """Outcome of :meth:`EdgeClient.invocation`, filled in when the block ends."""

    delivered: bool | None = None


class EdgeClient:
    """Sends the chatbot's query and response events to the analytics queue.

    Create one per process (it is thread-safe) and keep it for the process's life::

        client = EdgeClient(queue_url)
        request_id = client.track_query(session_id=session, query=question)
        ...
        client.track_response(request_id=request_id, match_type="full", match_score=92.0)

    ``queue_url`` with the usual boto3 options (``session``, ``region_name``, ``endpoint_url``,
    ``botocore_config``: merged over the client's own short timeouts and disabled retries);
    or ``transport`` (e.g. :class:`~edge_client.InMemorySink`) instead of a queue; or
    ``disabled=True`` to validate and discard. ``mode``: ``auto`` (serverless inside AWS Lambda,
    background elsewhere), ``background`` or ``serverless``.
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
        self._init_runtime(closed=False, sessions=None)
        if not disabled:
            lifecycle.register(self)

    def _init_runtime(self, *, closed: bool, sessions: OrderedDict[str, str] | None) -> None:
        """Locks, buffer and sender: built at creation and again in a forked child."""
        self._log = RateLimitedLog(self.settings.log_interval)
        self._state = SharedState(self.settings.max_queue_size, self.settings.batch_size)
        self._state.closed = closed
        self._sender = Sender(
            self._state,
            self._transport if self._transport is not None else _NoTransport(),
            self.settings,
            redactor=self._redactor,
            on_error=self._on_error,
            log=self._log,
            sessions=sessions,
        )
        self._start_lock = threading.Lock()
        self._next_start = 0.0  # time.monotonic() before which track_* does not restart it
        self._close_lock = threading.Lock()
        self._close_result: bool | None = None
        self._failed_reported = 0  # the failed counter as the last flush saw it

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

    # -- tracking (the caller's thread: cheap, never blocks, never raises) -------------------------

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
        request_id = request_id if request_id is not None else new_request_id()
        try:
            event = build_query(
                query=query,
                session_id=session_id,
                request_id=request_id,
                timestamp=timestamp,
                metadata=metadata,
            )
        except Exception as exc:  # noqa: BLE001 - bad input is reported, never raised by default
            self._invalid("query", exc)
            return request_id
        self._accept(event)
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
        error: str | None = None,
    ) -> str:
        """Record the answer to a question (or its failure: set ``error``); returns the requestId.

        Without ``session_id`` the response joins the session its query was tracked with in this
        process (for FIFO ordering, and filled into the event), or else its own message group.
        """
        try:
            event = build_response(
                request_id=request_id,
                match_type=match_type,
                match_score=match_score,
                session_id=session_id,
                timestamp=timestamp,
                reasoning=reasoning,
                response=response,
                processing_time_ms=processing_time_ms,
                tokens=tokens,
                model=model,
                error=error,
            )
        except Exception as exc:  # noqa: BLE001 - bad input is reported, never raised by default
            self._invalid("response", exc)
            return request_id
        self._accept(event)
        return request_id

    def track(self, event: Event) -> str:
        """Record an event already built with the contract's models; returns its requestId."""
        if not isinstance(event, QueryEvent | ResponseEvent):
            self._invalid("", TypeError(f"expected a contract event, got {type(event).__name__}"))
            return ""
        self._accept(event)
        return event.request_id

    def _invalid(self, kind: str, exc: Exception) -> None:
        reason = (
            exc.reason if isinstance(exc, InvalidEventError) else f"{type(exc).__name__}: {exc}"
        )
        self._state.count_invalid()
        self._log.warning(
            "invalid", "edge_client: invalid %s event not tracked: %s", kind or "an", reason
        )
        if self.strict:
            if isinstance(exc, InvalidEventError):
                raise exc
            raise InvalidEventError(reason) from exc

    def _accept(self, event: Event) -> None:
        if self.disabled:
            return
        try:
            refused = self._state.offer(
                # What the contract's to_json() does, minus decoding to str (the sender does it).
                event.__pydantic_serializer__.to_json(event, by_alias=True, exclude_none=True),
                event_type=event.event_type,
                request_id=event.request_id,
                session_id=event.session_id,
                truncated=bool(event.truncated_fields),
            )
            if refused == "full":
                self._log.warning(
                    "dropped-full",
                    "edge_client: buffer full (%d events pending): event dropped",
                    self.settings.max_queue_size,
                )
            elif refused == "closed":
                self._log.warning("dropped-closed", "edge_client: client closed: event dropped")
            elif self.mode == "background" and not self._sender.alive():
                self._start_sender(from_track=True)
        except Exception:  # noqa: BLE001 - never into the chatbot
            logger.exception("edge_client: could not enqueue an event")

    # -- delivery control --------------------------------------------------------------------------

    def _start_sender(self, *, from_track: bool = False) -> bool:
        """Make sure the background thread runs; False when there can be none (serverless, exit).

        From ``track_*`` it never waits (another thread may be starting it) and restarts a sender
        that died at most once a second: a crashing sender must not cost every call a new thread.
        """
        if self.mode != "background":
            return False
        if not self._start_lock.acquire(blocking=not from_track):
            return self._sender.alive()
        try:
            if self._sender.alive():
                return True
            now = _restart_clock()
            if from_track and now < self._next_start:
                return False
            self._next_start = now + 1.0
            try:
                self._sender.start()
            except RuntimeError as exc:  # "can't create new thread at interpreter shutdown"
                self._log.warning("no-thread", "edge_client: no sender thread (%s)", exc)
                return False
            return self._sender.alive()
        finally:
            self._start_lock.release()

    def flush(self, timeout: float | None = None) -> bool:
        """Deliver every event tracked before this call, waiting at most ``timeout`` seconds.

        True when all of them were accepted by SQS and no event was given up since the previous
        flush. False when the deadline came first (the events stay buffered and keep being
        retried) or some event was given up; see :meth:`stats`. Never hangs, whatever the state of
        the endpoint or of the sender thread.
        """
        if self.disabled:
            return True
        timeout = self.settings.flush_timeout if timeout is None else timeout
        return self._flush_until(time.monotonic() + max(timeout, 0.0))

    def _flush_until(self, deadline: float) -> bool:
        state = self._state
        with state.lock:
            target = state.next_seq
            state.urgent += 1
        try:
            state.wake.set()
            resolved = self._wait_resolved(target, deadline)
        finally:
            with state.lock:
                state.urgent -= 1
                failed_now = state.failed
        clean = failed_now == self._failed_reported
        self._failed_reported = failed_now
        return resolved and clean

    def _wait_resolved(self, target: int, deadline: float) -> bool:
        state = self._state
        restarted = False
        while True:
            with state.lock:
                if state.low_water() >= target:
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                if self._sender.alive():
                    # Wake up now and then to notice a sender that died meanwhile.
                    state.resolved.wait(min(remaining, 0.25))
                    continue
            # No sender thread: start one (once), else deliver on this thread (serverless mode, a
            # sender that keeps dying, an interpreter too far into its exit to start threads).
            if not restarted and self._start_sender():
                restarted = True
                continue
            self._sender.drain(deadline)

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
        deadline = time.monotonic() + max(timeout, 0.0)
        with self._close_lock:
            if self._close_result is not None:
                return self._close_result
            state = self._state
            with state.lock:
                state.closed = True
            delivered = self._flush_until(deadline)
            with state.lock:
                state.stopping = True
                state.abandon = state.pending > 0
                pending = state.pending
            state.wake.set()
            if self._sender.alive():
                self._sender.join(deadline - time.monotonic())
            else:
                self._sender.abandon("closed")
            if pending:
                logger.warning(
                    "edge_client: %d events not delivered at %s (SQS unreachable or too slow)",
                    pending,
                    when,
                )
            self._close_result = delivered
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

    @contextmanager
    def invocation(
        self, context: LambdaContext | None = None, *, timeout: float | None = None
    ) -> Iterator[Invocation]:
        """Deliver the events tracked in the block before leaving it (Lambda's ``waitUntil``).

        The flush takes at most ``timeout`` (default ``serverless_flush_timeout``) and, given the
        Lambda ``context``, ends ``lambda_deadline_margin`` before the invocation's own deadline.
        What is not delivered in time stays buffered for the next invocation.
        """
        outcome = Invocation()
        try:
            yield outcome
        finally:
            outcome.delivered = self._flush_invocation(context, timeout)

    def _flush_invocation(self, context: LambdaContext | None, timeout: float | None) -> bool:
        budget = self.settings.serverless_flush_timeout if timeout is None else timeout
        if context is not None:
            try:
                remaining = context.get_remaining_time_in_millis() / 1000
            except Exception:  # noqa: BLE001 - a stand-in context; use the budget alone
                remaining = budget
            budget = min(budget, remaining - self.settings.lambda_deadline_margin)
        if budget <= 0:
            self._log.warning(
                "no-time",
                "edge_client: no time left in this invocation; %d events wait for the next",
                self._state.pending,
            )
            return False
        return self.flush(budget)

    def lambda_handler(self, handler: Callable[[Any, Any], R]) -> Callable[[Any, Any], R]:
        """Decorator for a Lambda handler ``(event, context)``: flush before returning."""

        @functools.wraps(handler)
        def wrapper(event: Any, context: Any) -> R:
            with self.invocation(context):
                return handler(event, context)

        return wrapper


class _NoTransport:
    """The transport of a disabled client: never used, since nothing is ever enqueued."""

    def send_batch(self, messages: Any) -> Any:  # pragma: no cover
        raise RuntimeError("a disabled client sends nothing")

    def reset_after_fork(self) -> None:
        pass
