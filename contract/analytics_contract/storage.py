"""The analytics record's stored form in DynamoDB, in one place for the writer and the readers.

The processor writes records with :func:`record_to_item`; the reporter, the demo and the tests read
them back with :func:`record_from_item` or :func:`plain_numbers`. DynamoDB has no float: numbers
go in as ``Decimal`` and come back as ``Decimal``, which pydantic and JSON should not have to see.
``truncatedFields`` is a string set (the processor adds each event's with ``ADD``, so the stored
record is the same whatever order the events came in); sets are read back as sorted lists.

The table's one index, ``week-index`` (``week`` + ``timestamp``), projects the table's key, its
own keys and :data:`WEEK_INDEX_ATTRIBUTES`: what its readers need (the weekly report reads a week's
records through it; a data export reads the keys through it and the full items with
``BatchGetItem``). Terraform's and the local stack's definitions are kept equal to this list by
tests; an update that changes none of these attributes costs no index write.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from analytics_contract.records import AnalyticsRecord

WEEK_INDEX = "week-index"
#: The index's keys (the table's ``requestId`` is projected with them).
WEEK_INDEX_KEYS = ("week", "timestamp")
#: Non-key attributes ``week-index`` projects (``INCLUDE``): every field of
#: :class:`AnalyticsRecord` except the large or operational ones (``response``, ``reasoning``,
#: ``metadata``, ``truncatedFields``), which a reader of the index fetches from the table.
WEEK_INDEX_ATTRIBUTES = (
    "day",
    "status",
    "sessionId",
    "query",
    "matchType",
    "matchScore",
    "processingTimeMs",
    "responseTimestamp",
    "tokens",
    "model",
    "variant",
    "error",
    "feedback",
    "recordedAt",
    "expiresAt",
)
#: Attributes kept in the table only (what an index reader gets from ``BatchGetItem``).
TABLE_ONLY_ATTRIBUTES = ("response", "reasoning", "metadata", "truncatedFields")

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_attribute_values(item: Mapping[str, Any]) -> dict[str, Any]:
    """Python values to DynamoDB's wire form (floats go through ``Decimal``; ``None`` is dropped)."""
    return {
        name: _serializer.serialize(_to_dynamo(value))
        for name, value in item.items()
        if value is not None
    }


def from_attribute_values(item: Mapping[str, Any]) -> dict[str, Any]:
    """DynamoDB's wire form to plain Python (``Decimal`` back to ``int`` or ``float``)."""
    return {name: plain_numbers(_deserializer.deserialize(value)) for name, value in item.items()}


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Mapping):
        return {key: _to_dynamo(inner) for key, inner in value.items() if inner is not None}
    if isinstance(value, list | tuple):
        return [_to_dynamo(inner) for inner in value]
    return value


def plain_numbers(value: Any) -> Any:
    """``Decimal`` back to ``int`` (whole) or ``float``, through dicts, lists and sets."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Mapping):
        return {key: plain_numbers(inner) for key, inner in value.items()}
    if isinstance(value, set | frozenset):  # a DynamoDB set: unordered, one type
        return sorted(plain_numbers(inner) for inner in value)
    if isinstance(value, list):
        return [plain_numbers(inner) for inner in value]
    return value


def record_to_item(record: AnalyticsRecord) -> dict[str, Any]:
    values = record.model_dump(mode="python", by_alias=True, exclude_none=True)
    if values.get("truncatedFields"):
        values["truncatedFields"] = set(values["truncatedFields"])
    else:
        values.pop("truncatedFields", None)  # DynamoDB has no empty set
    return to_attribute_values(values)


def record_from_item(item: Mapping[str, Any]) -> AnalyticsRecord:
    """An analytics item (wire form) as the contract's record (a list of truncated fields, as
    items written before they were a set, is read sorted too)."""
    values = from_attribute_values(item)
    if isinstance(values.get("truncatedFields"), list):
        values["truncatedFields"] = sorted(values["truncatedFields"])
    return AnalyticsRecord.model_validate(values)
