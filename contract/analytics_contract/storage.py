"""The analytics record's stored form in DynamoDB, in one place for the writer and the readers.

The processor writes records with :func:`record_to_item`; the reporter, the demo and the tests read
them back with :func:`record_from_item` or :func:`plain_numbers`. DynamoDB has no float: numbers
go in as ``Decimal`` and come back as ``Decimal``, which pydantic and JSON should not have to see.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from analytics_contract.records import AnalyticsRecord

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
    if isinstance(value, list | set | frozenset):
        return [plain_numbers(inner) for inner in value]
    return value


def record_to_item(record: AnalyticsRecord) -> dict[str, Any]:
    return to_attribute_values(record.model_dump(mode="python", by_alias=True, exclude_none=True))


def record_from_item(item: Mapping[str, Any]) -> AnalyticsRecord:
    """An analytics item (wire form) as the contract's record."""
    return AnalyticsRecord.model_validate(from_attribute_values(item))
