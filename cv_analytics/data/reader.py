"""Whole analytics records of a range of ISO weeks, read from the table page by page.

The keys come from ``week-index`` (``week`` + ``timestamp``): a ``Query`` per week, projecting only
``requestId`` (the table's key, which every index projects), so the reader works whatever else the
index projects. The whole items come from the table with ``BatchGetItem``, 100 keys a call (the
API's limit); keys DynamoDB leaves unprocessed (throttling, or the 16 MB response limit) are asked
again with exponential backoff and full jitter, and a batch that makes no progress for
``max_attempts`` calls stops the read with :class:`ReadError`, never a silent gap. Items become
:class:`AnalyticsRecord` through the contract's one conversion
(:func:`analytics_contract.storage.record_from_item`).

Memory holds one page of keys and one batch of items at a time. Records come out week by week,
in timestamp order within a week. What could not be read is counted in :class:`ReadStats`
(``unreadable``: an item that breaks the contract, logged with its ``requestId``; ``vanished``: a
key the index listed whose item was gone when fetched, e.g. deleted by TTL in between).

An adapter: the one module of ``cv_analytics.data`` that calls DynamoDB.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from analytics_contract.records import AnalyticsRecord
from analytics_contract.storage import WEEK_INDEX, record_from_item
from analytics_contract.weeks import parse_week_id

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import PaginatorConfigTypeDef

logger = logging.getLogger(__name__)

__all__ = ["BATCH_KEYS", "WEEK_INDEX", "Backoff", "ReadError", "ReadStats", "TableReader"]

#: Keys per ``BatchGetItem`` call: the API's maximum.
BATCH_KEYS = 100
KEY = "requestId"


class ReadError(RuntimeError):
    """The table could not be read completely (keys left unprocessed after every retry)."""


@dataclass
class ReadStats:
    """What a read did, for the operator and the cost model."""

    weeks: int = 0
    index_pages: int = 0
    keys: int = 0
    records: int = 0
    unreadable: int = 0
    vanished: int = 0
    batch_calls: int = 0
    #: Keys asked for again because DynamoDB left them unprocessed.
    retried_keys: int = 0
    #: Read capacity units DynamoDB reported (``ReturnConsumedCapacity``), index and table.
    index_read_units: float = 0.0
    table_read_units: float = 0.0


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with full jitter: attempt ``n`` waits up to ``base * 2**n``, capped."""

    base_seconds: float = 0.05
    max_seconds: float = 5.0
    max_attempts: int = 10

    def delay(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        return float(rng() * min(self.max_seconds, self.base_seconds * 2**attempt))


class TableReader:
    """Reads records of whole ISO weeks from the analytics table (see the module's notes)."""

    def __init__(
        self,
        client: DynamoDBClient,
        table_name: str,
        week_index: str = WEEK_INDEX,
        *,
        page_size: int | None = None,
        backoff: Backoff = Backoff(),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self.table_name = table_name
        self.week_index = week_index
        self.page_size = page_size
        self.backoff = backoff
        self._sleep = sleep
        self.stats = ReadStats()

    def week_keys(self, week_id: str) -> Iterator[list[str]]:
        """The ``requestId`` of every record of ``week_id``, one index page at a time."""
        parse_week_id(week_id)
        paginator = self._client.get_paginator("query")
        pagination: PaginatorConfigTypeDef = {"PageSize": self.page_size} if self.page_size else {}
        pages = paginator.paginate(
            TableName=self.table_name,
            IndexName=self.week_index,
            KeyConditionExpression="#week = :week",
            ExpressionAttributeNames={"#week": "week", "#key": KEY},
            ExpressionAttributeValues={":week": {"S": week_id}},
            ProjectionExpression="#key",
            ReturnConsumedCapacity="TOTAL",
            PaginationConfig=pagination,
        )
        for page in pages:
            self.stats.index_pages += 1
            self.stats.index_read_units += _capacity(page)
            keys = [item[KEY]["S"] for item in page.get("Items", [])]
            self.stats.keys += len(keys)
            yield keys

    def records(self, weeks: Iterable[str]) -> Iterator[AnalyticsRecord]:
        """Every record of ``weeks``, week by week, in timestamp order within a week."""
        for week_id in weeks:
            self.stats.weeks += 1
            for page in self.week_keys(week_id):
                for start in range(0, len(page), BATCH_KEYS):
                    yield from self._batch(page[start : start + BATCH_KEYS])

    def _batch(self, keys: list[str]) -> Iterator[AnalyticsRecord]:
        items = self._fetch(keys)
        for key in keys:
            item = items.get(key)
            if item is None:
                self.stats.vanished += 1
                logger.warning("record listed by the week index but gone from the table: %s", key)
                continue
            try:
                record = record_from_item(item)
            except ValidationError as exc:
                self.stats.unreadable += 1
                logger.warning(
                    "unreadable analytics record skipped: %s: %s",
                    key,
                    exc.errors(include_url=False, include_input=False),
                )
                continue
            self.stats.records += 1
            yield record

    def _fetch(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        """The items of ``keys`` by ``requestId`` (absent: no such item), asking again for the
        unprocessed ones; raises :class:`ReadError` when a call makes no progress for
        ``backoff.max_attempts`` attempts in a row."""
        found: dict[str, dict[str, Any]] = {}
        pending: list[dict[str, Any]] = [{KEY: {"S": key}} for key in keys]
        stalled = 0
        while pending:
            self.stats.batch_calls += 1
            response = self._client.batch_get_item(
                RequestItems={self.table_name: {"Keys": pending}},
                ReturnConsumedCapacity="TOTAL",
            )
            for consumed in response.get("ConsumedCapacity", []):
                self.stats.table_read_units += float(consumed.get("CapacityUnits", 0.0))
            items = response.get("Responses", {}).get(self.table_name, [])
            for item in items:
                found[item[KEY]["S"]] = dict(item)
            unprocessed: dict[str, Any] = dict(
                response.get("UnprocessedKeys", {}).get(self.table_name, {})
            )
            left = list(unprocessed.get("Keys", []))
            if not left:
                return found
            self.stats.retried_keys += len(left)
            stalled = 0 if len(left) < len(pending) else stalled + 1
            if stalled >= self.backoff.max_attempts:
                raise ReadError(
                    f"{len(left)} of {len(keys)} records of {self.table_name} were left "
                    f"unprocessed by {self.backoff.max_attempts} BatchGetItem calls in a row "
                    "(throttled?); nothing was skipped: run the export again later"
                )
            self._sleep(self.backoff.delay(stalled))
            pending = left
        return found


def _capacity(page: Any) -> float:
    consumed = page.get("ConsumedCapacity") or {}
    return float(consumed.get("CapacityUnits", 0.0))
