"""Every kind of bad input (``tests/support/bad_inputs.py``) at every entry point, and its answer.

An entry point is a way an event gets into the pipeline; each is a function that feeds it the
whole catalogue and says, per kind, how it answered and whether that is what the catalogue says.
:data:`ENTRY_POINTS` lists them; the report has one column per entry point. To add one, write its
function and append an :class:`EntryPoint`. ``CLI events send`` and ``reporter trigger`` are
described in ``bench/reliability/operator_entry_points.py``.

- ``processor (raw SQS)``: each body as a raw message on the events queue, in a FIFO group of its
  own with a healthy question behind it, through the real handler on moto. A body the contract
  rejects must end in the dead-letter queue with a reason naming the catalogue's field first, and
  the healthy question of its group must be recorded (nothing else lost); a valid one must be
  recorded (a response alone: as an orphan once its park expires).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from analytics_contract import parse_event_json
from bench.reliability import Section
from tests.support.bad_inputs import CATALOGUE, BadInput

CATALOGUE_REQUEST_ID = "bad-req-1"


@dataclass(frozen=True)
class Answer:
    """How an entry point answered one kind of bad input."""

    shown: str  # what the report shows, e.g. "rejected: matchScore: Input should be..."
    problem: str | None = None  # why this is not what the catalogue says (None: as expected)


@dataclass(frozen=True)
class EntryPoint:
    name: str
    answer: Callable[[Sequence[BadInput]], dict[str, Answer]]


def _short(text: str, limit: int = 70) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def distinct_body(entry: BadInput, number: int) -> tuple[str, str]:
    """The entry's body with a request id of its own (the catalogue reuses one: fed together,
    two valid entries would conflict), and that id."""
    request_id = f"bad-{number:03d}"
    return entry.body.replace(f'"{CATALOGUE_REQUEST_ID}"', f'"{request_id}"', 1), request_id


def processor_answers(entries: Sequence[BadInput]) -> dict[str, Answer]:
    # Imported here: the harness needs moto and the processor, which other entry points do not.
    from bench.reliability.processor_faults import emulated
    from tests.support.processor_harness import Harness

    answers: dict[str, Answer] = {}
    with emulated():
        harness = Harness()
        fed: list[tuple[BadInput, str, str, str]] = []
        for number, entry in enumerate(entries):
            body, request_id = distinct_body(entry, number)
            healthy = f"healthy-{number:03d}"
            group = f"g{number:03d}"
            fed.append((entry, body, request_id, healthy))
            harness.send([(body, group), *_healthy_pair(healthy, group)])
            if number % 3 == 2:
                harness.drain()
        harness.drain()
        harness.expire()  # a valid response alone becomes an orphan record
        records = harness.records()
        letters = {letter.body: letter for letter in harness.receive_dead_letters(delete=False)}
        for entry, body, request_id, healthy in fed:
            letter = letters.get(body)
            problems = []
            if records.get(healthy) is None or records[healthy].status != "answered":
                problems.append("the healthy question of its group was not recorded")
            if entry.rejected:
                reason = harness.reason_of(letter) if letter else None
                if reason is None:
                    problems.append("not in the dead-letter queue with a reason")
                    shown = "not quarantined"
                else:
                    shown = f"rejected: {_short(reason)}"
                    if not reason.startswith(entry.field or ""):
                        problems.append(f"the reason does not name {entry.field} first")
            else:
                recorded_as = _valid_id(body) or request_id
                if letter is not None:
                    problems.append(f"quarantined: {letter.reason}")
                    shown = "quarantined"
                elif recorded_as not in records:
                    problems.append("not recorded")
                    shown = "lost"
                else:
                    shown = f"recorded ({records[recorded_as].status})"
            answers[entry.kind] = Answer(shown, "; ".join(problems) or None)
    return answers


def _valid_id(body: str) -> str | None:
    try:
        return parse_event_json(body).request_id
    except ValueError:
        return None


def _healthy_pair(request_id: str, group: str) -> list[tuple[str, str]]:
    base = {"schemaVersion": 1, "requestId": request_id, "sessionId": group}
    query = {**base, "eventType": "query", "timestamp": 1_763_000_000_000, "query": "Hello?"}
    response = {
        **base,
        "eventType": "response",
        "timestamp": 1_763_000_000_500,
        "matchType": "none",
        "matchScore": 0,
    }
    return [(json.dumps(query), group), (json.dumps(response), group)]


def cli_answers(entries: Sequence[BadInput]) -> dict[str, Answer]:
    from bench.reliability.operator_entry_points import cli_answers as answers

    return answers(entries)


def reporter_trigger_answers(entries: Sequence[BadInput]) -> dict[str, Answer]:
    from bench.reliability.operator_entry_points import reporter_trigger_answers as answers

    return answers(entries)


#: The entry points fed with the catalogue, in report order. (The edge client has a section of
#: its own, ``edge_bad_inputs``: what it must do differs, it fills in and shortens fields.)
ENTRY_POINTS: list[EntryPoint] = [
    EntryPoint("processor (raw SQS)", processor_answers),
    EntryPoint("CLI events send", cli_answers),
    EntryPoint("reporter trigger", reporter_trigger_answers),
]


def run(*, quick: bool = False) -> Section:
    entries = CATALOGUE if not quick else CATALOGUE[::4]
    answers = {point.name: point.answer(entries) for point in ENTRY_POINTS}
    rows = []
    problems = []
    for entry in entries:
        row = [entry.kind, entry.field if entry.field else entry.note or "valid"]
        for point in ENTRY_POINTS:
            answer = answers[point.name][entry.kind]
            row.append(answer.shown + ("" if answer.problem is None else " ✗"))
            if answer.problem is not None:
                problems.append(f"{point.name}, {entry.kind}: {answer.problem}")
        rows.append(row)
    totals: dict[str, int | float | str] = {}
    for point in ENTRY_POINTS:
        given = answers[point.name]
        tried = [answer for answer in given.values() if not answer.shown.startswith("n/a")]
        totals[f"{point.name}: kinds tried"] = len(tried)
        totals[f"{point.name}: answered as the catalogue says"] = sum(
            answer.problem is None for answer in tried
        )
    return Section(
        title="Bad input at every entry point",
        intro=(
            f"The bad-input catalogue ({len(CATALOGUE)} kinds, tests/support/bad_inputs.py) fed "
            "through each entry point. Expected: the field the contract's error must name first, "
            "or valid. Processor: each body a raw SQS message in its own FIFO group, a healthy "
            "question behind it in the same group; rejected bodies must reach the dead-letter "
            "queue with that reason and the healthy question its record; valid ones their record. "
            "CLI events send: the entry's fields as the command's options (n/a where a field is "
            "not an option or its bad value is a JSON type a command line cannot pass); a "
            "rejected value must stop the command with an error naming it and nothing sent. "
            "Reporter trigger: each body as the reporter's invocation event; none is a trigger, "
            "each must be refused saying what is wrong, and no email sent."
        ),
        headers=["kind", "expected", *(point.name for point in ENTRY_POINTS)],
        rows=rows,
        totals=totals,
        problems=problems,
    )
