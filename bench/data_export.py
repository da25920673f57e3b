"""Benchmark: `cv-analytics export` of 100,000 records, and what the export path costs per record.

    .venv/bin/python -m bench.data_export [--records 100000] [--json cv_analytics/data/cost_inputs.json]

Ten weeks of 10,000 questions each (bench/sample_week.py, with answer and reasoning text of
chatbot-like length) are exported through the command's own reader (week-index keys,
BatchGetItem, the contract's conversion) and writer, once per format, from an in-memory stand-in
of the two DynamoDB calls (pages of keys, 100 items a batch, the wire format): records/s is the
export's own cost (wall time, tracemalloc off), and tracemalloc's peak (a second run with it on)
its memory. moto is far slower than both (its Query scans the whole table per page): a smaller
run against moto in-process prints the emulator's figure apart. Also printed: bytes per record of
each format and of the table's items, the read units a record costs on AWS (computed from item
sizes with DynamoDB's rules), and the compressed size per record of a DynamoDB export to S3 (the
Athena path; moto's export). ``--json`` writes these inputs for the cost model
(:mod:`cv_analytics.data.costs`). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws

from analytics_contract.records import AnalyticsRecord
from analytics_contract.storage import record_to_item
from bench.processor_requests import item_size
from bench.sample_week import generate_week
from cv_analytics.data.export import export_records
from cv_analytics.data.reader import TableReader
from cv_analytics.data.weeks import last_weeks
from cv_analytics.data.writers import FORMATS
from cv_analytics.dev.resources import analytics_table_definition

TABLE = "bench-analytics"
LAST_WEEK = "2026-W47"
WORDS = [
    "experience",
    "with",
    "Python",
    "and",
    "Go",
    "at",
    "scale,",
    "leading",
    "a",
    "team",
    "of",
    "five",
    "engineers,",
    "AWS",
    "Lambda",
    "and",
    "DynamoDB",
    "in",
    "production,",
    "a",
    "migration",
    "from",
    "a",
    "monolith,",
    "on-call",
    "and",
    "incident",
    "reviews,",
    "mentoring",
]


def _text(rng: random.Random, low: int, high: int) -> str:
    target = rng.randint(low, high)
    words: list[str] = []
    while sum(len(word) + 1 for word in words) < target:
        words.append(rng.choice(WORDS))
    return " ".join(words).capitalize() + "."


def with_answers(records: Iterator[AnalyticsRecord], seed: int) -> Iterator[AnalyticsRecord]:
    """The sample's records with an answer (200-900 characters) and a reasoning (80-300), as a
    chatbot's would have; failed and unanswered ones stay without."""
    rng = random.Random(seed)
    for record in records:
        if record.status == "answered":
            record = record.model_copy(
                update={"response": _text(rng, 200, 900), "reasoning": _text(rng, 80, 300)}
            )
        yield record


def sample(records: int) -> Iterator[AnalyticsRecord]:
    weeks = last_weeks(max(1, records // 10_000), LAST_WEEK)
    per_week = records // len(weeks)
    for index, week in enumerate(weeks):
        yield from with_answers(generate_week(week, questions=per_week, seed=index), seed=index)


class MemoryTable:
    """The two calls the export makes, served from memory in DynamoDB's wire format: ``Query``
    on week-index (pages of ``page_keys`` keys, in timestamp order) and ``BatchGetItem``."""

    def __init__(self, page_keys: int = 10_000) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.weeks: dict[str, list[tuple[int, str]]] = {}
        self.page_keys = page_keys

    def batch_write_item(self, RequestItems: dict[str, Any]) -> None:  # noqa: N803
        for request in RequestItems[TABLE]:
            item = request["PutRequest"]["Item"]
            key = item["requestId"]["S"]
            self.items[key] = item
            self.weeks.setdefault(item["week"]["S"], []).append((int(item["timestamp"]["N"]), key))

    def get_paginator(self, name: str) -> Any:
        table = self

        class Pages:
            def paginate(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
                week = kwargs["ExpressionAttributeValues"][":week"]["S"]
                keys = [key for _, key in sorted(table.weeks.get(week, []))]
                for start in range(0, max(1, len(keys)), table.page_keys):
                    page = keys[start : start + table.page_keys]
                    yield {"Items": [{"requestId": {"S": key}} for key in page]}

        return Pages()

    def batch_get_item(self, RequestItems: dict[str, Any], **_: Any) -> dict[str, Any]:  # noqa: N803
        keys = RequestItems[TABLE]["Keys"]
        return {"Responses": {TABLE: [self.items[key["requestId"]["S"]] for key in keys]}}


def load(client: Any, records: Iterator[AnalyticsRecord]) -> dict[str, Any]:
    """Write the records (25 per BatchWriteItem); returns sizes for the cost model."""
    batch: list[dict[str, Any]] = []
    count = table_bytes = index_bytes = 0
    table_units = 0.0
    weeks: set[str] = set()
    large = ("response", "reasoning", "metadata", "truncatedFields")

    def flush() -> None:
        if batch:
            client.batch_write_item(
                RequestItems={TABLE: [{"PutRequest": {"Item": i}} for i in batch]}
            )
            batch.clear()

    for record in records:
        item = record_to_item(record)
        size = item_size(item)
        count += 1
        weeks.add(record.week)
        table_bytes += size
        # BatchGetItem, eventually consistent: half a unit per started 4 KB of each item.
        table_units += 0.5 * max(1, math.ceil(size / 4096))
        # week-index's INCLUDE projection (the processor's): the item less its large attributes.
        index_bytes += item_size({k: v for k, v in item.items() if k not in large})
        batch.append(item)
        if len(batch) == 25:
            flush()
    flush()
    # Query reads the index's projected items, half a unit per 4 KB of a page (1 MB pages).
    index_units = 0.5 * index_bytes / 4096
    return {
        "records": count,
        "weeks": sorted(weeks),
        "table_bytes_per_record": table_bytes / count,
        "index_bytes_per_record": index_bytes / count,
        "read_units_per_record": (table_units + index_units) / count,
    }


def export_seconds(client: Any, weeks: list[str], path: Path, fmt: str) -> tuple[float, int]:
    started = time.perf_counter()
    result = export_records(TableReader(client, TABLE), weeks, path, fmt)  # type: ignore[arg-type]
    return time.perf_counter() - started, result.records


def peak_bytes(client: Any, weeks: list[str], path: Path) -> int:
    tracemalloc.start()
    export_records(TableReader(client, TABLE), weeks, path, "parquet")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def dynamodb_export_bytes(client: Any) -> tuple[int, int]:
    """(gzip bytes, objects) of a DynamoDB export to S3 of the table (moto writes the data file)."""
    s3 = boto3.client("s3", region_name="eu-west-2")
    s3.create_bucket(
        Bucket="bench-exports", CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
    )
    arn = client.describe_table(TableName=TABLE)["Table"]["TableArn"]
    client.update_continuous_backups(
        TableName=TABLE, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    export = client.export_table_to_point_in_time(
        TableArn=arn,
        S3Bucket="bench-exports",
        S3Prefix="snapshots/bench",
        ExportFormat="DYNAMODB_JSON",
    )["ExportDescription"]
    while (
        client.describe_export(ExportArn=export["ExportArn"])["ExportDescription"]["ExportStatus"]
        == "IN_PROGRESS"
    ):
        time.sleep(0.2)
    objects = s3.list_objects_v2(Bucket="bench-exports")["Contents"]
    return sum(entry["Size"] for entry in objects), len(objects)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--moto-records", type=int, default=2_000)
    parser.add_argument("--json", type=Path, default=None, help="write the cost inputs here")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        memory = MemoryTable()
        sizes = load(memory, sample(args.records))
        weeks = sizes["weeks"]
        print(f"{sizes['records']:,} records of {len(weeks)} weeks, DynamoDB in memory")
        print(
            f"\n{'format':<8} {'records':>9} {'seconds':>8} {'records/s':>10} {'bytes/record':>13}"
        )
        bytes_per_record = {}
        for fmt in FORMATS:
            path = Path(folder) / f"records.{fmt}"
            seconds, count = export_seconds(memory, weeks, path, fmt)
            bytes_per_record[fmt] = path.stat().st_size / count
            print(f"{fmt:<8} {count:>9,} {seconds:>8.1f} {count / seconds:>10,.0f} "
                  f"{bytes_per_record[fmt]:>13,.0f}")  # fmt: skip
        peak = peak_bytes(memory, weeks, Path(folder) / "peak.parquet")
        print(f"\npeak memory of the Parquet export (tracemalloc): {peak / 2**20:,.1f} MiB "
              f"for {sizes['records']:,} records")  # fmt: skip
        print(f"DynamoDB item: {sizes['table_bytes_per_record']:,.0f} bytes/record "
              f"(week-index entry {sizes['index_bytes_per_record']:,.0f})")  # fmt: skip
        print(f"cv-analytics export on AWS: {sizes['read_units_per_record']:.3f} read units/record "
              "(BatchGetItem + week-index Query, eventually consistent; computed from sizes)")  # fmt: skip

        with mock_aws():
            client = boto3.client("dynamodb", region_name="eu-west-2")
            client.create_table(**analytics_table_definition(TABLE))
            small = load(client, sample(args.moto_records))
            seconds, count = export_seconds(
                client, small["weeks"], Path(folder) / "moto.parquet", "parquet"
            )
            print(f"\nagainst moto in-process: {count:,} records in {seconds:.1f}s "
                  f"({count / seconds:,.0f} records/s: the emulator's cost)")  # fmt: skip
            gz_bytes, objects = dynamodb_export_bytes(client)
            per_record = gz_bytes / small["records"]
            print(f"DynamoDB export to S3 (DYNAMODB_JSON, gzip, moto): {per_record:,.0f} bytes/record "
                  f"in {objects} data object(s)")  # fmt: skip

    inputs = {
        "measured_with": f"python -m bench.data_export --records {args.records} "
        f"--moto-records {args.moto_records}",
        "records": sizes["records"],
        "table_bytes_per_record": round(sizes["table_bytes_per_record"], 1),
        "index_bytes_per_record": round(sizes["index_bytes_per_record"], 1),
        "export_read_units_per_record": round(sizes["read_units_per_record"], 4),
        "snapshot_gzip_bytes_per_record": round(per_record, 1),
        "parquet_bytes_per_record": round(bytes_per_record["parquet"], 1),
        "jsonl_bytes_per_record": round(bytes_per_record["jsonl"], 1),
        "csv_bytes_per_record": round(bytes_per_record["csv"], 1),
    }
    if args.json:
        args.json.write_text(json.dumps(inputs, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
