"""From a tracked call to the message for the queue (runs on the sender, off the caller's thread).

Per event, in this order: validate the captured arguments against the contract (shortening text
to its limits), give a response or feedback tracked without ``session_id`` its question's session,
redact, and serialize under the message size limit with its message group and deduplication id.
Nothing leaves this step unredacted: an event the redactor fails on is never sent nor handed on.
"""

from __future__ import annotations

from collections import OrderedDict

from analytics_contract import AnyEvent
from edge_client.buffer import Item
from edge_client.building import build
from edge_client.config import Settings
from edge_client.outbox import Entry
from edge_client.redaction import Redactor
from edge_client.wire import OversizeError, conform, deduplication_id, group_id, serialize

Event = AnyEvent


class NotSendable(Exception):  # noqa: N818 - an outcome, not a bug
    """An event that will never be sent: ``invalid``, ``redaction_failed``, ``oversize`` or
    ``error`` (it could not be serialized)."""

    def __init__(self, reason: str, message: str, *, request_id: str, cause: Exception) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.request_id = request_id
        self.cause = cause


class Preparer:
    """Turns buffered items into outbox entries; owned by the sender's driving thread."""

    def __init__(
        self,
        settings: Settings,
        redactor: Redactor | None,
        sessions: OrderedDict[str, str] | None = None,
    ) -> None:
        self._settings = settings
        self._redactor = redactor
        #: requestId -> sessionId of recent questions.
        self.sessions: OrderedDict[str, str] = sessions if sessions is not None else OrderedDict()

    def prepare(self, seq: int, item: Item, accepted_at: float) -> tuple[Entry, bool]:
        """The entry for an item tracked at ``accepted_at`` (``time.monotonic()``), and whether
        its text was shortened. Raises NotSendable."""
        try:
            event = build(item)
        except Exception as exc:  # InvalidEventError, or whatever an odd argument raises
            raise NotSendable("invalid", str(exc), request_id="", cause=exc) from exc
        event = self._with_session(event)
        if self._redactor is not None:
            try:
                redacted = self._redactor(event)
                if redacted is not event:
                    event = conform(redacted)
            except Exception as exc:  # a redactor's bug: the event must not leave
                raise NotSendable(
                    "redaction_failed",
                    f"{type(exc).__name__}: {exc}",
                    request_id=event.request_id,
                    cause=exc,
                ) from exc
        try:
            event, body, size = serialize(event)
        except OversizeError as exc:
            raise NotSendable("oversize", str(exc), request_id=event.request_id, cause=exc) from exc
        except Exception as exc:  # a bug of ours: this event is lost, the sender keeps going
            message = f"{type(exc).__name__}: {exc}"
            raise NotSendable("error", message, request_id=event.request_id, cause=exc) from exc
        entry = Entry(
            seq=seq,
            request_id=event.request_id,
            body=body,
            size=size,
            group_id=group_id(event.session_id, event.request_id),
            deduplication_id=deduplication_id(body),
            accepted_at=accepted_at,
            deadline=accepted_at + self._settings.give_up_after,
        )
        return entry, bool(event.truncated_fields)

    def _with_session(self, event: Event) -> Event:
        """Remember each question's session; fill it into a response or feedback without one."""
        if event.event_type == "query":
            capacity = self._settings.session_memory_size
            if capacity:
                sessions = self.sessions
                sessions[event.request_id] = event.session_id
                sessions.move_to_end(event.request_id)
                while len(sessions) > capacity:
                    sessions.popitem(last=False)
            return event
        if event.session_id is None:
            remembered = self.sessions.get(event.request_id)
            if remembered is not None:
                # A sessionId a validated query carried: no need to validate it again.
                return event.model_copy(update={"session_id": remembered})
        return event
