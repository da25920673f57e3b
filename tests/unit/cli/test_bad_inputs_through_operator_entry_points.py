"""The bad-input catalogue through ``cv-analytics events send`` and the reporter's trigger
(bench/reliability/operator_entry_points.py does the feeding, on moto in-process)."""

from __future__ import annotations

import pytest

from bench.reliability.bad_inputs import Answer
from bench.reliability.operator_entry_points import (
    cli_answers,
    cli_arguments,
    reporter_trigger_answers,
)
from tests.support.bad_inputs import CATALOGUE, BadInput

BY_KIND = {entry.kind: entry for entry in CATALOGUE}


@pytest.fixture(scope="module")
def cli() -> dict[str, Answer]:
    return cli_answers(CATALOGUE)


@pytest.fixture(scope="module")
def trigger() -> dict[str, Answer]:
    return reporter_trigger_answers(CATALOGUE)


@pytest.mark.parametrize("entry", CATALOGUE, ids=lambda entry: entry.kind)
def test_events_send_answers_each_bad_input_as_the_catalogue_says(
    entry: BadInput, cli: dict[str, Answer]
) -> None:
    assert cli[entry.kind].problem is None, cli[entry.kind]


def test_events_send_is_tried_on_every_kind_a_command_line_can_express(
    cli: dict[str, Answer],
) -> None:
    tried = {kind for kind, answer in cli.items() if not answer.shown.startswith("n/a")}
    # the option-shaped faults: ids, query text, match type and score, times, variant, feedback
    assert {
        "request-id-empty", "request-id-characters", "session-id-characters", "query-empty",
        "query-whitespace", "query-lone-surrogate", "match-type-unknown", "match-score-over-100",
        "processing-time-huge", "variant-too-long", "feedback-thumbs-and-rating",
        "feedback-rating-6", "query-250kb", "query-control-characters",
    } <= tried  # fmt: skip
    refused = {kind for kind in tried if cli[kind].shown.startswith("exit")}
    assert {kind for kind in tried if BY_KIND[kind].rejected and kind.endswith("-empty")} <= refused


def test_an_empty_request_id_given_on_purpose_is_refused_not_replaced() -> None:
    arguments = cli_arguments(BY_KIND["request-id-empty"])
    assert isinstance(arguments, list) and arguments[arguments.index("--request-id") + 1] == ""


@pytest.mark.parametrize("entry", CATALOGUE, ids=lambda entry: entry.kind)
def test_the_reporter_refuses_every_event_body_as_a_trigger_and_sends_nothing(
    entry: BadInput, trigger: dict[str, Answer]
) -> None:
    answer = trigger[entry.kind]
    assert answer.problem is None, answer
    assert answer.shown.startswith("refused: ")
