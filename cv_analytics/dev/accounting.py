"""The balance: every event sent ends in exactly one place, and every question has its record.

Pure logic, no AWS calls: it compares the simulator's ground truth (:class:`~cv_analytics.dev.traffic.
Manifest`) with a snapshot of where things are (:class:`Observed`: analytics records, responses
waiting in the interim table, dead-letter messages) and says where each event went.

An event's place is one of:

- ``answered`` / ``failed`` / ``unanswered`` / ``orphaned``: it is part of the analytics record
  of its question, which has that status (a duplicate lands in the same record as its original);
- ``waiting``: a response parked in the interim table, its query not (yet) seen;
- ``quarantined``: in the dead-letter queue with a reason (the processor rejected it);
- ``dead-lettered``: in the dead-letter queue without a reason (SQS redrove it after 3 failed
  receives);
- ``missing``: nowhere: the balance does not add up.

A response only counts as part of its record if the record is complete (``answered``/``failed``,
or ``orphaned``): an ``unanswered`` record says its response never landed. A feedback counts as
part of its record if the record carries a feedback (the latest, by timestamp).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, get_args

from cv_analytics.dev.traffic import Delivery, EventKind, Manifest

Place = Literal[
    "answered",
    "failed",
    "unanswered",
    "orphaned",
    "waiting",
    "quarantined",
    "dead-lettered",
    "missing",
]
PLACES: tuple[Place, ...] = get_args(Place)
KINDS: tuple[EventKind, ...] = get_args(EventKind)
_COMPLETE = frozenset({"answered", "failed"})
_HAS_QUERY = frozenset({"answered", "failed", "unanswered"})


@dataclass(frozen=True)
class ObservedRecord:
    """The part of an analytics record the balance needs."""

    request_id: str
    status: str
    has_feedback: bool = False


@dataclass(frozen=True)
class ObservedDeadLetter:
    """A message in the dead-letter queue; ``reason`` is None when SQS redrove it."""

    body: str
    reason: str | None

    def identity(self) -> tuple[str, str] | None:
        """(eventType, requestId) of the body, when it is a JSON object that has both."""
        try:
            data = json.loads(self.body)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        event_type, request_id = data.get("eventType"), data.get("requestId")
        if isinstance(event_type, str) and isinstance(request_id, str):
            return event_type, request_id
        return None


@dataclass(frozen=True)
class Observed:
    """Where things are after the pipeline ran."""

    records: Mapping[str, ObservedRecord]
    waiting: frozenset[str]
    dead_letters: tuple[ObservedDeadLetter, ...]


@dataclass(frozen=True)
class QuestionBalance:
    request_id: str
    expected: str
    recorded: str  # a record status, "waiting" or "none"

    @property
    def ok(self) -> bool:
        return self.expected == self.recorded


@dataclass
class Balance:
    """Where every event went, per event kind and per question, and what does not add up."""

    by_kind: dict[EventKind, Counter[Place]] = field(default_factory=dict)
    duplicates: Counter[Place] = field(default_factory=Counter)
    questions: list[QuestionBalance] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def sent(self, kind: EventKind | None = None) -> int:
        kinds = KINDS if kind is None else (kind,)
        return sum(sum(self.by_kind.get(k, Counter()).values()) for k in kinds)

    def placed(self, place: Place, kind: EventKind | None = None) -> int:
        kinds = KINDS if kind is None else (kind,)
        return sum(self.by_kind.get(k, Counter())[place] for k in kinds)

    def recorded(self, status: str) -> int:
        return sum(1 for q in self.questions if q.recorded == status)

    def expected(self, status: str) -> int:
        return sum(1 for q in self.questions if q.expected == status)


def _place_of(
    delivery: Delivery,
    observed: Observed,
    unclaimed: dict[int, ObservedDeadLetter],
) -> Place:
    """Where one delivery ended; claims the dead letter it matched so none counts twice."""
    record = observed.records.get(delivery.request_id or "")
    if delivery.kind == "query" and record and record.status in _HAS_QUERY:
        return record.status  # type: ignore[return-value]
    if delivery.kind == "response" and record and record.status in (_COMPLETE | {"orphaned"}):
        return record.status  # type: ignore[return-value]
    if delivery.kind == "feedback" and record and record.has_feedback:
        return record.status  # type: ignore[return-value]
    if delivery.kind in ("response", "feedback") and delivery.request_id in observed.waiting:
        return "waiting"
    body = delivery.body()
    wanted = None if delivery.kind == "malformed" else (delivery.kind, delivery.request_id)
    for index, letter in unclaimed.items():
        if letter.body == body or (wanted is not None and letter.identity() == wanted):
            del unclaimed[index]
            return "quarantined" if letter.reason else "dead-lettered"
    return "missing"


def balance(manifest: Manifest, observed: Observed) -> Balance:
    """Account for every delivery and every question of ``manifest`` in ``observed``."""
    result = Balance(by_kind={kind: Counter() for kind in KINDS})
    unclaimed = dict(enumerate(observed.dead_letters))
    for delivery in manifest.deliveries:
        place = _place_of(delivery, observed, unclaimed)
        result.by_kind[delivery.kind][place] += 1
        if delivery.duplicate:
            result.duplicates[place] += 1
        if place == "missing":
            result.problems.append(
                f"event #{delivery.seq} ({delivery.kind} {delivery.request_id or delivery.body()[:40]!r})"
                " ended nowhere"
            )

    for truth in manifest.questions:
        record = observed.records.get(truth.request_id)
        if record is not None:
            recorded = record.status
        elif truth.request_id in observed.waiting:
            recorded = "waiting"
        else:
            recorded = "none"
        question = QuestionBalance(truth.request_id, truth.expected_status, recorded)
        result.questions.append(question)
        if not question.ok:
            result.problems.append(
                f"question {truth.request_id}: expected {truth.expected_status}, recorded {recorded}"
            )
        elif truth.feedback is not None and not (record is not None and record.has_feedback):
            result.problems.append(f"question {truth.request_id}: its feedback is not recorded")

    known = {q.request_id for q in manifest.questions}
    for request_id in sorted(set(observed.records) - known):
        result.problems.append(f"record {request_id} matches no question that was asked")
    for letter in unclaimed.values():
        result.problems.append(f"dead letter {letter.body[:60]!r} matches no event that was sent")
    return result


def _table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> list[str]:
    all_rows = [list(map(str, header)), *[list(map(str, r)) for r in rows]]
    widths = [max(len(row[i]) for row in all_rows) for i in range(len(all_rows[0]))]
    return [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in all_rows
    ]


def render_balance(result: Balance, *, max_problems: int = 15) -> str:
    """The balance as text: per event kind, per question status, then what does not add up."""
    places = [p for p in PLACES if p != "missing" and result.placed(p)] + ["missing"]
    rows: list[list[object]] = [
        [kind, result.sent(kind), *(result.placed(p, kind) for p in places)]  # type: ignore[arg-type]
        for kind in KINDS
    ]
    rows.append(["total", result.sent(), *(result.placed(p) for p in places)])  # type: ignore[arg-type]
    lines = ["Balance: where every event sent ended (one place each)"]
    lines += ["  " + line for line in _table(["event", "sent", *places], rows)]
    dup_total = sum(result.duplicates.values())
    if dup_total:
        absorbed = ", ".join(f"{n} {p}" for p, n in sorted(result.duplicates.items()))
        lines.append(f"  of which duplicates: {dup_total} (absorbed into their record: {absorbed})")
    statuses = ["answered", "failed", "unanswered", "orphaned", "waiting", "none"]
    question_rows = [
        [s, result.expected(s), result.recorded(s)]
        for s in statuses
        if result.expected(s) or result.recorded(s)
    ]
    question_rows.append(["total", len(result.questions), len(result.questions)])
    lines.append("Questions (per requestId): what was generated vs what was recorded")
    lines += ["  " + line for line in _table(["status", "generated", "recorded"], question_rows)]
    if result.ok:
        lines.append("Balance OK: every event and every question is accounted for.")
    else:
        lines.append(f"BALANCE DOES NOT ADD UP: {len(result.problems)} problem(s)")
        lines += [f"  - {p}" for p in result.problems[:max_problems]]
        if len(result.problems) > max_problems:
            lines.append(f"  ... and {len(result.problems) - max_problems} more")
    return "\n".join(lines)
