"""``cv-analytics dashboard``: weekly trends, top questions and a session explorer in one HTML file."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from cv_analytics.cli import aws
from cv_analytics.cli.common import EXIT_OK, CommandError, add_command, positive, say, week_id

DEFAULT_OUT = Path("out/dashboard/dashboard.html")

DESCRIPTION = """\
Write one self-contained HTML file (no CDN, no request: it opens offline) with the weekly trends
(questions, sessions, answer rate, no-match rate, p50/p95 processing time, tokens and LLM cost),
the top questions over time and a session explorer (find a session, read its questions and
answers in order). Every figure is computed by the weekly email's own aggregation.

The records come from the analytics table (whole records, through the week index), or with
--data from files `cv-analytics export` wrote. Token prices, for the cost, are the reporter's
variables (PRICE_PER_MILLION_INPUT_TOKENS, PRICE_PER_MILLION_OUTPUT_TOKENS, PRICE_CURRENCY).
Needs the data extra (pip install 'cv-analytics[data]')."""

EXAMPLES = """\
examples:
  cv-analytics dashboard --weeks 12                       # from the table ($CV_ANALYTICS_ANALYTICS_TABLE)
  cv-analytics dashboard --weeks 12 --data out/export     # from exported files
"""


def run(args: argparse.Namespace) -> int:
    from cv_analytics.data import require_data_extra

    require_data_extra("cv-analytics dashboard")
    from cv_analytics.data.dashboard import (
        build_dashboard,
        weeks_from_files,
        weeks_from_table,
        write_dashboard,
    )
    from cv_analytics.data.weeks import last_weeks
    from reporter.settings import ConfigurationError, load_report_options

    try:
        weeks = last_weeks(args.weeks, args.last)
        options = load_report_options(os.environ)
    except (ValueError, ConfigurationError) as exc:
        raise CommandError(str(exc)) from exc
    if args.data:
        from cv_analytics.data.duckdb_engine import DuckDbEngine, NoDataError

        try:
            engine = DuckDbEngine.over([Path(location) for location in args.data])
        except NoDataError as exc:
            raise CommandError(str(exc)) from exc
        source = weeks_from_files(engine, weeks)
    else:
        from cv_analytics.cli.export import dynamodb_client
        from cv_analytics.data.reader import WEEK_INDEX, TableReader

        table = aws.required(args.analytics_table, "--analytics-table", aws.ENV_ANALYTICS_TABLE)
        reader = TableReader(dynamodb_client(args), table, args.week_index or WEEK_INDEX)
        source = weeks_from_table(reader, weeks)
    say(f"reading {weeks[0]} to {weeks[-1]}")
    data = build_dashboard(weeks, source, options, answer_chars=args.answer_chars)
    out = Path(args.out)
    size = write_dashboard(out, data)
    print(
        f"wrote {out} ({size:,} bytes): {weeks[0]} to {weeks[-1]}, {data.questions:,} questions "
        f"in {len(data.sessions):,} sessions"
    )
    return EXIT_OK


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers,
        "dashboard",
        run,
        "write a self-contained HTML dashboard: weekly trends, top questions, session explorer",
        description=DESCRIPTION,
        epilog=EXAMPLES,
        parents=[aws.connection_options()],
    )
    parser.add_argument("--weeks", type=positive, default=12, help="weeks to show (default: 12)")
    parser.add_argument(
        "--to", dest="last", type=week_id, default=None,
        help="the last week shown (default: the week that ended most recently)",
    )  # fmt: skip
    parser.add_argument(
        "--data",
        action="append",
        metavar="PATH",
        help="read exported files or folders instead of the table (repeatable)",
    )
    aws.add_analytics_table(parser)
    parser.add_argument("--week-index", default=None, help="the table's week index")
    parser.add_argument(
        "--answer-chars",
        type=positive,
        default=280,
        help="characters of each answer kept for the session explorer (default: 280)",
    )
    parser.add_argument(
        "--out", default=str(DEFAULT_OUT), help=f"the file (default: {DEFAULT_OUT})"
    )
