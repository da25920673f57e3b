"""``cv-analytics export``: the records of a range of ISO weeks to Parquet, JSON Lines or CSV."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cv_analytics.cli import aws
from cv_analytics.cli.common import EXIT_FAILED, EXIT_OK, CommandError, add_command, say, week_id

ENV_WEEK_INDEX = "WEEK_INDEX_NAME"  # the reporter's variable, for the same index
DEFAULT_OUT_DIR = Path("out/export")

DESCRIPTION = """\
Export the analytics records of a range of ISO weeks from the analytics table: the keys are read
through the table's week index, page by page, and the whole records with BatchGetItem (100 at a
time, unprocessed keys retried with backoff), so memory stays bounded whatever the range. The
columns are the contract's record (see README: "Data out"); the file appears only when complete.

Works against real AWS and the local stack (`cv-analytics stack up` prints the variables).
Parquet needs the data extra (pip install 'cv-analytics[data]'); the progress bar (on standard
error, when it is a terminal) too."""

EXAMPLES = """\
examples:
  cv-analytics export --weeks 12                       # the 12 weeks up to the last complete one
  cv-analytics export --from 2026-W40 --to 2026-W47 --out out/export/autumn.parquet
  cv-analytics export --weeks 4 --format csv           # out/export/records-<first>_<last>.csv
"""


def choose_weeks(args: argparse.Namespace) -> list[str]:
    from cv_analytics.data.weeks import last_weeks, week_range

    try:
        if args.first is not None:
            if args.weeks is not None:
                raise CommandError("give --from (with --to) or --weeks, not both")
            return week_range(args.first, args.last or args.first)
        return last_weeks(args.weeks or 1, args.last)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc


def dynamodb_client(args: argparse.Namespace) -> Any:
    """A DynamoDB client whose throttled calls botocore retries (standard mode, 10 attempts)."""
    from botocore.config import Config

    config = Config(retries={"mode": "standard", "max_attempts": 10})
    return aws.session(args).client("dynamodb", endpoint_url=args.endpoint_url, config=config)


def run(args: argparse.Namespace) -> int:
    from cv_analytics.data import require_data_extra
    from cv_analytics.data.export import export_records
    from cv_analytics.data.progress import progress_for
    from cv_analytics.data.reader import WEEK_INDEX, ReadError, TableReader
    from cv_analytics.data.writers import format_of

    table = aws.required(args.analytics_table, "--analytics-table", aws.ENV_ANALYTICS_TABLE)
    weeks = choose_weeks(args)
    fmt = args.format
    if fmt is None:
        try:
            fmt = format_of(Path(args.out)) if args.out else "parquet"
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
    if fmt == "parquet":
        require_data_extra("cv-analytics export --format parquet", ["pyarrow"])
    show_progress = not args.no_progress
    if show_progress:
        from cv_analytics.data import missing_data_modules

        show_progress = not missing_data_modules(["rich"])
    reader = TableReader(
        dynamodb_client(args),
        table,
        args.week_index or aws.environment(ENV_WEEK_INDEX) or WEEK_INDEX,
        page_size=args.page_size,
    )
    out = Path(args.out) if args.out else _default_out(weeks, fmt)
    try:
        result = export_records(reader, weeks, out, fmt, progress_for(show_progress))
    except ReadError as exc:
        say(f"cv-analytics: export failed: {exc}")
        return EXIT_FAILED
    print(result.summary())
    return EXIT_OK if result.complete else EXIT_FAILED


def _default_out(weeks: list[str], fmt: str) -> Path:
    span = weeks[0] if len(weeks) == 1 else f"{weeks[0]}_{weeks[-1]}"
    return DEFAULT_OUT_DIR / f"records-{span}.{fmt}"


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers,
        "export",
        run,
        "export the records of a range of ISO weeks to Parquet, JSON Lines or CSV",
        description=DESCRIPTION,
        epilog=EXAMPLES,
        parents=[aws.connection_options()],
    )
    weeks = parser.add_argument_group("weeks (default: the last complete week)")
    weeks.add_argument("--from", dest="first", type=week_id, help="first ISO week, e.g. 2026-W40")
    weeks.add_argument(
        "--to", dest="last", type=week_id, help="last ISO week (default: --from, or the last "
        "complete week with --weeks)",
    )  # fmt: skip
    weeks.add_argument("--weeks", type=int, help="this many weeks, ending with --to")
    parser.add_argument(
        "--format",
        choices=("parquet", "jsonl", "csv"),
        default=None,
        help="file format (default: from --out's name, else parquet)",
    )
    parser.add_argument(
        "--out",
        default=None,
        help=f"file to write (default: {DEFAULT_OUT_DIR}/records-<first>_<last>.<format>)",
    )
    aws.add_analytics_table(parser)
    parser.add_argument(
        "--week-index",
        default=None,
        help=f"the table's week index (default: ${ENV_WEEK_INDEX}, else week-index)",
    )
    parser.add_argument(
        "--page-size", type=int, default=None, help="keys per index page (default: DynamoDB's 1 MB)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
