"""What the data-out paths cost, as data: the inputs their cost model needs and the monthly
figure they give (README's data-out table; ``cv-analytics cost`` prices the pipeline itself, from
the same price table).

Two kinds of numbers, kept apart:

- :data:`PRICES`: list prices, dated, each with its source: the project's one price table,
  :mod:`cv_analytics.cost.prices` (re-exported here).
- :func:`measured_inputs`: bytes and read units per record, measured by ``bench/data_export.py``
  and committed in ``cost_inputs.json`` next to this module (``python -m bench.data_export
  --json cv_analytics/data/cost_inputs.json`` regenerates it).

:func:`athena_path_monthly` and :func:`local_export_monthly` turn a usage into dollars per
service. Nothing here calls AWS.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

from cv_analytics.cost.prices import PRICES as PRICES
from cv_analytics.cost.prices import PRICES_AS_OF as PRICES_AS_OF
from cv_analytics.cost.prices import PRICES_REGION as PRICES_REGION
from cv_analytics.cost.prices import Price as Price
from cv_analytics.cost.prices import charge

#: Athena bills each query for at least this many bytes.
ATHENA_MINIMUM_BYTES = 10 * 1024**2
#: Objects one DynamoDB export writes besides its data files: ``_started``, the two manifests and
#: their checksums (AWS's layout; moto writes the data file only).
EXPORT_EXTRA_OBJECTS = 5
#: Glue objects ``export_infra`` creates: the database, the raw table and the view.
GLUE_OBJECTS = 3
#: Requests a query makes to the Glue Data Catalog (database, view, table), roughly.
GLUE_REQUESTS_PER_QUERY = 3
GB = 1024**3
WEEKS_PER_MONTH = 52 / 12


@dataclass(frozen=True)
class MeasuredInputs:
    measured_with: str
    table_bytes_per_record: float
    index_bytes_per_record: float
    export_read_units_per_record: float
    snapshot_gzip_bytes_per_record: float
    parquet_bytes_per_record: float


@cache
def measured_inputs() -> MeasuredInputs:
    document = json.loads(
        (resources.files(__package__) / "cost_inputs.json").read_text(encoding="utf-8")
    )
    return MeasuredInputs(
        measured_with=document["measured_with"],
        table_bytes_per_record=document["table_bytes_per_record"],
        index_bytes_per_record=document["index_bytes_per_record"],
        export_read_units_per_record=document["export_read_units_per_record"],
        snapshot_gzip_bytes_per_record=document["snapshot_gzip_bytes_per_record"],
        parquet_bytes_per_record=document["parquet_bytes_per_record"],
    )


@dataclass(frozen=True)
class Usage:
    """How the data is used in a month."""

    questions_per_month: float
    #: Days the table keeps a record (the processor's TTL).
    retention_days: float = 90
    #: Scheduled exports a month (export_infra's default: weekly).
    exports_per_month: float = WEEKS_PER_MONTH
    #: Days an export is kept (export_infra's snapshot_retention_days).
    snapshot_retention_days: float = 15
    athena_queries_per_month: float = 100
    #: `cv-analytics export` runs a month, and the weeks each reads.
    local_exports_per_month: float = WEEKS_PER_MONTH
    weeks_per_local_export: float = 12

    @property
    def records_in_table(self) -> float:
        return self.questions_per_month * 12 / 365 * self.retention_days


def _charge(name: str, quantity: float, free_tier: bool) -> float:
    return charge(name, quantity, free_tier=free_tier)


def athena_path_monthly(
    usage: Usage, inputs: MeasuredInputs | None = None, *, free_tier: bool = True
) -> dict[str, float]:
    """Dollars a month of ``export_infra`` (scheduled export, S3, Glue, Athena), by service.

    Every query scans the retained snapshots' data at most twice (the view finds the latest one,
    then reads it): a bound, since Athena may skip files; and each is billed at least 10 MB.
    """
    inputs = inputs or measured_inputs()
    table_gb = usage.records_in_table * inputs.table_bytes_per_record / GB
    snapshot_bytes = usage.records_in_table * inputs.snapshot_gzip_bytes_per_record
    snapshots_kept = min(
        math.ceil(usage.snapshot_retention_days * usage.exports_per_month * 12 / 365) + 1,
        usage.exports_per_month * 12,
    )
    data_files = max(1, math.ceil(snapshot_bytes / (128 * 1024**2)))
    scanned = max(ATHENA_MINIMUM_BYTES, 2 * snapshots_kept * snapshot_bytes)
    query_files = 2 * snapshots_kept * (data_files + EXPORT_EXTRA_OBJECTS)
    return {
        "dynamodb export": _charge("dynamodb.export_full", table_gb * usage.exports_per_month, free_tier),
        "s3 storage": _charge("s3.storage", snapshots_kept * snapshot_bytes / GB, free_tier),
        "s3 requests": _charge(
            "s3.put", usage.exports_per_month * (data_files + EXPORT_EXTRA_OBJECTS), free_tier
        )
        + _charge("s3.get", usage.athena_queries_per_month * query_files, free_tier)
        + _charge("s3.put", usage.athena_queries_per_month * 2, free_tier),  # results + metadata
        "athena": _charge(
            "athena.scanned", usage.athena_queries_per_month * scanned / 1024**4, free_tier
        ),
        "glue": _charge("glue.objects", GLUE_OBJECTS, free_tier)
        + _charge("glue.requests", usage.athena_queries_per_month * GLUE_REQUESTS_PER_QUERY, free_tier),
        "scheduler": _charge("scheduler.invocations", usage.exports_per_month, free_tier),
    }  # fmt: skip


def local_export_monthly(usage: Usage, inputs: MeasuredInputs | None = None) -> dict[str, float]:
    """Dollars a month of ``cv-analytics export`` runs (DynamoDB reads; DuckDB is free)."""
    inputs = inputs or measured_inputs()
    records_per_export = min(
        usage.records_in_table,
        usage.questions_per_month * 12 / 52 * usage.weeks_per_local_export,
    )
    units = usage.local_exports_per_month * records_per_export * inputs.export_read_units_per_record
    return {"dynamodb reads": _charge("dynamodb.read_request", units, free_tier=False)}
