"""Benchmark: aggregating a week of 10,000 and of 100,000 analytics records.

    .venv/bin/python -m bench.reporter_aggregate

Records are generated lazily (``bench/sample_week.py``) as DynamoDB items (Decimal numbers) and go
through the repository's validation into ``AnalyticsRecord``, then the week aggregator, exactly as
in the Lambda. Prints wall time (measured without tracemalloc, which slows Python down several
times) and tracemalloc's peak for each size. The aggregation streams, so the peak for 100,000
records must stay under 3x the peak for 10,000 (exit status 1 otherwise).
"""

from __future__ import annotations

import itertools
import sys
import time
import tracemalloc
from collections.abc import Iterator

from analytics_contract.records import AnalyticsRecord
from analytics_contract.storage import record_from_item, record_to_item
from bench.sample_week import generate_week
from reporter.aggregate import WeekAggregator, WeekFigures, aggregate_week

WEEK = "2025-W46"
SIZES = (10_000, 100_000)
MAX_RATIO = 3.0
CHUNK = 10_000


def records(size: int) -> Iterator[AnalyticsRecord]:
    for record in generate_week(WEEK, questions=size, seed=size):
        yield record_from_item(record_to_item(record))


def total_seconds(size: int) -> float:
    """Generate, validate and aggregate, streaming (what the Lambda does after each page)."""
    started = time.perf_counter()
    aggregate_week(WEEK, records(size))
    return time.perf_counter() - started


def aggregation_seconds(size: int) -> float:
    """The aggregator's own time: records are validated in chunks outside the clock."""
    aggregator = WeekAggregator(WEEK)
    source = records(size)
    spent = 0.0
    while chunk := list(itertools.islice(source, CHUNK)):
        started = time.perf_counter()
        aggregator.add_all(chunk)
        spent += time.perf_counter() - started
    started = time.perf_counter()
    aggregator.figures()
    return spent + time.perf_counter() - started


def peak_memory(size: int) -> tuple[int, WeekFigures]:
    tracemalloc.start()
    figures = aggregate_week(WEEK, records(size))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, figures


def main() -> int:
    peaks = {}
    print(
        f"{'records':>9}  {'total (s)':>9}  {'aggregation (s)':>15}  {'peak memory':>12}  "
        f"{'sessions':>9}  {'questions':>9}"
    )
    for size in SIZES:
        total = total_seconds(size)
        aggregation = aggregation_seconds(size)
        peak, figures = peak_memory(size)
        peaks[size] = peak
        print(
            f"{size:>9,}  {total:>9.2f}  {aggregation:>15.2f}  {peak / 1024:>8,.0f} KiB  "
            f"{figures.sessions:>9,}  {figures.distinct_questions:>9,}"
        )
    ratio = peaks[SIZES[1]] / peaks[SIZES[0]]
    verdict = "ok" if ratio < MAX_RATIO else "TOO HIGH"
    print(
        f"peak memory {SIZES[1]:,} / {SIZES[0]:,} records: {ratio:.2f}x "
        f"(limit {MAX_RATIO}x) {verdict}"
    )
    print(
        "total = generate + validate (DynamoDB item -> AnalyticsRecord) + aggregate; "
        "aggregation = the aggregator alone; "
        "peak = tracemalloc, generation included"
    )
    return 0 if ratio < MAX_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
