"""Benchmark: the same named query on DuckDB and on the Athena path, as far as the emulator goes.

    .venv/bin/python -m bench.query_engines [--query weekly-trend] [--records 3000]

Against a moto server: a table with point-in-time recovery and sample records (four weeks),
``export_infra`` applied with Terraform, the scheduled export fired as Scheduler would (its own
target and input), then the named query run

- on DuckDB over the Parquet file ``cv-analytics export`` writes from the table, and
- on the Athena path: the rows Athena would compute from the DynamoDB export in the bucket (the
  ``records`` view's DuckDB spelling over the export files: moto does not run SQL), read through
  the Athena API by ``cv-analytics query --engine athena``'s client.

Prints both results and whether the rows are identical. Needs terraform; nothing is asserted.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import boto3

from analytics_contract.storage import record_to_item
from bench.data_export import with_answers
from bench.sample_week import generate_week
from cv_analytics.data.athena import AthenaEngine
from cv_analytics.data.duckdb_engine import DuckDbEngine
from cv_analytics.data.export import export_records
from cv_analytics.data.queries import named_queries
from cv_analytics.data.reader import TableReader
from cv_analytics.data.results import print_result
from cv_analytics.data.weeks import last_weeks
from cv_analytics.dev import resources
from cv_analytics.dev.athena import AthenaStandIn, fire_schedule
from cv_analytics.dev.emulator import emulator_credentials, moto_server
from cv_analytics.infra import terraform as tf

PREFIX = "bench-q"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--query", default="weekly-trend", choices=sorted(named_queries()))
    parser.add_argument("--records", type=int, default=3_000)
    args = parser.parse_args(argv)
    if tf.terraform_binary() is None:
        print("terraform is not installed: the Athena path cannot be applied")
        return
    weeks = last_weeks(4, "2026-W47")
    sql = named_queries()[args.query].sql
    with emulator_credentials(), moto_server(load_managed_policies=True) as aws, \
            tempfile.TemporaryDirectory() as folder:  # fmt: skip
        dynamodb = boto3.client("dynamodb", endpoint_url=aws.endpoint_url, region_name=aws.region)
        table = f"{PREFIX}-analytics"
        dynamodb.create_table(**resources.analytics_table_definition(table))
        dynamodb.update_continuous_backups(
            TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
        for index, week in enumerate(weeks):
            for record in with_answers(
                generate_week(week, questions=args.records // len(weeks), seed=index), index
            ):
                dynamodb.put_item(TableName=table, Item=record_to_item(record))
        workspace = tf.local_workspace("export", Path(folder) / "tf", aws.environment())
        tf.init(workspace)
        started = time.perf_counter()
        outputs = tf.apply(
            workspace,
            {"name_prefix": PREFIX, "aws_region": aws.region, **tf.emulator_variables("export")},
        )
        print(f"export_infra applied to moto in {time.perf_counter() - started:.0f}s")
        fired = fire_schedule(
            aws, outputs["export_schedule_name"], datetime(2026, 11, 23, 5, tzinfo=UTC)
        )
        arn = fired["ExportDescription"]["ExportArn"]
        while (
            dynamodb.describe_export(ExportArn=arn)["ExportDescription"]["ExportStatus"]
            == "IN_PROGRESS"
        ):
            time.sleep(0.1)

        parquet = Path(folder) / "records.parquet"
        export_records(TableReader(dynamodb, table), weeks, parquet, "parquet")
        on_duckdb = DuckDbEngine.over([parquet]).run(sql)
        stand_in = AthenaStandIn(aws, outputs["bucket_name"], Path(folder) / "s3")
        stand_in.queue(stand_in.answer(sql))
        athena = boto3.client("athena", endpoint_url=aws.endpoint_url, region_name=aws.region)
        on_athena = AthenaEngine(
            athena, outputs["athena_workgroup"], outputs["glue_database"], sleep=lambda _: None
        ).run(sql)
        print(f"\n{args.query} on DuckDB (cv-analytics export's Parquet):")
        print_result(on_duckdb, "table", sys.stdout)
        print(f"\n{args.query} on the Athena path (the view over the DynamoDB export, through the "
              "Athena API of moto):")  # fmt: skip
        print_result(on_athena, "table", sys.stdout)
        same = (on_duckdb.columns, on_duckdb.rows) == (on_athena.columns, on_athena.rows)
        print(f"\nidentical rows: {'yes' if same else 'NO'} ({len(on_duckdb.rows)} rows)")


if __name__ == "__main__":
    main()
