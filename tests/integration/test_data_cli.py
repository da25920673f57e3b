"""`cv-analytics export` and `dashboard` against a moto server over HTTP, as against the local
stack (`cv-analytics stack up`) or AWS: options from the environment, the table read through its
week index, files written, the named query answered on them."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest

from analytics_contract.storage import record_to_item
from cv_analytics.cli import main
from cv_analytics.cli.aws import ENV_ANALYTICS_TABLE
from cv_analytics.data.columns import row_to_record
from cv_analytics.dev.resources import analytics_table_definition
from tests.unit.data.records import full_record, varied_records

pytestmark = pytest.mark.integration

WEEKS = ["2026-W46", "2026-W47"]


@pytest.fixture(scope="module")
def table(local_aws):
    name = f"data-cli-{uuid.uuid4().hex[:8]}-analytics"
    client = boto3.client(
        "dynamodb", endpoint_url=local_aws.endpoint_url, region_name=local_aws.region
    )
    client.create_table(**analytics_table_definition(name))
    records = [r for i, w in enumerate(WEEKS) for r in varied_records(w, 60, seed=30 + i)]
    records.append(full_record("req-cli-full", records[-1].timestamp + 5))
    for record in records:
        client.put_item(TableName=name, Item=record_to_item(record))
    return name, records


@pytest.fixture
def environment(monkeypatch, local_aws, table):
    monkeypatch.setenv("AWS_ENDPOINT_URL", local_aws.endpoint_url)
    monkeypatch.setenv("AWS_REGION", local_aws.region)
    monkeypatch.setenv(ENV_ANALYTICS_TABLE, table[0])


def test_export_writes_every_record_of_the_weeks(environment, table, tmp_path, capsys):
    _, records = table
    out = tmp_path / "records.jsonl"
    code = main(
        ["export", "--from", WEEKS[0], "--to", WEEKS[1], "--out", str(out), "--page-size", "25"]
    )
    assert code == 0
    summary = capsys.readouterr().out
    assert (
        f"exported {len(records)} records of {WEEKS[0]}..{WEEKS[1]} (2 weeks) to {out}" in summary
    )
    got = [row_to_record(json.loads(line)) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(got, key=lambda r: r.request_id) == sorted(records, key=lambda r: r.request_id)

    assert main(["query", "--named", "weekly-trend", "--data", str(out), "--format", "json"]) == 0
    trend = json.loads(capsys.readouterr().out)
    assert [row["week"] for row in trend] == WEEKS


def test_export_says_what_is_missing(environment, monkeypatch, capsys):
    monkeypatch.delenv(ENV_ANALYTICS_TABLE)
    with pytest.raises(SystemExit) as stop:
        main(["export", "--weeks", "2"])
    assert stop.value.code == 2
    assert (
        "--analytics-table is required (or set CV_ANALYTICS_ANALYTICS_TABLE)"
        in capsys.readouterr().err
    )
    with pytest.raises(SystemExit):
        main(["export", "--analytics-table", "t", "--from", "2026-W47", "--to", "2026-W40"])
    assert "starts at 2026-W47, after its end 2026-W40" in capsys.readouterr().err


def test_the_dashboard_reads_the_table(environment, table, tmp_path, capsys):
    out = tmp_path / "dashboard.html"
    assert main(["dashboard", "--weeks", "2", "--to", WEEKS[1], "--out", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    html = out.read_text(encoding="utf-8")
    assert WEEKS[0] in html and WEEKS[1] in html and html.count("<svg") == 4
