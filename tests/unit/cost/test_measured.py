"""The committed measured inputs (cv_analytics/cost/measured.json) are what the bench measures
today: the bench is re-run with the committed question count and seed. Its counts (requests, write
and read units, invocations, metric names per question) must match exactly; its byte figures
within 1% (a record holds the time it was written, whose digits DynamoDB sizes: a few bytes move
from run to run); the timed part (milliseconds per batch, the reporter's CPU time per record) is
checked for a plausible range, and against a fresh run within an order of magnitude only (see
PLAUSIBLE). The price table must be at most a year old.

When this fails, the processor, the contract or the bench changed what a question costs:
run `make cost-inputs` and commit measured.json and the README's table."""

from __future__ import annotations

import json
from datetime import date
from importlib import resources

import pytest

from bench import cost_inputs
from cv_analytics.cost.inputs import MEASURED_FILE, measured_inputs
from cv_analytics.cost.prices import PRICES_AS_OF
from cv_analytics.infra.hcl import hcl2tojson_binary
from processor.metrics import PUBLISHED_METRICS

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


def test_the_metrics_priced_are_every_published_one(committed):
    """What can be billed in a month (duplicates, failures, feedback... included): the published
    set, not only what the clean run emitted."""
    assert committed["processor"]["metrics"] == sorted(PUBLISHED_METRICS)


def test_a_run_that_emitted_another_metric_fails_loudly():
    assert cost_inputs.billable_metrics({"Questions", "Answers"}) == sorted(PUBLISHED_METRICS)
    with pytest.raises(cost_inputs.UnpublishedMetricsError, match="DuplicateEvents"):
        cost_inputs.billable_metrics({"Questions", "DuplicateEvents"})
    with pytest.raises(cost_inputs.UnpublishedMetricsError):
        cost_inputs.billable_metrics(set())


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


#: The timed figures are wall time (the handler, moto in-process) and CPU time (the reporter) on
#: whatever machine ran them: a fresh run on a loaded 2-core machine shared with other work can
#: take several times longer, so a tight band (4x) would fail for reasons that are not staleness.
#: What is asserted instead: each committed figure lies in a range no plausible machine leaves
#: (it catches a unit slip, seconds for milliseconds, or a bench timing the wrong thing), and a
#: fresh run is within an order of magnitude (20x) of it.
PLAUSIBLE = {
    # A batch of 10 messages through the handler: ~3 DynamoDB requests per question in-process.
    ("processor", "handler_ms_per_invocation"): (5.0, 2_000.0),
    # Converting, aggregating, clustering and rendering one record.
    ("reporter", "cpu_seconds_per_record"): (1e-6, 1e-3),
}
FRESH_RUN_BAND = 20


@pytest.mark.parametrize(("part", "key"), sorted(PLAUSIBLE))
def test_the_timed_figures_are_plausible_and_near_a_fresh_run(committed, measured_now, part, key):
    low, high = PLAUSIBLE[part, key]
    then, now = committed[part][key], measured_now[part][key]
    assert low <= then <= high, f"{part}.{key} = {then}: not a plausible figure"
    assert then / FRESH_RUN_BAND <= now <= then * FRESH_RUN_BAND, (
        f"{part}.{key}: committed {then}, a fresh run {now}: run `make cost-inputs`"
    )


def test_the_rest_has_its_shape(committed, measured_now):
    assert set(committed["reporter"]) == set(measured_now["reporter"])
    assert (
        committed["lambda_platform_log_bytes_per_invocation"]
        == measured_now["lambda_platform_log_bytes_per_invocation"]
    )
    assert set(committed) == set(measured_now)


def months_old(as_of: str, today: date) -> int:
    """Whole months from a ``YYYY-MM`` date to ``today``'s month (negative: in the future)."""
    year, month = map(int, as_of.split("-"))
    return (today.year - year) * 12 + today.month - month


@pytest.mark.parametrize(
    ("as_of", "today", "age"),
    [("2026-12", date(2026, 12, 3), 0), ("2025-12", date(2026, 12, 31), 12),
     ("2025-11", date(2026, 12, 1), 13), ("2027-01", date(2026, 12, 1), -1)],
)  # fmt: skip
def test_months_old(as_of, today, age):
    assert months_old(as_of, today) == age


def test_the_prices_are_at_most_a_year_old():
    """AWS changes list prices (and the pound moves): re-read each source in prices.py, update
    the figures that changed, then PRICES_AS_OF (and GBP_PER_USD)."""
    age = months_old(PRICES_AS_OF, date.today())
    assert 0 <= age <= 12, (
        f"PRICES_AS_OF is {PRICES_AS_OF}, {age} months before today: check every price's source"
    )
