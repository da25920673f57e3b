"""The committed measured inputs (cv_analytics/cost/measured.json) are what the bench measures
today: the bench is re-run with the committed question count and seed. Its counts (requests, write
and read units, invocations, metric names per question) must match exactly; its byte figures
within 1% (a record holds the time it was written, whose digits DynamoDB sizes: a few bytes move
from run to run); the timed part (milliseconds per batch, the reporter's CPU time per record) is
checked for shape only, never against the clock.

When this fails, the processor, the contract or the bench changed what a question costs:
run `make cost-inputs` and commit measured.json and the README's table."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from bench import cost_inputs
from cv_analytics.cost.inputs import MEASURED_FILE, measured_inputs
from cv_analytics.infra.hcl import hcl2tojson_binary

TIMED = {"handler_ms_per_invocation"}


@pytest.fixture(scope="module")
def committed() -> dict:
    text = (resources.files("cv_analytics.cost") / MEASURED_FILE).read_text(encoding="utf-8")
    return json.loads(text)


@pytest.fixture(scope="module")
def measured_now(committed) -> dict:
    count, seed = committed["questions"], committed["seed"]
    return cost_inputs.measure(count, seed, reporter_records=500)


def test_the_file_is_the_benchs_output_and_loads(committed):
    assert committed["generated_by"] == "python -m bench.cost_inputs"
    assert measured_inputs().questions == committed["questions"]


def _flat(figures: dict, prefix: str = "") -> dict:
    """Nested figures (the split mixes) as one level: ``split_query_first.write_units...``."""
    flat = {}
    for key, value in figures.items():
        if isinstance(value, dict) and key.startswith("split_"):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


@pytest.mark.parametrize("part", ["processor", "edge_client", "seed_design"])
def test_the_counts_and_bytes_are_current(committed, measured_now, part):
    now, then = _flat(measured_now[part]), _flat(committed[part])
    assert set(now) == set(then), f"{part} is stale: run `make cost-inputs`"
    counts = {k for k in now if k not in TIMED and "bytes" not in k}
    assert {k: now[k] for k in counts} == {k: then[k] for k in counts}, (
        f"{part} is stale: run `make cost-inputs`"
    )
    for key in {k for k in now if "bytes" in k}:
        assert now[key] == pytest.approx(then[key], rel=0.01, abs=0.5), (
            f"{part}.{key} is stale: run `make cost-inputs`"
        )


def test_the_split_mixes_are_measured_and_cost_more_writes_than_the_same_batch_one(committed):
    processor = committed["processor"]
    same = processor["write_units_per_question"]
    query_first = processor["split_query_first"]["write_units_per_question"]
    response_first = processor["split_response_first"]["write_units_per_question"]
    assert same < query_first < response_first


def test_the_alarm_count_is_the_deployments(committed):
    """Adding or removing an alarm in template.yaml or a Terraform module changes the bill."""
    assert committed["cloudwatch_alarms"] == cost_inputs.measure_alarms(), (
        "the deployment's alarms changed: run `make cost-inputs`"
    )
    assert (
        committed["cloudwatch_alarms"]["alarm_metrics"] >= committed["cloudwatch_alarms"]["alarms"]
    )


TEMPLATE_WITH_ALARMS = """\
Resources:
  Plain:
    Type: AWS::CloudWatch::Alarm
    Condition: IsProcessor
    Properties: {MetricName: Errors, Namespace: AWS/Lambda}
  Math:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Metrics:
        - {Id: rate, Expression: a / b}
        - {Id: a, MetricStat: {Metric: {MetricName: A}, Period: 60, Stat: Sum}}
        - {Id: b, MetricStat: {Metric: {MetricName: !Sub "${Name}-B"}, Period: 60, Stat: Sum}}
  Queue:
    Type: AWS::SQS::Queue
"""

MODULE_WITH_ALARMS = """\
locals {
  plain = { a = "x", b = "y" }
  math  = { one = { metrics = { p = ["P", "Sum"], q = ["Q", "Sum"], r = ["R", "Sum"] } } }
}
resource "aws_cloudwatch_metric_alarm" "each" {
  for_each    = local.plain
  alarm_name  = each.value
  metric_name = "Errors"
}
resource "aws_cloudwatch_metric_alarm" "single" {
  alarm_name  = "single"
  metric_name = "Errors"
}
resource "aws_cloudwatch_metric_alarm" "math" {
  for_each   = local.math
  alarm_name = each.key
  metric_query {
    id         = "e"
    expression = "p + q + r"
  }
  dynamic "metric_query" {
    for_each = each.value.metrics
    content {
      id = metric_query.key
      metric {
        metric_name = metric_query.value[0]
        stat        = metric_query.value[1]
      }
    }
  }
}
"""


@pytest.mark.skipif(hcl2tojson_binary() is None, reason="hcl2tojson not installed (make tools)")
def test_alarms_are_counted_as_aws_bills_them(tmp_path):
    """One alarm metric per standard alarm (each ``for_each`` instance), one per metric in a
    metric-math alarm's expression (the expression itself is free)."""
    (tmp_path / "template.yaml").write_text(TEMPLATE_WITH_ALARMS, encoding="utf-8")
    (tmp_path / "some_infra").mkdir()
    (tmp_path / "some_infra" / "alarms.tf").write_text(MODULE_WITH_ALARMS, encoding="utf-8")
    assert cost_inputs.measure_alarms(tmp_path) == {
        "alarms": 2 + 2 + 1 + 1,
        "alarm_metrics": (1 + 2) + (2 + 1 + 3),
        "alarm_metrics_by_source": {"template.yaml": 3, "some_infra": 6},
    }


def test_the_timed_figures_have_their_shape(committed, measured_now):
    assert committed["processor"]["handler_ms_per_invocation"] > 0
    assert set(committed["reporter"]) == set(measured_now["reporter"])
    assert committed["reporter"]["cpu_seconds_per_record"] > 0
    assert (
        committed["lambda_platform_log_bytes_per_invocation"]
        == measured_now["lambda_platform_log_bytes_per_invocation"]
    )
    assert set(committed) == set(measured_now)
