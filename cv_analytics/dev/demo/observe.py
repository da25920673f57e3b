"""A snapshot of where things are after the pipeline ran, for the balance (read-only)."""

from __future__ import annotations

from typing import Any

from analytics_contract.storage import from_attribute_values
from cv_analytics import dlq
from cv_analytics.dev.accounting import Observed, ObservedDeadLetter, ObservedRecord


def scan_items(
    dynamodb: Any, table: str, attributes: tuple[str, ...] | None = None
) -> list[dict[str, Any]]:
    """Every item of ``table`` (paginated scan), as plain Python values."""
    kwargs: dict[str, Any] = {"TableName": table}
    if attributes:
        kwargs["ProjectionExpression"] = ", ".join(f"#a{i}" for i in range(len(attributes)))
        kwargs["ExpressionAttributeNames"] = {f"#a{i}": name for i, name in enumerate(attributes)}
    items: list[dict[str, Any]] = []
    for page in dynamodb.get_paginator("scan").paginate(**kwargs):
        items.extend(from_attribute_values(item) for item in page.get("Items", []))
    return items


def observe(
    *, dynamodb: Any, sqs: Any, analytics_table: str, interim_table: str, dlq_url: str
) -> Observed:
    """Read the analytics records, the waiting responses and the dead letters (not consumed)."""
    records = {
        str(item["requestId"]): ObservedRecord(
            str(item["requestId"]), str(item.get("status")), item.get("feedback") is not None
        )
        for item in scan_items(dynamodb, analytics_table, ("requestId", "status", "feedback"))
    }
    waiting = frozenset(
        str(item["requestId"]) for item in scan_items(dynamodb, interim_table, ("requestId",))
    )
    letters = dlq.peek(sqs, dlq_url, wait_seconds=0).messages
    dead = tuple(
        ObservedDeadLetter(body=letter.body, reason=letter.quarantine_reason) for letter in letters
    )
    return Observed(records=records, waiting=waiting, dead_letters=dead)
