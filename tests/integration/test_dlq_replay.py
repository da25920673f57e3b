"""A DLQ filled while the processor was broken is replayed after the fix: every question is
correlated, none twice, and nothing is left behind.

The "broken" processor is the real handler cold-started with ANALYTICS_TABLE and
QUERY_EVENTS_TABLE pointing at tables that do not exist: every valid message fails, is retried,
and on its 3rd receive (the queue's maxReceiveCount) the processor quarantines it in the
dead-letter queue with the error as the reason.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter

import boto3
import pytest

from cv_analytics.cli import main
from cv_analytics.dev.accounting import balance
from cv_analytics.dev.demo.observe import observe
from cv_analytics.dev.demo.send import TrafficSender
from cv_analytics.dev.lambdas import cold_start, lambda_output
from cv_analytics.dev.resources import ResourceNames
from cv_analytics.dev.sqs_trigger import SqsTrigger
from cv_analytics.dev.stack import provision
from cv_analytics.dev.traffic import Rates, simulate_week

pytestmark = pytest.mark.integration

# Duplicates and orphans off: every message of this week must be correlated exactly once.
RATES = Rates(duplicate=0.0, orphaned=0.0)


def outcomes(log_file) -> Counter[str]:
    """The processor's per-event outcomes, from its structured logs."""
    counts: Counter[str] = Counter()
    for line in log_file.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and "outcome" in entry:
            counts[entry["outcome"]] += 1
    return counts


@pytest.fixture
def stack(local_aws):
    names = ResourceNames(f"dlq-{uuid.uuid4().hex[:8]}")
    resources = provision(local_aws, names=names, provisioner="boto3")
    session = boto3.session.Session(region_name=local_aws.region)
    sqs = session.client("sqs", endpoint_url=local_aws.endpoint_url)
    dynamodb = session.client("dynamodb", endpoint_url=local_aws.endpoint_url)
    return local_aws, resources, sqs, dynamodb


def processor_env(aws, resources, **overrides):
    return {**aws.environment(), **resources.processor_environment(), **overrides}


def cli(aws, resources, *args):
    return main([*args, "--endpoint-url", aws.endpoint_url, "--region", aws.region,
                 "--dlq-url", resources.dead_letter_queue_url])  # fmt: skip


def test_replay_after_a_fix_correlates_everything_once(stack, tmp_path, capsys):
    aws, resources, sqs, dynamodb = stack
    manifest = simulate_week("2026-W47", 25, seed=9, rates=RATES, id_prefix="dlq")
    manifest = manifest.model_copy(
        update={"deliveries": [d for d in manifest.deliveries if d.kind != "malformed"]}
    )
    sender = TrafficSender(
        sqs=sqs, queue_url=resources.queue_url, endpoint_url=aws.endpoint_url, region=aws.region
    )
    for delivery in manifest.deliveries:
        sender.send(delivery)
    sent = sender.close()
    assert sent.through_edge_client == len(manifest.deliveries)

    # 1. The broken deployment: every message fails, and on its 3rd receive goes to the DLQ.
    broken_logs, fixed_logs = tmp_path / "broken.jsonl", tmp_path / "fixed.jsonl"
    with lambda_output(broken_logs):
        broken = cold_start(
            "processor.app",
            processor_env(aws, resources, ANALYTICS_TABLE="missing-analytics",
                          QUERY_EVENTS_TABLE="missing-interim"),
        )  # fmt: skip
        drained = SqsTrigger(sqs, resources.queue_url, broken, retry_delay_seconds=0).drain()
    assert drained.succeeded == len(manifest.deliveries)  # each acknowledged once: quarantined
    assert drained.failed >= 2 * len(manifest.deliveries)
    assert (drained.left_visible, drained.left_in_flight) == (0, 0)
    assert observe(
        dynamodb=dynamodb, sqs=sqs, analytics_table=resources.analytics_table,
        interim_table=resources.interim_table, dlq_url=resources.dead_letter_queue_url,
    ).records == {}  # fmt: skip

    # 2. An operator looks: quarantined on their last receive, with the error as the reason.
    assert cli(aws, resources, "dlq", "list", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert 0 < len(listed) <= len(manifest.deliveries)  # FIFO: some may sit behind in-flight ones
    assert {m["kind"] for m in listed} == {"quarantined:failed"}
    assert all(m["reason"].startswith("processing failed on receive 3 of 3: ") for m in listed)
    assert all("ResourceNotFoundException" in m["reason"] for m in listed)
    assert cli(aws, resources, "dlq", "list") == 0
    assert "processing failed on receive 3 of 3" in capsys.readouterr().out

    # 3. The fix is deployed; a dry run moves nothing, the replay moves everything once.
    assert cli(aws, resources, "dlq", "replay", "--dry-run",
               "--queue-url", resources.queue_url) == 0  # fmt: skip
    assert "Nothing was moved" in capsys.readouterr().out
    assert cli(aws, resources, "dlq", "replay", "--queue-url", resources.queue_url) == 0
    report = capsys.readouterr().out
    assert f"replayed {len(manifest.deliveries)} message(s)" in report
    with lambda_output(fixed_logs):
        fixed = cold_start("processor.app", processor_env(aws, resources))
        drained = SqsTrigger(sqs, resources.queue_url, fixed, retry_delay_seconds=0).drain()
    assert drained.received == drained.succeeded == len(manifest.deliveries)

    # 4. Every question has exactly its record, none was processed twice, nothing is left.
    observed = observe(
        dynamodb=dynamodb, sqs=sqs, analytics_table=resources.analytics_table,
        interim_table=resources.interim_table, dlq_url=resources.dead_letter_queue_url,
    )  # fmt: skip
    result = balance(manifest, observed)
    assert result.ok, result.problems
    assert len(observed.records) == len(manifest.questions)
    assert observed.dead_letters == () and observed.waiting == frozenset()
    handled = outcomes(fixed_logs)
    assert handled["duplicate"] == 0
    completed = sum(1 for q in manifest.questions if q.expected_status in ("answered", "failed"))
    assert handled["correlated"] + handled["concurrently_correlated"] == completed


def test_replay_max_moves_only_that_many(stack, capsys):
    aws, resources, sqs, _ = stack
    for n in range(4):
        sqs.send_message(
            QueueUrl=resources.dead_letter_queue_url,
            MessageBody=json.dumps({"eventType": "query", "requestId": f"m-{n}"}),
            MessageGroupId=f"g-{n}",
            MessageDeduplicationId=f"m-{n}",
        )
    assert (
        cli(aws, resources, "dlq", "replay", "--max", "3", "--queue-url", resources.queue_url) == 0
    )
    assert "replayed 3 message(s)" in capsys.readouterr().out
    moved = sqs.receive_message(QueueUrl=resources.queue_url, MaxNumberOfMessages=10)
    assert len(moved.get("Messages", [])) == 3
    assert cli(aws, resources, "dlq", "list", "--json") == 0
    assert len(json.loads(capsys.readouterr().out)) == 1


def test_quarantined_messages_are_listed_with_their_reason(stack, capsys, tmp_path):
    aws, resources, sqs, _ = stack
    sqs.send_message(QueueUrl=resources.queue_url, MessageBody="{not json",
                     MessageGroupId="g", MessageDeduplicationId="bad-1")  # fmt: skip
    with lambda_output(tmp_path / "logs.jsonl"):
        processor = cold_start("processor.app", processor_env(aws, resources))
        SqsTrigger(sqs, resources.queue_url, processor, retry_delay_seconds=0).drain()
    assert cli(aws, resources, "dlq", "list", "--json") == 0
    (letter,) = json.loads(capsys.readouterr().out)
    assert letter["kind"] == "quarantined:json"
    assert "not valid JSON" in letter["reason"]
    assert letter["body"] == "{not json"
    assert letter["attributes"]["sourceMessageId"]
    assert cli(aws, resources, "dlq", "list") == 0
    text = capsys.readouterr().out
    assert "1 quarantined" in text and "reason: (body): not valid JSON" in text
    # Looking did not consume it.
    assert cli(aws, resources, "dlq", "list", "--json") == 0
    assert len(json.loads(capsys.readouterr().out)) == 1
