"""Helpers for the reporter's tests: records as the processor writes them, names, times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from analytics_contract.records import AnalyticsRecord
from analytics_contract.weeks import iso_week, utc_day

TABLE = "reporter-test-analytics"
SENDER = "reports@example.com"
RECIPIENTS = ["owner@example.com", "friend@example.org"]


def ms(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> int:
    return int(datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp() * 1000)


_serial = iter(range(1, 10**9))


def make_record(timestamp: int, status: str = "answered", **fields: Any) -> AnalyticsRecord:
    """A record as the processor writes it; answered ones get a match unless told otherwise."""
    values: dict[str, Any] = {
        "request_id": f"req-{next(_serial)}",
        "timestamp": timestamp,
        "week": iso_week(timestamp),
        "day": utc_day(timestamp),
        "status": status,
        "session_id": "s-1",
        "query": "What is your experience with Python?",
        "recorded_at": timestamp + 1000,
        "expires_at": timestamp // 1000 + 90 * 86400,
    }
    if status == "orphaned":
        values["query"] = None
    if status in ("answered", "failed", "orphaned"):
        values.update(match_type="full", match_score=90.0, processing_time_ms=1500.0)
    if status == "failed":
        values.update(match_type="none", match_score=0.0, error="LLM timed out")
    values.update(fields)
    return AnalyticsRecord(**values)


def scheduled(time: str) -> dict[str, Any]:
    """The event EventBridge sends for a schedule rule (shape from the AWS documentation)."""
    return {
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": time,
        "region": "eu-west-2",
        "resources": ["arn:aws:events:eu-west-2:123456789012:rule/cv-analytics-weekly-report"],
        "detail": {},
    }


@dataclass
class Context:
    """The parts of the Lambda context powertools reads."""

    function_name: str = "cv-analytics-reporter"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = (
        "arn:aws:lambda:eu-west-2:123456789012:function:cv-analytics-reporter"
    )
    aws_request_id: str = "6f1c7e1a-2b8e-4d0e-9d9a-0c5e3b1f4a2d"
