"""Records written to a file: Parquet (pyarrow), JSON Lines or CSV, with the columns of
:mod:`cv_analytics.data.columns`.

Written to a temporary file next to the destination and moved into place when complete, so a
failed or interrupted export never leaves a partial file where ``cv-analytics query`` would read
it. Memory holds one Parquet row group (:data:`ROW_GROUP_ROWS` records) at most.

Formats: Parquet keeps the types (and each column's description); JSON Lines keeps them as JSON
types; CSV is text: empty means no value, so it cannot tell an empty text from a missing one.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Literal, Protocol

from analytics_contract.records import AnalyticsRecord
from cv_analytics.data.columns import COLUMN_NAMES, arrow_schema, record_to_row

Format = Literal["parquet", "jsonl", "csv"]
FORMATS: tuple[Format, ...] = ("parquet", "jsonl", "csv")
#: File name endings and the format each means.
SUFFIXES: dict[str, Format] = {
    ".parquet": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
}
#: Records per Parquet row group: the most an export holds in memory.
ROW_GROUP_ROWS = 10_000


def format_of(path: Path) -> Format:
    """The format a file name implies; ``ValueError`` when its ending is none of :data:`SUFFIXES`."""
    try:
        return SUFFIXES[path.suffix.lower()]
    except KeyError:
        raise ValueError(
            f"{path.name}: cannot tell the format from the name (use one of "
            f"{', '.join(SUFFIXES)}, or --format)"
        ) from None


class RecordWriter(Protocol):
    rows: int

    def write(self, record: AnalyticsRecord) -> None: ...

    def finish(self) -> None: ...


class _ParquetWriter:
    def __init__(self, path: Path) -> None:
        import pyarrow.parquet as pq

        self._schema = arrow_schema()
        self._writer = pq.ParquetWriter(str(path), self._schema, compression="zstd")
        self._buffer: list[dict[str, Any]] = []
        self.rows = 0

    def write(self, record: AnalyticsRecord) -> None:
        self._buffer.append(record_to_row(record))
        self.rows += 1
        if len(self._buffer) >= ROW_GROUP_ROWS:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        if self._buffer:
            self._writer.write_table(pa.Table.from_pylist(self._buffer, schema=self._schema))
            self._buffer = []

    def finish(self) -> None:
        self._flush()
        self._writer.close()


class _JsonLinesWriter:
    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self.rows = 0

    def write(self, record: AnalyticsRecord) -> None:
        self._stream.write(json.dumps(record_to_row(record), ensure_ascii=False) + "\n")
        self.rows += 1

    def finish(self) -> None:
        self._stream.flush()


def _csv_text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


class _CsvWriter:
    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._writer = csv.writer(stream, lineterminator="\n")
        self._writer.writerow(COLUMN_NAMES)
        self.rows = 0

    def write(self, record: AnalyticsRecord) -> None:
        self._writer.writerow([_csv_text(value) for value in record_to_row(record).values()])
        self.rows += 1

    def finish(self) -> None:
        self._stream.flush()


@contextmanager
def open_writer(path: Path, fmt: Format) -> Iterator[RecordWriter]:
    """A writer of ``fmt`` whose file appears at ``path`` only when the block ends normally."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(handle)
    partial = Path(temporary)
    try:
        if fmt == "parquet":
            parquet = _ParquetWriter(partial)
            try:
                yield parquet
            finally:
                parquet.finish()  # also closes the file after a failure (then removed below)
        else:
            with partial.open("w", encoding="utf-8", newline="") as stream:
                writer: RecordWriter = (
                    _JsonLinesWriter(stream) if fmt == "jsonl" else _CsvWriter(stream)
                )
                yield writer
                writer.finish()
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
