"""DLQ listing and replay against SQS FIFO (moto in-process)."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from analytics_contract import dead_letters
from cv_analytics import dlq
from cv_analytics.cli.dlq import render_letter
from cv_analytics.dev.resources import ResourceNames, create_queues


@pytest.fixture
def queues():
    with mock_aws():
        sqs = boto3.client("sqs", region_name="eu-west-2")
        url, _, dlq_url, _ = create_queues(sqs, ResourceNames("unit"))
        yield sqs, url, dlq_url


def quarantine(sqs, dlq_url: str, body: str, group: str, reason: str) -> None:
    sqs.send_message(
        QueueUrl=dlq_url,
        MessageBody=body,
        MessageGroupId=group,
        MessageDeduplicationId=f"q-{group}-{abs(hash(body))}",
        MessageAttributes={
            dead_letters.REASON: {"DataType": "String", "StringValue": reason},
            dead_letters.KIND: {"DataType": "String", "StringValue": "schema"},
            dead_letters.SOURCE_MESSAGE_ID: {"DataType": "String", "StringValue": "src-1"},
            dead_letters.QUARANTINED_AT: {
                "DataType": "String",
                "StringValue": "2026-11-23T07:00:00Z",
            },
        },
    )


def fail_three_times(sqs, url: str, body: str, group: str) -> None:
    """Send a message and let it fail on every receive until SQS redrives it to the DLQ."""
    sqs.send_message(
        QueueUrl=url,
        MessageBody=body,
        MessageGroupId=group,
        MessageDeduplicationId=json.loads(body)["requestId"],
    )
    for _ in range(3):
        got = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0, WaitTimeSeconds=0)
        assert got.get("Messages"), "the message should still be on the main queue"
    # The next receive finds it over maxReceiveCount and moves it to the DLQ.
    assert not sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages")


def body(request_id: str) -> str:
    return json.dumps({"eventType": "query", "requestId": request_id, "padding": "x" * 20})


def test_list_shows_reasons_and_consumes_nothing(queues):
    sqs, url, dlq_url = queues
    quarantine(sqs, dlq_url, "{not json", "g1", "(body): not valid JSON")
    fail_three_times(sqs, url, body("r-1"), "s-1")

    first = dlq.peek(sqs, dlq_url, wait_seconds=0)
    assert first.approximate_total == 2 and first.not_shown == 0
    by_kind = {letter.kind: letter for letter in first.messages}
    assert by_kind["quarantined:schema"].reason == "(body): not valid JSON"
    assert by_kind["quarantined:schema"].source_message_id == "src-1"
    redriven = by_kind["redriven"]
    assert redriven.reason == "failed processing 3 times (redriven by SQS)"
    assert redriven.receive_count == 3
    assert redriven.group_id == "s-1"
    # Looking again sees the same messages straight away: nothing was consumed or hidden.
    second = dlq.peek(sqs, dlq_url, wait_seconds=0)
    assert sorted(m.message_id for m in second.messages) == sorted(
        m.message_id for m in first.messages
    )
    assert len(dlq.peek(sqs, dlq_url, limit=1, wait_seconds=0).messages) == 1


def test_list_says_how_many_it_could_not_see(queues):
    """Past ten messages of one FIFO group, SQS hides the rest while the first are in flight."""
    sqs, _, dlq_url = queues
    for n in range(13):
        quarantine(sqs, dlq_url, body(f"same-group-{n}"), "g1", "bad")
    look = dlq.peek(sqs, dlq_url, wait_seconds=0)
    assert len(look.messages) == 10
    assert look.not_shown == 3


def test_replay_moves_everything_back_once_with_group_and_new_dedup_id(queues):
    sqs, url, dlq_url = queues
    for n in range(12):
        fail_three_times(sqs, url, body(f"r-{n}"), f"s-{n % 3}")
    quarantine(sqs, dlq_url, '{"eventType": "query"}', "g9", "requestId: Field required")

    dry = dlq.replay(sqs, dlq_url, url, dry_run=True, wait_seconds=0)
    # FIFO: a look cannot see past in-flight messages of the same group, so a dry run shows the
    # first ten and the rest of their groups stays hidden; it moves nothing.
    assert dry.dry_run and 10 <= len(dry.messages) < 13
    assert dry.left_in_dlq == 13 == dlq.approximate_count(sqs, dlq_url)

    result = dlq.replay(sqs, dlq_url, url, wait_seconds=0)
    assert (result.replayed, result.failed, result.left_in_dlq) == (13, 0, 0)

    moved = []
    while True:
        got = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=0,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not got:
            break
        for message in got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        moved.extend(got)
    bodies = [m["Body"] for m in moved]
    assert len(bodies) == 13 and len(set(bodies)) == 13
    for message in moved:
        attributes = message["Attributes"]
        assert attributes["MessageDeduplicationId"].startswith("replay-")
        assert not set(dead_letters.QUARANTINE_ATTRIBUTES) & set(
            message.get("MessageAttributes", {})
        )
        assert message["MessageAttributes"][dlq.REPLAYED_FROM_ATTRIBUTE]["StringValue"]
        request_id = json.loads(message["Body"]).get("requestId")
        if request_id:
            assert attributes["MessageGroupId"] == f"s-{int(request_id[2:]) % 3}"
    # Order within a group is kept.
    group0 = [
        json.loads(m["Body"])["requestId"]
        for m in moved
        if m["Attributes"]["MessageGroupId"] == "s-0"
    ]
    assert group0 == ["r-0", "r-3", "r-6", "r-9"]


def test_replay_max_leaves_the_rest(queues):
    sqs, url, dlq_url = queues
    for n in range(5):
        quarantine(sqs, dlq_url, body(f"m-{n}"), f"g{n}", "bad")
    result = dlq.replay(sqs, dlq_url, url, max_messages=2, wait_seconds=0)
    assert result.replayed == 2
    assert result.left_in_dlq == 3


def test_a_replay_after_a_crash_is_deduplicated_by_sqs(queues):
    """Crash between send and delete: the DLQ still holds the message; replaying it again within
    five minutes sends the same deduplication id, so SQS does not deliver it twice."""
    sqs, url, dlq_url = queues
    quarantine(sqs, dlq_url, body("c-1"), "g1", "bad")
    message = sqs.receive_message(
        QueueUrl=dlq_url, AttributeNames=["All"], MessageAttributeNames=["All"]
    )["Messages"][0]
    entry = dlq._replay_entry(0, message, url)
    sqs.send_message_batch(QueueUrl=url, Entries=[entry])  # ...and the process dies here
    sqs.change_message_visibility(
        QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
    )
    result = dlq.replay(sqs, dlq_url, url, wait_seconds=0)
    assert result.replayed == 1 and result.left_in_dlq == 0
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    assert len(got) == 1


def test_a_letter_is_rendered_with_what_the_processor_recorded(queues):
    sqs, url, dlq_url = queues
    quarantine(sqs, dlq_url, "{" + "x" * 300, "g1", "(body): not valid JSON")
    fail_three_times(sqs, url, body("r-1"), "s-1")
    letters = {letter.kind: letter for letter in dlq.peek(sqs, dlq_url, wait_seconds=0).messages}

    quarantined = render_letter(letters["quarantined:schema"], show_body=False)
    assert quarantined[1] == "    reason: (body): not valid JSON"
    assert quarantined[2] == "    source message: src-1  quarantined at 2026-11-23T07:00:00Z"
    assert quarantined[3].endswith("...") and len(quarantined[3]) < 200
    assert (
        render_letter(letters["quarantined:schema"], show_body=True)[3] == "    body: {" + "x" * 300
    )

    redriven = render_letter(letters["redriven"], show_body=False)
    assert "[redriven]  group=s-1  receives 3" in redriven[0]
    assert redriven[1] == "    reason: failed processing 3 times (redriven by SQS)"
    assert not any("source message" in line for line in redriven)
