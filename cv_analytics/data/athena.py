"""SQL on Amazon Athena over DynamoDB's scheduled export (``export_infra``): the same named
queries as on DuckDB, run in the workgroup that the workspace creates.

The workgroup enforces where results go and how they are encrypted, and caps the bytes one query
may scan, so this client passes none of it: the SQL, the workgroup and the database. A query is
started, polled with growing waits until it ends (stopped after ``timeout_seconds``), and its
rows are read page by page and typed from Athena's column metadata.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from cv_analytics.data.results import QueryFailedError, QueryResult

if TYPE_CHECKING:
    from mypy_boto3_athena import AthenaClient

DONE = ("SUCCEEDED", "FAILED", "CANCELLED")
_INTEGERS = ("tinyint", "smallint", "integer", "int", "bigint")
_FLOATS = ("real", "float", "double")


class AthenaQueryError(QueryFailedError):
    """Athena refused, failed or cancelled the query, or it ran past the timeout."""


def typed(value: str | None, athena_type: str) -> Any:
    """One cell of ``GetQueryResults`` (always text) as a Python value of its column's type."""
    if value is None:
        return None
    kind = athena_type.lower().split("(")[0]
    if kind in _INTEGERS:
        return int(value)
    if kind in _FLOATS:
        return float(value)
    if kind == "decimal":
        number = Decimal(value)
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "boolean":
        return value.lower() == "true"
    return value


class AthenaEngine:
    name = "athena"

    def __init__(
        self,
        client: AthenaClient,
        workgroup: str,
        database: str,
        *,
        timeout_seconds: float = 300.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self.workgroup = workgroup
        self.database = database
        self.timeout_seconds = timeout_seconds
        self._sleep = sleep
        self._clock = clock

    def run(self, sql: str) -> QueryResult:
        started = self._client.start_query_execution(
            QueryString=sql,
            WorkGroup=self.workgroup,
            QueryExecutionContext={"Database": self.database},
        )
        execution_id = started["QueryExecutionId"]
        execution = self._wait(execution_id)
        status = execution["Status"]
        if status["State"] != "SUCCEEDED":
            reason = status.get("StateChangeReason") or "no reason given"
            raise AthenaQueryError(f"Athena query {execution_id} {status['State']}: {reason}")
        columns, rows = self._rows(execution_id)
        statistics = execution.get("Statistics", {})
        details = {
            "execution_id": execution_id,
            "data_scanned_bytes": statistics.get("DataScannedInBytes"),
            "engine_ms": statistics.get("EngineExecutionTimeInMillis"),
            "output": execution.get("ResultConfiguration", {}).get("OutputLocation"),
        }
        return QueryResult(columns=columns, rows=rows, engine=self.name, details=details)

    def _wait(self, execution_id: str) -> Any:
        deadline = self._clock() + self.timeout_seconds
        delay = 0.2
        while True:
            execution = self._client.get_query_execution(QueryExecutionId=execution_id)[
                "QueryExecution"
            ]
            if execution["Status"]["State"] in DONE:
                return execution
            if self._clock() >= deadline:
                self._client.stop_query_execution(QueryExecutionId=execution_id)
                raise AthenaQueryError(
                    f"Athena query {execution_id} still running after {self.timeout_seconds:.0f}s: "
                    "stopped"
                )
            self._sleep(delay)
            delay = min(delay * 1.5, 2.0)

    def _rows(self, execution_id: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        paginator = self._client.get_paginator("get_query_results")
        columns: list[str] = []
        types: list[str] = []
        rows: list[tuple[Any, ...]] = []
        first = True
        for page in paginator.paginate(QueryExecutionId=execution_id):
            result_set = page["ResultSet"]
            if not columns:
                info = result_set.get("ResultSetMetadata", {}).get("ColumnInfo", [])
                columns = [column["Name"] for column in info]
                types = [column["Type"] for column in info]
            for row in result_set.get("Rows", []):
                cells = [cell.get("VarCharValue") for cell in row.get("Data", [])]
                if first and cells == columns:  # a SELECT's first row repeats the header
                    first = False
                    continue
                first = False
                rows.append(tuple(typed(c, t) for c, t in zip(cells, types, strict=True)))
        return columns, rows
