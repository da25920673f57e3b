"""Significance tests for comparing two models or prompt variants, with the standard library.

scipy would provide these, but it weighs about 100 MB unzipped with numpy, a third of a Lambda's
250 MB (function + layers) and a slower cold start, for five formulas. They are written here from
their textbook definitions with :mod:`math` and :class:`statistics.NormalDist`, and checked in the
tests against values scipy 1.x prints for the same inputs:

* rates (answer rate, no-match rate, positive feedback): the two-proportion z-test with pooled
  variance, or Fisher's exact test when an expected cell count is below 5 (where the normal
  approximation is poor);
* means (match score, cost per question): Welch's unequal-variances t-test, with the Student t
  distribution from the regularised incomplete beta function (Numerical Recipes' continued
  fraction);
* distributions kept as histograms (processing time): the Mann-Whitney U test with the normal
  approximation and the tie correction, computed from bucket counts, so it needs no raw values;
* many comparisons in one table: Holm's step-down correction keeps the chance of any false
  "significant" at the chosen level.

Every test is two-sided and returns a p-value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from statistics import NormalDist

_NORMAL = NormalDist()
#: Significance level of the report's comparisons (after Holm's correction).
ALPHA = 0.05


def _two_sided_normal(z: float) -> float:
    return 2 * (1 - _NORMAL.cdf(abs(z)))


def _log_choose(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def fisher_exact(a: int, b: int, c: int, d: int) -> float:
    """Two-sided p-value of Fisher's exact test on the 2x2 table ``[[a, b], [c, d]]``: the total
    probability of the tables with the same margins that are no more likely than this one."""
    row1, col1, total = a + b, a + c, a + b + c + d
    low, high = max(0, col1 - (c + d)), min(row1, col1)

    def log_p(x: int) -> float:
        return _log_choose(row1, x) + _log_choose(total - row1, col1 - x) - _log_choose(total, col1)

    observed = log_p(a)
    p = math.fsum(math.exp(log_p(x)) for x in range(low, high + 1) if log_p(x) <= observed + 1e-7)
    return min(1.0, p)


def two_proportions(successes1: int, n1: int, successes2: int, n2: int) -> float:
    """p-value for "the two rates are equal". Fisher's exact test when an expected count is
    below 5, else the pooled two-proportion z-test."""
    if n1 == 0 or n2 == 0:
        return 1.0
    pooled = (successes1 + successes2) / (n1 + n2)
    expected = (n1 * pooled, n1 * (1 - pooled), n2 * pooled, n2 * (1 - pooled))
    if min(expected) < 5:
        return fisher_exact(successes1, n1 - successes1, successes2, n2 - successes2)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if spread == 0:
        return 1.0
    return _two_sided_normal((successes1 / n1 - successes2 / n2) / spread)


def _beta_continued_fraction(a: float, b: float, x: float) -> float:
    """Lentz's algorithm for the continued fraction of the incomplete beta function."""
    tiny, eps = 1e-300, 3e-16
    qab, qap, qam = a + b, a + 1, a - 1
    c, d = 1.0, 1 - qab * x / qap
    d = 1 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1 + aa * d
        d = 1 / (d if abs(d) > tiny else tiny)
        c = 1 + aa / c if abs(1 + aa / c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1 + aa * d
        d = 1 / (d if abs(d) > tiny else tiny)
        c = 1 + aa / c if abs(1 + aa / c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1) < eps:
            break
    return h


def regularized_beta(a: float, b: float, x: float) -> float:
    """I_x(a, b), the regularised incomplete beta function."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1) / (a + b + 2):
        return front * _beta_continued_fraction(a, b, x) / a
    return 1 - front * _beta_continued_fraction(b, a, 1 - x) / b


def student_t_two_sided(t: float, df: float) -> float:
    """P(|T| >= |t|) for Student's t with ``df`` degrees of freedom."""
    return regularized_beta(df / 2, 0.5, df / (df + t * t))


def welch(
    mean1: float, variance1: float, n1: int, mean2: float, variance2: float, n2: int
) -> float:
    """p-value of Welch's t-test for "the two means are equal" (sample variances, ``n - 1``)."""
    if n1 < 2 or n2 < 2:
        return 1.0
    s1, s2 = variance1 / n1, variance2 / n2
    if s1 + s2 == 0:
        return 1.0 if mean1 == mean2 else 0.0
    t = (mean1 - mean2) / math.sqrt(s1 + s2)
    df = (s1 + s2) ** 2 / ((s1 * s1 / (n1 - 1) if s1 else 0) + (s2 * s2 / (n2 - 1) if s2 else 0))
    return student_t_two_sided(t, df)


def mann_whitney(first: Mapping[int, int], second: Mapping[int, int]) -> float:
    """p-value of the Mann-Whitney U test for two samples given as ``{bucket: count}`` with
    ordered bucket indexes (values in one bucket count as ties): normal approximation with the
    tie correction (no continuity correction)."""
    n1, n2 = sum(first.values()), sum(second.values())
    if n1 == 0 or n2 == 0:
        return 1.0
    rank_sum1 = 0.0
    ties = 0.0
    below = 0
    for bucket in sorted(set(first) | set(second)):
        a, b = first.get(bucket, 0), second.get(bucket, 0)
        tied = a + b
        mid_rank = below + (tied + 1) / 2
        rank_sum1 += a * mid_rank
        ties += tied**3 - tied
        below += tied
    u1 = rank_sum1 - n1 * (n1 + 1) / 2
    n = n1 + n2
    variance = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)))
    if variance <= 0:
        return 1.0
    return _two_sided_normal((u1 - n1 * n2 / 2) / math.sqrt(variance))


def holm(p_values: Sequence[float], alpha: float = ALPHA) -> list[bool]:
    """Which of ``p_values`` are significant after Holm's step-down correction."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    significant = [False] * len(p_values)
    for rank, index in enumerate(order):
        if p_values[index] > alpha / (len(p_values) - rank):
            break
        significant[index] = True
    return significant


class RunningMoments:
    """Count, mean and sample variance of a stream (Welford's algorithm), O(1) memory."""

    def __init__(self) -> None:
        self.count = 0
        self.mean = 0.0
        self._m2 = 0.0

    def add(self, value: float) -> None:
        self.count += 1
        delta = value - self.mean
        self.mean += delta / self.count
        self._m2 += delta * (value - self.mean)

    @property
    def variance(self) -> float:
        return self._m2 / (self.count - 1) if self.count > 1 else 0.0
