"""The FIFO dead-letter queue, written by the processor: a message and why it is there.

Implements :class:`processor.ports.DeadLetterQueue` (the batch quarantines messages that cannot
succeed) and :class:`processor.ports.Evidence` (a parked event found to conflict with its record
when the record was completed). The body travels unchanged; the reason goes in message attributes
(:mod:`analytics_contract.dead_letters`), with the original attributes as far as SQS's limits
allow (10 attributes, 256 KiB for the body and all attributes together).

A body near the size limit still goes to the DLQ: original attributes are dropped first (largest
first), then the optional quarantine attributes, then the reason is shortened; if not even a short
reason fits, the body goes alone and :class:`~processor.ports.Sent` says so, for the caller to keep
the reason in a note (:class:`analytics_contract.dead_letters.DeadLetterNote`). The deduplication
id is the source message id, so a redelivered message is quarantined once, and a note keyed by the
source message id finds its dead letter.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from analytics_contract import AnyEvent, dead_letters
from analytics_contract.dead_letters import MAX_REASON_CHARS
from processor.ports import DeadLetter, Sent

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient
    from mypy_boto3_sqs.type_defs import MessageAttributeValueTypeDef

#: SQS's limit for one message: the body, and every attribute's name, data type and value.
MAX_MESSAGE_BYTES = 256 * 1024
MAX_MESSAGE_ATTRIBUTES = 10
#: Shortest reason worth attaching; below this the reason goes to a note instead.
MIN_REASON_CHARS = 80
ELLIPSIS = "…"
#: Quarantine attributes that can be left out when space is short, in the order they go.
OPTIONAL_ATTRIBUTES = (
    dead_letters.SOURCE_QUEUE_ARN,
    dead_letters.QUARANTINED_AT,
    dead_letters.SOURCE_MESSAGE_ID,
)


def cap(text: str, limit: int = MAX_REASON_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - len(ELLIPSIS)] + ELLIPSIS


def _string(value: str) -> MessageAttributeValueTypeDef:
    return {"DataType": "String", "StringValue": value}


def attribute_bytes(name: str, value: Mapping[str, Any]) -> int:
    """What one attribute counts against the message size limit."""
    payload = value.get("StringValue")
    size = len(payload.encode()) if isinstance(payload, str) else len(value.get("BinaryValue", b""))
    return len(name.encode()) + len(str(value.get("DataType", "")).encode()) + size


def message_bytes(body: str, attributes: Mapping[str, Mapping[str, Any]]) -> int:
    return len(body.encode()) + sum(attribute_bytes(k, v) for k, v in attributes.items())


def fit(
    body: str,
    added: dict[str, MessageAttributeValueTypeDef],
    original: Mapping[str, Mapping[str, Any]],
    *,
    limit: int = MAX_MESSAGE_BYTES,
) -> tuple[dict[str, Any], tuple[str, ...], bool]:
    """The attributes that fit beside ``body``: (attributes, dropped names, reason attached)."""
    kept = {name: dict(value) for name, value in sorted(original.items()) if name not in added}
    dropped = [name for name in sorted(original) if name in added]
    while len(kept) + len(added) > MAX_MESSAGE_ATTRIBUTES:
        name = max(kept, key=lambda key: (attribute_bytes(key, kept[key]), key))
        dropped.append(name)
        del kept[name]
    while kept and message_bytes(body, {**kept, **added}) > limit:
        name = max(kept, key=lambda key: (attribute_bytes(key, kept[key]), key))
        dropped.append(name)
        del kept[name]
    added = dict(added)
    for name in OPTIONAL_ATTRIBUTES:
        if message_bytes(body, {**kept, **added}) <= limit:
            break
        added.pop(name, None)
    over = message_bytes(body, {**kept, **added}) - limit
    if over > 0:
        reason = added[dead_letters.REASON]["StringValue"]
        shortened = reason.encode()[: max(0, len(reason.encode()) - over - len(ELLIPSIS.encode()))]
        text = shortened.decode(errors="ignore")
        if len(text) < MIN_REASON_CHARS:
            return {}, (*dropped, *sorted(kept)), False
        added[dead_letters.REASON] = _string(text + ELLIPSIS)
    return {**kept, **added}, tuple(dropped), True


class Quarantine:
    """Sends dead letters to the FIFO dead-letter queue."""

    def __init__(
        self, sqs: SQSClient, dead_letter_queue_url: str, *, clock: Callable[[], datetime]
    ) -> None:
        self._sqs = sqs
        self._url = dead_letter_queue_url
        self._clock = clock

    def send(self, letter: DeadLetter) -> Sent:
        added: dict[str, MessageAttributeValueTypeDef] = {
            dead_letters.REASON: _string(cap(letter.reason)),
            dead_letters.KIND: _string(letter.kind),
            dead_letters.QUARANTINED_AT: _string(self._clock().isoformat(timespec="milliseconds")),
        }
        if letter.source_message_id:
            added[dead_letters.SOURCE_MESSAGE_ID] = _string(letter.source_message_id)
        if letter.source_queue_arn:
            added[dead_letters.SOURCE_QUEUE_ARN] = _string(letter.source_queue_arn)
        attributes, dropped, attached = fit(letter.body, added, letter.attributes)
        request: dict[str, Any] = {
            "QueueUrl": self._url,
            "MessageBody": letter.body,
            "MessageGroupId": letter.group_id,
            "MessageDeduplicationId": letter.deduplication_id,
        }
        if attributes:
            request["MessageAttributes"] = attributes
        self._sqs.send_message(**request)
        return Sent(reason_attached=attached, dropped=dropped)

    def keep(self, event: AnyEvent, reason: str) -> None:
        """Evidence: a parked event that conflicts with its record, kept in the DLQ (kind
        ``conflict``) where an operator can read and replay it."""
        body = event.to_json()
        digest = hashlib.sha256(body.encode()).hexdigest()
        self.send(
            DeadLetter(
                body=body,
                reason=reason,
                kind="conflict",
                group_id=event.session_id or event.request_id,
                deduplication_id=f"evidence-{digest[:64]}",
            )
        )
