"""The exported columns: derived from the contract's record, lossless, typed the same everywhere."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel

from analytics_contract.records import AnalyticsRecord
from cv_analytics.data import columns
from cv_analytics.data.columns import (
    COLUMN_NAMES,
    COLUMNS,
    DERIVED_COLUMNS,
    UnsupportedFieldError,
    arrow_schema,
    record_to_row,
    row_to_record,
)
from tests.unit.data.records import full_record, varied_records


def _leaf_paths(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    paths: set[tuple[str, ...]] = set()
    for name, info in model.model_fields.items():
        annotation = info.annotation
        nested = [
            arg
            for arg in getattr(annotation, "__args__", (annotation,))
            if isinstance(arg, type) and issubclass(arg, BaseModel)
        ]
        if nested:
            paths |= _leaf_paths(nested[0], (*prefix, name))
        else:
            paths.add((*prefix, name))
    return paths


def test_every_field_of_the_record_is_exactly_one_column():
    stored = {column.path for column in COLUMNS if not column.derived}
    assert stored == _leaf_paths(AnalyticsRecord)
    assert len(COLUMN_NAMES) == len(set(COLUMN_NAMES))
    assert [column.name for column in DERIVED_COLUMNS] == ["elapsed_ms", "feedback_positive"]
    by_name = {column.name: column for column in COLUMNS}
    assert by_name["tokens_input"].stored == ("tokens", "input")
    assert by_name["session_id"].stored == ("sessionId",)
    assert by_name["metadata"].kind == "json"
    assert {c.name for c in COLUMNS if c.required} == {
        "request_id", "timestamp", "week", "day", "status", "recorded_at", "expires_at",
    }  # fmt: skip


def test_a_field_added_to_the_model_becomes_a_column_and_an_unknown_type_stops_the_import():
    class Extended(AnalyticsRecord):
        language: str | None = None
        sentiment: float | None = None

    names = [c.name for c in columns._model_columns(Extended, (), (), True)]
    assert names[-2:] == ["language", "sentiment"]

    class Odd(BaseModel):
        when: complex

    with pytest.raises(UnsupportedFieldError, match="when"):
        columns._model_columns(Odd, (), (), True)


@pytest.mark.parametrize(
    "record", [full_record(), *varied_records("2026-W47", 60)], ids=lambda r: r.request_id
)
def test_a_record_survives_a_row_unchanged(record: AnalyticsRecord):
    row = record_to_row(record)
    assert list(row) == list(COLUMN_NAMES)
    assert row_to_record(row) == record
    # as JSON text too (what JSON Lines and the engines hand back)
    assert row_to_record(json.loads(json.dumps(row))) == record


def test_derived_columns_are_the_records_own_properties():
    for record in [full_record(), *varied_records("2026-W47", 200, seed=3)]:
        row = record_to_row(record)
        assert row["elapsed_ms"] == record.elapsed_ms
        assert row["feedback_positive"] == (record.feedback.positive if record.feedback else None)


def test_json_columns_hold_json_text():
    row = record_to_row(full_record())
    assert json.loads(row["metadata"]) == {"page": "/cv", "country": "GB"}
    assert json.loads(row["truncated_fields"]) == ["response"]


def test_the_arrow_schema_has_every_column_with_its_type_and_nullability():
    import pyarrow as pa

    schema = arrow_schema()
    assert schema.names == list(COLUMN_NAMES)
    assert schema.field("timestamp").type == pa.int64()
    assert schema.field("match_score").type == pa.float64()
    assert schema.field("feedback_positive").type == pa.bool_()
    assert not schema.field("request_id").nullable
    assert schema.field("query").nullable
    assert schema.field("metadata").metadata[b"format"] == b"json"
    assert schema.field("elapsed_ms").metadata[b"description"].startswith(b"Milliseconds")


def test_the_derived_columns_sql_computes_what_the_record_computes():
    """The SQL spelling (used by the Athena view over DynamoDB's export) against the properties,
    on DuckDB, over records with and without processing time, with clocks behind, orphans and
    every kind of feedback."""
    import duckdb
    import pyarrow as pa

    records = [full_record(), *varied_records("2026-W47", 400, seed=5)]
    rows = [record_to_row(record) for record in records]
    table = pa.Table.from_pylist(rows, schema=arrow_schema())
    connection = duckdb.connect()
    connection.register("rows_table", table)
    derived = ", ".join(f"{column.sql} AS {column.name}" for column in DERIVED_COLUMNS)
    got = connection.execute(
        f"SELECT request_id, {derived} FROM rows_table ORDER BY request_id"
    ).fetchall()
    expected = sorted(
        (row["request_id"], row["elapsed_ms"], row["feedback_positive"]) for row in rows
    )
    assert got == expected
    kinds: dict[str, Any] = {"positive": {r[2] for r in got}, "timed": {r[1] is None for r in got}}
    assert kinds == {"positive": {True, False, None}, "timed": {True, False}}
