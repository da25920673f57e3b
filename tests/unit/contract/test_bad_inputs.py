"""The contract's answer to every kind in the bad-input catalogue (tests/support/bad_inputs.py)."""

from __future__ import annotations

import pytest

from analytics_contract import InvalidEventError, parse_event_json
from tests.support.bad_inputs import CATALOGUE, BadInput


def test_the_catalogue_has_at_least_forty_kinds_of_bad_input() -> None:
    assert len({entry.kind for entry in CATALOGUE}) == len(CATALOGUE)
    assert sum(entry.rejected for entry in CATALOGUE) >= 40


@pytest.mark.parametrize("entry", CATALOGUE, ids=lambda entry: entry.kind)
def test_every_bad_input_is_answered_as_the_catalogue_says(entry: BadInput) -> None:
    if entry.rejected:
        with pytest.raises(InvalidEventError) as caught:
            parse_event_json(entry.body)
        assert caught.value.reason.startswith(entry.field or ""), caught.value.reason
        assert caught.value.kind == ("json" if entry.field == "(body)" else "schema")
    else:
        parse_event_json(entry.body)
