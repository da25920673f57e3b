"""The operator command line against the moto server: events send, report preview, stack up."""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

import boto3
import pytest

from analytics_contract.weeks import iso_week
from cv_analytics.cli import main
from cv_analytics.dev.lambdas import cold_start, lambda_output
from cv_analytics.dev.resources import ResourceNames
from cv_analytics.dev.sqs_trigger import SqsTrigger
from cv_analytics.dev.stack import provision

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack(local_aws):
    resources = provision(
        local_aws, names=ResourceNames(f"cli-{uuid.uuid4().hex[:8]}"), provisioner="boto3"
    )
    sqs = boto3.session.Session(region_name=local_aws.region).client(
        "sqs", endpoint_url=local_aws.endpoint_url
    )
    return local_aws, resources, sqs


def aws_args(aws):
    return ["--endpoint-url", aws.endpoint_url, "--region", aws.region]


def receive_all(sqs, url):
    bodies: list[dict[str, object]] = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        messages = got.get("Messages", [])
        if not messages:
            return bodies
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def test_events_send_delivers_a_pair_through_the_edge_client(stack, capsys):
    aws, resources, sqs = stack
    code = main(["events", "send", *aws_args(aws), "--queue-url", resources.queue_url,
                 "--query", "Does she know Rust?", "--request-id", "manual-1",
                 "--session-id", "visitor-1", "--model", "claude-test"])  # fmt: skip
    assert code == 0
    assert "sent 2 event(s) (query + response) for requestId manual-1" in capsys.readouterr().out
    query, response = receive_all(sqs, resources.queue_url)
    assert (query["eventType"], query["requestId"], query["query"]) == (
        "query", "manual-1", "Does she know Rust?"
    )  # fmt: skip
    assert (response["eventType"], response["requestId"], response["model"]) == (
        "response", "manual-1", "claude-test"
    )  # fmt: skip
    assert response["matchType"] == "full" and "error" not in response


def test_events_send_a_lone_query_or_a_failure(stack, capsys):
    aws, resources, sqs = stack
    args = ["events", "send", *aws_args(aws), "--queue-url", resources.queue_url, "--query", "q?"]
    assert main([*args, "--no-response"]) == 0
    assert [e["eventType"] for e in receive_all(sqs, resources.queue_url)] == ["query"]
    assert main([*args, "--error", "model timeout"]) == 0
    _, response = receive_all(sqs, resources.queue_url)
    assert response["error"] == "model timeout" and "response" not in response
    capsys.readouterr()


def test_events_send_a_variant_and_the_visitors_feedback(stack, capsys):
    aws, resources, sqs = stack
    code = main(["events", "send", *aws_args(aws), "--queue-url", resources.queue_url,
                 "--query", "Which cloud?", "--request-id", "manual-fb", "--variant", "prompt-b",
                 "--processing-time-ms", "812.5", "--thumbs", "down", "--comment", "too vague"])  # fmt: skip
    assert code == 0
    assert "sent 3 event(s) (query + response + feedback)" in capsys.readouterr().out
    query, response, feedback = receive_all(sqs, resources.queue_url)
    assert (response["variant"], response["processingTimeMs"]) == ("prompt-b", 812.5)
    assert (feedback["eventType"], feedback["requestId"], feedback["sessionId"]) == (
        "feedback", "manual-fb", query["sessionId"]
    )  # fmt: skip
    assert (feedback["thumbs"], feedback["comment"]) == ("down", "too vague")


def test_events_send_refuses_feedback_with_both_scores_and_sends_nothing(stack, capsys):
    aws, resources, sqs = stack
    with pytest.raises(SystemExit) as exited:
        main(["events", "send", *aws_args(aws), "--queue-url", resources.queue_url,
              "--query", "q", "--thumbs", "up", "--rating", "4"])  # fmt: skip
    assert exited.value.code == 2
    assert "error: invalid event: thumbs, rating" in capsys.readouterr().err
    assert receive_all(sqs, resources.queue_url) == []


def test_events_send_refuses_an_invalid_event(stack, capsys):
    aws, resources, _ = stack
    with pytest.raises(SystemExit) as exited:
        main(["events", "send", *aws_args(aws), "--queue-url", resources.queue_url,
              "--query", "q", "--session-id", "spaces are not allowed"])  # fmt: skip
    assert exited.value.code == 2
    assert "error: invalid event: session_id" in capsys.readouterr().err


def test_report_preview_renders_a_week_without_sending(stack, capsys, tmp_path):
    aws, resources, sqs = stack
    receive_all(sqs, resources.queue_url)
    for n in range(3):
        main(["events", "send", *aws_args(aws), "--queue-url", resources.queue_url,
              "--query", "Where did you study?", "--request-id", f"preview-{n}"])  # fmt: skip
    with lambda_output(tmp_path / "logs.jsonl"):
        processor = cold_start(
            "processor.app", {**aws.environment(), **resources.processor_environment()}
        )
        SqsTrigger(sqs, resources.queue_url, processor).drain()
    capsys.readouterr()

    week = iso_week(int(time.time() * 1000))
    out = tmp_path / "preview"
    assert main(["report", "preview", *aws_args(aws), "--week", week,
                 "--analytics-table", resources.analytics_table, "--out", str(out)]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert week in printed.splitlines()[0]
    text = (out / f"report-{week}.txt").read_text(encoding="utf-8")
    assert "Where did you study?" in text
    assert (out / f"report-{week}.html").read_text(encoding="utf-8").startswith("<!")


def test_stack_up_prints_endpoints_names_and_exports(tmp_path, capsys):
    prefix = f"up-{uuid.uuid4().hex[:6]}"
    env_file = tmp_path / "stack.env"
    code = main(["stack", "up", "--provisioner", "boto3", "--prefix", prefix, "--no-functions",
                 "--env-file", str(env_file), "--stop-after", "0"])  # fmt: skip
    assert code == 0
    captured = capsys.readouterr()
    assert "Local stack running (provisioned with boto3)" in captured.out
    assert f"{prefix}-events.fifo" in captured.out
    assert f"export CV_ANALYTICS_ANALYTICS_TABLE={prefix}-analytics" in captured.out
    assert "export AWS_ENDPOINT_URL=http://127.0.0.1:" in captured.out
    assert f"export QUERY_EVENTS_TABLE={prefix}-query-events" in captured.out
    assert "stopping the local stack" in captured.err
    exported = env_file.read_text(encoding="utf-8")
    assert "export CV_ANALYTICS_DLQ_URL=" in exported and "-events-dlq.fifo" in exported


def read_exports(path):
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        values[key] = value.strip("'")
    return values


def test_stack_up_runs_the_processor_on_its_queue(tmp_path):
    """Events sent to a running stack become analytics records without any other step."""
    prefix = f"run-{uuid.uuid4().hex[:6]}"
    env_file = tmp_path / "stack.env"
    argv = ["stack", "up", "--provisioner", "boto3", "--prefix", prefix, "--env-file",
            str(env_file), "--lambda-logs", str(tmp_path / "logs.jsonl"), "--stop-after", "8"]  # fmt: skip
    runner = threading.Thread(target=main, args=(argv,), daemon=True)
    runner.start()
    deadline = time.monotonic() + 15
    while not env_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    env = read_exports(env_file)
    assert main(["events", "send", "--endpoint-url", env["AWS_ENDPOINT_URL"],
                 "--region", env["AWS_DEFAULT_REGION"], "--queue-url", env["CV_ANALYTICS_QUEUE_URL"],
                 "--query", "Is the stack alive?", "--request-id", "alive-1"]) == 0  # fmt: skip
    dynamodb = boto3.client(
        "dynamodb", endpoint_url=env["AWS_ENDPOINT_URL"], region_name=env["AWS_DEFAULT_REGION"]
    )
    item: dict[str, Any] = {}
    while not item and time.monotonic() < deadline + 5:
        item = dynamodb.get_item(
            TableName=env["CV_ANALYTICS_ANALYTICS_TABLE"], Key={"requestId": {"S": "alive-1"}}
        ).get("Item", {})
        time.sleep(0.2)
    assert item["status"]["S"] == "answered"
    assert item["query"]["S"] == "Is the stack alive?"
    runner.join(30)
