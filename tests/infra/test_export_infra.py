"""export_infra applied to a moto server: the bucket, the scheduled export, the Glue catalogue,
the Athena workgroup and its named queries, checked through boto3; then the path end to end as
far as the emulator goes (the schedule's target fired as Scheduler would, the export written by
DynamoDB into the bucket, `cv-analytics query --engine athena` against the workgroup), and the
same named query's rows compared with DuckDB over `cv-analytics export`'s file.

What moto cannot check (README of export_infra): that Scheduler fires on time (it never fires:
:func:`fire_schedule` plays its part), that Athena runs the SQL (the rows come from the view's
DuckDB spelling over the real export: :class:`AthenaStandIn`), the OpenX SerDe and Glue's view
encoding, and IAM (policies are stored, not enforced).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from analytics_contract.storage import record_to_item
from cv_analytics.cli import main
from cv_analytics.data import athena_schema
from cv_analytics.data.athena import AthenaEngine
from cv_analytics.data.duckdb_engine import DuckDbEngine
from cv_analytics.data.export import export_records
from cv_analytics.data.queries import named_queries
from cv_analytics.data.reader import TableReader
from cv_analytics.dev import resources
from cv_analytics.dev.athena import AthenaStandIn, fire_schedule
from cv_analytics.dev.emulator import LocalAws, moto_server
from cv_analytics.infra import terraform as tf
from tests.unit.data.records import varied_records

pytestmark = [
    pytest.mark.infra,
    pytest.mark.skipif(tf.terraform_binary() is None, reason="terraform is not installed"),
]

PREFIX = "tfx-cv"
TABLE = f"{PREFIX}-analytics"
WEEKS = ["2026-W45", "2026-W46", "2026-W47"]
SCHEDULED = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)


@dataclass
class Applied:
    aws: LocalAws
    workspace: tf.Workspace
    variables: dict[str, Any]
    outputs: dict[str, Any]
    table_arn: str

    def client(self, service: Any) -> Any:
        return boto3.client(
            service, endpoint_url=self.aws.endpoint_url, region_name=self.aws.region
        )


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Applied]:
    with moto_server(load_managed_policies=True) as aws:
        dynamodb = boto3.client("dynamodb", endpoint_url=aws.endpoint_url, region_name=aws.region)
        # What processor_infra owns: the table, with point-in-time recovery.
        arn = dynamodb.create_table(**resources.analytics_table_definition(TABLE))[
            "TableDescription"
        ]["TableArn"]
        dynamodb.update_continuous_backups(
            TableName=TABLE,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )
        workspace = tf.local_workspace(
            "export", tmp_path_factory.mktemp("tf-export"), aws.environment()
        )
        variables = {
            "name_prefix": PREFIX,
            "aws_region": aws.region,
            **tf.emulator_variables("export"),
        }
        tf.init(workspace)
        started = time.perf_counter()
        outputs = tf.apply(workspace, variables)
        print(f"\nexport_infra applied to moto in {time.perf_counter() - started:.0f}s")
        yield Applied(aws, workspace, variables, outputs, arn)


def test_outputs_name_what_the_command_line_needs(applied: Applied) -> None:
    outputs = applied.outputs
    assert outputs["bucket_name"] == f"{PREFIX}-data-123456789012"
    assert outputs["glue_database"] == "tfx_cv_analytics"
    assert outputs["athena_workgroup"] == f"{PREFIX}-analytics"
    assert outputs["records_view"] == "records"
    assert outputs["named_queries"] == sorted(named_queries())
    assert outputs["snapshot_prefix"] == athena_schema.EXPORT_PREFIX


def test_the_bucket_is_private_encrypted_and_expires_everything(applied: Applied) -> None:
    s3, bucket = applied.client("s3"), applied.outputs["bucket_name"]
    encryption = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    assert encryption["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    ownership = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]
    assert ownership["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    rules = {
        rule["ID"]: rule for rule in s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    }
    assert rules["expire-snapshots"]["Filter"]["Prefix"] == "snapshots/"
    assert rules["expire-snapshots"]["Expiration"]["Days"] == 15
    assert rules["expire-query-results"]["Filter"]["Prefix"] == "athena-results/"
    assert rules["expire-query-results"]["Expiration"]["Days"] == 7
    assert rules["abort-incomplete-uploads"]["AbortIncompleteMultipartUpload"] == {
        "DaysAfterInitiation": 1
    }
    # The TLS-only policy is off on the emulator (plain HTTP): its document is checked in
    # test_iam_policies.py.
    assert applied.variables["deny_insecure_transport"] is False


def test_the_schedule_exports_the_table_with_a_role_that_may_do_only_that(applied: Applied) -> None:
    schedule = applied.client("scheduler").get_schedule(
        Name=applied.outputs["export_schedule_name"]
    )
    assert schedule["ScheduleExpression"] == "cron(0 5 ? * MON *)"
    assert schedule["ScheduleExpressionTimezone"] == "UTC"
    assert schedule["State"] == "ENABLED"
    target = schedule["Target"]
    assert target["Arn"] == "arn:aws:scheduler:::aws-sdk:dynamodb:exportTableToPointInTime"
    assert target["RoleArn"] == applied.outputs["export_role_arn"]
    # Scheduler fills in its context keywords only where they are written literally.
    assert target["Input"].count("<aws.scheduler.scheduled-time>") == 2
    assert json.loads(target["Input"]) == {
        "TableArn": applied.table_arn,
        "S3Bucket": applied.outputs["bucket_name"],
        "S3Prefix": "snapshots/<aws.scheduler.scheduled-time>",
        "S3SseAlgorithm": "AES256",
        "ExportFormat": "DYNAMODB_JSON",
        "ExportType": "FULL_EXPORT",
        "ClientToken": "<aws.scheduler.scheduled-time>",
    }
    iam = applied.client("iam")
    role = applied.outputs["export_role_arn"].rsplit("/", 1)[1]
    created = iam.get_role(RoleName=role)["Role"]
    # Like every workload role: capped by deploy_role/'s boundary (the deploy role may only
    # create roles that carry it).
    assert created["PermissionsBoundary"]["PermissionsBoundaryArn"] == (
        f"arn:aws:iam::123456789012:policy/github-{PREFIX}-workload-boundary"
    )
    trust = created["AssumeRolePolicyDocument"]["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "scheduler.amazonaws.com"}]
    document = iam.get_role_policy(RoleName=role, PolicyName="least-privilege")["PolicyDocument"]
    granted = {s["Sid"]: (s["Action"], s["Resource"]) for s in document["Statement"]}
    bucket_arn = applied.outputs["bucket_arn"]
    assert granted["ExportAnalyticsTable"] == (
        "dynamodb:ExportTableToPointInTime",
        applied.table_arn,
    )
    assert granted["WriteSnapshots"][1] == f"{bucket_arn}/snapshots/*"


def test_the_catalogue_is_the_generated_raw_table_and_view(applied: Applied) -> None:
    glue, database = applied.client("glue"), applied.outputs["glue_database"]
    generated = athena_schema.artifacts().document
    raw = glue.get_table(DatabaseName=database, Name="analytics_export")["Table"]
    storage = raw["StorageDescriptor"]
    assert storage["Location"] == f"s3://{applied.outputs['bucket_name']}/snapshots/"
    assert storage["SerdeInfo"]["SerializationLibrary"] == "org.openx.data.jsonserde.JsonSerDe"
    assert [(c["Name"], c["Type"]) for c in storage["Columns"]] == [
        ("item", athena_schema.raw_item_type("hive"))
    ]
    view = glue.get_table(DatabaseName=database, Name="records")["Table"]
    assert view["TableType"] == "VIRTUAL_VIEW"
    encoded = view["ViewOriginalText"].removeprefix("/* Presto View: ").removesuffix(" */")
    presto = json.loads(base64.b64decode(encoded))
    assert presto["originalSql"] == athena_schema.view_sql("trino") == generated["view"]["sql"]
    assert presto["schema"] == database
    assert [(c["name"], c["type"]) for c in presto["columns"]] == [
        (c["name"], c["presto_type"]) for c in generated["view"]["columns"]
    ]


def test_the_workgroup_enforces_results_encryption_and_a_scan_cutoff(applied: Applied) -> None:
    athena, name = applied.client("athena"), applied.outputs["athena_workgroup"]
    configuration = athena.get_work_group(WorkGroup=name)["WorkGroup"]["Configuration"]
    assert configuration["EnforceWorkGroupConfiguration"] is True
    assert configuration["BytesScannedCutoffPerQuery"] == 1_073_741_824
    results = configuration["ResultConfiguration"]
    assert results["OutputLocation"] == f"s3://{applied.outputs['bucket_name']}/athena-results/"
    assert results["EncryptionConfiguration"] == {"EncryptionOption": "SSE_S3"}
    ids = athena.list_named_queries(WorkGroup=name)["NamedQueryIds"]
    named = [athena.get_named_query(NamedQueryId=i)["NamedQuery"] for i in ids]
    saved = {query["Name"]: query for query in named}
    assert {n: q["QueryString"] for n, q in saved.items()} == {
        n: q.sql for n, q in named_queries().items()
    }
    assert {q["Database"] for q in saved.values()} == {applied.outputs["glue_database"]}


def test_the_same_named_query_gives_the_same_rows_on_duckdb_and_on_the_athena_path(
    applied: Applied, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dynamodb = applied.client("dynamodb")
    records = [r for i, w in enumerate(WEEKS) for r in varied_records(w, 80 + 20 * i, seed=20 + i)]
    for record in records:
        dynamodb.put_item(TableName=TABLE, Item=record_to_item(record))

    # What Scheduler does on Monday 05:00 UTC: the schedule's own target and input.
    started = fire_schedule(applied.aws, applied.outputs["export_schedule_name"], SCHEDULED)
    export_arn = started["ExportDescription"]["ExportArn"]
    for _ in range(100):
        export = dynamodb.describe_export(ExportArn=export_arn)["ExportDescription"]
        if export["ExportStatus"] != "IN_PROGRESS":
            break
        time.sleep(0.05)
    assert export["ExportStatus"] == "COMPLETED"
    assert export["S3Prefix"] == "snapshots/2026-11-23T05:00:00Z"
    keys = [
        entry["Key"]
        for entry in applied.client("s3").list_objects_v2(Bucket=applied.outputs["bucket_name"])[
            "Contents"
        ]
    ]
    assert any(key.startswith("snapshots/2026-11-23T05:00:00Z/AWSDynamoDB/") for key in keys)

    # DuckDB: cv-analytics export's reader and writer, then the named query.
    parquet = tmp_path / "records.parquet"
    export_records(TableReader(dynamodb, TABLE), WEEKS, parquet, "parquet")
    sql = named_queries()["weekly-trend"].sql
    on_duckdb = DuckDbEngine.over([parquet]).run(sql)
    assert [row[0] for row in on_duckdb.rows] == WEEKS

    # Athena: the rows it would compute from the export, read through the Athena API.
    stand_in = AthenaStandIn(applied.aws, applied.outputs["bucket_name"], tmp_path / "s3")
    stand_in.queue(stand_in.answer(sql))
    engine = AthenaEngine(
        applied.client("athena"),
        applied.outputs["athena_workgroup"],
        applied.outputs["glue_database"],
        sleep=lambda _: None,
    )
    on_athena = engine.run(sql)
    assert (on_athena.columns, on_athena.rows) == (on_duckdb.columns, on_duckdb.rows)
    execution = applied.client("athena").get_query_execution(
        QueryExecutionId=on_athena.details["execution_id"]  # type: ignore[index]
    )["QueryExecution"]
    assert execution["Query"] == sql
    assert execution["WorkGroup"] == applied.outputs["athena_workgroup"]
    assert execution["QueryExecutionContext"]["Database"] == applied.outputs["glue_database"]

    # And through the command line, as an operator runs it.
    stand_in.queue(stand_in.answer(sql))
    code = main(
        [
            "query", "--engine", "athena", "--named", "weekly-trend", "--format", "json",
            "--endpoint-url", applied.aws.endpoint_url, "--region", applied.aws.region,
            "--workgroup", applied.outputs["athena_workgroup"],
            "--database", applied.outputs["glue_database"],
        ]
    )  # fmt: skip
    assert code == 0
    rows = json.loads(capsys.readouterr().out)
    assert [tuple(row.values()) for row in rows] == on_duckdb.rows


def test_plan_after_apply_is_empty_and_destroy_removes_everything(applied: Applied) -> None:
    assert tf.plan_is_empty(applied.workspace, applied.variables)
    # moto 5.2 has no DeleteNamedQuery (AWS deletes them with the workgroup, force_destroy):
    # they leave the state first, or the provider would retry for minutes.
    for name in sorted(named_queries()):
        applied.workspace.run("state", "rm", f'aws_athena_named_query.named["{name}"]')
    tf.destroy(applied.workspace, applied.variables)
    assert applied.client("s3").list_buckets()["Buckets"] == []
    assert applied.client("athena").list_work_groups()["WorkGroups"] == [] or all(
        group["Name"] == "primary"
        for group in applied.client("athena").list_work_groups()["WorkGroups"]
    )
    # the table belongs to processor_infra: untouched
    assert (
        applied.client("dynamodb").describe_table(TableName=TABLE)["Table"]["TableStatus"]
        == "ACTIVE"
    )
