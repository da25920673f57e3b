"""The reporter against a moto server over HTTP: the preview command and the Lambda handler."""

from __future__ import annotations

import importlib
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from bench.sample_week import generate_week, to_item
from cv_analytics.dev.emulator import LocalAws
from cv_analytics.dev.resources import analytics_table_definition
from reporter import preview
from tests.unit.reporter.helpers import Context, scheduled

pytestmark = pytest.mark.integration

SENDER = "reports@example.com"


@pytest.fixture
def table(local_aws: LocalAws, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for name, value in local_aws.environment().items():
        monkeypatch.setenv(name, value)
    name = f"reporter-it-{uuid.uuid4().hex[:8]}"
    dynamodb = boto3.client("dynamodb")
    dynamodb.create_table(**analytics_table_definition(name))
    items = boto3.resource("dynamodb").Table(name)
    with items.batch_writer() as batch:
        for record in generate_week("2025-W46", questions=240, seed=46):
            batch.put_item(Item=to_item(record))
        for record in generate_week("2025-W45", questions=200, seed=45):
            batch.put_item(Item=to_item(record))
    yield name
    dynamodb.delete_table(TableName=name)


def test_preview_renders_a_week_read_over_http(
    table: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert preview.main(["--week", "2025-W46", "--table", table, "--out", str(tmp_path)]) == 0
    assert capsys.readouterr().out.startswith("Chatbot analytics 2025-W46: 240 questions (+20%)")
    text = (tmp_path / "report-2025-W46.txt").read_text(encoding="utf-8")
    assert "TOP QUESTIONS" in text and "What is your experience with Python?" in text
    assert (
        (tmp_path / "report-2025-W46.html")
        .read_text(encoding="utf-8")
        .startswith("<!DOCTYPE html>")
    )


def test_the_handler_sends_the_report_over_http(
    table: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ses: Any = boto3.client("ses")  # SES v1: its send quota counts what v2 sent
    boto3.client("sesv2").create_email_identity(EmailIdentity=SENDER)
    sent_before = ses.get_send_quota()["SentLast24Hours"]
    monkeypatch.setenv("ANALYTICS_TABLE", table)
    monkeypatch.setenv("REPORT_SENDER", SENDER)
    monkeypatch.setenv("REPORT_RECIPIENTS", "owner@example.com,team@example.com")
    sys.modules.pop("reporter.app", None)
    app = importlib.import_module("reporter.app")

    result = app.handler(scheduled("2025-11-17T07:00:00Z"), Context())

    assert result["weekId"] == "2025-W46" and result["questions"] == 240
    assert ses.get_send_quota()["SentLast24Hours"] == sent_before + 2  # one message, two recipients
