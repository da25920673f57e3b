"""The demo's last step: its records exported, one named query answered, the dashboard written.

The same code as ``cv-analytics export``, ``query`` and ``dashboard``, on the emulator's table:
the week's records read through the week index and written to Parquet, a named query run on
DuckDB over that file, and the dashboard rendered from the table.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import boto3

from cv_analytics.data.dashboard import build_dashboard, weeks_from_table, write_dashboard
from cv_analytics.data.duckdb_engine import DuckDbEngine
from cv_analytics.data.export import export_records
from cv_analytics.data.queries import named_queries
from cv_analytics.data.reader import TableReader
from cv_analytics.data.results import QueryResult, print_result
from cv_analytics.dev.emulator import LocalAws

#: The named query the demo answers (any of ``cv-analytics query --list`` runs the same way).
DEMO_QUERY = "weekly-trend"


@dataclass(frozen=True)
class DataProducts:
    export: Path
    records: int
    dashboard: Path
    dashboard_bytes: int
    query: str
    result: QueryResult

    def table(self) -> str:
        buffer = io.StringIO()
        print_result(self.result, "table", buffer)
        return buffer.getvalue().rstrip()


def write_data_products(aws: LocalAws, table: str, week: str, out_dir: Path) -> DataProducts:
    client = boto3.session.Session(region_name=aws.region).client(
        "dynamodb", endpoint_url=aws.endpoint_url
    )
    export = out_dir / "data" / f"records-{week}.parquet"  # a folder of records only
    exported = export_records(TableReader(client, table), [week], export, "parquet")
    engine = DuckDbEngine.over([export])
    result = engine.run(named_queries()[DEMO_QUERY].sql)
    engine.close()
    (out_dir / f"query-{DEMO_QUERY}.csv").write_text(_csv(result), encoding="utf-8")
    data = build_dashboard([week], weeks_from_table(TableReader(client, table), [week]))
    dashboard = out_dir / "dashboard.html"
    size = write_dashboard(dashboard, data)
    return DataProducts(export, exported.records, dashboard, size, DEMO_QUERY, result)


def _csv(result: QueryResult) -> str:
    buffer = io.StringIO()
    print_result(result, "csv", buffer)
    return buffer.getvalue()
