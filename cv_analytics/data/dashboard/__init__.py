"""``cv-analytics dashboard``: twelve weeks (or any range) as one self-contained HTML page.

- :mod:`.model`: the figures, by the reporter's own aggregation, week by week, and the sessions;
- :mod:`.charts`: the trends as inline SVG (matplotlib);
- :mod:`.render`: the page (chevron template, inline CSS and script, sessions as packed data).

The records come from the analytics table (:func:`weeks_from_table`, the export's reader: whole
items, answers included) or from files ``cv-analytics export`` wrote (:func:`weeks_from_files`).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from analytics_contract.records import AnalyticsRecord
from cv_analytics.data.columns import RELATION, row_to_record
from cv_analytics.data.dashboard.model import DashboardData, build_dashboard
from cv_analytics.data.dashboard.render import render_dashboard
from cv_analytics.data.duckdb_engine import DuckDbEngine
from cv_analytics.data.reader import TableReader

__all__ = [
    "DashboardData",
    "build_dashboard",
    "render_dashboard",
    "weeks_from_files",
    "weeks_from_table",
    "write_dashboard",
]


def weeks_from_table(
    reader: TableReader, weeks: list[str]
) -> Iterator[tuple[str, Iterator[AnalyticsRecord]]]:
    for week in weeks:
        yield week, reader.records([week])


def weeks_from_files(
    engine: DuckDbEngine, weeks: list[str]
) -> Iterator[tuple[str, Iterator[AnalyticsRecord]]]:
    sql = f"SELECT * FROM {RELATION} WHERE week = ? ORDER BY timestamp, request_id"  # noqa: S608
    for week in weeks:
        yield week, (row_to_record(row) for row in engine.stream(sql, [week]))


def write_dashboard(path: Path, data: DashboardData, generated_at: datetime | None = None) -> int:
    """Write the page to ``path`` (complete or not at all); returns its size in bytes."""
    html = render_dashboard(data, generated_at).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    with os.fdopen(handle, "wb") as stream:
        stream.write(html)
    Path(temporary).replace(path)
    return len(html)
