"""Benchmark: the dashboard for 12 weeks of 10,000 questions each.

    .venv/bin/python -m bench.dashboard_load [--weeks 12] [--questions 10000] [--answer-chars 280]

Records come from bench/sample_week.py with chatbot-like answers (bench/data_export.py's
``with_answers``), go through the dashboard's model (the reporter's aggregation per week, the
question clusters over the period, the sessions) and its renderer. Prints the time of each step,
the file's size (and the packed sessions' share of it), then opens the file in headless Chromium
(Debian's, through Playwright, as the browser test does) and prints the time until the page is
usable (the session explorer has unpacked its data), and the time of one search. Nothing is
asserted.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from pathlib import Path

from bench.data_export import with_answers
from bench.sample_week import generate_week
from cv_analytics.data.dashboard import build_dashboard, write_dashboard
from cv_analytics.data.weeks import last_weeks
from reporter.settings import ReportOptions
from tests.support.browser import chromium, missing_browser_reason


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--questions", type=int, default=10_000, help="per week")
    parser.add_argument("--answer-chars", type=int, default=280)
    args = parser.parse_args(argv)

    weeks = last_weeks(args.weeks, "2026-W47")
    options = ReportOptions.model_validate(
        {"PRICE_PER_MILLION_INPUT_TOKENS": "0.8", "PRICE_PER_MILLION_OUTPUT_TOKENS": "4"}
    )
    started = time.perf_counter()
    data = build_dashboard(
        weeks,
        (
            (week, with_answers(generate_week(week, questions=args.questions, seed=i), seed=i))
            for i, week in enumerate(weeks)
        ),
        options,
        answer_chars=args.answer_chars,
    )
    built = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "dashboard.html"
        started = time.perf_counter()
        size = write_dashboard(path, data)
        rendered = time.perf_counter() - started
        html = path.read_text(encoding="utf-8")
        packed = re.search(r'id="sessions-data"[^>]*>([^<]*)<', html)
        packed_bytes = len(packed.group(1)) if packed else 0
        print(f"{len(weeks)} weeks, {data.questions:,} questions ({data.records:,} records), "
              f"{len(data.sessions):,} sessions")  # fmt: skip
        print(f"model (aggregation, clusters, sessions): {built:.1f}s; render (charts, page): "
              f"{rendered:.1f}s")  # fmt: skip
        print(f"file: {size / 2**20:,.2f} MiB ({size:,} bytes), of which packed sessions "
              f"{packed_bytes / 2**20:,.2f} MiB")  # fmt: skip
        reason = missing_browser_reason()
        if reason:
            print(f"browser load time: not measured ({reason})")
            return
        with chromium() as browser:
            for attempt in (1, 2):
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                started = time.perf_counter()
                page.goto(path.as_uri())
                page.wait_for_selector("body[data-explorer=ready]", timeout=120_000)
                loaded = time.perf_counter() - started
                started = time.perf_counter()
                page.fill("#session-search", "salary")
                page.wait_for_function(
                    "document.getElementById('explorer-status').textContent.includes('matching')"
                )
                searched = time.perf_counter() - started
                print(f"browser (headless Chromium), load {attempt}: usable after {loaded:.2f}s; "
                      f"a search over every session: {searched * 1000:.0f} ms")  # fmt: skip
                page.close()


if __name__ == "__main__":
    main()
