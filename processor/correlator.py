"""Correlation of a question's events into its record: the algorithm of ``docs/ARCHITECTURE.md``.

Domain orchestration only: every read and write goes through a :class:`~processor.ports.Store`
(in production :class:`processor.repository.Repository`), so the algorithm is tested against moto,
against crashes injected between two writes, and against interleavings of concurrent calls.

Invariants that make it safe to retry anything:

- every write is conditional, so replaying an event changes nothing that is already right, and
  the failed condition's old item says what the replay met: a duplicate, a conflict (same event,
  other content: reported, the record keeps the first), a crash's leftovers;
- each side writes its own item before looking for the other's (the query its record, then reads
  the interim table; a response or a feedback its park, then looks at the record again), so when
  two events of a question are processed at the same time, at least one of them sees the other;
- whoever finds a record and a park applies everything the park holds, then removes it; a park is
  removed only once what it held is in the record, so a crash in between leaves a park that the
  redelivery (or, failing that, the TTL expiry) finishes.

Every call reports what it is known to have placed (:class:`IncompleteError` on failure): the
batch uses it to never quarantine an event whose effect already reached a table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from analytics_contract import AnalyticsRecord, FeedbackEvent, QueryEvent, ResponseEvent
from processor.ports import Clock, Evidence, NoQuality, Parked, QualitySink, Store
from processor.records import (
    complete_record,
    differing_fields,
    elapsed_ms,
    feedback_differences,
    has_query,
    has_response,
    orphan_record,
    query_part,
    query_view,
    recorded_query_view,
    recorded_response_view,
    response_part,
    response_view,
    status_with_query,
    unanswered_record,
)

EventType = Literal["query", "response", "feedback"]
AnyQuestionEvent = QueryEvent | ResponseEvent | FeedbackEvent


class Outcome(StrEnum):
    """What processing did to one event; each maps to one count (``processor.metrics``)."""

    CORRELATED = "correlated"  # a record completed (or written complete) by this call
    CONCURRENTLY_CORRELATED = "concurrently_correlated"  # the other side of a race completed it
    UNANSWERED_RECORDED = "unanswered_recorded"  # a query recorded, its response not seen yet
    PARKED = "parked"  # a response waiting in the interim table for its query
    DUPLICATE = "duplicate"  # nothing changed: the event had been processed before
    ORPHANED = "orphaned"  # recorded without its query (an expired park, or a late response)
    STALE_PARK = "stale_park"  # an expired park whose content was already recorded
    FEEDBACK_RECORDED = "feedback_recorded"  # the record's feedback set (first, or newer)
    FEEDBACK_PARKED = "feedback_parked"  # a feedback waiting for its question's record
    FEEDBACK_SUPERSEDED = "feedback_superseded"  # a newer feedback is already recorded
    CONFLICT = "conflict"  # same event, other content than recorded: kept as evidence


@dataclass(frozen=True)
class Request:
    """The events of one request in one batch (at most one of each type)."""

    request_id: str
    query: QueryEvent | None = None
    response: ResponseEvent | None = None
    feedback: FeedbackEvent | None = None
    redelivered: bool = False

    @property
    def event_types(self) -> list[EventType]:
        present: list[tuple[EventType, object]] = [
            ("query", self.query),
            ("response", self.response),
            ("feedback", self.feedback),
        ]
        return [name for name, event in present if event is not None]


@dataclass
class Result:
    """The outcome of each event of a request, and why any of them conflicts."""

    outcomes: dict[EventType, Outcome] = field(default_factory=dict)
    conflicts: dict[EventType, str] = field(default_factory=dict)

    def outcome(self, event_type: EventType) -> Outcome:
        return self.outcomes[event_type]

    @property
    def question_outcome(self) -> Outcome | None:
        """The outcome of the question (its query and response; the same for both)."""
        return self.outcomes.get("response") or self.outcomes.get("query")


class IncompleteError(RuntimeError):
    """Processing a request failed part way; ``placed``: the events whose effect is known to be
    in a table already (the record, or the interim table that the expiry path finishes from)."""

    def __init__(self, placed: Iterable[EventType], cause: BaseException) -> None:
        super().__init__(f"{type(cause).__name__}: {cause}")
        self.placed = frozenset(placed)
        self.cause = cause


Placement = Literal["placed", "conflict", "absent"]


@dataclass
class _Run:
    """One call's progress."""

    now_ms: int
    placed: set[EventType] = field(default_factory=set)
    result: Result = field(default_factory=Result)

    def done(self, event_type: EventType, outcome: Outcome) -> None:
        self.result.outcomes[event_type] = outcome
        if outcome is not Outcome.CONFLICT:
            self.placed.add(event_type)

    def conflict(self, event_type: EventType, reason: str) -> None:
        self.placed.discard(event_type)
        self.result.conflicts[event_type] = reason
        self.result.outcomes[event_type] = Outcome.CONFLICT


# What applying one event to the record did.
Applied = Literal["written", "same", "superseded", "conflict", "absent"]


class Correlator:
    def __init__(
        self,
        store: Store,
        *,
        correlation_window_seconds: int,
        record_ttl_days: int,
        clock: Clock,
        evidence: Evidence,
        quality: QualitySink | None = None,
    ) -> None:
        self._store = store
        self._window_seconds = correlation_window_seconds
        self._ttl_days = record_ttl_days
        self._clock = clock
        self._quality = quality or NoQuality()
        self._evidence = evidence

    # -- a request's events, from one batch ---------------------------------------------------------

    def process(self, request: Request) -> Result:
        run = _Run(now_ms=self._clock())
        try:
            if request.query is not None:
                self._with_query(run, request, request.query)
            elif request.response is not None:
                self._response_alone(run, request, request.response)
            if request.feedback is not None and "feedback" not in run.result.outcomes:
                self._feedback_alone(run, request.feedback)
        except Exception as error:
            raise IncompleteError(run.placed, error) from error
        return run.result

    def _with_query(self, run: _Run, request: Request, query: QueryEvent) -> None:
        response, feedback = request.response, request.feedback
        if response is not None:
            record = complete_record(
                query, response, now_ms=run.now_ms, ttl_days=self._ttl_days, feedback=feedback
            )
        else:
            record = unanswered_record(
                query, now_ms=run.now_ms, ttl_days=self._ttl_days, feedback=feedback
            )
        created = self._store.create(record)
        if created.written:
            self._quality.question()
            if response is not None:
                self._quality.answer(response, elapsed_ms(query.timestamp, response))
                run.done("query", Outcome.CORRELATED)
                run.done("response", Outcome.CORRELATED)
            else:
                run.done("query", Outcome.UNANSWERED_RECORDED)
            if feedback is not None:
                self._quality.feedback(feedback.feedback())
                run.done("feedback", Outcome.FEEDBACK_RECORDED)
            if response is None or request.redelivered:
                # A response or a feedback may have overtaken the query (or, redelivered, a
                # previous delivery may have parked and crashed): finish what is parked.
                self._consume_parked(run, request.request_id)
            return

        existing = created.existing
        if existing is None:  # pragma: no cover - a failed create always returns the item
            raise RuntimeError(f"record {query.request_id} exists but could not be read")
        adopted = self._record_query(run, query, existing)
        if response is not None:
            applied = self._apply_response(run, response, own=True)
            question = Outcome.CORRELATED if applied == "written" or adopted else Outcome.DUPLICATE
            for event_type in ("query", "response"):
                if run.result.outcomes.get(event_type) is not Outcome.CONFLICT:
                    run.done(event_type, question)
        now_unanswered = existing.status == "unanswered" or (adopted and not has_response(existing))
        if (response is None and now_unanswered) or request.redelivered:
            # A duplicate, or the redelivery of a query that crashed before its interim check:
            # checking again is what finishes the latter.
            self._consume_parked(run, request.request_id)

    def _record_query(self, run: _Run, query: QueryEvent, existing: AnalyticsRecord) -> bool:
        """The query met a stored record: a duplicate, a conflict, or the orphan it completes.
        Returns True when it completed an orphan."""
        if has_query(existing):
            differing = differing_fields(query_view(query), recorded_query_view(existing))
            if differing:
                run.conflict("query", _conflict_reason("query", query.request_id, differing))
            else:
                run.done("query", Outcome.DUPLICATE)
            return False
        # An orphan: the query arrived after its response's (or feedback's) window closed.
        part = query_part(
            query, status=status_with_query(existing), now_ms=run.now_ms, ttl_days=self._ttl_days
        )
        adopted = self._store.add_query(part)
        if adopted.written:
            self._quality.question()
            run.done(
                "query",
                Outcome.CORRELATED if has_response(existing) else Outcome.UNANSWERED_RECORDED,
            )
            return True
        if adopted.existing is None or not has_query(adopted.existing):
            raise RuntimeError(f"record {query.request_id} changed while its query was added")
        return self._record_query(run, query, adopted.existing)

    def _response_alone(self, run: _Run, request: Request, response: ResponseEvent) -> None:
        applied = self._apply_response(run, response, own=True)
        if applied == "written":
            run.done("response", Outcome.CORRELATED)
        elif applied == "same":
            run.done("response", Outcome.DUPLICATE)
        if applied != "absent":
            if request.redelivered:
                self._consume_parked(run, request.request_id)
            return
        self._park(run, request.request_id, response=response)

    def _feedback_alone(self, run: _Run, feedback: FeedbackEvent) -> None:
        applied = self._apply_feedback(run, feedback, own=True)
        outcome = {
            "written": Outcome.FEEDBACK_RECORDED,
            "same": Outcome.DUPLICATE,
            "superseded": Outcome.FEEDBACK_SUPERSEDED,
        }.get(applied)
        if outcome is not None:
            run.done("feedback", outcome)
        elif applied == "absent":
            self._park(run, feedback.request_id, feedback=feedback)

    # -- the interim table ---------------------------------------------------------------------------

    def _park(
        self,
        run: _Run,
        request_id: str,
        *,
        response: ResponseEvent | None = None,
        feedback: FeedbackEvent | None = None,
    ) -> None:
        """No record yet: park the event, then look at the record once more (a query processed
        concurrently may have written it after our first look and read the interim table before
        our park) and, if it is there now, apply everything the park holds."""
        event_type: EventType = "response" if response is not None else "feedback"
        result = self._store.park(
            request_id,
            response=response,
            feedback=feedback,
            expires_at=run.now_ms // 1000 + self._window_seconds,
            now_ms=run.now_ms,
        )
        if not result.parked:
            # Parked before (a duplicate, or a previous delivery that crashed), or a newer
            # feedback is parked, or another event with this id and other content is.
            verdict = self._judge_parked(response, feedback, result.held)
            if verdict is not None:
                run.conflict(event_type, verdict)
                return
        run.placed.add(event_type)
        applied = self._apply_held(run, request_id, result.held, own=(response, feedback))
        own_applied = applied.get(event_type, "absent")
        if own_applied == "absent":
            if result.parked:
                outcome = Outcome.PARKED if response is not None else Outcome.FEEDBACK_PARKED
            elif feedback is not None and result.held.feedback != feedback:
                outcome = Outcome.FEEDBACK_SUPERSEDED
            else:
                outcome = Outcome.DUPLICATE
            run.done(event_type, outcome)
            return
        self._store.unpark(request_id)
        if own_applied == "conflict":
            return  # our own event, quarantined by the batch with its message
        if event_type == "response":
            if own_applied == "written":
                outcome = Outcome.CORRELATED
            elif result.parked and own_applied == "same":
                outcome = Outcome.CONCURRENTLY_CORRELATED
            else:
                outcome = Outcome.DUPLICATE
        else:
            outcome = {
                "written": Outcome.FEEDBACK_RECORDED,
                "superseded": Outcome.FEEDBACK_SUPERSEDED,
            }.get(own_applied, Outcome.DUPLICATE)
        run.done(event_type, outcome)

    def _judge_parked(
        self, response: ResponseEvent | None, feedback: FeedbackEvent | None, held: Parked
    ) -> str | None:
        """Why a park that did not take conflicts with what is held (``None``: it does not)."""
        if response is not None and held.response is not None:
            differing = differing_fields(response_view(response), response_view(held.response))
            if differing:
                return _conflict_reason("response", response.request_id, differing, parked=True)
        if (
            feedback is not None
            and held.feedback is not None
            and held.feedback.timestamp == feedback.timestamp
        ):
            differing = feedback_differences(feedback.feedback(), held.feedback.feedback())
            if differing:
                return _conflict_reason("feedback", feedback.request_id, differing, parked=True)
        return None

    def _consume_parked(self, run: _Run, request_id: str) -> None:
        """The record exists: apply what is parked for it, then remove the park."""
        parked = self._store.parked(request_id)
        if parked is None:
            return
        applied = self._apply_held(run, request_id, parked, own=(None, None))
        self._store.unpark(request_id)
        query_outcome = run.result.outcomes.get("query")
        if applied.get("response") == "written" and query_outcome in (
            Outcome.UNANSWERED_RECORDED,
            Outcome.DUPLICATE,
        ):
            run.done("query", Outcome.CORRELATED)
        elif applied.get("response") == "same" and query_outcome is Outcome.UNANSWERED_RECORDED:
            # The response's own retry completed the record between our write and our read.
            run.done("query", Outcome.CONCURRENTLY_CORRELATED)

    def _apply_held(
        self,
        run: _Run,
        request_id: str,
        held: Parked,
        *,
        own: tuple[ResponseEvent | None, FeedbackEvent | None],
    ) -> dict[EventType, Applied]:
        """Apply every event a park holds to the record; what each did (``absent``: no record)."""
        applied: dict[EventType, Applied] = {}
        if held.response is not None:
            applied["response"] = self._apply_response(
                run, held.response, own=held.response == own[0]
            )
            if applied["response"] == "absent":
                return applied
        if held.feedback is not None:
            applied["feedback"] = self._apply_feedback(
                run, held.feedback, own=held.feedback == own[1]
            )
        if own[1] is not None and held.feedback != own[1] and "feedback" in applied:
            # A newer feedback was parked than ours: ours is superseded if that one landed.
            applied["feedback"] = "superseded" if applied["feedback"] != "absent" else "absent"
        return applied

    # -- applying one event to whatever record exists -----------------------------------------------

    def _apply_response(self, run: _Run, response: ResponseEvent, *, own: bool) -> Applied:
        part = response_part(response, now_ms=run.now_ms)
        result = self._store.add_response(part, to="unanswered")
        existing = result.existing
        if not result.written and existing is not None and not has_response(existing):
            # An orphan holding only a feedback: the response joins it (still no query).
            result = self._store.add_response(part, to="orphan")
            existing = result.existing if not result.written else existing
        if result.written:
            query_timestamp = existing.timestamp if existing and has_query(existing) else None
            self._quality.answer(response, elapsed_ms(query_timestamp, response))
            return "written"
        if existing is None:
            return "absent"
        if not has_response(existing):
            raise RuntimeError(f"record {response.request_id} changed while its response was added")
        differing = differing_fields(response_view(response), recorded_response_view(existing))
        if not differing:
            return "same"
        reason = _conflict_reason("response", response.request_id, differing, parked=not own)
        self._conflict(run, "response", response, reason, own=own)
        return "conflict"

    def _apply_feedback(self, run: _Run, feedback: FeedbackEvent, *, own: bool) -> Applied:
        given = feedback.feedback()
        result = self._store.set_feedback(feedback.request_id, given)
        if result.written:
            if result.existing is None or result.existing.feedback is None:
                self._quality.feedback(given)
            return "written"
        if result.existing is None:
            return "absent"
        stored = result.existing.feedback
        if stored is None:  # pragma: no cover - the condition cannot fail on a record without one
            raise RuntimeError(f"record {feedback.request_id} changed while its feedback was set")
        if stored.timestamp > given.timestamp:
            return "superseded"
        differing = feedback_differences(given, stored)
        if not differing:
            return "same"
        reason = _conflict_reason("feedback", feedback.request_id, differing, parked=not own)
        self._conflict(run, "feedback", feedback, reason, own=own)
        return "conflict"

    def _conflict(
        self, run: _Run, event_type: EventType, event: AnyQuestionEvent, reason: str, *, own: bool
    ) -> None:
        """A conflicting event is kept as evidence: this call's own event is quarantined by the
        batch (with its message); a parked one, whose message is long acknowledged, here."""
        if own:
            run.conflict(event_type, reason)
        else:
            self._evidence.keep(event, reason)

    # -- the interim table's TTL ---------------------------------------------------------------------

    def expire(self, request_id: str, held: Parked) -> Result:
        """A park removed by the TTL: apply it to the record, or record it as an orphan."""
        run = _Run(now_ms=self._clock())
        try:
            self._expire(run, request_id, held)
        except Exception as error:
            raise IncompleteError(run.placed, error) from error
        return run.result

    def _expire(self, run: _Run, request_id: str, held: Parked, *, again: bool = False) -> None:
        applied = self._apply_held(run, request_id, held, own=(None, None))
        if "absent" not in applied.values():
            if "response" in applied:
                run.done(
                    "response",
                    Outcome.CORRELATED if applied["response"] == "written" else Outcome.STALE_PARK,
                )
            if "feedback" in applied:
                run.done(
                    "feedback",
                    Outcome.FEEDBACK_RECORDED
                    if applied["feedback"] == "written"
                    else Outcome.STALE_PARK,
                )
            return
        # No record: the query never came. Counted as an orphan, in the week of the event.
        orphan = orphan_record(
            held.response, held.feedback, now_ms=run.now_ms, ttl_days=self._ttl_days
        )
        created = self._store.create(orphan)
        if created.written:
            if held.response is not None:
                self._quality.answer(held.response, elapsed_ms(None, held.response))
                run.done("response", Outcome.ORPHANED)
            if held.feedback is not None:
                self._quality.feedback(held.feedback.feedback())
                run.done("feedback", Outcome.ORPHANED)
            return
        if again:
            raise RuntimeError(f"record {request_id} neither appears nor can be created")
        # The record appeared between the two writes (its query landed): apply to it.
        self._expire(run, request_id, held, again=True)

    # -- where an event stands (for the last receive) ------------------------------------------------

    def placement(self, event: AnyQuestionEvent) -> Placement:
        """Whether an event's effect is in a table, read consistently: in the record (or, for a
        feedback, superseded there), or parked; ``conflict``: the record holds another version."""
        record = self._store.record(event.request_id)
        if record is not None:
            verdict = _placement_in_record(event, record)
            if verdict != "absent":
                return verdict
        parked = self._store.parked(event.request_id)
        if parked is not None:
            if isinstance(event, ResponseEvent) and parked.response is not None:
                same = not differing_fields(response_view(event), response_view(parked.response))
                return "placed" if same else "conflict"
            if (
                isinstance(event, FeedbackEvent)
                and parked.feedback is not None
                and (parked.feedback.timestamp > event.timestamp or parked.feedback == event)
            ):
                return "placed"
        return "absent"


def _placement_in_record(event: AnyQuestionEvent, record: AnalyticsRecord) -> Placement:
    if isinstance(event, QueryEvent):
        if not has_query(record):
            return "absent"
        same = not differing_fields(query_view(event), recorded_query_view(record))
    elif isinstance(event, ResponseEvent):
        if not has_response(record):
            return "absent"
        same = not differing_fields(response_view(event), recorded_response_view(record))
    else:
        stored = record.feedback
        if stored is None:
            return "absent"
        if stored.timestamp > event.timestamp:
            return "placed"
        same = not feedback_differences(event.feedback(), stored)
    return "placed" if same else "conflict"


def _conflict_reason(
    event_type: EventType, request_id: str, differing: list[str], *, parked: bool = False
) -> str:
    where = "the one parked earlier" if parked else "the one recorded"
    return (
        f"conflict: a {event_type} event with requestId {request_id} was processed before with "
        f"different content; {', '.join(differing)} differ from {where} (the record keeps the "
        "first)"
    )
