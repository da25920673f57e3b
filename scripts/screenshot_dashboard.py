"""Render the dashboard of twelve generated weeks and screenshot it in headless Chromium, with a
session found by the explorer and opened.

    .venv/bin/python scripts/screenshot_dashboard.py [--questions 10000] [--out docs/dashboard-screenshot.png]

Needs Chromium (Debian: ``apt-get install -y chromium``) and Playwright (the dev extra). The
weeks come from ``bench/sample_week.py`` with chatbot-like answers (``bench/data_export.py``)
and example token prices.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.data_export import with_answers  # noqa: E402
from bench.sample_week import generate_week  # noqa: E402
from cv_analytics.data.dashboard import build_dashboard, write_dashboard  # noqa: E402
from cv_analytics.data.weeks import last_weeks  # noqa: E402
from reporter.settings import ReportOptions  # noqa: E402
from tests.support.browser import chromium, missing_browser_reason  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=10_000, help="per week")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "dashboard-screenshot.png")
    args = parser.parse_args()
    reason = missing_browser_reason()
    if reason:
        print(reason, file=sys.stderr)
        return 1
    weeks = last_weeks(12, "2026-W47")
    options = ReportOptions.model_validate(
        {"PRICE_PER_MILLION_INPUT_TOKENS": "0.8", "PRICE_PER_MILLION_OUTPUT_TOKENS": "4",
         "PRICE_CURRENCY": "USD"}
    )  # fmt: skip
    data = build_dashboard(
        weeks,
        (
            (week, with_answers(generate_week(week, questions=args.questions, seed=i), seed=i))
            for i, week in enumerate(weeks)
        ),
        options,
    )
    with tempfile.TemporaryDirectory() as folder, chromium() as browser:
        page_file = Path(folder) / "dashboard.html"
        write_dashboard(page_file, data, datetime(2026, 11, 23, 7, tzinfo=UTC))
        page = browser.new_page(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
        page.goto(page_file.as_uri())
        page.wait_for_selector("body[data-explorer=ready]", timeout=120_000)
        page.fill("#session-search", "notice period")
        page.locator("#session-results button").first.wait_for()
        page.locator("#session-results button").first.click()
        page.screenshot(path=str(args.out), full_page=True)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
