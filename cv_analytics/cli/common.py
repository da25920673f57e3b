"""What every command group shares: exit codes, the operator's error, sub-command helpers and
argument types. Loads nothing heavy: ``--help`` stays fast and needs the base dependencies only."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from cv_analytics.dev import PROVISIONER_CHOICES

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

Handler = Callable[[argparse.Namespace], int]


class CommandError(Exception):
    """A problem the operator can fix (a missing option, no region); exits 2 with the message."""


def say(message: str) -> None:
    """A progress or status line, on standard error (standard output carries the results)."""
    print(message, file=sys.stderr, flush=True)


def add_command(
    subparsers: Any, name: str, handler: Handler, help_text: str, **kwargs: Any
) -> argparse.ArgumentParser:
    """Add the sub-command ``name`` that runs ``handler``; ``description`` defaults to the help."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name,
        help=help_text,
        description=kwargs.pop("description", help_text),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        **kwargs,
    )
    parser.set_defaults(func=handler)
    return parser


def add_group(subparsers: Any, name: str, help_text: str) -> Any:
    """Add the command group ``name`` (which prints its usage when run alone); returns the
    sub-parsers its commands are added to."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name, help=help_text, description=help_text
    )
    parser.set_defaults(func=lambda _: print_usage(parser))
    return parser.add_subparsers(title="commands", metavar="COMMAND")


def print_usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def add_provisioner(parser: argparse.ArgumentParser) -> None:
    """``--provisioner`` of the development commands (``demo``, ``stack up``)."""
    parser.add_argument(
        "--provisioner",
        choices=PROVISIONER_CHOICES,
        default="auto",
        help="create the resources with the Terraform workspaces or with boto3; auto: "
        "terraform when it is installed (default: auto)",
    )


def positive(text: str) -> int:
    """An argument type: an integer of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def week_id(text: str) -> str:
    """An argument type: an ISO week such as ``2025-W46``."""
    from analytics_contract.weeks import parse_week_id

    try:
        parse_week_id(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return text


def score(text: str) -> float:
    """An argument type: a match score between 0 and 100."""
    value = float(text)
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"must be between 0 and 100, got {value}")
    return value
