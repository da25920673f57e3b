"""DynamoDB access for the processor: the only module that talks to the two tables.

Implements :class:`processor.ports.Store` and :class:`processor.ports.Notes`. Every write is
conditional and asks for ``ReturnValuesOnConditionCheckFailure=ALL_OLD``, so a failed condition
comes back as the item that made it fail (one request, no extra read): the correlator tells a
duplicate from a conflict, a crash recovery or a late event by looking at it. Updates also return
the item as it was before (``ReturnValues=ALL_OLD``, free of capacity): the query's timestamp for
the elapsed-time metric, or whether a feedback was the first.

Items:

- analytics table: an :class:`AnalyticsRecord` in its stored form
  (:mod:`analytics_contract.storage`). Only a new record is *put*; everything added later (a
  response, a late query, a feedback) is an ``UpdateItem`` of its own attributes, so nothing
  already on the item (a feedback, the other event's part) is ever overwritten, and an update that
  touches no attribute of ``week-index`` costs no index write;
- interim table, one item per request: ``{requestId, event (a parked response's JSON), feedback
  (a parked feedback's JSON), feedbackTimestamp, expiresAt (TTL, s), parkedAt (ms)}``; and the
  dead-letter notes of :mod:`analytics_contract.dead_letters` (key ``dead-letter#<messageId>``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import ClientError

from analytics_contract import (
    AnalyticsRecord,
    Feedback,
    FeedbackEvent,
    ResponseEvent,
    dead_letters,
)
from analytics_contract.dead_letters import DeadLetterNote
from analytics_contract.storage import (
    from_attribute_values,
    record_from_item,
    record_to_item,
    to_attribute_values,
)
from processor.ports import (
    EVENT,
    FEEDBACK,
    FEEDBACK_TIMESTAMP,
    Parked,
    ParkResult,
    ResponseTarget,
    WriteResult,
    parked_from_item,
)
from processor.records import QueryPart, ResponsePart

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import UpdateItemOutputTypeDef

CONDITION_FAILED = "ConditionalCheckFailedException"


class _Update:
    """An ``UpdateItem`` expression built clause by clause, with placeholder names."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}
        self.sets: list[str] = []
        self.adds: list[str] = []

    def name(self, attribute: str) -> str:
        placeholder = f"#n{len(self.names)}"
        self.names[placeholder] = attribute
        return placeholder

    def value(self, value: Any) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = value
        return placeholder

    def set(self, attribute: str, value: Any) -> None:
        self.sets.append(f"{self.name(attribute)} = {self.value(value)}")

    def set_once(self, attribute: str, value: Any) -> None:
        name = self.name(attribute)
        self.sets.append(f"{name} = if_not_exists({name}, {self.value(value)})")

    def add_to_set(self, attribute: str, members: frozenset[str]) -> None:
        if members:
            self.adds.append(f"{self.name(attribute)} {self.value(set(members))}")

    @property
    def expression(self) -> str:
        clauses = ["SET " + ", ".join(self.sets)]
        if self.adds:
            clauses.append("ADD " + ", ".join(self.adds))
        return " ".join(clauses)


class Repository:
    """Conditional reads and writes on the analytics table and the interim table."""

    def __init__(self, client: DynamoDBClient, *, analytics_table: str, interim_table: str) -> None:
        self._client = client
        self._analytics_table = analytics_table
        self._interim_table = interim_table

    # -- analytics table ----------------------------------------------------------------------------

    def create(self, record: AnalyticsRecord) -> WriteResult:
        try:
            self._client.put_item(
                TableName=self._analytics_table,
                Item=record_to_item(record),
                ConditionExpression="attribute_not_exists(requestId)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            return WriteResult(False, _old_record(error))
        return WriteResult(True)

    def add_response(self, part: ResponsePart, *, to: ResponseTarget) -> WriteResult:
        update = _Update()
        for name, value in part.attributes.items():
            update.set(name, value)
        update.set("recordedAt", part.recorded_at)
        update.add_to_set("truncatedFields", part.truncated_fields)
        status = update.name("status")
        if to == "unanswered":
            update.sets.append(f"{status} = {update.value(part.status)}")
            condition = f"{status} = {update.value('unanswered')}"
        else:
            condition = (
                f"{status} = {update.value('orphaned')} AND "
                f"attribute_not_exists({update.name('matchType')})"
            )
        return self._update(part.request_id, update, condition)

    def add_query(self, part: QueryPart) -> WriteResult:
        update = _Update()
        for name, value in part.attributes.items():
            update.set(name, value)
        update.set("status", part.status)
        update.set("recordedAt", part.recorded_at)
        update.add_to_set("truncatedFields", part.truncated_fields)
        condition = (
            f"{update.name('status')} = {update.value('orphaned')} AND "
            f"attribute_not_exists({update.name('query')})"
        )
        return self._update(part.request_id, update, condition)

    def set_feedback(self, request_id: str, feedback: Feedback) -> WriteResult:
        update = _Update()
        update.set(FEEDBACK, feedback.to_wire())
        stored = update.name(FEEDBACK)
        condition = (
            f"attribute_exists(requestId) AND (attribute_not_exists({stored}) OR "
            f"{stored}.{update.name('timestamp')} < {update.value(feedback.timestamp)})"
        )
        return self._update(request_id, update, condition)

    def record(self, request_id: str) -> AnalyticsRecord | None:
        item = self._client.get_item(
            TableName=self._analytics_table,
            Key={"requestId": {"S": request_id}},
            ConsistentRead=True,
        ).get("Item")
        return record_from_item(item) if item else None

    def _update(self, request_id: str, update: _Update, condition: str) -> WriteResult:
        try:
            response = self._update_item(
                self._analytics_table, request_id, update, condition, returning="ALL_OLD"
            )
        except ClientError as error:
            return WriteResult(False, _old_record(error))
        old = response.get("Attributes")
        return WriteResult(True, record_from_item(old) if old else None)

    def _update_item(
        self,
        table: str,
        request_id: str,
        update: _Update,
        condition: str,
        *,
        returning: Literal["ALL_OLD", "ALL_NEW"],
    ) -> UpdateItemOutputTypeDef:
        """A conditional update; a failed condition raises, with the old item (``ALL_OLD``)."""
        return self._client.update_item(
            TableName=table,
            Key={"requestId": {"S": request_id}},
            UpdateExpression=update.expression,
            ConditionExpression=condition,
            ExpressionAttributeNames=update.names,
            ExpressionAttributeValues=to_attribute_values(update.values),
            ReturnValues=returning,
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )

    # -- interim table ------------------------------------------------------------------------------

    def park(
        self,
        request_id: str,
        *,
        response: ResponseEvent | None = None,
        feedback: FeedbackEvent | None = None,
        expires_at: int,
        now_ms: int,
    ) -> ParkResult:
        if (response is None) == (feedback is None):
            raise ValueError("park one event at a time: a response or a feedback")
        update = _Update()
        update.set_once("expiresAt", expires_at)
        update.set_once("parkedAt", now_ms)
        if response is not None:
            update.set(EVENT, response.to_json())
            condition = f"attribute_not_exists({update.name(EVENT)})"
        elif feedback is not None:
            update.set(FEEDBACK, feedback.to_json())
            update.set(FEEDBACK_TIMESTAMP, feedback.timestamp)
            held = update.name(FEEDBACK_TIMESTAMP)
            condition = (
                f"attribute_not_exists({update.name(FEEDBACK)}) OR "
                f"{held} < {update.value(feedback.timestamp)}"
            )
        try:
            result = self._update_item(
                self._interim_table, request_id, update, condition, returning="ALL_NEW"
            )
        except ClientError as error:
            if _code(error) != CONDITION_FAILED:
                raise
            old: Mapping[str, Any] = error.response.get("Item") or {}  # type: ignore[assignment]
            return ParkResult(False, parked_from_item(from_attribute_values(old)))
        return ParkResult(True, parked_from_item(from_attribute_values(result["Attributes"])))

    def parked(self, request_id: str) -> Parked | None:
        item = self._client.get_item(
            TableName=self._interim_table,
            Key={"requestId": {"S": request_id}},
            ConsistentRead=True,
        ).get("Item")
        return parked_from_item(from_attribute_values(item)) if item else None

    def unpark(self, request_id: str) -> None:
        """Idempotent: deleting a missing item succeeds."""
        self._client.delete_item(
            TableName=self._interim_table, Key={"requestId": {"S": request_id}}
        )

    def keep_note(self, note: DeadLetterNote) -> None:
        expires = note.noted_at // 1000 + dead_letters.NOTE_RETENTION_SECONDS
        self._client.put_item(
            TableName=self._interim_table,
            Item=to_attribute_values(dead_letters.note_item(note, expires_at=expires)),
        )


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _old_record(error: ClientError) -> AnalyticsRecord | None:
    """The ``ALL_OLD`` item of a failed condition; any other error propagates."""
    if _code(error) != CONDITION_FAILED:
        raise error
    response: Mapping[str, Any] = error.response
    item = response.get("Item")
    return record_from_item(item) if item else None
