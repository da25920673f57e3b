"""PII redaction: each kind found and replaced, near-misses kept, and the labelled set's scores."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from analytics_contract import FeedbackEvent
from bench.reliability.pii import ANY, evaluate, load_cases
from edge_client import EdgeClient, InMemorySink, find_pii, redact_personal_data, redact_pii

from .conftest import HANG_GUARD

Make = Callable[..., EdgeClient]

#: Precision and recall measured on bench/reliability/pii_cases.jsonl when it was committed
#: (`python -m bench.reliability.pii`). A change to the rules may raise them; never lower them.
FLOORS: dict[str, tuple[float, float]] = {
    "email": (1.0, 1.0),
    "card": (1.0, 1.0),
    "iban": (1.0, 1.0),
    "national_id": (1.0, 0.923),
    "dob": (1.0, 1.0),
    "ip": (1.0, 1.0),
    "postcode": (1.0, 1.0),
    "phone": (0.967, 1.0),
    ANY: (0.995, 0.990),
}


def test_the_labelled_set_is_large_enough_and_has_near_misses() -> None:
    cases = load_cases()
    assert len(cases) >= 200
    assert sum(1 for case in cases if not case.pii) >= 80
    assert {kind for case in cases for kind, _ in case.pii} == set(FLOORS) - {ANY}


@pytest.mark.parametrize("kind", sorted(FLOORS))
def test_precision_and_recall_do_not_fall_below_what_was_measured(kind: str) -> None:
    score = evaluate(load_cases())[kind]
    precision, recall = FLOORS[kind]
    assert round(score.precision, 3) >= precision, f"{kind} precision {score.precision:.3f}"
    assert round(score.recall, 3) >= recall, f"{kind} recall {score.recall:.3f}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("card 4111 1111 1111 1111 please", "card [CARD] please"),
        ("IBAN GB82 WEST 1234 5698 7654 32 thanks", "IBAN [IBAN] thanks"),
        ("from 203.0.113.42 and 2001:db8::1", "from [IP] and [IP]"),
        ("NI AB 12 34 56 C", "NI [NATIONAL_ID]"),
        ("I live in SW1A 1AA", "I live in [POSTCODE]"),
        ("DOB: 12/03/1985", "DOB: [DOB]"),
        ("mail me at a@b.io or call +44 7700 900123", "mail me at [EMAIL] or call [PHONE]"),
    ],
)
def test_each_kind_is_replaced_by_its_placeholder(text: str, expected: str) -> None:
    assert redact_personal_data(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "card 4111 1111 1111 1112",  # Luhn checksum fails
        "GB82 WEST 1234 5698 7654 33 is wrong",  # mod 97 fails: not an IBAN (see the set)
        "Chrome/120.0.0.0 Safari/537.36",
        "version 1.2.3.4",
        "on 2025-11-14 at 10:30",
        "£45,000-£55,000, from 2015 to 2020",
        "order 1234-5678",
        "born in 1985",
    ],
)
def test_near_misses_are_not_redacted_as_what_they_resemble(text: str) -> None:
    kinds = {match.kind for match in find_pii(text)}
    # The broken IBAN's digits still look like a phone number: redacted, but not as an IBAN.
    assert (kinds <= {"phone"}) if "WEST" in text else (kinds == set())


def test_an_overlap_goes_to_the_more_specific_kind() -> None:
    # Nine digits written like a phone number, and a valid Canadian SIN.
    [match] = find_pii("SIN 130 692 544")
    assert match.kind == "national_id"


def test_the_feedback_comment_is_redacted_like_other_free_text(make_client: Make) -> None:
    sink = InMemorySink()
    client = make_client(transport=sink, redactor=redact_pii)
    client.track_feedback("r-1", thumbs="down", comment="wrong, call me on 07700 900123")
    assert client.flush(HANG_GUARD) is True
    [event] = sink.events
    assert isinstance(event, FeedbackEvent)
    assert event.comment == "wrong, call me on [PHONE]"
