"""The delivery engine: takes tracked events, prepares them, sends batches, retries, gives up.

It runs either on its own daemon thread (background mode) or, for a bounded time, on the thread
that calls ``flush()`` (serverless mode, the Lambda extension, and the fallback when no thread can
be started). Exactly one thread drives it at a time; that thread owns everything here except
:class:`~edge_client.buffer.SharedState`.

Each step (:meth:`Sender._cycle`): take the buffer, prepare a few events
(:mod:`edge_client.preparation`), give up what has expired, then send the next batch
(:mod:`edge_client.outbox`) or sleep until one is due, honouring the backoff
(:mod:`edge_client.backoff`).

Duplicates: retries reuse the entry's deduplication id, and an event is never attempted after
``give_up_after`` (inside SQS's 5-minute deduplication window), so an ambiguous failure (a
timeout after SQS accepted the batch) never produces a duplicate.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import OrderedDict, deque

from edge_client.backoff import Backoff
from edge_client.buffer import ACCEPTED_AT, Item, Marker, SharedState, accepted_monotonic
from edge_client.building import item_kind
from edge_client.config import Settings
from edge_client.failures import Reporter
from edge_client.logs import RateLimitedLog, logger
from edge_client.outbox import Entry, Outbox
from edge_client.preparation import NotSendable, Preparer
from edge_client.redaction import Redactor
from edge_client.transport import OutgoingMessage, Transport, TransportError

#: Events prepared (validated, redacted, serialized) per step of the sender.
PREPARE_CHUNK = 10
THREAD_NAME = "edge-client-sender"
#: While events keep coming, the sender looks at the buffer by itself every ``flush_interval`` (an
#: event waits that long for its batch to fill anyway), so that a ``track_*`` call need not wake
#: it: waking a sleeping thread is a system call on the caller's thread, several times the cost of
#: the rest of the call. After this many seconds without an event it sleeps until a call wakes it,
#: so that an idle process has no thread waking up.
QUIET_BEFORE_PARKING = 60.0
#: With a shorter ``flush_interval`` (0: send at once) the sender does not poll: each call that
#: finds it asleep wakes it.
MIN_POLL_INTERVAL = 0.05


class Sender:
    def __init__(
        self,
        state: SharedState,
        transport: Transport,
        settings: Settings,
        *,
        redactor: Redactor | None,
        report: Reporter,
        log: RateLimitedLog,
        sessions: OrderedDict[str, str] | None = None,
    ) -> None:
        self._state = state
        self._transport = transport
        self._settings = settings
        self._log = log
        self._report = report
        self._preparer = Preparer(settings, redactor, sessions)
        #: Taken from the buffer, not yet prepared (prepared a few at a time: see _intake), with
        #: the sequence number the sender gives each item in the order it takes them, and when it
        #: was tracked on the monotonic clock (buffer.accepted_monotonic).
        self._incoming: deque[tuple[int, Item, float]] = deque()
        self._next_seq = 0
        self._last_take = time.monotonic()
        #: When the sender last took an event from the buffer (see QUIET_BEFORE_PARKING).
        self._last_event = self._last_take
        #: Flush markers taken, waiting for everything ahead of them to be resolved.
        self._markers: deque[Marker] = deque()
        self._outbox = Outbox(
            batch_size=settings.batch_size, flush_interval=settings.flush_interval
        )
        self._backoff = Backoff(settings)
        self._drive = threading.Lock()
        self._thread: threading.Thread | None = None
        #: Whether the background thread runs (a flag: read on every track_* call).
        self.running = False

    @property
    def sessions(self) -> OrderedDict[str, str]:
        return self._preparer.sessions

    # -- background thread -----------------------------------------------------------------------

    def start(self) -> None:
        """Start the background thread (raises RuntimeError when the interpreter is exiting)."""
        thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)
        self.running = True
        try:
            thread.start()
        except BaseException:
            self.running = False
            raise
        self._thread = thread

    def alive(self) -> bool:
        return self.running

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
            self.running = False

    # -- inline (serverless, the Lambda extension, or no thread available) ------------------------

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
            poll = self._settings.flush_interval
            if poll >= MIN_POLL_INTERVAL and now - self._last_event < QUIET_BEFORE_PARKING:
                self._sleep(poll)  # nobody needs to ring: see QUIET_BEFORE_PARKING
            elif state.park():
                self._sleep(None)
            return True
        if deadline is not None and now >= deadline:
            return False
        wait = self._backoff.until - now
        if wait <= 0:
            urgent = inline or state.stopping or state.urgent > 0
            batch, wait = self._next_batch(now, urgent=urgent)
            if batch:
                self._send(batch)
                return True
            if not self._outbox and not self._incoming:
                return True  # all it took was invalid: wait for events (no wait is infinite)
            # Waiting for refused entries' retry holds back their sessions only: events of other
            # sessions tracked meanwhile (no call rings) are looked for every flush_interval.
            wait = min(wait, max(self._settings.flush_interval, MIN_POLL_INTERVAL))
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
        first = self._outbox.low()
        if first is None and self._incoming:
            return self._incoming[0][0]
        return first

    def _resolved(self, **counts: int) -> None:
        """Count what was resolved (see SharedState.resolve), then release the flushes that now
        wait behind nothing unresolved."""
        self._state.resolve(**counts)
        self._settle_markers()

    def _settle_markers(self) -> None:
        markers = self._markers
        if not markers:
            return
        low = self._low()
        if low is None:
            low = self._next_seq
        while markers and markers[0].position <= low:
            markers.popleft().done.set()

    def _intake(self) -> None:
        """Take the whole buffer (a swap), then prepare a few of the events taken.

        Preparing is CPU work under the GIL; a burst of 10,000 events prepared in one go would
        hold the chatbot's threads off the interpreter for a long time. A few at a time, between
        requests, it never holds them for more than a fraction of a millisecond.
        """
        self._take()
        self._prepare_some()

    def _take(self) -> None:
        now, now_ns, since = time.monotonic(), time.time_ns(), self._last_take
        self._last_take = now
        items, markers = self._state.take(sys.maxsize)
        if items:
            self._last_event = now
            seq = self._next_seq
            for item in items:
                accepted = accepted_monotonic(item[ACCEPTED_AT], now, now_ns, since)
                self._incoming.append((seq, item, accepted))
                seq += 1
            self._next_seq = seq
        if markers:
            self._markers.extend(markers)
            self._settle_markers()

    def _prepare_some(self, count: int = PREPARE_CHUNK) -> None:
        incoming = self._incoming
        unsendable: list[NotSendable] = []
        invalid = truncated = 0
        for _ in range(min(count, len(incoming))):
            seq, item, accepted = incoming.popleft()
            try:
                entry, shortened = self._preparer.prepare(seq, item, accepted)
            except NotSendable as exc:
                if exc.reason == "invalid":
                    self._report.invalid_logged(item_kind(item), exc.cause)
                    invalid += 1
                else:
                    unsendable.append(exc)
            else:
                self._outbox.add(entry)
                truncated += shortened
        if invalid or truncated:
            self._resolved(invalid=invalid, truncated=truncated)
        for problem in unsendable:
            self._report.gave_up(
                (problem.request_id,), (), reason=problem.reason, code=None, message=problem.message
            )
            self._resolved(failed=1)

    def _expire(self, now: float) -> None:
        expired = self._outbox.expired(now)
        if len(expired) == len(self._outbox):
            # Nothing live left in the outbox: the incoming events may have expired too.
            cutoff = now - self._settings.give_up_after
            count = 0
            for _seq, _item, accepted in self._incoming:
                if accepted > cutoff:
                    break
                count += 1
            if count:
                self._prepare_some(count)  # prepared: on_error gets their bodies
                expired = self._outbox.expired(now)
        if expired:
            codes = {entry.last_error for entry in expired if entry.last_error}
            self._give_up(
                expired,
                reason="expired",
                code=",".join(sorted(codes)) or None,
                message=f"not delivered within {self._settings.give_up_after:g} s",
            )

    def _next_batch(self, now: float, *, urgent: bool) -> tuple[list[Entry], float]:
        """The next batch to send now, or nothing and how long to wait for one."""
        while True:
            batch, wait = self._outbox.next_batch(now, urgent=urgent)
            if len(batch) >= self._settings.batch_size:
                return batch, wait
            if not self._incoming:
                if not self._state.items:  # a lock-free look: a deque's truth is atomic
                    return batch, wait
                self._take()  # tracked since this step began: fill the batch with them
            self._prepare_some()  # not full, and more events wait to be prepared

    def _send(self, batch: list[Entry]) -> None:
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

        failures = self._backoff.request_succeeded()
        if failures:
            logger.info("edge_client: SQS reachable again after %d failed requests", failures)
        sent: list[Entry] = []
        retrying: list[Entry] = []
        rejected: list[Entry] = []
        for index, entry in enumerate(batch):
            failure = result.failed.get(str(index))
            if failure is None:
                sent.append(entry)
                continue
            entry.last_error = failure.code
            (retrying if failure.retryable else rejected).append(entry)
        self._outbox.remove(sent)
        if retrying:
            # One delay for the batch's failed entries, so that they go again together.
            not_before = time.monotonic() + self._backoff.delay(
                max(entry.attempts for entry in retrying)
            )
            for entry in retrying:
                entry.not_before = not_before
            self._log.warning(
                "entry-retry",
                "edge_client: SQS refused %d of %d entries (%s); retrying them",
                len(retrying),
                len(batch),
                ",".join(sorted({entry.last_error or "" for entry in retrying})),
            )
        self._resolved(sent=len(sent), retried=len(retrying))
        if rejected:
            self._give_up(
                rejected,
                reason="rejected",
                code=",".join(sorted({entry.last_error or "" for entry in rejected})),
                message="SQS rejected the entries",
            )

    def _request_failed(self, batch: list[Entry], exc: TransportError) -> None:
        delay = self._backoff.request_failed()
        for entry in batch:
            entry.last_error = exc.code
        self._log.warning(
            "request-retry",
            "edge_client: SendMessageBatch failed (%s); %d events pending, retrying in %.2f s",
            exc,
            self._state.pending,
            delay,
        )
        self._resolved(retried=len(batch))

    def _abandon_all(self, reason: str) -> None:
        self._prepare_some(len(self._incoming))
        entries = list(self._outbox)
        if entries:
            self._give_up(
                entries,
                reason=reason,
                code=None,
                message="still pending when the client closed",
            )

    def _give_up(
        self, entries: list[Entry], *, reason: str, code: str | None, message: str
    ) -> None:
        self._outbox.remove(entries)
        self._report.gave_up(
            tuple(entry.request_id for entry in entries),
            tuple(entry.body for entry in entries),
            reason=reason,
            code=code,
            message=message,
        )
        # Counted last: whoever waits in flush() sees the callback done when it wakes.
        self._resolved(failed=len(entries))
