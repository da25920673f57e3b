"""The Athena path without Terraform: the generated catalogue is current and Athena's SQL; the
view's flattening, run on DuckDB over a real DynamoDB export (moto's), gives back the exported
columns of the latest snapshot; the Athena client types, pages and fails as Athena does."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest

from analytics_contract.storage import record_to_item
from cv_analytics.data import athena_schema
from cv_analytics.data.athena import AthenaEngine, AthenaQueryError, typed
from cv_analytics.data.columns import COLUMN_NAMES, STORED_COLUMNS, record_to_row
from tests.unit.data.conftest import TABLE
from tests.unit.data.records import full_record, varied_records

BUCKET = "cv-test-exports"


def test_the_committed_catalogue_is_what_the_code_generates():
    """export_infra/athena.generated.json: regenerate with `make athena-schema`."""
    assert athena_schema.main(["--check"]) == 0
    document = json.loads(athena_schema.GENERATED_FILE.read_text(encoding="utf-8"))
    assert [c["name"] for c in document["view"]["columns"]] == list(COLUMN_NAMES)
    assert set(document["named_queries"]) == set(athena_schema.named_queries())


def test_the_view_is_athena_sql():
    import sqlglot

    statement = sqlglot.parse_one(athena_schema.view_sql("trino"), read="trino")
    assert [e.alias_or_name for e in statement.expressions] == list(COLUMN_NAMES)


def test_the_raw_item_type_has_every_stored_attribute_in_lower_case():
    hive = athena_schema.raw_item_type("hive")
    assert hive == hive.lower()
    for column in STORED_COLUMNS:
        assert f"{column.stored[-1].lower()}:" in hive
    assert "tokens:struct<m:struct<input:struct<n:string>" in hive
    assert "metadata:struct<m:map<string,struct<s:string>>>" in hive


def _export(ddb: Any, s3: Any, table_arn: str, prefix: str) -> None:
    export = ddb.export_table_to_point_in_time(
        TableArn=table_arn, S3Bucket=BUCKET, S3Prefix=prefix, ExportFormat="DYNAMODB_JSON"
    )["ExportDescription"]
    for _ in range(100):
        status = ddb.describe_export(ExportArn=export["ExportArn"])["ExportDescription"]
        if status["ExportStatus"] != "IN_PROGRESS":
            break
        time.sleep(0.05)
    assert status["ExportStatus"] == "COMPLETED", status


def test_the_view_flattens_the_latest_export_to_the_exported_columns(dynamodb, tmp_path):
    import duckdb

    arn = dynamodb.describe_table(TableName=TABLE)["Table"]["TableArn"]
    dynamodb.update_continuous_backups(
        TableName=TABLE,
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
    )
    s3 = boto3.client("s3", region_name="eu-west-2")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    older = list(varied_records("2026-W46", 20, seed=8))
    for record in older:
        dynamodb.put_item(TableName=TABLE, Item=record_to_item(record))
    _export(dynamodb, s3, arn, "snapshots/2026-11-16T05:00:00Z")
    records = [full_record(), *older[:10], *varied_records("2026-W47", 60, seed=9)]
    for record in older[10:]:
        dynamodb.delete_item(TableName=TABLE, Key={"requestId": {"S": record.request_id}})
    for record in records:
        dynamodb.put_item(TableName=TABLE, Item=record_to_item(record))
    _export(dynamodb, s3, arn, "snapshots/2026-11-23T05:00:00Z")

    files = []
    for entry in s3.list_objects_v2(Bucket=BUCKET)["Contents"]:
        local = tmp_path / entry["Key"]
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_bytes(s3.get_object(Bucket=BUCKET, Key=entry["Key"])["Body"].read())
        files.append(str(local))
    assert len(files) == 2

    cursor = duckdb.connect().execute(
        athena_schema.view_sql("duckdb", files) + " ORDER BY request_id"
    )
    assert [entry[0] for entry in cursor.description] == list(COLUMN_NAMES)
    got = [dict(zip(COLUMN_NAMES, row, strict=True)) for row in cursor.fetchall()]
    expected = sorted((record_to_row(r) for r in records), key=lambda row: row["request_id"])
    for row in (*got, *expected):
        for name in ("metadata", "truncated_fields"):
            row[name] = json.loads(row[name]) if row[name] is not None else None
    assert got == expected  # the latest snapshot only: deleted records gone, none twice


class FakeAthena:
    """Athena's API as a script: states to report, then pages of rows."""

    def __init__(self, states: list[str], pages: list[list[list[str | None]]], types: list[str]):
        self.states = states
        self.pages = pages
        self.types = types
        self.started: dict[str, Any] = {}
        self.stopped = False

    def start_query_execution(self, **kwargs: Any) -> Any:
        self.started = kwargs
        return {"QueryExecutionId": "q-1"}

    def get_query_execution(self, **_: Any) -> Any:
        state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        return {
            "QueryExecution": {
                "Status": {"State": state, "StateChangeReason": "SYNTAX_ERROR: line 1:8"},
                "Statistics": {"DataScannedInBytes": 10_485_760},
            }
        }

    def stop_query_execution(self, **_: Any) -> None:
        self.stopped = True

    def get_paginator(self, name: str) -> Any:
        assert name == "get_query_results"
        info = [{"Name": f"c{i}", "Type": t} for i, t in enumerate(self.types)]
        pages = [
            {
                "ResultSet": {
                    "ResultSetMetadata": {"ColumnInfo": info},
                    "Rows": [{"Data": [{} if v is None else {"VarCharValue": v} for v in row]}
                             for row in rows],
                }
            }
            for rows in self.pages
        ]  # fmt: skip

        class Pages:
            def paginate(self, **_: Any) -> Any:
                return iter(pages)

        return Pages()


def test_athena_rows_are_typed_paged_and_the_header_dropped():
    types = ["varchar", "bigint", "double", "boolean", "decimal(5,1)"]
    pages = [
        [["c0", "c1", "c2", "c3", "c4"], ["2026-W47", "12", "81.5", "true", "3.0"]],
        [["2026-W48", None, "1e3", "false", "2.5"]],
    ]
    fake = FakeAthena(["QUEUED", "RUNNING", "SUCCEEDED"], pages, types)
    slept: list[float] = []
    result = AthenaEngine(fake, "wg", "db", sleep=slept.append).run("SELECT 1")  # type: ignore[arg-type]
    assert fake.started == {
        "QueryString": "SELECT 1",
        "WorkGroup": "wg",
        "QueryExecutionContext": {"Database": "db"},
    }
    assert result.columns == ["c0", "c1", "c2", "c3", "c4"]
    assert result.rows == [("2026-W47", 12, 81.5, True, 3), ("2026-W48", None, 1000.0, False, 2.5)]
    assert result.details and result.details["data_scanned_bytes"] == 10_485_760
    assert len(slept) == 2 and slept[1] > slept[0]


def test_a_failed_athena_query_says_why():
    fake = FakeAthena(["FAILED"], [], [])
    with pytest.raises(AthenaQueryError, match="q-1 FAILED: SYNTAX_ERROR"):
        AthenaEngine(fake, "wg", "db", sleep=lambda _: None).run("SELEC 1")  # type: ignore[arg-type]


def test_a_query_running_past_the_timeout_is_stopped():
    fake = FakeAthena(["RUNNING"], [], [])
    now = iter(range(0, 1000, 100))
    engine = AthenaEngine(
        fake, "wg", "db", timeout_seconds=250, sleep=lambda _: None, clock=lambda: next(now)
    )  # type: ignore[arg-type]
    with pytest.raises(AthenaQueryError, match="still running after 250s: stopped"):
        engine.run("SELECT 1")
    assert fake.stopped


def test_cells_are_typed_from_athena_type_names():
    assert typed("7", "integer") == 7
    assert typed("2026-11-23", "date") == "2026-11-23"
    assert typed(None, "bigint") is None
    assert typed("[1, 2]", "array(integer)") == "[1, 2]"
