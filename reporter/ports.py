"""What the reporter's use cases need from the outside world, owned by the domain side.

The adapters implement these: :mod:`reporter.repository` (DynamoDB) the record source,
:mod:`reporter.mailer` (SES) the mailer, :mod:`reporter.deliveries` (powertools' idempotency
store) the delivery log. :mod:`reporter.service` is typed against these Protocols only, so a test,
the preview or a dashboard can hand it a list, a file or a fake.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

from analytics_contract.records import AnalyticsRecord
from reporter.render import RenderedReport


class WeekReading(Protocol):
    """One week's records, read when iterated; ``unreadable`` counts the items that did not
    validate during the last iteration (they are logged, and the report says how many)."""

    unreadable: int

    def __iter__(self) -> Iterator[AnalyticsRecord]: ...


class RecordSource(Protocol):
    def week(self, week_id: str) -> WeekReading:
        """Every record of ``week_id`` (all statuses)."""
        ...

    def questions(self, week_id: str) -> Iterable[str]:
        """The question text of every record of ``week_id`` that has one (a lighter read, for
        comparing this week's questions with earlier weeks')."""
        ...


class SendRejected(Exception):  # noqa: N818 - a result, named for what happened
    """The mail service answered and did not take the email (or was never reached): nothing
    was sent. ``retryable``: the same email may be taken if tried again (throttling, 5xx)."""

    def __init__(self, reason: str, *, retryable: bool = False) -> None:
        super().__init__(reason)
        self.retryable = retryable


class SendUncertain(Exception):  # noqa: N818
    """The send may or may not have gone through (the answer was lost): it must not be retried
    blindly, or the week's email could go out twice."""


class Mailer(Protocol):
    recipients: list[str]

    def send(self, report: RenderedReport) -> str:
        """Send ``report``; returns the mail service's message id. Raises :class:`SendRejected`
        when it definitely was not sent, :class:`SendUncertain` when that is unknown."""
        ...


@dataclass(frozen=True)
class Delivery:
    """A week's email as the delivery log knows it."""

    week_id: str
    message_id: str
    subject: str
    questions: int
    #: ``False`` when the log already held this week (a retry or a duplicate): nothing was sent.
    sent_now: bool


class DeliveryUncertain(Exception):  # noqa: N818
    """This week's email may already have gone out (an earlier invocation stopped between
    sending and recording it, or is still running). Nothing is sent; an operator checks the inbox
    and, if it is not there, forces a resend (``{"weekId": ..., "force": true}``)."""


class DeliveryLog(Protocol):
    def recorded(self, week_id: str) -> Delivery | None:
        """What the log holds for ``week_id`` (``sent_now=False``), ``None`` if nothing; raises
        :class:`DeliveryUncertain` when an earlier attempt's outcome is unknown."""
        ...

    def deliver_once(self, week_id: str, send: Callable[[], Delivery]) -> Delivery:
        """Call ``send`` unless ``week_id`` was already delivered (then return what was recorded,
        with ``sent_now=False``). Raises :class:`DeliveryUncertain` when an earlier attempt's
        outcome is unknown."""
        ...

    def forget(self, week_id: str) -> None:
        """Drop the record of ``week_id``'s delivery (before a forced resend)."""
        ...
