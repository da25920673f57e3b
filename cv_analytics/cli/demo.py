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
period: the failure-rate alarm must fire during the spike only. Exits 1 if the balance does not
add up or a check fails (with fewer than about 225 questions some checks are "not judged").

Development only: needs the dev extra (pip install 'cv-analytics[dev]')."""


def run(args: argparse.Namespace) -> int:
    require_dev_extra("cv-analytics demo")
    from cv_analytics.dev.demo import DemoOptions, run_demo

    options = DemoOptions(
        questions=args.questions,
        seed=args.seed,
        out_dir=Path(args.out),
        provisioner=args.provisioner,
        week=args.week,
    )
    result = run_demo(options)
    print(result.summary)
    return EXIT_OK if result.ok else EXIT_FAILED


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
