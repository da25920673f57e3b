"""maxReceiveCount is read from the events queue's redrive policy, once per container."""

from __future__ import annotations

import json

from processor.redrive import QueueRedrive, queue_url
from tests.unit.processor.conftest import Aws


def test_the_queue_url_comes_from_the_record_s_queue_arn() -> None:
    arn = "arn:aws:sqs:eu-west-2:123456789012:cv-events.fifo"
    assert queue_url("https://sqs.eu-west-2.amazonaws.com/", arn) == (
        "https://sqs.eu-west-2.amazonaws.com/123456789012/cv-events.fifo"
    )


def test_the_redrive_policy_is_read_from_the_queue(aws: Aws) -> None:
    redrive = QueueRedrive(aws.sqs)
    assert redrive.max_receive_count(aws.resources.queue_arn) == 3
    policy = {"deadLetterTargetArn": aws.resources.dead_letter_queue_arn, "maxReceiveCount": 7}
    aws.sqs.set_queue_attributes(
        QueueUrl=aws.resources.queue_url, Attributes={"RedrivePolicy": json.dumps(policy)}
    )
    assert redrive.max_receive_count(aws.resources.queue_arn) == 7


def test_a_queue_that_cannot_be_read_or_has_no_policy_gives_none(aws: Aws) -> None:
    redrive = QueueRedrive(aws.sqs)
    assert redrive.max_receive_count(aws.resources.queue_arn.replace("events", "gone")) is None
    assert redrive.max_receive_count(aws.resources.dead_letter_queue_arn) is None
    assert redrive.max_receive_count("not an arn") is None
