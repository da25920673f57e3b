"""DynamoDB access for the processor: the only module that talks to the two tables.

Every write is conditional and asks for ``ReturnValuesOnConditionCheckFailure=ALL_OLD``, so a
failed condition comes back as the item that made it fail (one request, no extra read): the
correlator tells a duplicate from a crash recovery or a late event by looking at it.

Items:

- analytics table: an :class:`AnalyticsRecord` in its camelCase wire form, numbers as ``Decimal``;
- interim table: ``{requestId, event (the response's JSON), expiresAt (TTL, s), parkedAt (ms)}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from analytics_contract import (
    AnalyticsRecord,
    InvalidEventError,
    ResponseEvent,
    parse_event_json,
)
from analytics_contract.storage import (
    from_attribute_values,
    record_from_item,
    record_to_item,
    to_attribute_values,
)
from processor.records import Completion

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

CONDITION_FAILED = "ConditionalCheckFailedException"


@dataclass(frozen=True)
class WriteResult:
    """``written``, or else the item as it stood when the condition failed (``None``: no item)."""

    written: bool
    existing: AnalyticsRecord | None = None


def parked_response(item: Mapping[str, Any]) -> ResponseEvent:
    """The response held by an interim item (plain Python values, e.g. a stream's old image)."""
    event = parse_event_json(str(item["event"]))
    if not isinstance(event, ResponseEvent):
        raise InvalidEventError(f"event: the interim item holds a {event.event_type} event")
    return event


class CorrelationStore:
    """Conditional reads and writes on the analytics table and the interim table."""

    def __init__(self, client: DynamoDBClient, *, analytics_table: str, interim_table: str) -> None:
        self._client = client
        self._analytics_table = analytics_table
        self._interim_table = interim_table

    # -- analytics table ----------------------------------------------------------------------

    def insert(self, record: AnalyticsRecord) -> WriteResult:
        """Put a record where there is none."""
        return self._put(record, "attribute_not_exists(requestId)", {}, {})

    def insert_or_complete(self, record: AnalyticsRecord) -> WriteResult:
        """Put a complete record where there is none or only the query's ``unanswered`` one."""
        return self._put(
            record,
            "attribute_not_exists(requestId) OR #status = :unanswered",
            {"#status": "status"},
            {":unanswered": {"S": "unanswered"}},
        )

    def replace_orphan(self, record: AnalyticsRecord) -> WriteResult:
        """Put a complete record over the ``orphaned`` one its late query completes."""
        return self._put(
            record, "#status = :orphaned", {"#status": "status"}, {":orphaned": {"S": "orphaned"}}
        )

    def complete(self, completion: Completion) -> WriteResult:
        """Complete an ``unanswered`` record with its response, in one conditional update."""
        names = {
            "#status": "status",
            "#responseTimestamp": "responseTimestamp",
            "#recordedAt": "recordedAt",
            "#processingTimeMs": "processingTimeMs",
        }
        values: dict[str, Any] = {
            ":status": completion.status,
            ":unanswered": "unanswered",
            ":responseTimestamp": completion.response_timestamp,
            ":recordedAt": completion.recorded_at,
        }
        assignments = [
            "#status = :status",
            "#responseTimestamp = :responseTimestamp",
            "#recordedAt = :recordedAt",
        ]
        if completion.processing_time_ms is None:
            names["#timestamp"] = "timestamp"
            assignments.append("#processingTimeMs = :responseTimestamp - #timestamp")
        else:
            values[":processingTimeMs"] = completion.processing_time_ms
            assignments.append("#processingTimeMs = :processingTimeMs")
        for index, (name, value) in enumerate(completion.attributes.items()):
            names[f"#a{index}"] = name
            values[f":a{index}"] = value
            assignments.append(f"#a{index} = :a{index}")
        if completion.truncated_fields:
            names["#truncatedFields"] = "truncatedFields"
            values[":truncatedFields"] = completion.truncated_fields
            values[":noFields"] = []
            assignments.append(
                "#truncatedFields = list_append(if_not_exists(#truncatedFields, :noFields),"
                " :truncatedFields)"
            )
        try:
            self._client.update_item(
                TableName=self._analytics_table,
                Key={"requestId": {"S": completion.request_id}},
                UpdateExpression="SET " + ", ".join(assignments),
                ConditionExpression="#status = :unanswered",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_attribute_values(values),
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            return WriteResult(False, _old_record(error))
        return WriteResult(True)

    def _put(
        self,
        record: AnalyticsRecord,
        condition: str,
        names: dict[str, str],
        values: dict[str, Any],
    ) -> WriteResult:
        request: dict[str, Any] = {
            "TableName": self._analytics_table,
            "Item": record_to_item(record),
            "ConditionExpression": condition,
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        if names:
            request["ExpressionAttributeNames"] = names
        if values:
            request["ExpressionAttributeValues"] = values
        try:
            self._client.put_item(**request)
        except ClientError as error:
            return WriteResult(False, _old_record(error))
        return WriteResult(True)

    # -- interim table ------------------------------------------------------------------------

    def park(self, response: ResponseEvent, *, expires_at: int, now_ms: int) -> bool:
        """Hold a response that overtook its query; ``False`` if it was already parked."""
        try:
            self._client.put_item(
                TableName=self._interim_table,
                Item=to_attribute_values(
                    {
                        "requestId": response.request_id,
                        "event": response.to_json(),
                        "expiresAt": expires_at,
                        "parkedAt": now_ms,
                    }
                ),
                ConditionExpression="attribute_not_exists(requestId)",
            )
        except ClientError as error:
            if _code(error) != CONDITION_FAILED:
                raise
            return False
        return True

    def parked_response(self, request_id: str) -> ResponseEvent | None:
        """The parked response of a request, read consistently (it may have just been written)."""
        item = self._client.get_item(
            TableName=self._interim_table,
            Key={"requestId": {"S": request_id}},
            ConsistentRead=True,
        ).get("Item")
        if item is None:
            return None
        return parked_response(from_attribute_values(item))

    def unpark(self, request_id: str) -> None:
        """Remove a consumed park (idempotent: deleting a missing item succeeds)."""
        self._client.delete_item(
            TableName=self._interim_table, Key={"requestId": {"S": request_id}}
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
