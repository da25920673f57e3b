"""Fixtures for the reporter's unit tests: moto in-process, an analytics table, a verified sender."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from analytics_contract.records import AnalyticsRecord
from bench.sample_week import to_item
from cv_analytics.dev.resources import analytics_table_definition
from tests.unit.reporter.helpers import SENDER, TABLE


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield


@pytest.fixture
def dynamodb(aws: None) -> Any:
    client = boto3.client("dynamodb")
    client.create_table(**analytics_table_definition(TABLE))
    return client


@pytest.fixture
def put_records(dynamodb: Any) -> Any:
    table = boto3.resource("dynamodb").Table(TABLE)

    def put(records: Iterable[AnalyticsRecord]) -> int:
        written = 0
        with table.batch_writer() as batch:
            for record in records:
                batch.put_item(Item=to_item(record))
                written += 1
        return written

    return put


@pytest.fixture
def ses(aws: None) -> Any:
    client = boto3.client("sesv2")
    client.create_email_identity(EmailIdentity=SENDER)
    return client
