"""Render any week's report to files, without sending anything.

    python -m reporter.preview --week 2025-W46 --out out/ [--table NAME] [--index week-index]

The table defaults to ``$ANALYTICS_TABLE``; boto3 takes the endpoint from ``$AWS_ENDPOINT_URL``
(e.g. a local moto server). Token prices come from the same variables as the Lambda's
(``PRICE_PER_MILLION_INPUT_TOKENS``, ``PRICE_PER_MILLION_OUTPUT_TOKENS``, ``PRICE_CURRENCY``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import boto3

from analytics_contract.weeks import parse_week_id, week_ending_before
from reporter.render import RenderedReport
from reporter.repository import AnalyticsTable
from reporter.service import report_for_week
from reporter.settings import DEFAULT_WEEK_INDEX, ConfigurationError, load_report_options


def _week_id(value: str) -> str:
    try:
        parse_week_id(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return value


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(
        prog="python -m reporter.preview",
        description="Render a week's analytics report to .html and .txt files (nothing is sent).",
    )
    cli.add_argument(
        "--week",
        type=_week_id,
        default=None,
        help="ISO week, e.g. 2025-W46 (default: the week that ended most recently)",
    )
    cli.add_argument(
        "--out", type=Path, default=Path("out"), help="output directory (default: out)"
    )
    cli.add_argument(
        "--table",
        default=os.environ.get("ANALYTICS_TABLE"),
        help="analytics table (default: $ANALYTICS_TABLE)",
    )
    cli.add_argument(
        "--index",
        default=os.environ.get("WEEK_INDEX_NAME", DEFAULT_WEEK_INDEX),
        help=f"week index (default: $WEEK_INDEX_NAME or {DEFAULT_WEEK_INDEX})",
    )
    return cli


def write_report(report: RenderedReport, out: Path) -> tuple[Path, Path]:
    """Write ``report-<week>.html`` and ``report-<week>.txt`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    html = out / f"report-{report.week_id}.html"
    text = out / f"report-{report.week_id}.txt"
    html.write_text(report.html, encoding="utf-8")
    text.write_text(report.text, encoding="utf-8")
    return html, text


def main(argv: Sequence[str] | None = None) -> int:
    cli = parser()
    args = cli.parse_args(argv)
    if not args.table:
        cli.error("no table: pass --table or set ANALYTICS_TABLE")
    try:
        options = load_report_options(os.environ)
    except ConfigurationError as exc:
        cli.error(str(exc))
    week_id = args.week or week_ending_before(datetime.now(tz=UTC))
    table = AnalyticsTable(boto3.client("dynamodb"), args.table, args.index)
    report = report_for_week(table, week_id, options)
    html, text = write_report(report, args.out)
    print(report.subject)
    print(f"wrote {html}")
    print(f"wrote {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
