"""Data access: a week's analytics records, read through the table's week index.

The only module of the reporter that talks to DynamoDB. Records are read page by page with boto3's
``Query`` paginator (each page at most 1 MB, or ``page_size`` items) and validated one by one into
:class:`AnalyticsRecord`, so a week is never held in memory. Only the attributes the report uses are
fetched (not the answer text or the reasoning, the two largest).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer
from pydantic import ValidationError

from analytics_contract.records import AnalyticsRecord
from analytics_contract.storage import plain_numbers
from analytics_contract.weeks import parse_week_id
from reporter.settings import DEFAULT_WEEK_INDEX

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef, PaginatorConfigTypeDef

logger = logging.getLogger(__name__)

#: The record attributes the report reads (camelCase, as stored).
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
    "error",
    "responseTimestamp",
    "recordedAt",
    "expiresAt",
)

_deserializer = TypeDeserializer()


def record_from_item(item: dict[str, Any]) -> AnalyticsRecord:
    """Validate one item (already deserialized to Python values, Decimals allowed)."""
    return AnalyticsRecord.model_validate(plain_numbers(item))


class WeekRecords:
    """A week's records, read lazily when iterated.

    An item that does not validate is logged (with its ``requestId`` and the reason) and counted in
    :attr:`unreadable`, which the report shows: one bad item must not stop the weekly email, and it
    must not go unnoticed either.
    """

    def __init__(
        self, client: DynamoDBClient, query: dict[str, Any], page_size: int | None
    ) -> None:
        self._client = client
        self._query = query
        self._page_size = page_size
        self.unreadable = 0
        self.pages = 0

    def __iter__(self) -> Iterator[AnalyticsRecord]:
        self.unreadable = 0
        self.pages = 0
        paginator = self._client.get_paginator("query")
        pagination: PaginatorConfigTypeDef = (
            {"PageSize": self._page_size} if self._page_size else {}
        )
        for page in paginator.paginate(**self._query, PaginationConfig=pagination):
            self.pages += 1
            for raw in page.get("Items", []):
                item = self._deserialize(raw)
                try:
                    yield record_from_item(item)
                except ValidationError as exc:
                    self.unreadable += 1
                    logger.warning(
                        "unreadable analytics record skipped",
                        extra={
                            "requestId": item.get("requestId"),
                            "reason": exc.errors(include_url=False, include_input=False),
                        },
                    )

    @staticmethod
    def _deserialize(raw: dict[str, AttributeValueTypeDef]) -> dict[str, Any]:
        return {key: _deserializer.deserialize(value) for key, value in raw.items()}


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
        parse_week_id(week_id)
        names = {f"#{name}": name for name in REPORT_ATTRIBUTES}
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": self.week_index,
            "KeyConditionExpression": "#week = :week",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": {":week": {"S": week_id}},
            "ProjectionExpression": ", ".join(names),
        }
        return WeekRecords(self._client, query, self.page_size)
