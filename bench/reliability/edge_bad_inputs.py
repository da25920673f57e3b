"""The bad-input catalogue through the edge client, as a chatbot would give it: ``track_*`` arguments.

Each catalogue entry (``tests/support/bad_inputs.py``) whose body can be expressed as arguments
(its ``edge`` field is not ``n/a``) is tracked twice:

- by a default client: the call must return without raising; a rejected entry must be counted in
  ``invalid`` and logged with an error that names the field first (in the caller's snake_case
  argument names, e.g. ``match_score``), and sent nowhere; a valid, filled or truncated one must be
  delivered; and a healthy question tracked right after it must be delivered too (nothing else
  lost);
- by a ``strict=True`` client: a rejected entry must raise ``InvalidEventError`` naming the field,
  on the caller's thread.

One kind of input never reaches the client: a *required argument left out* (``query``,
``session_id``, ``match_type``, ``match_score``, ``request_id``). Python raises ``TypeError`` at the
call, before the method runs, as for any function; type checkers flag it when the code is written,
and it does not depend on the data. Those kinds are shown as such, not counted as problems.

:func:`edge_client_answers` returns, per kind, what the report shows and the problem if the answer
is not the catalogue's. It is a section of its own rather than a column of
``bench/reliability/bad_inputs.py``: what the edge client should do differs from what the processor
should do for the same body (it fills in ids and timestamps, shortens long text, and cannot be
given a body that is not JSON), so its expected column is the catalogue's ``edge`` field.
"""

from __future__ import annotations

import inspect
import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from analytics_contract import InvalidEventError
from bench.reliability import Section
from edge_client import EdgeClient, InMemorySink, Settings
from tests.support.bad_inputs import CATALOGUE, BadInput

#: Wire names the edge client takes as arguments of each call (the rest cannot be expressed).
_ARGUMENTS = {
    "query": {"requestId", "sessionId", "timestamp", "query", "metadata"},
    "response": {
        "requestId",
        "sessionId",
        "timestamp",
        "matchType",
        "matchScore",
        "reasoning",
        "response",
        "processingTimeMs",
        "tokens",
        "model",
        "variant",
        "error",
    },
    "feedback": {"requestId", "sessionId", "timestamp", "thumbs", "rating", "comment"},
}
_ENVELOPE = {"schemaVersion", "eventType"}


@dataclass(frozen=True)
class EdgeAnswer:
    """How the edge client answered one kind (``shown``), and why that is wrong (``problem``)."""

    shown: str
    problem: str | None = None


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def call_for(entry: BadInput) -> tuple[str, dict[str, Any]] | None:
    """The ``track_*`` method and its keyword arguments for an entry (None: not expressible)."""
    event = entry.event
    if event is None:
        return None
    kind = event.get("eventType")
    if kind not in _ARGUMENTS or not set(event) - _ENVELOPE <= _ARGUMENTS[kind]:
        return None
    arguments = {snake(key): value for key, value in event.items() if key not in _ENVELOPE}
    return f"track_{kind}", arguments


def expected_field(entry: BadInput, arguments: dict[str, Any]) -> str | None:
    """The argument the edge client's error must name first (None: the call must succeed)."""
    if entry.edge in ("filled", "truncated") or entry.field is None:
        return None
    if entry.field == "(body)":  # NaN or Infinity: given as a float argument
        return next(
            name
            for name, value in arguments.items()
            if isinstance(value, float) and not math.isfinite(value)
        )
    return ".".join(snake(part) for part in entry.field.split("."))


def _required(method: Any) -> set[str]:
    return {
        name
        for name, parameter in inspect.signature(method).parameters.items()
        if parameter.default is inspect.Parameter.empty
    }


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def edge_client_answers(entries: Sequence[BadInput]) -> dict[str, EdgeAnswer]:
    sink = InMemorySink()
    client = EdgeClient(transport=sink, mode="background", settings=Settings(log_interval=0))
    strict = EdgeClient(transport=InMemorySink(), mode="background", strict=True)
    capture = _Capture()
    logger = logging.getLogger("edge_client")
    logger.addHandler(capture)
    answers: dict[str, EdgeAnswer] = {}
    try:
        for number, entry in enumerate(entries):
            call = call_for(entry)
            if call is None:
                answers[entry.kind] = EdgeAnswer("n/a (not expressible as track_* arguments)")
                continue
            method, arguments = call
            missing = _required(getattr(client, method)) - set(arguments)
            if missing:
                answers[entry.kind] = EdgeAnswer(
                    f"TypeError at the call: required argument {', '.join(sorted(missing))} "
                    "left out (a programming error, flagged by type checkers)"
                )
                continue
            if arguments.get("request_id") == "bad-req-1":  # the catalogue's: one per entry here
                arguments["request_id"] = f"edge-bad-{number:03d}"
            answers[entry.kind] = _answer(client, strict, sink, capture, entry, method, arguments)
    finally:
        logger.removeHandler(capture)
        client.close(5)
        strict.close(5)
    return answers


def _answer(
    client: EdgeClient,
    strict: EdgeClient,
    sink: InMemorySink,
    capture: _Capture,
    entry: BadInput,
    method: str,
    arguments: dict[str, Any],
) -> EdgeAnswer:
    field = expected_field(entry, arguments)
    problems: list[str] = []
    before = client.stats()
    sent_before = len(sink.messages)
    capture.messages.clear()
    try:
        getattr(client, method)(**arguments)
    except Exception as exc:  # noqa: BLE001 - what is being checked
        problems.append(f"raised {type(exc).__name__} without strict")
    healthy = client.track_query(session_id="healthy", query="Is she available?")
    client.flush(10)
    after = client.stats()
    delivered = [message.body for message in sink.messages[sent_before:]]
    if not any(healthy in body for body in delivered):
        problems.append("the healthy question tracked after it was lost")
    if field is None:
        if after.invalid != before.invalid or len(delivered) != 2:
            problems.append(f"not delivered ({capture.messages[-1:] or 'no log'})")
        shown = "accepted" + (", truncated" if after.truncated > before.truncated else "")
        return EdgeAnswer(shown, "; ".join(problems) or None)
    reasons = [m.split("not tracked: ", 1)[1] for m in capture.messages if "not tracked: " in m]
    if after.invalid != before.invalid + 1 or len(delivered) != 1:
        problems.append("not counted as invalid, or sent")
    if not reasons or not reasons[0].startswith(field):
        problems.append(f"the logged error does not name {field} first: {reasons[:1]}")
    try:
        getattr(strict, method)(**arguments)
        problems.append("strict mode did not raise")
    except InvalidEventError as exc:
        if not exc.reason.startswith(field):
            problems.append(f"strict mode's error does not name {field} first: {exc.reason}")
    shown = f"invalid: {reasons[0][:60]}" if reasons else "invalid (no log)"
    return EdgeAnswer(shown, "; ".join(problems) or None)


def run(*, quick: bool = False) -> Section:
    entries = CATALOGUE if not quick else CATALOGUE[::4]
    answers = edge_client_answers(entries)
    rows = []
    problems = []
    for entry in entries:
        answer = answers[entry.kind]
        expected = entry.field if entry.field and entry.edge == "same" else entry.edge
        rows.append([entry.kind, expected, answer.shown + ("" if answer.problem is None else " ✗")])
        if answer.problem is not None:
            problems.append(f"edge client, {entry.kind}: {answer.problem}")
    tried = sum(not answer.shown.startswith(("n/a", "TypeError")) for answer in answers.values())
    return Section(
        title="Bad input through the edge client",
        intro=(
            f"The bad-input catalogue ({len(CATALOGUE)} kinds) given to `track_query`, "
            "`track_response` and `track_feedback` as arguments. A rejected input must be counted "
            "in `invalid`, logged with an error naming the argument first and sent nowhere, "
            "without raising (with `strict=True` it must raise `InvalidEventError` naming it); a "
            "healthy question tracked right after each must be delivered. `filled`: the client "
            "fills the field in (requestId, timestamp); `truncated`: it shortens the text to the "
            "contract's limit; n/a: not expressible as arguments (a body that is not JSON, an "
            "envelope field, an unknown field)."
        ),
        headers=["kind", "expected", "edge client"],
        rows=rows,
        totals={
            "kinds tried through the edge client": tried,
            "answered as the catalogue says": sum(
                answer.problem is None and not answer.shown.startswith(("n/a", "TypeError"))
                for answer in answers.values()
            ),
            "required argument left out (TypeError at the call)": sum(
                answer.shown.startswith("TypeError") for answer in answers.values()
            ),
        },
        problems=problems,
    )


if __name__ == "__main__":
    print(run().markdown())
