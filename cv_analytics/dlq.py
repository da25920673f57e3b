"""The dead-letter queue, for operators: look at what is in it, and move it back after a fix.

Two kinds of message end up in the DLQ:

- *quarantined*: the processor rejected the body (not JSON, breaks the contract) and sent it here at
  once, with the message attributes of :mod:`analytics_contract.dead_letters` (reason, kind,
  source message id and queue, time);
- *redriven*: processing failed for another reason (a crash, throttling, a missing table) on every
  one of the queue's ``maxReceiveCount`` (3) receives, and SQS moved the message here itself. It
  carries no reason; its receive count says how often it was tried.

Looking (:func:`peek`) must not consume anything: messages are received with a short visibility
timeout and made visible again straight away (if this process dies in between, the timeout does
it). Replaying (:func:`replay`) sends each message to the main queue *first* and deletes it from the
DLQ *after*: a crash in between can only cause a second delivery, which the processor's idempotent
writes absorb, never a loss. The copy keeps the original ``MessageGroupId`` (order within a group
is kept) and gets a new ``MessageDeduplicationId`` derived from the DLQ message id: new, so SQS's
5-minute deduplication does not drop it as a copy of the original send; derived, so replaying the
same message twice within 5 minutes (after a crash) still sends it only once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from analytics_contract import dead_letters
from analytics_contract.dead_letters import QUARANTINE_ATTRIBUTES

REPLAYED_FROM_ATTRIBUTE = "replayedFromDlqMessageId"
REDRIVEN_REASON = "failed processing {count} times (redriven by SQS)"
#: The project's redrive setting (``worker_infra``'s ``max_receive_count``; a unit test keeps it
#: equal to the local resources'), for when the source queue's redrive policy cannot be read.
DEFAULT_MAX_RECEIVE_COUNT = 3
_BATCH = 10


@dataclass(frozen=True)
class DeadLetter:
    """One DLQ message as an operator sees it."""

    message_id: str
    body: str
    group_id: str | None
    receive_count: int  # receives before this look (SQS counts looks at the DLQ too)
    sent_timestamp: int | None
    attributes: dict[str, str]
    max_receive_count: int = DEFAULT_MAX_RECEIVE_COUNT  # of the queue it was redriven from

    @property
    def quarantined(self) -> bool:
        return dead_letters.REASON in self.attributes

    @property
    def quarantine_reason(self) -> str | None:
        """Why the processor quarantined it; ``None`` for a message SQS redrove."""
        return self.attributes.get(dead_letters.REASON)

    @property
    def reason(self) -> str:
        return self.quarantine_reason or REDRIVEN_REASON.format(count=self.max_receive_count)

    @property
    def kind(self) -> str:
        """``quarantined:<kind>`` (e.g. ``quarantined:schema``) or ``redriven``."""
        if self.quarantined:
            return f"quarantined:{self.attributes.get(dead_letters.KIND, 'unknown')}"
        return "redriven"

    @property
    def source_message_id(self) -> str | None:
        """Its ``messageId`` on the events queue (quarantined messages only)."""
        return self.attributes.get(dead_letters.SOURCE_MESSAGE_ID)

    @property
    def quarantined_at(self) -> str | None:
        """When the processor quarantined it (ISO 8601; quarantined messages only)."""
        return self.attributes.get(dead_letters.QUARANTINED_AT)

    def to_dict(self) -> dict[str, Any]:
        return {
            "messageId": self.message_id,
            "kind": self.kind,
            "reason": self.reason,
            "receiveCount": self.receive_count,
            "messageGroupId": self.group_id,
            "sentTimestamp": self.sent_timestamp,
            "attributes": self.attributes,
            "body": self.body,
        }


@dataclass(frozen=True)
class Peek:
    """What :func:`peek` saw, and how many messages it could not see (in flight, or queued
    behind a message of the same FIFO group)."""

    messages: list[DeadLetter]
    approximate_total: int
    not_shown: int


@dataclass
class ReplayResult:
    replayed: int = 0
    failed: int = 0
    left_in_dlq: int = 0
    dry_run: bool = False
    not_shown: int = 0  # dry run: messages the look could not see
    messages: list[DeadLetter] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _is_fifo(queue_url: str) -> bool:
    return queue_url.endswith(".fifo")


def _string_attributes(message: dict[str, Any]) -> dict[str, str]:
    values: dict[str, str] = {}
    for name, value in (message.get("MessageAttributes") or {}).items():
        if "StringValue" in value:
            values[name] = value["StringValue"]
    return values


def _dead_letter(
    message: dict[str, Any], max_receive_count: int = DEFAULT_MAX_RECEIVE_COUNT
) -> DeadLetter:
    system = message.get("Attributes") or {}
    sent = system.get("SentTimestamp")
    return DeadLetter(
        message_id=message["MessageId"],
        body=message.get("Body", ""),
        group_id=system.get("MessageGroupId"),
        receive_count=max(int(system.get("ApproximateReceiveCount", "1")) - 1, 0),
        sent_timestamp=int(sent) if sent is not None else None,
        attributes=_string_attributes(message),
        max_receive_count=max_receive_count,
    )


def source_max_receive_count(sqs: Any, dlq_url: str) -> int:
    """``maxReceiveCount`` of the queue(s) that redrive into ``dlq_url`` (the largest, when
    several do); the project's default when they cannot be read (permissions, real AWS)."""
    try:
        sources = sqs.list_dead_letter_source_queues(QueueUrl=dlq_url).get("queueUrls", [])
        counts = []
        for url in sources:
            policy = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])
            redrive = json.loads(policy["Attributes"]["RedrivePolicy"])
            counts.append(int(redrive["maxReceiveCount"]))
    except (ClientError, KeyError, ValueError):
        return DEFAULT_MAX_RECEIVE_COUNT
    return max(counts, default=DEFAULT_MAX_RECEIVE_COUNT)


def _receive(
    sqs: Any, queue_url: str, count: int, visibility_timeout: int, wait_seconds: int
) -> list[dict[str, Any]]:
    response = sqs.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=max(1, min(count, _BATCH)),
        VisibilityTimeout=visibility_timeout,
        WaitTimeSeconds=wait_seconds,
        AttributeNames=["All"],
        MessageAttributeNames=["All"],
    )
    messages: list[dict[str, Any]] = response.get("Messages", [])
    return messages


def _release(sqs: Any, queue_url: str, receipt_handles: Sequence[str]) -> None:
    """Make received messages visible again at once."""
    for start in range(0, len(receipt_handles), _BATCH):
        chunk = receipt_handles[start : start + _BATCH]
        sqs.change_message_visibility_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                for i, handle in enumerate(chunk)
            ],
        )


def approximate_count(sqs: Any, queue_url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes.get("ApproximateNumberOfMessages", 0)) + int(
        attributes.get("ApproximateNumberOfMessagesNotVisible", 0)
    )


def peek(
    sqs: Any,
    dlq_url: str,
    *,
    limit: int | None = None,
    visibility_timeout: int = 30,
    wait_seconds: int = 1,
) -> Peek:
    """Read up to ``limit`` DLQ messages without consuming them."""
    total = approximate_count(sqs, dlq_url)
    max_receives = source_max_receive_count(sqs, dlq_url)
    seen: dict[str, DeadLetter] = {}
    handles: list[str] = []
    try:
        while limit is None or len(seen) < limit:
            wanted = _BATCH if limit is None else limit - len(seen)
            batch = _receive(sqs, dlq_url, wanted, visibility_timeout, wait_seconds)
            if not batch:
                break
            for message in batch:
                handles.append(message["ReceiptHandle"])
                seen.setdefault(message["MessageId"], _dead_letter(message, max_receives))
    finally:
        _release(sqs, dlq_url, handles)
    messages = list(seen.values())
    return Peek(messages, total, max(total - len(messages), 0))


def _replay_entry(index: int, message: dict[str, Any], queue_url: str) -> dict[str, Any]:
    letter = _dead_letter(message)
    attributes = {
        name: {
            key: value[key] for key in ("DataType", "StringValue", "BinaryValue") if key in value
        }
        for name, value in (message.get("MessageAttributes") or {}).items()
        if name not in QUARANTINE_ATTRIBUTES and name != REPLAYED_FROM_ATTRIBUTE
    }
    attributes[REPLAYED_FROM_ATTRIBUTE] = {"DataType": "String", "StringValue": letter.message_id}
    entry: dict[str, Any] = {
        "Id": str(index),
        "MessageBody": letter.body,
        "MessageAttributes": attributes,
    }
    if _is_fifo(queue_url):
        entry["MessageGroupId"] = letter.group_id or "replay"
        entry["MessageDeduplicationId"] = f"replay-{letter.message_id}"[:128]
    return entry


def replay(
    sqs: Any,
    dlq_url: str,
    queue_url: str,
    *,
    max_messages: int | None = None,
    dry_run: bool = False,
    visibility_timeout: int = 60,
    wait_seconds: int = 1,
) -> ReplayResult:
    """Move DLQ messages back to the main queue (send first, then delete). Stops at the first
    message SQS refuses, leaving it and everything after it in the DLQ."""
    if dry_run:
        look = peek(sqs, dlq_url, limit=max_messages, wait_seconds=wait_seconds)
        return ReplayResult(
            dry_run=True,
            messages=look.messages,
            left_in_dlq=look.approximate_total,
            not_shown=look.not_shown,
        )
    result = ReplayResult()
    while max_messages is None or result.replayed < max_messages:
        wanted = _BATCH if max_messages is None else max_messages - result.replayed
        batch = _receive(sqs, dlq_url, wanted, visibility_timeout, wait_seconds)
        if not batch:
            break
        entries = [_replay_entry(i, m, queue_url) for i, m in enumerate(batch)]
        sent = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
        failed_ids = {f["Id"]: f for f in sent.get("Failed", [])}
        # Keep FIFO order: everything from the first refused message on stays in the DLQ.
        first_failure = min((int(i) for i in failed_ids), default=len(batch))
        done, kept = batch[:first_failure], batch[first_failure:]
        if done:
            sqs.delete_message_batch(
                QueueUrl=dlq_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)
                ],
            )
        result.replayed += len(done)
        result.messages.extend(_dead_letter(m) for m in done)
        if kept:
            _release(sqs, dlq_url, [m["ReceiptHandle"] for m in kept])
            result.failed += sum(1 for i in failed_ids if int(i) >= first_failure)
            result.errors.extend(
                f"{f.get('Code', 'Error')}: {f.get('Message', '')}" for f in failed_ids.values()
            )
            break
    result.left_in_dlq = approximate_count(sqs, dlq_url)
    return result
