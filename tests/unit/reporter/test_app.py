"""The Lambda handler end to end (moto in-process): EventBridge event in, SES message out."""

from __future__ import annotations

import importlib
import json
import sys
from types import ModuleType
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.backends import get_backend
from moto.core.models import DEFAULT_ACCOUNT_ID

from reporter.ports import SendRejected
from reporter.settings import ConfigurationError
from reporter.trigger import InvalidTriggerError
from tests.unit.reporter.helpers import (
    RECIPIENTS,
    SENDER,
    TABLE,
    Context,
    make_record,
    ms,
    scheduled,
)

REGION = "eu-west-2"


def sent_messages() -> list[Any]:
    return list(get_backend("ses")[DEFAULT_ACCOUNT_ID][REGION].sent_messages)


def load_app(monkeypatch: pytest.MonkeyPatch, **environment: str) -> ModuleType:
    """Import reporter.app afresh: a cold start with this environment."""
    variables = {
        "ANALYTICS_TABLE": TABLE,
        "REPORT_SENDER": SENDER,
        "REPORT_RECIPIENTS": ",".join(RECIPIENTS),
        "POWERTOOLS_METRICS_NAMESPACE": "CvAnalyticsTest",
        **environment,
    }
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    sys.modules.pop("reporter.app", None)
    return importlib.import_module("reporter.app")


@pytest.fixture
def captured_requests() -> list[dict[str, Any]]:
    return []


@pytest.fixture
def app(
    monkeypatch: pytest.MonkeyPatch, dynamodb: Any, captured_requests: list[dict[str, Any]]
) -> ModuleType:
    module = load_app(
        monkeypatch,
        PRICE_PER_MILLION_INPUT_TOKENS="0.80",
        PRICE_PER_MILLION_OUTPUT_TOKENS="4.00",
    )

    # moto keeps only the HTML part of a message; the request shows both parts were sent.
    def capture(params: dict[str, Any], **_: Any) -> None:
        captured_requests.append(params)

    module.reporter.mailer._client.meta.events.register(
        "provide-client-params.sesv2.SendEmail", capture
    )
    return module


def test_a_scheduled_event_sends_last_weeks_report(
    app: ModuleType,
    ses: Any,
    put_records: Any,
    captured_requests: list[dict[str, Any]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    put_records(make_record(ms(2025, 11, 12) + i, session_id=f"s-{i % 4}") for i in range(12))
    put_records(make_record(ms(2025, 11, 5) + i) for i in range(10))
    put_records([make_record(ms(2025, 11, 17, 6))])  # this week's: not in the report

    result = app.handler(scheduled("2025-11-17T07:00:00Z"), Context())

    assert result["weekId"] == "2025-W46"
    assert result["questions"] == 12
    assert result["subject"] == "Chatbot analytics 2025-W46: 12 questions (+20%)"
    (message,) = sent_messages()
    assert message.id == result["messageId"]
    assert message.source == SENDER
    assert message.destinations == {"ToAddresses": RECIPIENTS}
    assert message.subject == result["subject"]
    assert "<!DOCTYPE html>" in message.body and "Week 2025-W46" in message.body
    (request,) = captured_requests
    body = request["Content"]["Simple"]["Body"]
    assert body["Html"]["Data"] == message.body
    assert "TOP QUESTIONS" in body["Text"]["Data"] and "12 questions" in body["Text"]["Data"]
    assert body["Text"]["Charset"] == body["Html"]["Charset"] == "UTF-8"
    assert "LLM cost" in body["Text"]["Data"]

    metrics = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line
    ]
    (emf,) = metrics
    assert emf["ReportsSent"] == [1.0]
    assert emf["QuestionsReported"] == [12.0]
    assert emf["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "CvAnalyticsTest"


def test_a_retry_days_later_reports_the_same_week(app: ModuleType, ses: Any) -> None:
    first = app.handler(scheduled("2025-11-17T07:00:00Z"), Context())
    retry = app.handler(scheduled("2025-11-17T07:00:00Z"), Context())
    assert first["weekId"] == retry["weekId"] == "2025-W46"


def test_a_run_on_monday_4_january_2027_reports_2026_w53(
    app: ModuleType, ses: Any, put_records: Any
) -> None:
    put_records([make_record(ms(2027, 1, 3, 23, 59)), make_record(ms(2026, 12, 28, 0, 0))])
    result = app.handler(scheduled("2027-01-04T07:00:00Z"), Context())
    assert result["weekId"] == "2026-W53"
    assert result["questions"] == 2


def test_a_manual_event_reports_the_given_week(app: ModuleType, ses: Any, put_records: Any) -> None:
    put_records([make_record(ms(2025, 11, 12))])
    result = app.handler({"weekId": "2025-W46"}, Context())
    assert (result["weekId"], result["questions"]) == ("2025-W46", 1)


def test_an_empty_week_still_sends_a_short_email(
    app: ModuleType, ses: Any, captured_requests: list[dict[str, Any]]
) -> None:
    result = app.handler(scheduled("2025-11-17T07:00:00Z"), Context())
    assert result["questions"] == 0
    (message,) = sent_messages()
    assert message.subject == "Chatbot analytics 2025-W46: no questions"
    assert "No questions this week." in message.body
    assert (
        "No questions this week."
        in captured_requests[0]["Content"]["Simple"]["Body"]["Text"]["Data"]
    )


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_an_ses_rejection_fails_the_invocation(
    app: ModuleType, aws: None, put_records: Any
) -> None:
    put_records([make_record(ms(2025, 11, 12))])  # the sender identity is not verified
    with pytest.raises(SendRejected, match="MessageRejected") as error:
        app.handler(scheduled("2025-11-17T07:00:00Z"), Context())
    assert isinstance(error.value.__cause__, ClientError)
    assert sent_messages() == []


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_an_unexpected_event_fails_the_invocation_and_sends_nothing(
    app: ModuleType, ses: Any
) -> None:
    with pytest.raises(InvalidTriggerError, match="weekId"):
        app.handler({"weekId": "last week"}, Context())
    assert sent_messages() == []


def test_a_misconfigured_function_fails_its_cold_start(
    monkeypatch: pytest.MonkeyPatch, aws: None
) -> None:
    with pytest.raises(ConfigurationError, match="REPORT_RECIPIENTS\\[0\\]='owner'"):
        load_app(monkeypatch, REPORT_RECIPIENTS="owner")
    monkeypatch.delenv("ANALYTICS_TABLE")
    sys.modules.pop("reporter.app", None)
    with pytest.raises(ConfigurationError, match="ANALYTICS_TABLE is not set"):
        importlib.import_module("reporter.app")
