"""``cv-analytics report preview``: a week's report rendered from the analytics table, not sent.

Delegates to the reporter's own code (same aggregation, same chevron templates as the email);
needs the base dependencies only (boto3, pydantic, chevron), never powertools.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from cv_analytics.cli import aws
from cv_analytics.cli.common import EXIT_OK, CommandError, add_command, add_group, week_id

ENV_WEEK_INDEX = "WEEK_INDEX_NAME"  # the reporter's variable


def preview(args: argparse.Namespace) -> int:
    from reporter.preview import write_report
    from reporter.repository import AnalyticsTable
    from reporter.service import report_for_week
    from reporter.settings import DEFAULT_WEEK_INDEX, ConfigurationError, load_report_options

    table_name = aws.required(args.analytics_table, "--analytics-table", aws.ENV_ANALYTICS_TABLE)
    try:
        options = load_report_options(os.environ)
    except ConfigurationError as exc:
        raise CommandError(str(exc)) from exc
    week_index = args.week_index or aws.environment(ENV_WEEK_INDEX) or DEFAULT_WEEK_INDEX
    table = AnalyticsTable(aws.client(args, "dynamodb"), table_name, week_index)
    report = report_for_week(table, args.week, options)
    html, text = write_report(report, Path(args.out))
    print(report.subject)
    print(f"wrote {html}")
    print(f"wrote {text}")
    return EXIT_OK


def register(subparsers: Any) -> None:
    commands = add_group(subparsers, "report", "weekly report tools")
    parser = add_command(
        commands,
        "preview",
        preview,
        "render a week's report (HTML and text) from the analytics table, without sending it",
        parents=[aws.connection_options()],
    )
    parser.add_argument("--week", type=week_id, required=True, help="ISO week, e.g. 2025-W46")
    aws.add_analytics_table(parser)
    parser.add_argument(
        "--week-index",
        default=None,
        help=f"the table's week index (default: ${ENV_WEEK_INDEX}, else the reporter's week-index)",
    )
    parser.add_argument("--out", default="out/preview", help="output folder (default: out/preview)")
