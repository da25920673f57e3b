"""What a dead-letter message carries: the names every reader and writer of the DLQ shares.

The processor writes these message attributes when it quarantines a message
(:mod:`processor.quarantine`); the operator tools read them (``cv-analytics dlq list``, the demo's
accounting). One definition here, so neither side imports the other.
"""

from __future__ import annotations

from typing import Final, Literal

#: Why the message is in the dead-letter queue (free text, at most :data:`MAX_REASON_CHARS`).
REASON: Final = "quarantineReason"
#: What kind of problem it was (one of :data:`QuarantineKind`).
KIND: Final = "quarantineKind"
#: The ``messageId`` the message had on the events queue.
SOURCE_MESSAGE_ID: Final = "sourceMessageId"
#: The ARN of the events queue it came from.
SOURCE_QUEUE_ARN: Final = "sourceQueueArn"
#: When the processor quarantined it (ISO 8601, UTC, milliseconds).
QUARANTINED_AT: Final = "quarantinedAt"

#: Every attribute the processor adds; a replay strips them again.
QUARANTINE_ATTRIBUTES: Final = (REASON, KIND, SOURCE_MESSAGE_ID, SOURCE_QUEUE_ARN, QUARANTINED_AT)

#: ``json``: the body is not JSON; ``schema``: it breaks the contract; ``failed``: valid, but
#: processing failed on its last receive; ``conflict``: same requestId and eventType as an event
#: already recorded, with different content (kept as evidence, the record keeps the first).
QuarantineKind = Literal["json", "schema", "failed", "conflict"]

#: Longest reason kept in the attribute: readable, and the message stays well under SQS's limit.
MAX_REASON_CHARS: Final = 1_024
