"""The bad-input catalogue through the edge client: counted, logged naming the field, never raised
unless strict, and nothing else lost (bench/reliability/edge_bad_inputs.py does the feeding)."""

from __future__ import annotations

from bench.reliability.edge_bad_inputs import edge_client_answers
from tests.support.bad_inputs import CATALOGUE


def test_every_expressible_bad_input_is_answered_as_the_catalogue_says() -> None:
    answers = edge_client_answers(CATALOGUE)
    problems = {kind: answer.problem for kind, answer in answers.items() if answer.problem}
    assert problems == {}
    shown = [answer.shown for answer in answers.values()]
    invalid = [text for text in shown if text.startswith("invalid")]
    # Everything the catalogue rejects and the client can be given: counted, logged, not sent.
    expected_invalid = [
        entry
        for entry in CATALOGUE
        if entry.rejected
        and entry.edge == "same"
        and not answers[entry.kind].shown.startswith(("n/a", "TypeError"))
    ]
    assert len(invalid) == len(expected_invalid) >= 35
    # Only a required argument left out raises (Python's TypeError at the call, like any function).
    assert sorted(kind for kind, a in answers.items() if a.shown.startswith("TypeError")) == [
        "match-type-missing",
        "query-missing",
        "session-id-missing",
    ]
