from __future__ import annotations

import math
import random
import statistics

import pytest

from reporter.sketch import DistinctCounter, LinearHistogram, QuantileSketch, nearest_rank


def exact_quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("size", [1, 2, 7, 100, 5_000])
def test_quantiles_are_within_the_documented_relative_error(seed: int, size: int) -> None:
    rng = random.Random(seed)
    # Latencies spanning four orders of magnitude, with ties and a heavy tail.
    values = [
        round(rng.lognormvariate(math.log(1500), 1.2), rng.choice([0, 1, 3])) for _ in range(size)
    ]
    sketch = QuantileSketch(relative_accuracy=0.01)
    for value in values:
        sketch.add(value)
    for q in (0.0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 1.0):
        exact = exact_quantile(values, q)
        estimate = sketch.quantile(q)
        assert estimate is not None
        assert abs(estimate - exact) <= 0.01 * exact * (1 + 1e-9), (q, exact, estimate)


def test_quantile_sketch_memory_is_bounded_by_the_value_range_not_the_count() -> None:
    rng = random.Random(1)
    sketch = QuantileSketch(relative_accuracy=0.01)
    for _ in range(200_000):
        sketch.add(rng.uniform(1, 60_000))
    # ln(60000) / ln(1.01/0.99) ~ 550 buckets at most, whatever the number of values.
    assert sketch.count == 200_000
    assert sketch.bucket_count <= math.log(60_000) / math.log(1.01 / 0.99) + 2


def test_values_below_the_minimum_count_as_zero_and_negative_values_are_refused() -> None:
    sketch = QuantileSketch()
    for value in (0.0, 0.0, 0.0, 5.0):
        sketch.add(value)
    assert sketch.quantile(0.5) == 0.0
    assert sketch.quantile(1.0) == pytest.approx(5.0, rel=0.01)
    with pytest.raises(ValueError, match="non-negative"):
        sketch.add(-1)
    assert QuantileSketch().quantile(0.5) is None


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("size", [1, 2, 3, 10, 1_001])
def test_linear_histogram_median_and_quantiles_match_statistics_within_half_a_bucket(
    seed: int, size: int
) -> None:
    rng = random.Random(seed)
    scores = [round(rng.uniform(0, 100), rng.choice([0, 1, 3])) for _ in range(size)]
    histogram = LinearHistogram(0, 100, 0.1)
    for value in scores:
        histogram.add(value)
    median = histogram.median()
    assert median is not None
    assert abs(median - statistics.median(scores)) <= 0.05 + 1e-9
    for q in (0.1, 0.5, 0.9):
        estimate = histogram.quantile(q)
        assert estimate is not None
        assert abs(estimate - exact_quantile(scores, q)) <= 0.05 + 1e-9


def test_linear_histogram_refuses_values_out_of_range() -> None:
    with pytest.raises(ValueError, match="outside"):
        LinearHistogram(0, 100).add(100.5)
    assert LinearHistogram().median() is None


def test_nearest_rank() -> None:
    assert [nearest_rank(q, 100) for q in (0, 0.5, 0.95, 0.99, 1)] == [1, 50, 95, 99, 100]
    with pytest.raises(ValueError, match="outside"):
        nearest_rank(1.5, 10)


def test_distinct_counter_is_exact_up_to_its_limit() -> None:
    counter = DistinctCounter(exact_limit=1_000)
    for round_ in range(3):  # duplicates count once
        for i in range(1_000):
            counter.add(f"session-{i}")
        assert counter.exact, round_
    assert counter.count() == 1_000


@pytest.mark.parametrize("distinct", [1_500, 20_000, 200_000])
def test_distinct_counter_estimates_beyond_its_limit_within_four_standard_errors(
    distinct: int,
) -> None:
    counter = DistinctCounter(exact_limit=1_000, precision=14)
    for i in range(distinct):
        counter.add(f"s-{i}")
        if i % 3 == 0:
            counter.add(f"s-{i}")  # seen again: no change
    assert not counter.exact
    assert abs(counter.count() - distinct) <= 4 * 0.0081 * distinct
