"""What a dead-letter message carries: the names every reader and writer of the DLQ shares.

The processor writes these message attributes when it quarantines a message
(:mod:`processor.quarantine`); the operator tools read them (``cv-analytics dlq list``, the demo's
accounting). One definition here, so neither side imports the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

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

# -- notes: the reason of a dead letter that cannot carry one --------------------------------------
#
# Two kinds of dead letter carry no reason in their attributes: a message SQS's redrive moved there
# because the processor could not reach the DLQ on its last receive, and a body so close to SQS's
# 256 KiB limit that the reason does not fit beside it. For both, the processor keeps a note in its
# interim table, keyed by the *source* message id (SQS keeps the message id when it redrives a
# message, and on a FIFO DLQ sets the deduplication id to it; the processor's own sends use it as
# the deduplication id too), and logs the same reason with the message id. ``cv-analytics dlq list``
# shows the note beside the message.

#: Key of a note in the interim table (``requestId`` attribute): this prefix and the message id.
#: ``#`` is outside the request id alphabet, so a note never collides with a request's item.
NOTE_KEY_PREFIX: Final = "dead-letter#"
#: A note outlives its message: the DLQ keeps messages 14 days (from the move, on FIFO queues).
NOTE_RETENTION_SECONDS: Final = 15 * 86_400


class DeadLetterNote(BaseModel):
    """Why a message is (or is about to be) in the dead-letter queue without a reason of its own."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)

    message_id: str = Field(description="The message id on the events queue")
    reason: str
    kind: QuarantineKind
    noted_at: int = Field(description="When the processor wrote the note, epoch ms")
    event_request_id: str | None = Field(
        default=None, description="The requestId of the event, when it could be read"
    )


def note_key(message_id: str) -> str:
    return NOTE_KEY_PREFIX + message_id


def is_note_key(key: str) -> bool:
    return key.startswith(NOTE_KEY_PREFIX)


def note_item(note: DeadLetterNote, *, expires_at: int) -> dict[str, Any]:
    """The note as an interim-table item (plain values; ``expiresAt`` is the table's TTL)."""
    fields = note.model_dump(by_alias=True, exclude_none=True)
    return {"requestId": note_key(note.message_id), **fields, "expiresAt": expires_at}


def note_from_item(item: Mapping[str, Any]) -> DeadLetterNote:
    """A note read back from the interim table (plain values, e.g. ``from_attribute_values``)."""
    return DeadLetterNote.model_validate(item)
