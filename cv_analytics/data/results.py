"""A query's answer, whatever engine ran it, and how it is printed: a table, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any, Literal

OutputFormat = Literal["table", "csv", "json"]
OUTPUT_FORMATS: tuple[OutputFormat, ...] = ("table", "csv", "json")


class QueryFailedError(RuntimeError):
    """The engine refused or failed the query; the message says why (in the engine's words)."""


@dataclass(frozen=True)
class QueryResult:
    """Column names, and rows of plain Python values (``None`` for SQL NULL)."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    engine: str = ""
    #: What the engine reports about the run (Athena: bytes scanned, execution id).
    details: dict[str, Any] | None = None

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def plain(value: Any) -> Any:
    """A value as JSON and CSV can hold it (dates as ISO text, decimals as numbers)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _text(value: Any) -> str:
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}" if abs(value) < 1e15 else repr(value)
    return str(value)


def to_csv(result: QueryResult) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(result.columns)
    writer.writerows([_text(value) for value in row] for row in result.rows)
    return buffer.getvalue()


def to_json(result: QueryResult) -> str:
    rows = [{key: plain(value) for key, value in row.items()} for row in result.records()]
    return json.dumps(rows, ensure_ascii=False, indent=1) + "\n"


def print_result(result: QueryResult, fmt: OutputFormat, stream: IO[str]) -> None:
    """Print ``result`` on ``stream``: an aligned table (rich; plain text when not a terminal),
    CSV with a header row, or a JSON array of objects."""
    if fmt == "csv":
        stream.write(to_csv(result))
        return
    if fmt == "json":
        stream.write(to_json(result))
        return
    from rich.console import Console
    from rich.table import Table

    cells = [[_text(value) for value in row] for row in result.rows]
    table = Table(show_edge=False, header_style="bold", pad_edge=False, box=None)
    widths = []
    for index, name in enumerate(result.columns):
        values = [row[index] for row in result.rows if row[index] is not None]
        numeric = bool(values) and all(
            isinstance(value, int | float | Decimal) and not isinstance(value, bool)
            for value in values
        )
        table.add_column(name, justify="right" if numeric else "left", overflow="fold")
        widths.append(max([len(name), *(len(row[index]) for row in cells)]))
    for row in cells:
        table.add_row(*row)
    width = min(sum(widths) + 2 * len(widths) + 2, 240)
    console = Console(file=stream, width=max(40, width), no_color=True)
    console.print(table)
    console.print(f"({len(result.rows)} row{'s' if len(result.rows) != 1 else ''})")
