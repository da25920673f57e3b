"""``cv-analytics query``: SQL over the exported records, on DuckDB (default) or Athena."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from cv_analytics.cli import aws
from cv_analytics.cli.common import EXIT_FAILED, EXIT_OK, CommandError, add_command, say

ENV_ATHENA_WORKGROUP = "CV_ANALYTICS_ATHENA_WORKGROUP"
ENV_ATHENA_DATABASE = "CV_ANALYTICS_ATHENA_DATABASE"
DEFAULT_DATA = Path("out/export")

DESCRIPTION = """\
Run SQL over the analytics records. The records are the relation `records`, with the columns of
`cv-analytics export` (README: "Data out").

  --engine duckdb (default): on this machine, over the files `cv-analytics export` wrote
      (--data: files or folders; default out/export). Needs the data extra.
  --engine athena: on Amazon Athena, over the table's scheduled export to S3 (export_infra),
      in its workgroup. Base dependencies only.

Named queries (--list shows them) are shipped with the package and saved in the Athena
workgroup too; the same SQL runs on both engines."""

EXAMPLES = """\
examples:
  cv-analytics query --list
  cv-analytics query --named weekly-trend
  cv-analytics query "SELECT status, count(*) AS n FROM records GROUP BY status" --format csv
  cv-analytics query --named gaps --engine athena     # workgroup and database from export_infra
"""


def _sql(args: argparse.Namespace) -> str:
    from cv_analytics.data.queries import named_queries

    if args.named and args.sql:
        raise CommandError("give SQL or --named NAME, not both")
    if args.named:
        queries = named_queries()
        if args.named not in queries:
            raise CommandError(
                f"no named query {args.named!r} (named queries: {', '.join(queries)})"
            )
        return queries[args.named].sql
    if not args.sql or not args.sql.strip():
        raise CommandError(
            'give the SQL to run ("SELECT ... FROM records"), --named NAME or --list'
        )
    return str(args.sql)


def _duckdb(args: argparse.Namespace) -> Any:
    from cv_analytics.data import require_data_extra

    require_data_extra("cv-analytics query (DuckDB engine)", ["duckdb"])
    from cv_analytics.data.duckdb_engine import DuckDbEngine, NoDataError

    try:
        return DuckDbEngine.over([Path(location) for location in args.data or [DEFAULT_DATA]])
    except NoDataError as exc:
        raise CommandError(str(exc)) from exc


def _athena(args: argparse.Namespace) -> Any:
    from cv_analytics.data.athena import AthenaEngine

    workgroup = aws.required(args.workgroup, "--workgroup", ENV_ATHENA_WORKGROUP)
    database = aws.required(args.database, "--database", ENV_ATHENA_DATABASE)
    return AthenaEngine(
        aws.client(args, "athena"), workgroup, database, timeout_seconds=args.timeout
    )


def run(args: argparse.Namespace) -> int:
    if args.list:
        from cv_analytics.data.queries import describe_named_queries

        print(describe_named_queries())
        return EXIT_OK
    sql = _sql(args)
    if args.format == "table":
        from cv_analytics.data import require_data_extra

        require_data_extra("cv-analytics query --format table", ["rich"])
    engine = _athena(args) if args.engine == "athena" else _duckdb(args)
    from cv_analytics.data.results import QueryFailedError, print_result

    try:
        result = engine.run(sql)
    except QueryFailedError as exc:
        say(f"cv-analytics: {exc}")
        return EXIT_FAILED
    print_result(result, args.format, sys.stdout)
    if result.details and result.details.get("data_scanned_bytes") is not None:
        say(f"Athena scanned {result.details['data_scanned_bytes']:,} bytes")
    return EXIT_OK


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers,
        "query",
        run,
        "run SQL (or a named query) over the exported records, on DuckDB or Athena",
        description=DESCRIPTION,
        epilog=EXAMPLES,
        parents=[aws.connection_options()],
    )
    parser.add_argument("sql", nargs="?", help='the SQL, e.g. "SELECT count(*) FROM records"')
    parser.add_argument("--named", metavar="NAME", help="run a named query instead (see --list)")
    parser.add_argument("--list", action="store_true", help="list the named queries and exit")
    parser.add_argument(
        "--engine", choices=("duckdb", "athena"), default="duckdb", help="(default: duckdb)"
    )
    parser.add_argument(
        "--format", choices=("table", "csv", "json"), default="table", help="(default: table)"
    )
    parser.add_argument(
        "--data",
        action="append",
        metavar="PATH",
        help=f"DuckDB: exported files or folders, repeatable (default: {DEFAULT_DATA})",
    )
    parser.add_argument(
        "--workgroup",
        default=aws.environment(ENV_ATHENA_WORKGROUP),
        help=f"Athena: the workgroup (default: ${ENV_ATHENA_WORKGROUP}; export_infra's output "
        "athena_workgroup)",
    )
    parser.add_argument(
        "--database",
        default=aws.environment(ENV_ATHENA_DATABASE),
        help=f"Athena: the Glue database (default: ${ENV_ATHENA_DATABASE}; export_infra's "
        "output glue_database)",
    )
    parser.add_argument(
        "--timeout", type=float, default=300.0, help="Athena: seconds before the query is stopped"
    )
