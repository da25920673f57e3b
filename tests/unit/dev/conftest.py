"""Fixtures of the development part's unit tests: the pipeline's queues and tables in moto."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from cv_analytics.dev.resources import ResourceNames, Resources, create_all


@dataclass
class Aws:
    resources: Resources
    sqs: Any

    def dead_letters(self) -> list[dict[str, Any]]:
        """Every message of the dead-letter queue (consumed: FIFO groups block while in flight)."""
        url = self.resources.dead_letter_queue_url
        messages: list[dict[str, Any]] = []
        while batch := self.sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=0,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
            VisibilityTimeout=300,
        ).get("Messages", []):
            messages.extend(batch)
            self.sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)
                ],
            )
        return messages


@pytest.fixture
def aws() -> Iterator[Aws]:
    with mock_aws():
        yield Aws(create_all(ResourceNames(f"t{uuid.uuid4().hex[:8]}")), boto3.client("sqs"))
