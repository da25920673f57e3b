"""Every kind of the bad-input catalogue as a raw SQS message to the processor (real handler,
real FIFO queue on moto): rejected ones quarantined with a reason naming the catalogue's field,
valid ones recorded, and the healthy question behind each in its FIFO group recorded too."""

from __future__ import annotations

import pytest

from bench.reliability.bad_inputs import Answer, processor_answers
from tests.support.bad_inputs import CATALOGUE, BadInput


@pytest.fixture(scope="module")
def answers() -> dict[str, Answer]:
    return processor_answers(CATALOGUE)


@pytest.mark.parametrize("entry", CATALOGUE, ids=lambda entry: entry.kind)
def test_the_processor_answers_each_bad_input_as_the_catalogue_says(
    entry: BadInput, answers: dict[str, Answer]
) -> None:
    answer = answers[entry.kind]
    assert answer.problem is None, answer
    assert answer.shown.startswith("rejected" if entry.rejected else "recorded")
