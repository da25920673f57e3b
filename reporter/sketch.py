"""Bounded-memory summaries for streaming over a week of records.

The reporter never holds a week's records in memory; each figure that would naively need every
value (a percentile, a median, a distinct count) is kept in a structure whose size does not grow
with the number of records. Each class states its bound.

Quantile rank convention (all classes): the ``q``-quantile of ``n`` values is the value of rank
``max(1, ceil(q * n))`` in ascending order (the "nearest rank" definition), so p50 of 1..100 is 50
and p99 of 1..100 is 99.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter

__all__ = ["DistinctCounter", "LinearHistogram", "QuantileSketch", "nearest_rank"]

#: Index of the bucket of values below ``min_value`` in :meth:`QuantileSketch.buckets`.
ZERO_BUCKET = -(10**9)


def nearest_rank(q: float, count: int) -> int:
    """1-based rank of the ``q``-quantile among ``count`` values (nearest-rank definition)."""
    if not 0 <= q <= 1:
        raise ValueError(f"quantile {q} is outside [0, 1]")
    return max(1, math.ceil(q * count))


class QuantileSketch:
    """Quantiles of non-negative values with a bounded *relative* error (a DDSketch-style
    log-bucketed histogram; Masson et al., VLDB 2019).

    Error bound: for every value ``x >= min_value``, :meth:`quantile` returns ``x'`` with
    ``|x' - x| <= relative_accuracy * x``, where ``x`` is the exact nearest-rank quantile. Values
    below ``min_value`` (default 0.001, i.e. a microsecond when values are milliseconds) are counted
    in a zero bucket and reported as 0.

    Memory: one counter per occupied bucket, at most ``ln(max/min_value) / ln(gamma) + 2`` of them,
    where ``gamma = (1 + a) / (1 - a)``; with the default ``a = 0.01``, about 1,400 buckets cover a
    microsecond to eleven days, however many values are added.
    """

    def __init__(self, relative_accuracy: float = 0.01, min_value: float = 0.001) -> None:
        if not 0 < relative_accuracy < 1:
            raise ValueError("relative_accuracy must be in (0, 1)")
        self.relative_accuracy = relative_accuracy
        self.min_value = min_value
        self._gamma = (1 + relative_accuracy) / (1 - relative_accuracy)
        self._log_gamma = math.log(self._gamma)
        self._buckets: Counter[int] = Counter()
        self._zeros = 0
        self.count = 0

    def add(self, value: float) -> None:
        if value < 0 or math.isnan(value) or math.isinf(value):
            raise ValueError(f"QuantileSketch takes finite non-negative values, got {value}")
        self.count += 1
        if value < self.min_value:
            self._zeros += 1
        else:
            # Bucket i holds (gamma^(i-1), gamma^i].
            self._buckets[math.ceil(math.log(value) / self._log_gamma)] += 1

    def quantile(self, q: float) -> float | None:
        """The ``q``-quantile (0 <= q <= 1) within the class's error bound; ``None`` if empty."""
        if self.count == 0:
            return None
        rank = nearest_rank(q, self.count)
        if rank <= self._zeros:
            return 0.0
        seen = self._zeros
        for index in sorted(self._buckets):
            seen += self._buckets[index]
            if seen >= rank:
                # The point of the bucket whose relative distance to both ends is the same.
                return 2 * self._gamma**index / (self._gamma + 1)
        raise AssertionError("unreachable: the ranks add up to count")  # pragma: no cover

    @property
    def bucket_count(self) -> int:
        return len(self._buckets) + (1 if self._zeros else 0)

    def buckets(self) -> dict[int, int]:
        """``{bucket index: count}`` in value order (the zero bucket first, as the lowest index):
        two sketches with the same accuracy share bucket bounds, so their histograms can be
        compared (a rank test)."""
        counts = dict(sorted(self._buckets.items()))
        if self._zeros:
            counts = {ZERO_BUCKET: self._zeros, **counts}
        return counts


class LinearHistogram:
    """Quantiles of values in a fixed range, in buckets of fixed width.

    Error bound: each value is stored as the centre of its bucket, so a quantile is off by at most
    half a bucket (``width / 2``; 0.05 for match scores with the default width of 0.1), and a
    median of an even count (the mean of the two middle values) likewise. Memory: at most
    ``(high - low) / width + 1`` counters (1,001 for scores 0..100).
    """

    def __init__(self, low: float = 0.0, high: float = 100.0, width: float = 0.1) -> None:
        self.low, self.high, self.width = low, high, width
        self._buckets: Counter[int] = Counter()
        self.count = 0

    def add(self, value: float) -> None:
        if not self.low <= value <= self.high:
            raise ValueError(f"{value} is outside [{self.low}, {self.high}]")
        self._buckets[round((value - self.low) / self.width)] += 1
        self.count += 1

    def _value_at_rank(self, rank: int, buckets: list[tuple[int, int]]) -> float:
        seen = 0
        for index, count in buckets:
            seen += count
            if seen >= rank:
                return self.low + index * self.width
        raise AssertionError("unreachable: the ranks add up to count")  # pragma: no cover

    def quantile(self, q: float) -> float | None:
        if self.count == 0:
            return None
        return self._value_at_rank(nearest_rank(q, self.count), sorted(self._buckets.items()))

    def median(self) -> float | None:
        """The median as :func:`statistics.median` defines it, within ``width / 2``."""
        if self.count == 0:
            return None
        buckets = sorted(self._buckets.items())
        middle = (self.count + 1) // 2
        if self.count % 2:
            return self._value_at_rank(middle, buckets)
        return (self._value_at_rank(middle, buckets) + self._value_at_rank(middle + 1, buckets)) / 2


class DistinctCounter:
    """How many distinct strings were added: exact up to ``exact_limit``, then estimated.

    Up to ``exact_limit`` distinct values it keeps their 64-bit hashes and the count is exact (but
    for a 64-bit hash collision, probability below n^2 / 2^65, i.e. 1 in 10^11 at 50,000).
    Beyond that it switches to a HyperLogLog with ``2**precision`` one-byte registers (Flajolet et
    al. 2007, with the linear-counting correction for small ranges): memory stays at
    ``2**precision`` bytes (16 KiB by default) and the relative standard error is
    ``1.04 / sqrt(2**precision)`` (0.8% by default).
    """

    def __init__(self, exact_limit: int = 5_000, precision: int = 14) -> None:
        if not 4 <= precision <= 18:
            raise ValueError("precision must be in [4, 18]")
        self.exact_limit = exact_limit
        self.precision = precision
        self._hashes: set[int] | None = set()
        self._registers: bytearray | None = None

    @staticmethod
    def _hash(value: str) -> int:
        digest = hashlib.blake2b(value.encode("utf-8"), digest_size=8).digest()
        return int.from_bytes(digest, "big")

    def add(self, value: str) -> None:
        hashed = self._hash(value)
        if self._hashes is not None:
            self._hashes.add(hashed)
            if len(self._hashes) > self.exact_limit:
                self._switch_to_estimate()
            return
        self._register(hashed)

    def _switch_to_estimate(self) -> None:
        hashes, self._hashes = self._hashes or set(), None
        self._registers = bytearray(1 << self.precision)
        for hashed in hashes:
            self._register(hashed)

    def _register(self, hashed: int) -> None:
        assert self._registers is not None
        rest_bits = 64 - self.precision
        index = hashed >> rest_bits
        rest = hashed & ((1 << rest_bits) - 1)
        rank = rest_bits - rest.bit_length() + 1  # position of the first 1-bit
        if rank > self._registers[index]:
            self._registers[index] = rank

    @property
    def exact(self) -> bool:
        return self._hashes is not None

    def count(self) -> int:
        if self._hashes is not None:
            return len(self._hashes)
        assert self._registers is not None
        m = len(self._registers)
        alpha = 0.7213 / (1 + 1.079 / m)
        estimate = alpha * m * m / math.fsum(2.0**-r for r in self._registers)
        zeros = self._registers.count(0)
        if estimate <= 2.5 * m and zeros:
            estimate = m * math.log(m / zeros)
        return round(estimate)
