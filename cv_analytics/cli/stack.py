"""``cv-analytics stack up``: a local stack to try things against (development only)."""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cv_analytics.cli.common import EXIT_OK, add_command, add_group, add_provisioner, say
from cv_analytics.dev import require_dev_extra

if TYPE_CHECKING:
    from cv_analytics.dev.stack import LocalStack

DESCRIPTION = """\
Start a local stack: moto's server on 127.0.0.1 with the pipeline's resources (from the
Terraform workspaces, or boto3), the processor on its queue and the TTL expiry running in
this process. Prints the endpoint, the names and the variables to export, and keeps running
until Ctrl-C (everything in the emulator is lost then).

Development only: needs the dev extra (pip install 'cv-analytics[dev]')."""


def describe(stack: LocalStack, args: argparse.Namespace) -> str:
    resources = stack.resources
    lines = [
        f"Local stack running (provisioned with {resources.provisioner}).",
        "",
        f"  endpoint             {stack.aws.endpoint_url}   (region {stack.aws.region})",
        f"  events queue         {resources.queue_url}",
        f"  dead-letter queue    {resources.dead_letter_queue_url}",
        f"  analytics table      {resources.analytics_table}",
        f"  interim table        {resources.interim_table}",
        f"  report sender (SES)  {resources.sender}  (verified)",
    ]
    if resources.schedule_rule_arn:
        lines.append(
            f"  weekly schedule      {resources.schedule_rule_arn} -> {resources.schedule_target_arn}"
        )
    if args.no_functions:
        lines.append(
            "  functions            not running (--no-functions): nothing consumes the queue"
        )
    else:
        lines.append(
            "  functions            processor.app on the queue, processor.expiry_app on TTL "
            f"(logs: {args.lambda_logs})"
        )
    lines += [
        "",
        "Export these in another shell to use it (cv-analytics, boto3, the AWS CLI, Terraform):",
        "",
        *stack.export_lines(),
        "",
        "Press Ctrl-C to stop (everything in the emulator is lost).",
    ]
    return "\n".join(lines)


def up(args: argparse.Namespace) -> int:
    require_dev_extra("cv-analytics stack up")
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        return _serve(args, stop)  # signals reach the main thread only
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        return _serve(args, stop)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _serve(args: argparse.Namespace, stop: threading.Event) -> int:
    from cv_analytics.dev.lambdas import local_functions
    from cv_analytics.dev.stack import local_stack

    with local_stack(
        prefix=args.prefix,
        provisioner=args.provisioner,
        port=args.port,
        workdir=Path(args.workdir) if args.workdir else None,
        log=say,
    ) as stack:
        print(describe(stack, args), flush=True)
        if args.env_file:
            Path(args.env_file).write_text("\n".join(stack.export_lines()) + "\n", "utf-8")
            say(f"wrote {args.env_file} (source it to use the stack)")
        logs = None if args.no_functions else Path(args.lambda_logs)
        with local_functions(stack, logs) as functions:
            try:
                if args.stop_after is not None:
                    stop.wait(args.stop_after)
                else:
                    while not stop.wait(3600):
                        pass
            except KeyboardInterrupt:
                pass
        if functions is not None:
            say(functions.summary())
        say("stopping the local stack")
    return EXIT_OK


def register(subparsers: Any) -> None:
    commands = add_group(
        subparsers, "stack", "run a local stack (embedded AWS emulator with the resources)"
    )
    parser = add_command(
        commands,
        "up",
        up,
        "start a local stack, print its endpoint, names and env vars, and keep it running until Ctrl-C",
        description=DESCRIPTION,
    )
    parser.add_argument(
        "--port", type=int, default=None, help="emulator port on 127.0.0.1 (default: a free port)"
    )
    parser.add_argument(
        "--prefix", default="cv-analytics", help="resource name prefix (default: cv-analytics)"
    )
    add_provisioner(parser)
    parser.add_argument(
        "--workdir",
        default=None,
        help="keep the Terraform working copies and state here (default: a temporary folder)",
    )
    parser.add_argument("--env-file", default=None, help="also write the export lines to this file")
    parser.add_argument(
        "--no-functions",
        action="store_true",
        help="do not run the processor on the queue (resources only)",
    )
    parser.add_argument(
        "--lambda-logs",
        default="out/stack/lambda-logs.jsonl",
        help="where the functions' logs go (default: out/stack/lambda-logs.jsonl)",
    )
    parser.add_argument("--stop-after", type=float, default=None, help=argparse.SUPPRESS)
