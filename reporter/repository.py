"""Data access: a week's analytics records, read through the table's week index.

The only module of the reporter that talks to the analytics table (it implements
:class:`~reporter.ports.RecordSource`). Records are read page by page with boto3's ``Query``
paginator (each page at most 1 MB, or ``page_size`` items) and turned into
:class:`AnalyticsRecord` one by one with the contract's own conversion
(:func:`analytics_contract.storage.record_from_item`), so a week is never held in memory. Only the
attributes the report uses are fetched (not the answer text or the reasoning, the two largest).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from analytics_contract.records import AnalyticsRecord
from analytics_contract.storage import record_from_item
from analytics_contract.weeks import parse_week_id
from reporter.settings import DEFAULT_WEEK_INDEX

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef, PaginatorConfigTypeDef

logger = logging.getLogger(__name__)

#: The record attributes the report reads (camelCase, as stored). The week index must project
#: them (the processor's INCLUDE list; reconciled with ``analytics_contract.storage`` once it
#: defines that list in one place).
REPORT_ATTRIBUTES = (
    "requestId",
    "timestamp",
    "week",
    "day",
    "status",
    "sessionId",
    "query",
    "matchType",
    "matchScore",
    "processingTimeMs",
    "tokens",
    "model",
    "variant",
    "feedback",
    "error",
    "responseTimestamp",
    "recordedAt",
    "expiresAt",
)
#: What comparing questions with earlier weeks reads.
QUESTION_ATTRIBUTES = ("query",)


def _week_query(
    table: str, index: str, week_id: str, attributes: tuple[str, ...]
) -> dict[str, Any]:
    parse_week_id(week_id)
    names = {f"#{name}": name for name in (*attributes, "week")}
    return {
        "TableName": table,
        "IndexName": index,
        "KeyConditionExpression": "#week = :week",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": {":week": {"S": week_id}},
        "ProjectionExpression": ", ".join(f"#{name}" for name in attributes),
    }


class _Pages:
    def __init__(
        self, client: DynamoDBClient, query: dict[str, Any], page_size: int | None
    ) -> None:
        self._client = client
        self._query = query
        self._page_size = page_size
        self.pages = 0

    def items(self) -> Iterator[dict[str, AttributeValueTypeDef]]:
        self.pages = 0
        paginator = self._client.get_paginator("query")
        pagination: PaginatorConfigTypeDef = (
            {"PageSize": self._page_size} if self._page_size else {}
        )
        for page in paginator.paginate(**self._query, PaginationConfig=pagination):
            self.pages += 1
            yield from page.get("Items", [])


class WeekRecords:
    """A week's records, read lazily when iterated (a :class:`~reporter.ports.WeekReading`).

    An item that does not validate is logged (with its ``requestId`` and the reason) and counted in
    :attr:`unreadable`, which the report shows: one bad item must not stop the weekly email, and it
    must not go unnoticed either.
    """

    def __init__(
        self, client: DynamoDBClient, query: dict[str, Any], page_size: int | None
    ) -> None:
        self._pages = _Pages(client, query, page_size)
        self.unreadable = 0

    @property
    def pages(self) -> int:
        return self._pages.pages

    def __iter__(self) -> Iterator[AnalyticsRecord]:
        self.unreadable = 0
        for item in self._pages.items():
            try:
                yield record_from_item(item)
            except ValidationError as exc:
                self.unreadable += 1
                logger.warning(
                    "unreadable analytics record skipped",
                    extra={
                        "requestId": item.get("requestId", {}).get("S"),
                        "reason": exc.errors(include_url=False, include_input=False),
                    },
                )


class AnalyticsTable:
    """Reads the analytics table's ``week-index`` (``week`` hash key, ``timestamp`` range key)."""

    def __init__(
        self,
        client: DynamoDBClient,
        table_name: str,
        week_index: str = DEFAULT_WEEK_INDEX,
        *,
        page_size: int | None = None,
    ) -> None:
        self._client = client
        self.table_name = table_name
        self.week_index = week_index
        self.page_size = page_size

    def week(self, week_id: str) -> WeekRecords:
        """The records of one ISO week, in timestamp order, read when iterated."""
        query = _week_query(self.table_name, self.week_index, week_id, REPORT_ATTRIBUTES)
        return WeekRecords(self._client, query, self.page_size)

    def questions(self, week_id: str) -> Iterator[str]:
        """The question text of each record of ``week_id`` that has one, read page by page."""
        query = _week_query(self.table_name, self.week_index, week_id, QUESTION_ATTRIBUTES)
        for item in _Pages(self._client, query, self.page_size).items():
            text = item.get("query", {}).get("S")
            if text:
                yield text
