"""The data-out paths' cost inputs: dated prices with their sources, measured inputs from the
bench, and the monthly model's arithmetic."""

from __future__ import annotations

import pytest

from cv_analytics.data import costs
from cv_analytics.data.costs import PRICES, Usage, athena_path_monthly, local_export_monthly


def test_every_price_is_dated_and_names_its_source():
    assert costs.PRICES_AS_OF and costs.PRICES_REGION == "us-east-1"
    for name, price in PRICES.items():
        assert price.source.startswith("https://aws.amazon.com/"), name
        assert price.usd > 0 and price.unit


def test_the_measured_inputs_come_from_the_bench():
    inputs = costs.measured_inputs()
    assert inputs.measured_with.startswith("python -m bench.data_export")
    assert 0.5 <= inputs.export_read_units_per_record < 1.0  # half a unit per item, plus the index
    assert inputs.snapshot_gzip_bytes_per_record < inputs.table_bytes_per_record


def test_a_small_table_pays_athenas_minimum_and_the_free_tier_covers_glue_and_scheduler():
    inputs = costs.MeasuredInputs("test", 1000, 300, 0.54, 200, 200)
    usage = Usage(questions_per_month=100, athena_queries_per_month=10)
    monthly = athena_path_monthly(usage, inputs)
    assert set(monthly) == {
        "dynamodb export",
        "s3 storage",
        "s3 requests",
        "athena",
        "glue",
        "scheduler",
    }
    assert monthly["athena"] == pytest.approx(10 * 10 * 1024**2 / 1024**4 * 5.00)
    assert monthly["glue"] == monthly["scheduler"] == 0
    assert athena_path_monthly(usage, inputs, free_tier=False)["scheduler"] > 0


def test_costs_grow_with_the_table():
    inputs = costs.MeasuredInputs("test", 1000, 300, 0.54, 200, 200)
    small = athena_path_monthly(Usage(1_000_000), inputs)
    large = athena_path_monthly(Usage(10_000_000), inputs)
    assert large["dynamodb export"] == pytest.approx(10 * small["dynamodb export"])
    assert large["athena"] == pytest.approx(10 * small["athena"])
    reads = local_export_monthly(Usage(1_000_000), inputs)["dynamodb reads"]
    # 12 weeks of 1M questions a month, 4.33 runs a month, 0.54 units each, $0.125 per million
    assert reads == pytest.approx(52 / 12 * 12 * 1e6 * 12 / 52 * 0.54 * 0.125 / 1e6)
