"""The delivery log: which weeks' emails went out, so that a retry never sends one twice.

Built on Powertools' Idempotency utility (``idempotent_function`` over a small DynamoDB table of
the reporter's own, ``reporter_infra/idempotency.tf``), keyed on the week alone: every invocation
for the same week (the schedule's, a retry, a duplicate, a hand-made ``{"weekId": ...}``) shares
one record. What each outcome leaves behind:

* sent: the record holds the message id; any later invocation returns it and sends nothing;
* SES refused or could not be reached: Powertools deletes the record, the invocation fails, and
  the next attempt (Lambda's retry) may send;
* the answer from SES was lost (:class:`~reporter.ports.SendUncertain`): the record is completed
  as *uncertain*, the invocation fails (the error alarm fires) and every later one refuses to
  send until an operator checks the inbox and forces a resend;
* the invocation died between the send and the record (a timeout, a crash, the store failing):
  the record stays *in progress*. No Lambda context is registered on purpose, so it never
  expires into a resend; later invocations fail with :class:`~reporter.ports.DeliveryUncertain`.

The rule behind it: exactly one email per week, or a failed invocation that the alarm sees; never
two emails. A forced resend (``{"weekId": ..., "force": true}``) first forgets the record.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyItemNotFoundError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import STATUS_CONSTANTS

from reporter.ports import Delivery, DeliveryUncertain, SendUncertain

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

#: Every week's record is keyed ``reporter-week#<hash of {"weekId": ...}>``.
KEY_PREFIX = "reporter-week"
#: How long a week's record is kept: longer than the analytics records it reported (90 days), so
#: a week is never sent twice while its data still exists.
KEEP_SECONDS = 100 * 86_400
_UNCERTAIN = "uncertain"


def table_definition(name: str) -> dict[str, Any]:
    """``create_table`` arguments of the delivery log as ``reporter_infra/idempotency.tf`` makes
    it (for tests and local stacks; TTL on ``expiration`` is set by Terraform)."""
    return {
        "TableName": name,
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    }


def _week(week_id: str) -> dict[str, str]:
    return {"weekId": week_id}


def _deliver(week: dict[str, str], send: Callable[[], Delivery]) -> dict[str, Any]:
    """The guarded step. Its return value is what the log keeps (JSON)."""
    try:
        delivery = send()
    except SendUncertain as exc:
        return {_UNCERTAIN: str(exc)}
    return {
        "messageId": delivery.message_id,
        "subject": delivery.subject,
        "questions": delivery.questions,
    }


class IdempotentDeliveryLog:
    """:class:`~reporter.ports.DeliveryLog` on a DynamoDB table in Powertools' layout (``id``
    key, ``expiration`` TTL)."""

    def __init__(
        self, client: DynamoDBClient, table_name: str, *, keep_seconds: int = KEEP_SECONDS
    ) -> None:
        self.table_name = table_name
        self._store = DynamoDBPersistenceLayer(table_name=table_name, boto3_client=client)
        self._config = IdempotencyConfig(
            expires_after_seconds=keep_seconds, raise_on_no_idempotency_key=True
        )
        self._deliver = idempotent_function(
            _deliver,
            data_keyword_argument="week",
            persistence_store=self._store,
            config=self._config,
            key_prefix=KEY_PREFIX,
        )

    def recorded(self, week_id: str) -> Delivery | None:
        self._store.configure(self._config, key_prefix=KEY_PREFIX)
        try:
            record = self._store.get_record(data=_week(week_id))
        except IdempotencyItemNotFoundError:
            return None
        if record is None or record.status == STATUS_CONSTANTS["EXPIRED"]:
            return None
        if record.status == STATUS_CONSTANTS["INPROGRESS"]:
            raise DeliveryUncertain(_in_progress(week_id))
        return _kept(week_id, record.response_json_as_dict() or {})

    def deliver_once(self, week_id: str, send: Callable[[], Delivery]) -> Delivery:
        sent: list[Delivery] = []

        def send_and_keep() -> Delivery:
            delivery = send()
            sent.append(delivery)
            return delivery

        try:
            kept = self._deliver(week=_week(week_id), send=send_and_keep)
        except IdempotencyAlreadyInProgressError as exc:
            raise DeliveryUncertain(_in_progress(week_id)) from exc
        return sent[0] if sent else _kept(week_id, kept)

    def forget(self, week_id: str) -> None:
        self._store.configure(self._config, key_prefix=KEY_PREFIX)
        self._store.delete_record(data=_week(week_id), exception=_ForcedResend(week_id))


def _resend_hint(week_id: str) -> str:
    return (
        "Nothing was sent. If the email is not in the inbox, resend it with "
        f'{{"weekId": "{week_id}", "force": true}}.'
    )


def _in_progress(week_id: str) -> str:
    return (
        f"{week_id}: an earlier invocation started sending this week's email and has not "
        "recorded the outcome (it may still be running, or it stopped after SES took the "
        f"email). {_resend_hint(week_id)}"
    )


def _kept(week_id: str, kept: dict[str, Any]) -> Delivery:
    """What the log holds for a week: the delivery, or :class:`DeliveryUncertain`."""
    if _UNCERTAIN in kept:
        raise DeliveryUncertain(f"{week_id}: {kept[_UNCERTAIN]}. {_resend_hint(week_id)}")
    return Delivery(
        week_id=week_id,
        message_id=str(kept["messageId"]),
        subject=str(kept["subject"]),
        questions=int(kept["questions"]),
        sent_now=False,
    )


class _ForcedResend(Exception):  # noqa: N818 - Powertools logs it as the reason for the delete
    def __init__(self, week_id: str) -> None:
        super().__init__(f"forced resend of {week_id}")


class NoDeliveryLog:
    """No record kept (``IDEMPOTENCY_TABLE`` unset): every invocation sends."""

    def recorded(self, week_id: str) -> Delivery | None:
        return None

    def deliver_once(self, week_id: str, send: Callable[[], Delivery]) -> Delivery:
        return send()

    def forget(self, week_id: str) -> None:
        return None
