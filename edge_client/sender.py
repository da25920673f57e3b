"""The delivery engine: batches buffered events into SendMessageBatch calls and retries failures.

It runs either on its own daemon thread (background mode) or, for a bounded time, on the thread
that calls ``flush()`` (serverless mode, and the fallback when no thread can be started). Exactly
one thread drives it at a time; that thread owns everything here except :class:`SharedState`.

Order: events are sent in the order they were tracked, and SQS enqueues a batch in its order. An
entry waiting to be retried holds back the later entries of its message group (its session) until
it is sent or given up, so a session's events reach the queue in order across retries. (One case
is beyond any client: SQS refusing an entry for a transient reason while accepting a later entry
of the same session in the same call. The processor accepts events in any order.)

Duplicates: retries reuse the entry's deduplication id, and an event is never attempted after
``give_up_after`` (inside SQS's 5-minute deduplication window), so an ambiguous failure (a
timeout after SQS accepted the batch) never produces a duplicate.

Backoff: a failed request (throttled, server error, connection trouble) pauses all sending for an
exponentially growing, jittered delay; a batch that partly failed delays only the failed entries.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from analytics_contract import AnyEvent, parse_event_json
from edge_client.buffer import Item, SharedState
from edge_client.config import MAX_BATCH_BYTES, Settings
from edge_client.logs import RateLimitedLog, logger
from edge_client.redaction import Redactor
from edge_client.transport import OutgoingMessage, Transport, TransportError
from edge_client.wire import (
    OversizeError,
    body_size,
    conform,
    deduplication_id,
    group_id,
    serialize,
    sqs_safe,
)

Event = AnyEvent

#: Events prepared (redacted, serialized, sized) per step of the sender.
PREPARE_CHUNK = 50


@dataclass(frozen=True, slots=True)
class DeliveryFailure:
    """Events the client gave up on, passed to ``on_error``.

    ``reason``: ``rejected`` (SQS refused them for good), ``expired`` (not delivered within
    ``give_up_after``), ``closed`` (still pending when ``close()`` or the exit hook ran out of
    time), ``redaction_failed`` (the redactor raised: sent nowhere), ``oversize`` (could not be
    brought under the message size limit) or ``error`` (an unexpected exception).
    """

    reason: str
    code: str | None
    message: str
    request_ids: tuple[str, ...]
    #: The messages as they would have been sent (redacted). Empty for ``redaction_failed``:
    #: unredacted text is never handed on, not even to the application's callback.
    bodies: tuple[str, ...]

    @property
    def events(self) -> list[Event]:
        return [parse_event_json(body) for body in self.bodies]


ErrorCallback = Callable[[DeliveryFailure], None]


@dataclass(slots=True)
class _Entry:
    seq: int
    request_id: str
    body: str
    size: int
    group_id: str
    deduplication_id: str
    accepted_at: float
    deadline: float
    attempts: int = 0
    not_before: float = 0.0
    last_error: str | None = None


def backoff_delay(attempt: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with "equal jitter": half the step fixed, half random."""
    step = min(cap, base * float(2 ** min(max(attempt - 1, 0), 30)))
    return step / 2 + rng.uniform(0, step / 2)


class Sender:
    def __init__(
        self,
        state: SharedState,
        transport: Transport,
        settings: Settings,
        *,
        redactor: Redactor | None,
        on_error: ErrorCallback | None,
        log: RateLimitedLog,
        sessions: OrderedDict[str, str] | None = None,
    ) -> None:
        self._state = state
        self._transport = transport
        self._settings = settings
        self._redactor = redactor
        self._on_error = on_error
        self._log = log
        #: Taken from the buffer, not yet prepared (prepared a few at a time: see _intake).
        self._incoming: deque[Item] = deque()
        #: Prepared, waiting to be sent or retried; ordered by sequence number.
        self._outbox: dict[int, _Entry] = {}
        #: requestId -> sessionId of recent queries (only the driving thread touches it).
        self._sessions: OrderedDict[str, str] = sessions if sessions is not None else OrderedDict()
        self._backoff_until = 0.0
        self._request_failures = 0
        self._rng = random.Random()
        self._drive = threading.Lock()
        self._thread: threading.Thread | None = None
        self._running = False

    @property
    def sessions(self) -> OrderedDict[str, str]:
        return self._sessions

    # -- background thread -----------------------------------------------------------------------

    def start(self) -> None:
        """Start the background thread (raises RuntimeError when the interpreter is exiting)."""
        thread = threading.Thread(target=self._run, name="edge-client-sender", daemon=True)
        self._running = True
        try:
            thread.start()
        except BaseException:
            self._running = False
            raise
        self._thread = thread

    def alive(self) -> bool:
        """Whether the background thread runs (a flag: checked on every track_* call)."""
        return self._running

    def join(self, timeout: float) -> bool:
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(max(timeout, 0.0))
        return not (thread is not None and thread.is_alive())

    def _run(self) -> None:
        try:
            with self._drive:
                while self._cycle(deadline=None):
                    pass
        except Exception:  # noqa: BLE001 - a bug must not take the chatbot down
            logger.exception("edge_client sender crashed; it restarts on the next event")
        finally:
            self._running = False

    # -- inline (serverless, or no thread available) -----------------------------------------------

    def drain(self, deadline: float) -> None:
        """Deliver on the calling thread until nothing is pending or ``deadline`` has passed.

        A request already started when the deadline passes runs to its end, which the socket
        timeouts bound (``connect_timeout + read_timeout``).
        """
        if not self._drive.acquire(timeout=max(deadline - time.monotonic(), 0.0)):
            return
        try:
            while self._cycle(deadline=deadline):
                pass
        finally:
            self._drive.release()

    def abandon(self, reason: str) -> bool:
        """Give up everything pending now, unless another thread drives (then it will, itself)."""
        if not self._drive.acquire(blocking=False):
            return False
        try:
            self._intake()
            self._abandon_all(reason)
        finally:
            self._drive.release()
        return True

    # -- the engine ------------------------------------------------------------------------------

    def _cycle(self, *, deadline: float | None) -> bool:
        """One step: take new events, expire old ones, send a batch or wait. False: stop."""
        state = self._state
        inline = deadline is not None
        self._intake()
        now = time.monotonic()
        self._expire(now)
        if state.abandon:
            self._abandon_all("closed")
            return False
        if not self._outbox and not self._incoming:
            if inline or state.stopping:
                return False
            if state.park():
                self._sleep(None)
            return True
        if deadline is not None and now >= deadline:
            return False
        wait = self._backoff_until - now
        if wait <= 0:
            urgent = inline or state.stopping or state.urgent > 0
            batch, wait = self._next_batch(now, urgent=urgent)
            if batch:
                self._send(batch)
                return True
        if deadline is None:
            self._sleep(wait)
            return True
        remaining = deadline - now
        if remaining <= 0:
            return False
        time.sleep(min(wait, remaining))
        return True

    def _sleep(self, timeout: float | None) -> None:
        self._state.wake.wait(timeout)
        self._state.wake.clear()

    def _low(self) -> int | None:
        """The lowest sequence number this sender holds (outbox first, then incoming)."""
        first = next(iter(self._outbox), None)
        if first is None and self._incoming:
            return self._incoming[0].seq
        return first

    def _intake(self) -> None:
        """Take the whole buffer (a swap), then prepare a few of the events taken.

        Preparing is CPU work under the GIL; a burst of 10,000 events prepared in one go would
        hold the chatbot's threads off the interpreter for tens of milliseconds. A few at a time,
        between requests, it never holds them for more than a fraction of one.
        """
        items = self._state.take_all(self._low())
        if items:
            if self._incoming:
                self._incoming.extend(items)
            else:
                self._incoming = items
        self._prepare_some()

    def _prepare_some(self, count: int = PREPARE_CHUNK) -> None:
        incoming = self._incoming
        unusable: list[tuple[Item, str, str]] = []
        for _ in range(min(count, len(incoming))):
            item = incoming.popleft()
            try:
                entry = self._prepare(item)
            except OversizeError as exc:
                unusable.append((item, "oversize", str(exc)))
            except Exception as exc:  # noqa: BLE001 - a redactor's bug: the event must not leave
                unusable.append((item, "redaction_failed", f"{type(exc).__name__}: {exc}"))
            else:
                self._outbox[entry.seq] = entry
        for item, reason, message in unusable:
            self._fail((item.request_id,), (), reason=reason, code=None, message=message)

    def _prepare(self, item: Item) -> _Entry:
        """The message for an item: redacted, with its session, under the size limit."""
        event_type, request_id, session_id = item.event_type, item.request_id, item.session_id
        remembered = self._session_of(item)
        body = sqs_safe(item.body.decode())
        size = body_size(body)
        if self._redactor is not None or remembered is not None or size > MAX_BATCH_BYTES:
            event = parse_event_json(body)
            if remembered is not None:
                event = event.model_copy(update={"session_id": remembered})
            if self._redactor is not None:
                event = conform(self._redactor(event))
            event, body, size = serialize(event)
            event_type, request_id, session_id = (
                event.event_type,
                event.request_id,
                event.session_id,
            )
        return _Entry(
            seq=item.seq,
            request_id=request_id,
            body=body,
            size=size,
            group_id=group_id(session_id, request_id),
            deduplication_id=deduplication_id(event_type, request_id),
            accepted_at=item.accepted_at,
            deadline=item.accepted_at + self._settings.give_up_after,
        )

    def _session_of(self, item: Item) -> str | None:
        """Remember each query's session; return it for a response tracked without one."""
        capacity = self._settings.session_memory_size
        if item.event_type == "query":
            if capacity and item.session_id is not None:
                self._sessions[item.request_id] = item.session_id
                self._sessions.move_to_end(item.request_id)
                while len(self._sessions) > capacity:
                    self._sessions.popitem(last=False)
            return None
        if item.session_id is None:
            return self._sessions.get(item.request_id)
        return None

    def _expire(self, now: float) -> None:
        # Deadlines grow with sequence numbers, so the expired entries are a prefix: of the
        # outbox, and of the incoming events once the outbox has no live entry left.
        expired: list[_Entry] = []
        for entry in self._outbox.values():
            if entry.deadline > now:
                break
            expired.append(entry)
        if len(expired) == len(self._outbox):
            give_up_after = self._settings.give_up_after
            while self._incoming and self._incoming[0].accepted_at + give_up_after <= now:
                item = self._incoming.popleft()
                try:
                    expired.append(self._prepare(item))  # prepared: on_error gets its body
                except Exception:  # noqa: BLE001 - reported without a body
                    self._fail((item.request_id,), (), reason="expired", code=None, message="")
        if expired:
            codes = {entry.last_error for entry in expired if entry.last_error}
            self._give_up(
                expired,
                reason="expired",
                code=",".join(sorted(codes)) or None,
                message=f"not delivered within {self._settings.give_up_after:g} s",
            )

    def _next_batch(self, now: float, *, urgent: bool) -> tuple[list[_Entry], float]:
        """The next batch to send now, or nothing and how long to wait for one."""
        while True:
            batch, wait = self._assemble(now, urgent=urgent)
            if len(batch) >= self._settings.batch_size or not self._incoming:
                return batch, wait
            self._prepare_some()  # not full, and more events wait to be prepared

    def _assemble(self, now: float, *, urgent: bool) -> tuple[list[_Entry], float]:
        batch: list[_Entry] = []
        size = 0
        full = False
        blocked: set[str] = set()
        soonest = math.inf
        for entry in self._outbox.values():
            if entry.group_id in blocked:
                continue
            if entry.not_before > now:
                blocked.add(entry.group_id)  # keep its session's later events behind it
                soonest = min(soonest, entry.not_before - now)
                continue
            if len(batch) >= self._settings.batch_size or size + entry.size > MAX_BATCH_BYTES:
                full = True
                break
            batch.append(entry)
            size += entry.size
        if not batch:
            return [], soonest
        if urgent or full or len(batch) >= self._settings.batch_size:
            return batch, 0.0
        linger = batch[0].accepted_at + self._settings.flush_interval - now
        if linger <= 0:
            return batch, 0.0
        return [], linger

    def _send(self, batch: list[_Entry]) -> None:
        messages = [
            OutgoingMessage(str(index), entry.body, entry.group_id, entry.deduplication_id)
            for index, entry in enumerate(batch)
        ]
        for entry in batch:
            entry.attempts += 1
        try:
            result = self._transport.send_batch(messages)
        except TransportError as exc:
            if exc.retryable:
                self._request_failed(batch, exc)
            else:
                self._give_up(batch, reason="rejected", code=exc.code, message=exc.message)
            return
        except Exception as exc:  # noqa: BLE001 - give the batch up, keep the sender alive
            logger.exception("edge_client transport raised an unexpected error")
            self._give_up(batch, reason="error", code=type(exc).__name__, message=str(exc))
            return

        now = time.monotonic()
        if self._request_failures:
            logger.info(
                "edge_client: SQS reachable again after %d failed requests",
                self._request_failures,
            )
        self._request_failures = 0
        self._backoff_until = 0.0
        sent = 0
        retrying: list[_Entry] = []
        rejected: list[_Entry] = []
        for index, entry in enumerate(batch):
            failure = result.failed.get(str(index))
            if failure is None:
                del self._outbox[entry.seq]
                sent += 1
            elif failure.retryable:
                entry.last_error = failure.code
                retrying.append(entry)
            else:
                entry.last_error = failure.code
                rejected.append(entry)
        retried = len(retrying)
        if retrying:
            # One delay for the batch's failed entries, so that they go again together.
            not_before = now + backoff_delay(
                max(entry.attempts for entry in retrying),
                base=self._settings.retry_base_delay,
                cap=self._settings.retry_max_delay,
                rng=self._rng,
            )
            for entry in retrying:
                entry.not_before = not_before
            codes = sorted({entry.last_error or "" for entry in retrying})
            self._log.warning(
                "entry-retry",
                "edge_client: SQS refused %d of %d entries (%s); retrying them",
                retried,
                len(batch),
                ",".join(codes),
            )
        self._state.resolve(sender_low=self._low(), sent=sent, retried=retried)
        if rejected:
            self._give_up(
                rejected,
                reason="rejected",
                code=",".join(sorted({entry.last_error or "" for entry in rejected})),
                message="SQS rejected the entries",
            )

    def _request_failed(self, batch: list[_Entry], exc: TransportError) -> None:
        self._request_failures += 1
        delay = backoff_delay(
            self._request_failures,
            base=self._settings.retry_base_delay,
            cap=self._settings.retry_max_delay,
            rng=self._rng,
        )
        self._backoff_until = time.monotonic() + delay
        for entry in batch:
            entry.last_error = exc.code
        self._log.warning(
            "request-retry",
            "edge_client: SendMessageBatch failed (%s); %d events pending, retrying in %.2f s",
            exc,
            self._state.pending,
            delay,
        )
        self._state.resolve(sender_low=self._low(), retried=len(batch))

    def _abandon_all(self, reason: str) -> None:
        self._prepare_some(len(self._incoming))
        entries = list(self._outbox.values())
        if entries:
            self._give_up(
                entries,
                reason=reason,
                code=None,
                message="still pending when the client closed",
            )

    def _give_up(
        self, entries: list[_Entry], *, reason: str, code: str | None, message: str
    ) -> None:
        for entry in entries:
            self._outbox.pop(entry.seq, None)
        self._fail(
            tuple(entry.request_id for entry in entries),
            tuple(entry.body for entry in entries),
            reason=reason,
            code=code,
            message=message,
        )

    def _fail(
        self,
        request_ids: tuple[str, ...],
        bodies: tuple[str, ...],
        *,
        reason: str,
        code: str | None,
        message: str,
    ) -> None:
        self._log.log(
            logging.ERROR,
            f"give-up-{reason}",
            "edge_client: gave up on %d events (%s%s): %s",
            len(request_ids),
            reason,
            f", {code}" if code else "",
            message,
        )
        if self._on_error is not None:
            try:
                self._on_error(DeliveryFailure(reason, code, message, request_ids, bodies))
            except Exception:  # noqa: BLE001 - the application's callback
                logger.exception("edge_client on_error callback raised")
        # Counted last: whoever waits in flush() sees the callback done when it wakes.
        self._state.resolve(sender_low=self._low(), failed=len(request_ids))
