from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from reporter.trigger import InvalidTriggerError, parse_trigger, week_for_event
from tests.unit.reporter.helpers import scheduled


@pytest.mark.parametrize(
    ("time", "week"),
    [
        ("2025-11-17T07:00:00Z", "2025-W46"),  # the usual Monday run
        ("2025-11-17T23:59:59Z", "2025-W46"),  # a retry late on Monday: same week
        ("2025-11-18T03:00:00Z", "2025-W46"),  # ...or on Tuesday
        ("2025-11-16T23:59:59Z", "2025-W45"),  # still Sunday: that week has not ended
        ("2027-01-04T07:00:00Z", "2026-W53"),  # 2026 has 53 ISO weeks
        ("2026-01-05T07:00:00Z", "2026-W01"),  # ISO 2026-W01 began on Monday 29 December 2025
        ("2025-12-29T07:00:00Z", "2025-W52"),  # calendar year 2025, ISO week ends 28 December
        ("2021-01-04T07:00:00Z", "2020-W53"),
        ("2024-12-30T07:00:00Z", "2024-W52"),  # a run in ISO 2025-W01 reports 2024's last week
        ("2025-11-17T08:00:00+01:00", "2025-W46"),  # offsets are converted to UTC
        ("2025-11-17T00:30:00+01:00", "2025-W45"),  # ...which is still Sunday 23:30 UTC
    ],
)
def test_a_scheduled_event_reports_the_week_that_ended_before_its_time(
    time: str, week: str
) -> None:
    assert week_for_event(scheduled(time)) == week


def test_a_manual_event_reports_the_given_week() -> None:
    assert week_for_event({"weekId": "2025-W46"}) == "2025-W46"
    assert week_for_event({"weekId": "2026-W53"}) == "2026-W53"


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"weekId": "2025-46"}, "weekId.*not of the form YYYY-Www"),
        ({"weekId": "2025-W53"}, "ISO year 2025 has no week 53"),
        ({"weekId": 202546}, "weekId"),
        ({"weekId": "2025-W46", "extra": 1}, "extra"),
        ({}, "empty; expected a scheduled event"),
        ({"key1": "value1", "key2": "value2"}, "detail-type: Field required"),
        ({"weekId": "2025-W46", "force": "yes"}, "force: Input should be a valid boolean"),
        ([1, 2], "expected a JSON object, got list"),
        ({**scheduled("2025-11-17T07:00:00Z"), "time": "yesterday"}, "time"),
        (
            {**scheduled("2025-11-17T07:00:00Z"), "detail-type": "Object Created"},
            "detail-type: Input should be 'Scheduled Event'",
        ),
    ],
)
def test_an_unexpected_event_is_refused_with_a_clear_message(
    event: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidTriggerError, match=message):
        week_for_event(event)


EVENTS = Path(__file__).parent / "events"
NOW = datetime(2025, 11, 20, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("fixture", "week", "origin"),
    [
        ("eventbridge-rule.json", "2025-W46", "schedule"),
        ("eventbridge-scheduler.json", "2025-W46", "schedule"),
        ("lambda-docs-scheduled-event.json", "2019-W08", "schedule"),
        # Templates with the 1970 placeholder: the week that ended before the invocation.
        ("sam-local-generate-event.json", "2025-W46", "test event"),
        ("lambda-console-cloudwatch-scheduled-event.json", "2025-W46", "test event"),
    ],
)
def test_every_scheduled_event_shape_aws_tools_generate_is_accepted(
    fixture: str, week: str, origin: str
) -> None:
    event = json.loads((EVENTS / fixture).read_text(encoding="utf-8"))
    request = parse_trigger(event, now=NOW)
    assert (request.week_id, request.origin, request.force) == (week, origin, False)


def test_a_forced_resend_is_a_manual_request() -> None:
    request = parse_trigger({"weekId": "2025-W46", "force": True}, now=NOW)
    assert (request.week_id, request.force, request.origin) == ("2025-W46", True, "manual")
