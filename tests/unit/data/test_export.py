"""Exported files: every format carries the same records, read back by the query engine; a
file appears only when complete; the Parquet writer holds one row group at a time."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from analytics_contract.records import AnalyticsRecord
from cv_analytics.data import writers
from cv_analytics.data.columns import COLUMN_NAMES, row_to_record
from cv_analytics.data.duckdb_engine import DuckDbEngine
from cv_analytics.data.export import export_records
from cv_analytics.data.reader import ReadStats
from cv_analytics.data.writers import FORMATS, format_of, open_writer
from tests.unit.data.records import full_record, varied_records

WEEKS = ["2026-W46", "2026-W47"]


class ListSource:
    """Records of each week from a list (the reader's interface, without DynamoDB)."""

    def __init__(self, records: Iterable[AnalyticsRecord]) -> None:
        self._records = list(records)
        self.stats = ReadStats()

    def records(self, weeks: Iterable[str]) -> Iterator[AnalyticsRecord]:
        for week in weeks:
            for record in self._records:
                if record.week == week:
                    self.stats.records += 1
                    yield record


@pytest.fixture(scope="module")
def records() -> list[AnalyticsRecord]:
    return [
        full_record(timestamp=1_763_380_000_000 + 52 * 7 * 86_400_000),
        *varied_records(WEEKS[0], 120, seed=4),
        *varied_records(WEEKS[1], 150, seed=5),
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_gives_back_the_records_through_the_query_engine(tmp_path, records, fmt):
    path = tmp_path / f"records.{fmt}"
    result = export_records(ListSource(records), WEEKS, path, fmt)
    assert result.records == len(records) and result.complete
    assert result.bytes == path.stat().st_size > 0

    engine = DuckDbEngine.over([path])
    got = engine.run("SELECT * FROM records ORDER BY request_id")
    assert got.columns == list(COLUMN_NAMES)
    back = [row_to_record(row) for row in got.records()]
    assert back == sorted(records, key=lambda record: record.request_id)
    # derived columns typed the same whatever the format
    types = engine.run(
        "SELECT typeof(elapsed_ms), typeof(feedback_positive), typeof(tokens_input) FROM records "
        "LIMIT 1"
    )
    assert types.rows == [("DOUBLE", "BOOLEAN", "BIGINT")]


def test_json_lines_rows_are_the_columns_as_json(tmp_path, records):
    path = tmp_path / "records.jsonl"
    export_records(ListSource(records), WEEKS, path, "jsonl")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [list(row) for row in rows[:1]] == [list(COLUMN_NAMES)]
    assert [row_to_record(row) for row in rows] == [
        r for w in WEEKS for r in records if r.week == w
    ]


def test_a_failed_export_leaves_no_file_behind(tmp_path):
    class Failing(ListSource):
        def records(self, weeks: Iterable[str]) -> Iterator[AnalyticsRecord]:
            yield from list(super().records(weeks))[:3]
            raise RuntimeError("connection lost")

    for fmt in FORMATS:
        path = tmp_path / f"out.{fmt}"
        with pytest.raises(RuntimeError, match="connection lost"):
            export_records(Failing(varied_records(WEEKS[0], 10)), WEEKS, path, fmt)
        assert list(tmp_path.iterdir()) == []


def test_an_existing_file_is_replaced_only_by_a_complete_one(tmp_path):
    path = tmp_path / "records.jsonl"
    path.write_text("old\n", encoding="utf-8")

    def interrupted() -> None:
        with open_writer(path, "jsonl") as writer:
            writer.write(full_record())
            raise ValueError("stop")

    with pytest.raises(ValueError, match="stop"):
        interrupted()
    assert path.read_text(encoding="utf-8") == "old\n"


def test_parquet_is_written_one_row_group_at_a_time(tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    monkeypatch.setattr(writers, "ROW_GROUP_ROWS", 40)
    path = tmp_path / "records.parquet"
    export_records(ListSource(varied_records(WEEKS[0], 100)), WEEKS[:1], path, "parquet")
    metadata = pq.ParquetFile(path).metadata
    assert (metadata.num_rows, metadata.num_row_groups) == (100, 3)
    assert pq.read_schema(path).metadata[b"source"] == b"AnalyticsRecord"


def test_the_format_comes_from_the_file_name():
    assert format_of(Path("a/b.PARQUET")) == "parquet"
    assert format_of(Path("x.ndjson")) == "jsonl"
    with pytest.raises(ValueError, match="cannot tell the format"):
        format_of(Path("records.txt"))


def test_the_summary_says_what_was_left_out(tmp_path):
    source = ListSource(varied_records(WEEKS[0], 5))
    source.stats.unreadable, source.stats.vanished = 2, 1
    result = export_records(source, WEEKS[:1], tmp_path / "r.csv", "csv")
    assert not result.complete
    assert "WARNING: 2 records break the contract" in result.summary()
    assert "1 records were deleted (TTL)" in result.summary()
