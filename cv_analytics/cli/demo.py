"""``cv-analytics demo``: the whole pipeline on an embedded AWS emulator (development only)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cv_analytics.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    add_command,
    add_provisioner,
    positive,
    week_id,
)
from cv_analytics.dev import require_dev_extra

DESCRIPTION = """\
Start an embedded AWS emulator, provision the resources, simulate a realistic week of
chatbot traffic through the edge client, drain the queue through the processor (with
real redrive and dead-letter behaviour), expire orphaned responses, fire the reporter
with the weekly schedule's EventBridge event, save the email it sent, and check that
every event sent is accounted for. The week holds visitors' feedback, two prompt variants (one
clearly worse) and a failure spike on Wednesday afternoon; the demo checks that the report shows
them, and evaluates reporter_infra's quality alarms over the processor's metrics, period by
period: the answer-quality alarm must fire (its failure-rate term) during the spike only. A lighter history of the weeks
before (--history-weeks, two topics not asked yet) goes through the same pipeline first, so the
report compares the week with the last and lists the questions new this week; the demo checks
both against what was generated. Exits 1 if the balance does not
add up or a check fails (with fewer than about 225 questions some checks are "not judged").

Development only: needs the dev extra (pip install 'cv-analytics[dev]')."""
#: More earlier weeks than the report reads (4) only make the demo slower.
MAX_HISTORY_WEEKS = 8


def run(args: argparse.Namespace) -> int:
    require_dev_extra("cv-analytics demo")
    from cv_analytics.dev.demo import DemoOptions, run_demo

    options = DemoOptions(
        questions=args.questions,
        seed=args.seed,
        out_dir=Path(args.out),
        provisioner=args.provisioner,
        week=args.week,
        history_weeks=args.history_weeks,
    )
    result = run_demo(options)
    print(result.summary)
    return EXIT_OK if result.ok else EXIT_FAILED


def history_weeks(text: str) -> int:
    """An argument type: 0 to 8 earlier weeks."""
    value = int(text)
    if not 0 <= value <= MAX_HISTORY_WEEKS:
        raise argparse.ArgumentTypeError(f"must be 0 to {MAX_HISTORY_WEEKS}, got {value}")
    return value


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers,
        "demo",
        run,
        "run the whole pipeline on an embedded AWS emulator and write the weekly report email",
        description=DESCRIPTION,
    )
    parser.add_argument(
        "--questions", type=positive, default=300, help="questions to simulate (default: 300)"
    )
    parser.add_argument(
        "--seed", type=int, default=7, help="random seed, for a reproducible week (default: 7)"
    )
    parser.add_argument(
        "--out",
        default="out/demo",
        help="output folder for the email and the balance (default: out/demo)",
    )
    add_provisioner(parser)
    parser.add_argument(
        "--week",
        type=week_id,
        default=None,
        help="ISO week to simulate, e.g. 2025-W46 (default: the week that ended most recently)",
    )
    parser.add_argument(
        "--history-weeks",
        type=history_weeks,
        default=4,
        help="lighter weeks simulated before the week, each 25-40%% of its questions, for the "
        "report's comparison with last week and 'new this week' (default: 4; 0: none, faster)",
    )
