"""Messages that cannot succeed go to the FIFO dead-letter queue with the reason, and are acknowledged.

Retrying a message that breaks the contract cannot help, and on a FIFO queue a failing message
holds up every later message of its group; so it is sent on to the dead-letter queue (body and
message attributes unchanged) with the validation error in message attributes, where an operator
can read the reason, fix and replay it. The source ``messageId`` is the deduplication id, so a
redelivered invalid message is quarantined once.

The same happens to a valid message on its last receive (``MAX_RECEIVE_COUNT``, the queue's
``maxReceiveCount``) when processing it failed again: with the exception as the reason (kind
``failed``), instead of letting SQS redrive it. On a FIFO queue this matters: every receive of a
failing message also counts against the later messages of its group that Lambda received with it
and skipped, so a redrive would carry the session's healthy events to the dead-letter queue too;
acknowledging the failing one on its last receive lets them be processed in the same batch.

If the send itself fails, the exception propagates: the record fails, is retried, and after the
queue's ``maxReceiveCount`` receives SQS moves it to the same dead-letter queue by redrive.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from analytics_contract import InvalidEventError, dead_letters
from analytics_contract.dead_letters import MAX_REASON_CHARS

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient
    from mypy_boto3_sqs.type_defs import MessageAttributeValueTypeDef

MAX_MESSAGE_ATTRIBUTES = 10  # SQS limit per message
ELLIPSIS = "…"


def cap(text: str, limit: int = MAX_REASON_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - len(ELLIPSIS)] + ELLIPSIS


def _string(value: str) -> MessageAttributeValueTypeDef:
    return {"DataType": "String", "StringValue": value}


def original_attributes(record: SQSRecord) -> dict[str, MessageAttributeValueTypeDef]:
    """The record's message attributes (Lambda's shape) in ``SendMessage``'s shape."""
    converted: dict[str, MessageAttributeValueTypeDef] = {}
    for name, attribute in sorted(record.raw_event.get("messageAttributes", {}).items()):
        data_type = attribute.get("dataType") or attribute.get("DataType") or "String"
        if attribute.get("stringValue") is not None:
            converted[name] = {"DataType": data_type, "StringValue": attribute["stringValue"]}
        elif attribute.get("binaryValue") is not None:
            converted[name] = {
                "DataType": data_type,
                "BinaryValue": base64.b64decode(attribute["binaryValue"]),
            }
    return converted


class Quarantine:
    def __init__(
        self, sqs: SQSClient, dead_letter_queue_url: str, *, clock: Callable[[], datetime]
    ) -> None:
        self._sqs = sqs
        self._url = dead_letter_queue_url
        self._clock = clock

    def send(self, record: SQSRecord, error: InvalidEventError) -> list[str]:
        """Quarantine an invalid message; returns the attributes that did not fit."""
        return self.send_with_reason(record, reason=error.reason, kind=error.kind)

    def send_with_reason(self, record: SQSRecord, *, reason: str, kind: str) -> list[str]:
        """Send ``record`` to the dead-letter queue; returns the attributes that did not fit."""
        added: dict[str, MessageAttributeValueTypeDef] = {
            dead_letters.REASON: _string(cap(reason)),
            dead_letters.KIND: _string(kind),
            dead_letters.SOURCE_MESSAGE_ID: _string(record.message_id),
            dead_letters.SOURCE_QUEUE_ARN: _string(record.event_source_arn),
            dead_letters.QUARANTINED_AT: _string(self._clock().isoformat(timespec="milliseconds")),
        }
        kept: dict[str, MessageAttributeValueTypeDef] = {}
        dropped: list[str] = []
        for name, value in original_attributes(record).items():
            if name in added or len(kept) + len(added) >= MAX_MESSAGE_ATTRIBUTES:
                dropped.append(name)
            else:
                kept[name] = value
        group_id = record.attributes.message_group_id or record.message_id
        self._sqs.send_message(
            QueueUrl=self._url,
            MessageBody=record.body,
            MessageAttributes={**kept, **added},
            MessageGroupId=group_id,
            MessageDeduplicationId=record.message_id,
        )
        return dropped
