"""The significance tests against the values scipy 1.17.1 prints for the same inputs
(scipy.stats.fisher_exact, norm.sf, ttest_ind_from_stats(equal_var=False), mannwhitneyu(
use_continuity=False, method="asymptotic"), t.sf), to 1e-6."""

from __future__ import annotations

import statistics
from collections import Counter

import pytest

from reporter.stats import (
    RunningMoments,
    fisher_exact,
    holm,
    mann_whitney,
    student_t_two_sided,
    two_proportions,
    welch,
)


def test_fisher_exact_matches_scipy() -> None:
    assert fisher_exact(3, 17, 9, 11) == pytest.approx(0.08235877701951116, abs=1e-9)
    assert fisher_exact(0, 25, 4, 21) == pytest.approx(0.10985670864090318, abs=1e-9)


def test_two_proportions_uses_the_pooled_z_test_on_large_counts() -> None:
    assert two_proportions(120, 400, 150, 420) == pytest.approx(0.08178091821317221, abs=1e-9)


def test_two_proportions_falls_back_to_fisher_on_small_counts() -> None:
    assert two_proportions(0, 25, 4, 25) == pytest.approx(0.10985670864090318, abs=1e-9)
    assert two_proportions(0, 0, 3, 10) == 1.0


def test_welch_matches_scipy() -> None:
    p = welch(65.6, 12.0**2, 598, 69.9, 14.0**2, 623)
    assert p == pytest.approx(1.0083236597546112e-08, rel=1e-6)
    assert welch(10.0, 4.0, 5, 12.5, 9.0, 7) == pytest.approx(0.1141535302145684, abs=1e-9)


def test_student_t_matches_scipy() -> None:
    assert student_t_two_sided(2.1, 7.3) == pytest.approx(0.0722467134248534, abs=1e-9)


def test_mann_whitney_from_histograms_matches_scipy_on_raw_values() -> None:
    first = Counter([1, 2, 2, 3, 3, 3, 4, 5, 5, 6] * 3)
    second = Counter([2, 3, 4, 4, 5, 6, 6, 7, 7, 8] * 3)
    assert mann_whitney(first, second) == pytest.approx(0.0003619231714120391, abs=1e-9)
    assert mann_whitney(first, first) == pytest.approx(1.0)


def test_holm_rejects_step_down() -> None:
    assert holm([0.01, 0.04, 0.03, 0.2]) == [True, False, False, False]
    assert holm([0.001, 0.012, 0.02]) == [True, True, True]


def test_running_moments() -> None:
    values = [3.0, 7.5, 1.25, 9.0, 4.0]
    moments = RunningMoments()
    for value in values:
        moments.add(value)
    assert moments.mean == pytest.approx(statistics.mean(values))
    assert moments.variance == pytest.approx(statistics.variance(values))
