"""Benchmark: one week of 10,000, 100,000 and 1,000,000 analytics records through the reporter.

    .venv/bin/python -m bench.reporter_aggregate            # all three sizes
    .venv/bin/python -m bench.reporter_aggregate --sizes 10000 100000

Records are generated lazily (``bench/sample_week.py``: politeness, typos, two prompt variants,
feedback) as pages of DynamoDB wire-form items, off the clock; then, timed, each item goes
through the contract's conversion (``analytics_contract.storage.record_from_item``) and the week
aggregator (counting, sketches, feedback, arms), and at the end the question clustering, the view
and both templates: what the Lambda does with the pages it reads. Each size runs in a fresh
process, which prints:

* wall and CPU time of convert + aggregate + cluster + render (generation excluded; on a shared
  machine the CPU time is the steadier figure);
* of which clustering: CPU time of the week's figures, the question clusters mostly;
* peak RSS of that process (``ru_maxrss``: interpreter and libraries included, what Lambda's
  memory setting limits);
* tracemalloc's peak for 10,000 and 100,000 (Python allocations only); the run fails (exit 1) if
  the peak for 100,000 is 3x the peak for 10,000 or more: memory must not grow with the records.

Above 20,000 records the generated records are replayed with new request and session ids
(generating a million would cost more than reporting them): sessions keep growing, the question
wordings do not (``bench.question_clusters`` measures clustering 100,000 varied questions); the
20,000 items held for replay are in the peak RSS.

Not included: reading from DynamoDB (network and botocore's parsing) and the week before
(a second, usually smaller, pass of the same code).
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from analytics_contract.storage import record_from_item, record_to_item
from bench.sample_week import generate_week
from reporter.aggregate import WeekAggregator
from reporter.render import render_report
from reporter.settings import ReportOptions
from reporter.view import build_view

WEEK, PREVIOUS = "2025-W46", "2025-W45"
SIZES = (10_000, 100_000, 1_000_000)
TRACED = (10_000, 100_000)
MAX_RATIO = 3.0
#: Records generated for one size; larger sizes replay them (see ``_replayed``).
GENERATED = 20_000
#: Items per page: what one 1 MB DynamoDB page holds of the projected attributes (about 400 B).
PAGE = 2_500
OPTIONS = ReportOptions(
    price_per_million_input_tokens=Decimal("0.80"),
    price_per_million_output_tokens=Decimal("4.00"),
)


def _replayed(size: int) -> Iterator[dict[str, Any]]:
    """Beyond :data:`GENERATED` records, the first ``GENERATED`` are replayed with new request
    and session ids (generating a million records would cost more than reporting them)."""
    base = [
        record_to_item(record)
        for record in generate_week(WEEK, questions=min(size, GENERATED), seed=size)
    ]
    produced = 0
    for round_number in itertools.count():
        for item in base:
            if produced >= size:
                return
            produced += 1
            if round_number == 0:
                yield item
                continue
            copy = dict(item)
            copy["requestId"] = {"S": f"{item['requestId']['S']}-{round_number}"}
            if "sessionId" in item:
                copy["sessionId"] = {"S": f"{item['sessionId']['S']}-{round_number}"}
            yield copy


def pages(size: int) -> Iterator[list[dict[str, Any]]]:
    """The week as DynamoDB would return it: pages of items in wire form (made off the clock)."""
    items = (
        _replayed(size)
        if size > GENERATED
        else (record_to_item(r) for r in generate_week(WEEK, questions=size, seed=size))
    )
    while page := list(itertools.islice(items, PAGE)):
        yield page


def one_pass(size: int) -> dict[str, float | int]:
    """The reporter's work on each page, timed; generating the pages is not."""
    aggregator = WeekAggregator(WEEK, cost=OPTIONS.cost_function)
    spent = cpu = 0.0
    for page in pages(size):
        started, started_cpu = time.perf_counter(), time.process_time()
        aggregator.add_all(record_from_item(item) for item in page)
        spent += time.perf_counter() - started
        cpu += time.process_time() - started_cpu
    started, started_cpu = time.perf_counter(), time.process_time()
    figures = aggregator.figures()
    figured, figured_cpu = time.perf_counter(), time.process_time()
    previous = WeekAggregator(PREVIOUS).figures()
    report = render_report(
        build_view(figures, previous, OPTIONS, generated_at=datetime(2025, 11, 17, tzinfo=UTC))
    )
    finished, finished_cpu = time.perf_counter(), time.process_time()
    return {
        "records": size,
        "total_s": spent + finished - started,
        "cpu_s": cpu + finished_cpu - started_cpu,
        "aggregate_s": spent,
        "figures_s": figured - started,
        "figures_cpu_s": figured_cpu - started_cpu,
        "render_s": finished - figured,
        "wordings": figures.distinct_questions,
        "clusters": figures.clusters,
        "html_kib": len(report.html.encode()) / 1024,
    }


def measure(size: int) -> dict[str, float | int]:
    result = one_pass(size)
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if size in TRACED:
        tracemalloc.start()
        one_pass(size)
        result["traced_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return result


def main(argv: list[str] | None = None) -> int:
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    cli.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a single size, in-process
    args = cli.parse_args(argv)
    if args.one:
        print(json.dumps(measure(args.one)))
        return 0
    print(
        f"{'records':>9}  {'wall (s)':>8}  {'CPU (s)':>7}  {'clustering CPU (s)':>18}  "
        f"{'records/CPU s':>13}  {'peak RSS':>9}  {'tracemalloc':>11}  {'wordings':>8}  "
        f"{'clusters':>8}"
    )
    traced: dict[int, float] = {}
    for size in args.sizes:
        run = subprocess.run(
            [sys.executable, "-m", "bench.reporter_aggregate", "--one", str(size)],
            check=True,
            capture_output=True,
            text=True,
        )
        result = json.loads(run.stdout.strip().splitlines()[-1])
        if "traced_peak_mib" in result:
            traced[size] = result["traced_peak_mib"]
        tracemalloc_text = (
            f"{result['traced_peak_mib']:>7.1f} MiB" if "traced_peak_mib" in result else "-"
        )
        print(
            f"{size:>9,}  {result['total_s']:>8.1f}  {result['cpu_s']:>7.1f}  "
            f"{result['figures_cpu_s']:>18.2f}  {size / result['cpu_s']:>13,.0f}  "
            f"{result['peak_rss_mib']:>5.0f} MiB  {tracemalloc_text:>11}  "
            f"{result['wordings']:>8,}  {result['clusters']:>8,}"
        )
    print(
        "total = convert (wire form -> AnalyticsRecord) + aggregate + cluster + render, "
        "generation excluded; peak RSS = the whole process, generation included (what "
        "Lambda's memory limits)"
    )
    if len(traced) == 2:
        small, large = (traced[size] for size in TRACED)
        ratio = large / small
        verdict = "ok" if ratio < MAX_RATIO else "TOO HIGH"
        print(f"tracemalloc peak {TRACED[1]:,} / {TRACED[0]:,}: {ratio:.2f}x ({verdict})")
        return 0 if ratio < MAX_RATIO else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
