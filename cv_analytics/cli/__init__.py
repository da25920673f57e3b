"""``cv-analytics``: the operator command line (one entry point, ``--help`` on every command).

One module per command group, each owning its arguments and handlers and exposing
``register(subparsers) -> None``, which adds its sub-command(s) and sets each handler with
``set_defaults(func=...)``. :data:`COMMAND_GROUPS` lists them; to add a group (``deploy``, say),
write its module here and list its ``register``. A module loads only ``argparse`` and this
package at import; each handler imports what it needs when it runs. So ``--help`` is quick, and
the operator commands (``report``, ``dlq``, ``events``) run with the base dependencies only,
while the development commands (``demo``, ``stack``) say how to install the dev extra when it
is missing.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from cv_analytics.cli import cost, dashboard, demo, dlq, events, export, query, report, stack
from cv_analytics.cli.aws import ENVIRONMENT_HELP
from cv_analytics.cli.common import (
    EXIT_FAILED,
    EXIT_USAGE,
    CommandError,
    Handler,
    print_usage,
)
from cv_analytics.deploy import command as deploy
from cv_analytics.extras import ExtraMissingError

#: Every command group's ``register``, in the order ``--help`` lists them.
COMMAND_GROUPS: tuple[Callable[[Any], None], ...] = (
    demo.register,
    stack.register,
    report.register,
    dlq.register,
    events.register,
    deploy.register,
    export.register,
    query.register,
    dashboard.register,
    cost.register,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cv-analytics",
        description="Operate cv-analytics: run the demo, a local stack, report previews, "
        "the dead-letter queue and test events; export, query and chart the records; the monthly cost.",
        epilog=ENVIRONMENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(func=lambda _: print_usage(parser))
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    for register in COMMAND_GROUPS:
        register(commands)
    return parser


def _fail(message: str, code: int) -> NoReturn:
    print(f"cv-analytics: error: {message}", file=sys.stderr, flush=True)
    raise SystemExit(code)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.func
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return handler(args)
    except (CommandError, ExtraMissingError) as exc:
        _fail(str(exc), EXIT_USAGE)
    except (ClientError, BotoCoreError) as exc:
        _fail(f"AWS: {exc}", EXIT_FAILED)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
