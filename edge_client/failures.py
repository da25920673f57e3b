"""What the client says when it gives events up, or finds one invalid: counters, logs, callback.

Two kinds of loss, reported differently:

- *given up* (``failed``): an accepted event that could not be delivered. Logged as an error and
  passed to the application's ``on_error`` as a :class:`DeliveryFailure`;
- *invalid*: an event that breaks the contract. Logged as a warning naming the field, counted,
  never sent, and raised into the caller only in strict mode (where the check runs on the caller's
  thread).

Logs are rate-limited per kind of problem (:class:`~edge_client.logs.RateLimitedLog`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from analytics_contract import AnyEvent, InvalidEventError, parse_event_json
from edge_client.logs import RateLimitedLog, logger

Event = AnyEvent


@dataclass(frozen=True, slots=True)
class DeliveryFailure:
    """Events the client gave up on, passed to ``on_error``.

    ``reason``: ``rejected`` (SQS refused them for good), ``expired`` (not delivered within
    ``give_up_after``), ``closed`` (still pending when ``close()`` or the exit hook ran out of
    time), ``redaction_failed`` (the redactor raised: sent nowhere), ``oversize`` (could not be
    brought under the message size limit) or ``error`` (an unexpected exception).
    """

    reason: str
    code: str | None
    message: str
    request_ids: tuple[str, ...]
    #: The messages as they would have been sent (redacted). Empty for ``redaction_failed``:
    #: unredacted text is never handed on, not even to the application's callback.
    bodies: tuple[str, ...]

    @property
    def events(self) -> list[Event]:
        return [parse_event_json(body) for body in self.bodies]


ErrorCallback = Callable[[DeliveryFailure], None]


def invalid_reason(exc: Exception) -> str:
    """The field-naming reason of a contract error; type and message of anything else."""
    if isinstance(exc, InvalidEventError):
        return exc.reason
    return f"{type(exc).__name__}: {exc}"


class Reporter:
    """Counts, logs and hands on every event the client does not deliver."""

    def __init__(self, log: RateLimitedLog, on_error: ErrorCallback | None) -> None:
        self._log = log
        self._on_error = on_error

    def invalid_logged(self, kind: str, exc: Exception) -> str:
        """Log an invalid event (not counted: the caller's path and the sender's count apart)."""
        reason = invalid_reason(exc)
        self._log.warning(
            "invalid", "edge_client: invalid %s event not tracked: %s", kind or "an", reason
        )
        return reason

    def gave_up(
        self,
        request_ids: tuple[str, ...],
        bodies: tuple[str, ...],
        *,
        reason: str,
        code: str | None,
        message: str,
    ) -> None:
        """Log and hand on events given up; the sender counts them once this returns."""
        self._log.log(
            logging.ERROR,
            f"give-up-{reason}",
            "edge_client: gave up on %d events (%s%s): %s",
            len(request_ids),
            reason,
            f", {code}" if code else "",
            message,
        )
        if self._on_error is not None:
            try:
                self._on_error(DeliveryFailure(reason, code, message, request_ids, bodies))
            except Exception:  # noqa: BLE001 - the application's callback
                logger.exception("edge_client on_error callback raised")
