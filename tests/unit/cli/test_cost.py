"""`cv-analytics cost`: its options, its output forms, and the base install (no dev extra)."""

from __future__ import annotations

import json
import math

import pytest

from cv_analytics.cli import main
from cv_analytics.cli.cost import questions_count
from cv_analytics.cost.model import Usage, compare
from cv_analytics.cost.prices import GBP_PER_USD
from tests.unit.cli.test_cli_structure import run_without_dev_extra


def run(capsys, *argv: str) -> str:
    assert main(["cost", *argv]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("1M", 1_000_000),
        ("250k", 250_000),
        ("12,500", 12_500),
        ("7", 7),
        ("4.1M", 4_100_000),  # 4.1 * 1e6 is 4099999.9999999995 in floats
        ("8.2M", 8_200_000),
        ("1.001k", 1_001),
        ("2.5k", 2_500),
        ("1e3", 1_000),
        ("999999999999", 999_999_999_999),  # every digit, not rounded through a float
        ("999,999,999,997", 999_999_999_997),
    ],
)
def test_questions_take_k_and_m_suffixes(text, count):
    assert questions_count(text) == count


@pytest.mark.parametrize(
    "argv",
    [
        ["--questions", "0"],
        ["--questions", "lots"],
        ["--questions", "1.5"],
        ["--questions", "1.0000001M"],
        ["--questions", "1.00000000000000000000000000001M"],  # not rounded to 28 digits
        ["--questions", "1.000000000000000000001e3"],  # a float would round it to 1000
        ["--questions", "sNaN"],
        ["--questions", "1e999999999M"],
    ],
)
def test_a_bad_count_is_a_usage_error(argv, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["cost", *argv])
    assert exited.value.code == 2
    assert "questions" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--questions", "inf"),
        ("--questions", "-inf"),
        ("--questions", "nan"),
        ("--questions", "1e400"),
        ("--questions", "1e308"),
        ("--questions", "infM"),
        ("--questions", str(10**12 + 1)),
        ("--recipients", "0"),
        ("--recipients", "10001"),
        ("--recipients", "nan"),
        ("--messages-per-batch", "nan"),
        ("--messages-per-batch", "inf"),
    ],
)
def test_non_finite_and_huge_values_are_usage_errors_naming_the_option(option, value, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["cost", option, value])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert option.strip("-").replace("-", " ") in err.replace("-", " ")
    assert f"argument {option}" in err and "invalid" not in err  # ours, not argparse's generic


def test_the_largest_volume_and_recipients_allowed_price(capsys):
    out = run(capsys, "--questions", "1000000M", "--recipients", "10000", "--currency", "usd")
    assert "1,000,000,000,000 questions a month" in out


@pytest.mark.parametrize(
    "usage", [{"questions_per_month": math.inf}, {"questions_per_month": math.nan},
              {"questions_per_month": 1e13}, {"questions_per_month": 1, "recipients": 0}],
)  # fmt: skip
def test_the_model_rejects_what_the_cli_rejects(usage):
    with pytest.raises(ValueError, match=r"questions per month|recipients"):
        Usage(**usage)


def test_default_shows_the_four_volumes_both_currencies_with_and_without_the_free_tier(capsys):
    out = run(capsys)
    for volume in ("10,000", "100,000", "1,000,000", "10,000,000"):
        assert f"{volume} questions a month" in out
    assert "$" in out and "£" in out
    assert "this system, free tier" in out and "seed design, list" in out
    ratio = compare(1_000_000, free_tier=False).ratio
    assert f"list prices, no free tier: {ratio:.2f}x the seed design" in out
    assert "target (issue 14): <= 0.4x the seed design at 1,000,000" in out


def test_one_volume_one_currency_no_free_tier(capsys):
    out = run(capsys, "--questions", "250k", "--currency", "gbp", "--no-free-tier")
    assert "250,000 questions a month" in out and "1,000,000 questions" not in out
    assert "$" not in out.split("questions a month", 1)[1]
    assert "with the free tier" not in out
    total = compare(250_000, free_tier=False).ours.total_usd * GBP_PER_USD
    [total_line] = [line for line in out.splitlines() if line.startswith("total")]
    assert total_line.split()[1] == f"£{total:,.2f}"


def test_json_has_every_service_in_both_currencies_and_the_ratio(capsys):
    document = json.loads(run(capsys, "--questions", "1M", "--questions", "10M", "--json"))
    estimates = document["estimates"]
    assert [(e["questions_per_month"], e["free_tier"]) for e in estimates] == [
        (1_000_000, False), (1_000_000, True), (10_000_000, False), (10_000_000, True),
    ]  # fmt: skip
    first = estimates[0]
    expected = compare(1_000_000, free_tier=False)
    assert first["ratio_to_seed"] == pytest.approx(expected.ratio, abs=1e-4)
    assert first["ours"]["total_usd"] == pytest.approx(expected.ours.total_usd, abs=1e-6)
    writes = first["ours"]["services"]["DynamoDB writes"]
    assert writes["gbp"] == pytest.approx(writes["usd"] * GBP_PER_USD, abs=1e-6)
    assert document["prices_as_of"] and document["measured_with"].startswith("python -m bench")


def test_json_and_markdown_are_exclusive(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["cost", "--json", "--markdown"])
    assert exited.value.code == 2


def test_cost_runs_without_the_dev_extra():
    result = run_without_dev_extra("cost", "--questions", "1M", "--currency", "usd")
    assert result.returncode == 0, result.stderr
    assert "x the seed design" in result.stdout
    assert "£" not in result.stdout.split("questions a month", 1)[1]
