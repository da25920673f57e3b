"""A local stand-in for DynamoDB TTL and the table's stream (moto never expires items).

:func:`expire_items` does what DynamoDB's TTL process and a Lambda stream event source mapping do
together: delete the items whose TTL attribute is before ``now`` (a conditional delete, as TTL
never removes an item whose TTL was moved into the future meanwhile) and invoke the handler with
genuine stream ``REMOVE`` records carrying the TTL service principal in ``userIdentity`` and the
deleted item as ``OldImage``. Failed records (``batchItemFailures``) are retried from the first
failure, as the event source mapping does, up to ``max_attempts`` invocations.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cv_analytics.dev.resources import TTL_ATTRIBUTE
from cv_analytics.dev.sqs_trigger import LocalLambdaContext

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

Handler = Callable[[dict[str, Any], Any], Any]

TTL_USER_IDENTITY = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
STREAM_BATCH_SIZE = 100
_sequence = itertools.count(1)
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExpiryResult:
    scanned: int  # items examined
    expired: int  # items deleted because their TTL had passed
    delivered: int  # stream records the handler processed successfully
    failed: int  # stream records still failing after max_attempts


def _epoch_seconds(now: datetime | float) -> int:
    return int(now.timestamp()) if isinstance(now, datetime) else int(now)


def remove_record(
    item: Mapping[str, Any],
    *,
    key_names: list[str],
    stream_arn: str,
    region: str,
    now_seconds: int,
) -> dict[str, Any]:
    """The stream record DynamoDB writes when TTL deletes ``item`` (wire-format attributes)."""
    return {
        "eventID": uuid.uuid4().hex,
        "eventName": "REMOVE",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": {
            "ApproximateCreationDateTime": now_seconds,
            "Keys": {name: item[name] for name in key_names},
            "OldImage": dict(item),
            "SequenceNumber": f"{next(_sequence):021d}",
            "SizeBytes": len(json.dumps(item)),
            "StreamViewType": "OLD_IMAGE",
        },
        "userIdentity": dict(TTL_USER_IDENTITY),
        "eventSourceARN": stream_arn,
    }


def _expired_items(
    dynamodb: DynamoDBClient, table_name: str, now_seconds: int
) -> tuple[int, list[dict[str, Any]]]:
    """(items scanned, the expired ones)."""
    paginator = dynamodb.get_paginator("scan")
    scanned = 0
    expired: list[dict[str, Any]] = []
    for page in paginator.paginate(
        TableName=table_name,
        FilterExpression="#ttl < :now",
        ExpressionAttributeNames={"#ttl": TTL_ATTRIBUTE},
        ExpressionAttributeValues={":now": {"N": str(now_seconds)}},
        ConsistentRead=True,
    ):
        scanned += int(page.get("ScannedCount", 0))
        expired.extend(dict(item) for item in page.get("Items", []))
    return scanned, expired


def expire_items(
    dynamodb: DynamoDBClient,
    table_name: str,
    handler: Handler,
    *,
    now: datetime | float | None = None,
    batch_size: int = STREAM_BATCH_SIZE,
    max_attempts: int = 3,
    function_name: str = "expiry",
) -> ExpiryResult:
    """Expire the items of ``table_name`` whose TTL is before ``now`` (default: the clock)."""
    now_seconds = _epoch_seconds(now if now is not None else time.time())
    description = dynamodb.describe_table(TableName=table_name)["Table"]
    key_names = [key["AttributeName"] for key in description["KeySchema"]]
    stream_arn = description.get("LatestStreamArn", f"{description['TableArn']}/stream/local")
    region = dynamodb.meta.region_name or "eu-west-2"

    records: list[dict[str, Any]] = []
    scanned, expired = _expired_items(dynamodb, table_name, now_seconds)
    for item in expired:
        deleted = _delete_if_expired(dynamodb, table_name, item, key_names, now_seconds)
        if deleted is not None:
            records.append(
                remove_record(
                    deleted,
                    key_names=key_names,
                    stream_arn=stream_arn,
                    region=region,
                    now_seconds=now_seconds,
                )
            )

    delivered = failed = 0
    for start in range(0, len(records), batch_size):
        ok, not_ok = _deliver(
            handler, records[start : start + batch_size], max_attempts, function_name, region
        )
        delivered += ok
        failed += not_ok
    return ExpiryResult(scanned=scanned, expired=len(records), delivered=delivered, failed=failed)


def _delete_if_expired(
    dynamodb: DynamoDBClient,
    table_name: str,
    item: Mapping[str, Any],
    key_names: list[str],
    now_seconds: int,
) -> dict[str, Any] | None:
    try:
        deleted = dynamodb.delete_item(
            TableName=table_name,
            Key={name: item[name] for name in key_names},
            ConditionExpression="#ttl < :now",
            ExpressionAttributeNames={"#ttl": TTL_ATTRIBUTE},
            ExpressionAttributeValues={":now": {"N": str(now_seconds)}},
            ReturnValues="ALL_OLD",
        )
    except dynamodb.exceptions.ConditionalCheckFailedException:
        return None  # deleted or given a later TTL since the scan
    old = deleted.get("Attributes")
    return dict(old) if old else None


def _deliver(
    handler: Handler,
    records: list[dict[str, Any]],
    max_attempts: int,
    function_name: str,
    region: str,
) -> tuple[int, int]:
    """Invoke until every record succeeded or ``max_attempts``; returns (succeeded, failed)."""
    pending = records
    succeeded = 0
    for _ in range(max_attempts):
        context = LocalLambdaContext(function_name=function_name, region=region)
        try:
            response = handler({"Records": pending}, context)
        except Exception:
            logger.warning("expiry handler raised; retrying the batch", exc_info=True)
            continue
        failures = (response or {}).get("batchItemFailures") or []
        failed_ids = {failure.get("itemIdentifier") for failure in failures}
        # Like the event source mapping: checkpoint before the first failed sequence number.
        first_failed = next(
            (
                index
                for index, record in enumerate(pending)
                if record["dynamodb"]["SequenceNumber"] in failed_ids
            ),
            None,
        )
        if first_failed is None:
            return succeeded + len(pending), 0
        succeeded += first_failed
        pending = pending[first_failed:]
    return succeeded, len(pending)
