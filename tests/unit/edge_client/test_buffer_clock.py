"""The sender's view of when an event was tracked (``accepted_monotonic``), wall clock steps included."""

from __future__ import annotations

import pytest

from edge_client.buffer import accepted_monotonic

S = 1_000_000_000  # nanoseconds per second


def test_the_age_is_the_wall_clock_age_of_the_call() -> None:
    # Tracked 1.5 s ago by the wall clock; the previous take was 10 s ago.
    assert accepted_monotonic(100 * S, now=500.0, now_ns=int(101.5 * S), taken_since=490.0) == (
        pytest.approx(498.5)
    )


def test_a_wall_clock_stepped_forward_cannot_age_an_event_past_the_previous_take() -> None:
    # The wall clock jumped an hour ahead between the call and the take: the event reached the
    # buffer after the take 2 s ago, so it is at most 2 s old (not an hour: not expired).
    assert accepted_monotonic(100 * S, now=500.0, now_ns=3_700 * S, taken_since=498.0) == 498.0


def test_a_wall_clock_stepped_back_gives_age_zero() -> None:
    assert accepted_monotonic(100 * S, now=500.0, now_ns=40 * S, taken_since=490.0) == 500.0
