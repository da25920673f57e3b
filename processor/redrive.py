"""The events queue's redrive policy, read from SQS (implements :class:`processor.ports.RedriveLimits`).

The processor quarantines a message that keeps failing on its last receives, before SQS's own
redrive takes it without a reason; for that it must know the queue's ``maxReceiveCount``. Reading
it from the queue itself (``GetQueueAttributes``, which the execution role already has for the
event source mapping) means a change of the worker's ``max_receive_count`` can never silently
disable the quarantine. The queue URL is derived from the record's ``eventSourceARN``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient


def queue_url(client_endpoint: str, queue_arn: str) -> str:
    """``arn:aws:sqs:<region>:<account>:<name>`` -> ``<endpoint>/<account>/<name>``."""
    parts = queue_arn.split(":")
    if len(parts) != 6 or parts[2] != "sqs":
        raise ValueError(f"not an SQS queue ARN: {queue_arn!r}")
    return f"{client_endpoint.rstrip('/')}/{parts[4]}/{parts[5]}"


class QueueRedrive:
    def __init__(self, sqs: SQSClient) -> None:
        self._sqs = sqs

    def max_receive_count(self, queue_arn: str) -> int | None:
        """The queue's ``maxReceiveCount``; ``None`` when it has no redrive policy or it cannot
        be read (the caller falls back to its setting, and says so)."""
        try:
            url = queue_url(self._sqs.meta.endpoint_url, queue_arn)
            attributes = self._sqs.get_queue_attributes(
                QueueUrl=url, AttributeNames=["RedrivePolicy"]
            ).get("Attributes", {})
            policy = attributes.get("RedrivePolicy")
            if not policy:
                return None
            return int(json.loads(policy)["maxReceiveCount"])
        except (BotoCoreError, ClientError, ValueError, KeyError, TypeError):
            return None
