"""The Athena path on the emulator, as far as it goes (development only).

moto stores an export schedule but never fires it, and stores Athena queries but never runs them
(``GetQueryResults`` answers what was queued through its ``/moto-api/static/athena/query-results``
endpoint, else nothing). Two stand-ins fill those gaps, each doing what AWS would do with what
``export_infra`` created, and nothing the workspace did not ask for:

- :func:`fire_schedule`: what EventBridge Scheduler does at a scheduled time: the schedule's own
  universal target (``arn:aws:scheduler:::aws-sdk:<service>:<action>``) called with the schedule's
  own input, its context attributes (``<aws.scheduler.scheduled-time>``...) filled in;
- :class:`AthenaStandIn`: the rows Athena would return for a query: the export files read from
  the emulator's S3, the ``records`` view's flattening run on DuckDB (the ``duckdb`` spelling of the
  same view, :func:`cv_analytics.data.athena_schema.view_sql`), then the query; the rows are
  queued in moto, so that the Athena client (:class:`cv_analytics.data.athena.AthenaEngine`, as
  ``cv-analytics query --engine athena`` runs it) reads them back through the Athena API.

What stays unchecked: Athena's own SQL engine (Trino) and SerDe, the Glue view's encoding, and
IAM (moto does not enforce policies).
"""

from __future__ import annotations

import json
import tempfile
import urllib.request
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
from botocore import xform_name

from cv_analytics.data.athena_schema import EXPORT_PREFIX, view_sql
from cv_analytics.data.columns import RELATION
from cv_analytics.data.duckdb_engine import COMPATIBILITY_MACROS
from cv_analytics.data.results import QueryResult
from cv_analytics.dev.emulator import LocalAws

UNIVERSAL_TARGET = "arn:aws:scheduler:::aws-sdk:"
_ATHENA_TYPES = {
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "HUGEINT": "bigint",
    "DOUBLE": "double",
    "FLOAT": "real",
    "BOOLEAN": "boolean",
    "VARCHAR": "varchar",
    "DATE": "date",
}


def _client(aws: LocalAws, service: str) -> Any:
    return boto3.session.Session(region_name=aws.region).client(  # type: ignore[call-overload]
        service, endpoint_url=aws.endpoint_url
    )


def fire_schedule(aws: LocalAws, name: str, at: datetime, group: str = "default") -> Any:
    """Invoke schedule ``name``'s universal target as EventBridge Scheduler would at ``at``
    (UTC); returns the target API's response."""
    schedule = _client(aws, "scheduler").get_schedule(Name=name, GroupName=group)
    target = schedule["Target"]
    arn = target["Arn"]
    service_action = arn.split(":aws-sdk:", 1)[1] if ":aws-sdk:" in arn else ""
    if not service_action or ":" not in service_action:
        raise ValueError(f"{name}: {arn} is not a universal (aws-sdk) target")
    service, action = service_action.split(":", 1)
    context = {
        "<aws.scheduler.schedule-arn>": schedule["Arn"],
        "<aws.scheduler.scheduled-time>": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "<aws.scheduler.execution-id>": uuid.uuid4().hex[:16],
        "<aws.scheduler.attempt-number>": "1",
    }
    text = target.get("Input", "{}")
    for keyword, value in context.items():
        text = text.replace(keyword, value)
    return getattr(_client(aws, service), xform_name(action))(**json.loads(text))


class AthenaStandIn:
    """Answers SQL over the ``records`` view as Athena would, from the exports in ``bucket``."""

    def __init__(self, aws: LocalAws, bucket: str, workdir: Path | None = None) -> None:
        self.aws = aws
        self.bucket = bucket
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="cv-athena-"))

    def download(self) -> list[str]:
        """The export files under ``snapshots/`` copied here, at their keys (the view reads the
        snapshot's time from the path, as Athena reads it from ``$path``)."""
        s3 = _client(self.aws, "s3")
        files = []
        for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=f"{EXPORT_PREFIX}/"
        ):
            for entry in page.get("Contents", []):
                local = self.workdir / entry["Key"]
                local.parent.mkdir(parents=True, exist_ok=True)
                local.write_bytes(
                    s3.get_object(Bucket=self.bucket, Key=entry["Key"])["Body"].read()
                )
                files.append(str(local))
        return files

    def answer(self, sql: str) -> QueryResult:
        import duckdb

        files = [name for name in self.download() if "/data/" in name]
        if not files:
            raise FileNotFoundError(f"no export under s3://{self.bucket}/{EXPORT_PREFIX}/")
        connection = duckdb.connect(":memory:")
        for statement in COMPATIBILITY_MACROS.values():
            connection.execute(statement)
        connection.execute(f"CREATE VIEW {RELATION} AS {view_sql('duckdb', files)}")
        cursor = connection.execute(sql)
        columns = [entry[0] for entry in cursor.description or []]
        types = [str(entry[1]) for entry in cursor.description or []]
        result = QueryResult(
            columns, list(cursor.fetchall()), engine="athena-stand-in", details={"types": types}
        )
        connection.close()
        return result

    def queue(self, result: QueryResult) -> None:
        """Queue ``result`` in moto as the rows of the next Athena query (header row first, as
        Athena returns a SELECT's rows; every value as text)."""
        types = (result.details or {}).get("types") or ["VARCHAR"] * len(result.columns)
        column_info = [
            {"Name": name, "Label": name, "Type": _ATHENA_TYPES.get(kind.split("(")[0], "varchar")}
            for name, kind in zip(result.columns, types, strict=True)
        ]
        rows = [{"Data": [{"VarCharValue": name} for name in result.columns]}]
        rows += [{"Data": [_cell(value) for value in row]} for row in result.rows]
        body = {
            "region": self.aws.region,
            "results": [{"rows": rows, "column_info": column_info}],
        }
        request = urllib.request.Request(  # noqa: S310 - the emulator on 127.0.0.1
            f"{self.aws.endpoint_url}/moto-api/static/athena/query-results",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            if response.status != 201:
                raise RuntimeError(f"moto refused the queued Athena results: {response.status}")


def _cell(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, bool):
        return {"VarCharValue": "true" if value else "false"}
    if isinstance(value, float):
        return {"VarCharValue": repr(value)}
    return {"VarCharValue": str(value)}
