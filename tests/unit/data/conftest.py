"""Fixtures of the data tests: moto in-process with an analytics table."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from analytics_contract.records import AnalyticsRecord
from analytics_contract.storage import record_to_item
from cv_analytics.dev.resources import analytics_table_definition

TABLE = "data-test-analytics"


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-west-2")
        client.create_table(**analytics_table_definition(TABLE))
        yield client


def put_records(client: Any, records: Iterable[AnalyticsRecord], table: str = TABLE) -> int:
    written = 0
    for record in records:
        client.put_item(TableName=table, Item=record_to_item(record))
        written += 1
    return written
