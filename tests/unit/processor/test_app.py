"""The two Lambda entry points, imported as Lambda imports them, driven by the local triggers."""

from __future__ import annotations

import io
import json
import logging

import pytest

from cv_analytics.dev.sqs_trigger import LocalLambdaContext, SqsTrigger
from cv_analytics.dev.ttl import expire_items
from tests.unit.processor.conftest import NAMESPACE, Aws, cold_start, query_event, response_event


@pytest.mark.usefixtures("lambda_environment")
def test_handler_correlates_a_queue_of_events_and_emits_metrics(
    aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    app = cold_start("processor.app")
    events = [response_event("a"), query_event("b"), query_event("a"), response_event("b")]
    for number, event in enumerate(events):
        aws.sqs.send_message(
            QueueUrl=aws.resources.queue_url,
            MessageBody=event.to_json(),
            MessageGroupId="sess-1",
            MessageDeduplicationId=str(number),
        )
    aws.sqs.send_message(
        QueueUrl=aws.resources.queue_url,
        MessageBody="[1, 2]",
        MessageGroupId="sess-2",
        MessageDeduplicationId="bad",
    )
    trigger = SqsTrigger(aws.sqs, aws.resources.queue_url, app.handler, batch_size=2)
    result = trigger.drain()
    assert (result.received, result.succeeded, result.failed) == (5, 5, 0)
    assert {key: r.status for key, r in aws.records().items()} == {"a": "answered", "b": "answered"}
    assert aws.parked() == {}
    [letter] = aws.dead_letters()
    assert letter["Body"] == "[1, 2]"

    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    emf = [line for line in printed if "_aws" in line]
    assert emf, "metrics are flushed after every invocation"
    declared = emf[0]["_aws"]["CloudWatchMetrics"][0]
    assert declared["Namespace"] == NAMESPACE
    assert emf[0]["service"] == "processor"
    totals: dict[str, float] = {}
    for blob in emf:
        for metric in blob["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
            totals[metric["Name"]] = totals.get(metric["Name"], 0) + sum(blob[metric["Name"]])
    assert (totals["Questions"], totals["Answers"]) == (2, 2)
    # What processing did: properties of the same lines (and of lines that published nothing),
    # one total per invocation, summed here as Logs Insights' `stats sum(...)` would.
    counts = [line for line in printed if "_aws" in line or "level" not in line]
    assert not {"EventsReceived", "InvalidEventsQuarantined"} & set(totals)

    def summed(name: str) -> int:
        return sum(int(line.get(name, 0)) for line in counts)

    assert summed("EventsReceived") == 5
    assert summed("InvalidEventsQuarantined") == 1
    assert summed("QuestionsCorrelated") + summed("ConcurrentCorrelations") == 2


@pytest.mark.usefixtures("lambda_environment")
def test_log_lines_carry_the_lambda_request_id(aws: Aws) -> None:
    app = cold_start("processor.app")
    # The service's logging.Logger outlives the module (and this test's stdout): listen to it.
    stream = io.StringIO()
    listener = logging.StreamHandler(stream)
    listener.setFormatter(app.logger.registered_formatter)
    app.logger.addHandler(listener)
    context = LocalLambdaContext(function_name="cv-analytics-processor")
    record = {
        "messageId": "m-1",
        "receiptHandle": "h",
        "body": "not json",
        "attributes": {"ApproximateReceiveCount": "1", "MessageGroupId": "g"},
        "messageAttributes": {},
        "md5OfBody": "x",
        "eventSource": "aws:sqs",
        "eventSourceARN": aws.resources.queue_arn,
        "awsRegion": "eu-west-2",
    }
    try:
        assert app.handler({"Records": [record]}, context) == {"batchItemFailures": []}
    finally:
        app.logger.removeHandler(listener)
    logs = [json.loads(line) for line in stream.getvalue().splitlines()]
    [warning] = [line for line in logs if line["level"] == "WARNING"]
    assert warning["function_request_id"] == context.aws_request_id
    assert warning["messageId"] == "m-1"
    assert warning["service"] == "processor"


@pytest.mark.usefixtures("lambda_environment")
def test_expiry_handler_records_orphans_from_ttl_deletions(aws: Aws) -> None:
    app = cold_start("processor.app")
    expiry_app = cold_start("processor.expiry_app")
    aws.sqs.send_message(
        QueueUrl=aws.resources.queue_url,
        MessageBody=response_event("lost").to_json(),
        MessageGroupId="sess-1",
        MessageDeduplicationId="1",
    )
    SqsTrigger(aws.sqs, aws.resources.queue_url, app.handler).drain()
    parked = aws.parked()["lost"]
    expires = int(parked["expiresAt"]["N"])
    result = expire_items(
        aws.dynamodb, aws.names.interim_table, expiry_app.handler, now=expires + 1
    )
    assert (result.expired, result.delivered) == (1, 1)
    assert aws.records()["lost"].status == "orphaned"
