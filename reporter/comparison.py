"""Each model/variant compared with the baseline (the arm that answered most), metric by metric,
with whether the difference is statistically meaningful at the week's sample size.

Tests (:mod:`reporter.stats`): rates by the two-proportion z-test (Fisher's exact test on small
counts), mean score and cost per question by Welch's t-test, processing time by the Mann-Whitney
U test on the latency histograms; then Holm's correction over every test of the table, at 5 %. A
comparison needs at least :data:`MIN_SAMPLE` observations on each side, else it says "too few".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from reporter.figures import ArmFigures
from reporter.stats import holm, mann_whitney, two_proportions, welch

#: Observations each side needs before a difference is tested.
MIN_SAMPLE = 20
METRICS = ("answer_rate", "no_match_rate", "mean_score", "p95_ms", "cost", "positive_share")
Verdict = Literal["baseline", "significant", "not significant", "too few", "n/a"]


@dataclass(frozen=True)
class MetricValue:
    value: float | None
    sample: int
    #: value - baseline's value (``None`` for the baseline or without a value).
    difference: float | None
    p_value: float | None
    verdict: Verdict


@dataclass(frozen=True)
class ArmComparison:
    arm: ArmFigures
    is_baseline: bool
    metrics: dict[str, MetricValue]


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _values(arm: ArmFigures) -> dict[str, tuple[float | None, int]]:
    return {
        "answer_rate": (_rate(arm.answered, arm.questions), arm.questions),
        "no_match_rate": (_rate(arm.no_match, arm.answered), arm.answered),
        "mean_score": (arm.score_mean, arm.score_count),
        "p95_ms": (arm.p95_ms, sum(arm.latency.values())),
        "cost": (arm.cost_mean, arm.cost_count),
        "positive_share": (_rate(arm.positive, arm.rated), arm.rated),
    }


def _p_value(metric: str, arm: ArmFigures, base: ArmFigures) -> float:
    if metric == "answer_rate":
        return two_proportions(arm.answered, arm.questions, base.answered, base.questions)
    if metric == "no_match_rate":
        return two_proportions(arm.no_match, arm.answered, base.no_match, base.answered)
    if metric == "positive_share":
        return two_proportions(arm.positive, arm.rated, base.positive, base.rated)
    if metric == "mean_score":
        return welch(
            arm.score_mean or 0.0, arm.score_variance, arm.score_count,
            base.score_mean or 0.0, base.score_variance, base.score_count,
        )  # fmt: skip
    if metric == "cost":
        return welch(
            arm.cost_mean or 0.0, arm.cost_variance, arm.cost_count,
            base.cost_mean or 0.0, base.cost_variance, base.cost_count,
        )  # fmt: skip
    return mann_whitney(arm.latency, base.latency)


def compare_arms(arms: list[ArmFigures]) -> list[ArmComparison]:
    """The arms (baseline first) with each metric's value, difference and verdict."""
    if len(arms) < 2:
        return []
    base = arms[0]
    base_values = _values(base)
    tests: list[tuple[int, str, float]] = []
    raw: list[dict[str, tuple[float | None, int, float | None]]] = []
    for index, arm in enumerate(arms):
        row: dict[str, tuple[float | None, int, float | None]] = {}
        for metric, (value, sample) in _values(arm).items():
            base_value, base_sample = base_values[metric]
            p = None
            testable = index and value is not None and base_value is not None
            if testable and min(sample, base_sample) >= MIN_SAMPLE:
                p = _p_value(metric, arm, base)
                tests.append((index, metric, p))
            row[metric] = (value, sample, p)
        raw.append(row)
    significant = dict(
        zip(((i, m) for i, m, _ in tests), holm([p for _, _, p in tests]), strict=True)
    )
    result = []
    for index, (arm, row) in enumerate(zip(arms, raw, strict=True)):
        metrics = {}
        for metric, (value, sample, p) in row.items():
            base_value = base_values[metric][0]
            verdict: Verdict
            if index == 0:
                verdict = "baseline"
            elif value is None or base_value is None:
                verdict = "n/a"
            elif p is None:
                verdict = "too few"
            else:
                verdict = "significant" if significant[index, metric] else "not significant"
            difference = (
                value - base_value
                if index and value is not None and base_value is not None
                else None
            )
            metrics[metric] = MetricValue(value, sample, difference, p, verdict)
        result.append(ArmComparison(arm, index == 0, metrics))
    return result
