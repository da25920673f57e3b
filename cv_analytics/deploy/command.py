"""``cv-analytics deploy``: argparse wiring of the deployment (:func:`register`).

Only argparse and the standard library at import (building the parser stays quick and loads no
AWS SDK); the handler imports the deployment when it runs.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cv_analytics.deploy import SETTINGS_FILE
from cv_analytics.deploy.tools import SAM_ENVIRONMENT_VARIABLE

if TYPE_CHECKING:
    from cv_analytics.deploy import checks
    from cv_analytics.deploy import plan as deploy_plan
    from cv_analytics.deploy.runner import Runner
    from cv_analytics.deploy.tools import Tools

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

DESCRIPTION = """\
Deploy cv-analytics to AWS, first time or any time after, in one idempotent command:

  1 worker_infra      terraform apply (the events queue, its DLQ, the chatbot's send policy)
  2 processor_infra   terraform apply (tables, roles)
  3 reporter_infra    terraform apply, schedule off until the reporter function exists
  4 processor stack   Terraform outputs -> SAM parameters, sam build, sam deploy
  5 reporter stack    the same (a stack already at this release is skipped)
  6 reporter_infra    terraform apply, schedule on

Every setting comes from deploy.toml (prefix, region, Terraform Cloud organization and
workspaces, sender, recipients, alert email, prices). Prerequisites are checked first and the
first problem stops the run with what to do. If a step fails, fix it and run the command again:
it resumes (Terraform converges, current stacks are skipped).
"""


def register(subparsers: Any) -> None:
    """Add the ``deploy`` command to ``subparsers`` (an argparse sub-parsers action)."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "deploy",
        help="deploy to AWS in one command: the three workspaces and both SAM stacks, in order",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--settings",
        type=Path,
        default=Path(SETTINGS_FILE),
        help=f"the settings file, at the repository's root (default: {SETTINGS_FILE})",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print every command it would run (with your settings), check and change nothing",
    )
    parser.add_argument(
        "--check", action="store_true", help="check the prerequisites only, change nothing"
    )
    parser.add_argument(
        "--auto-approve",
        action="store_true",
        help="apply without terraform's confirmation prompts (default: each apply shows its plan "
        "and asks)",
    )
    parser.add_argument(
        "--profile", default=None, help="AWS profile (default: the usual credential chain)"
    )
    parser.add_argument(
        "--terraform", default=None, help="the terraform executable (default: terraform on PATH)"
    )
    parser.add_argument(
        "--sam",
        default=None,
        help=f"the SAM CLI (default: ${SAM_ENVIRONMENT_VARIABLE}, else .tools/sam/bin/sam, "
        "else sam on PATH); it pins its own boto3, so it usually has a virtual environment of its own",
    )
    rehearsal = parser.add_argument_group(
        "rehearsal against an AWS emulator (tests): local Terraform state, no Terraform Cloud"
    )
    rehearsal.add_argument(
        "--emulator", metavar="ENDPOINT_URL", default=None, help=argparse.SUPPRESS
    )
    rehearsal.add_argument("--state-dir", type=Path, default=None, help=argparse.SUPPRESS)
    parser.set_defaults(func=run)


def _tools(args: argparse.Namespace, root: Path, *, required: bool) -> Tools:
    from cv_analytics.deploy.tools import ToolNotFoundError, Tools, find_tools

    try:
        return find_tools(terraform=args.terraform, sam=args.sam, environ=os.environ, root=root)
    except ToolNotFoundError:
        if required:
            raise
        # A dry run prints the plan even before the tools are installed.
        return Tools(terraform=args.terraform or "terraform", sam=args.sam or "sam")


def run(args: argparse.Namespace) -> int:
    """The command's handler: exit 0 when deployed (or printed/checked), 1 on a failure, 2 on a
    settings or usage problem."""
    from cv_analytics.deploy import checks
    from cv_analytics.deploy import plan as deploy_plan
    from cv_analytics.deploy.runner import DeployError, Runner
    from cv_analytics.deploy.settings import SettingsError, load
    from cv_analytics.deploy.tools import ToolNotFoundError

    settings_path: Path = args.settings.resolve()
    root = settings_path.parent
    try:
        settings = load(settings_path)
    except SettingsError as exc:
        print(f"cv-analytics deploy: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if (args.emulator is None) != (args.state_dir is None):
        print("cv-analytics deploy: --emulator and --state-dir go together", file=sys.stderr)
        return EXIT_USAGE
    try:
        tools = _tools(args, root, required=not args.dry_run)
    except ToolNotFoundError as exc:
        print(f"cv-analytics deploy: {exc}", file=sys.stderr)
        return EXIT_FAILED
    target = deploy_plan.Target(
        root=root,
        tools=tools,
        auto_approve=args.auto_approve,
        profile=args.profile,
        emulator_endpoint=args.emulator,
        state_dir=args.state_dir.resolve() if args.state_dir else None,
    )
    runner = Runner(deploy_plan.build(settings, target), copy_for_emulator=_copier(root))
    if args.dry_run:
        runner.print_plan()
        return EXIT_OK
    context = checks.Context(settings=settings, target=target, environ=os.environ, home=Path.home())
    try:
        outcomes = runner.check(context)
        if args.check:
            return EXIT_OK
        runner.run()
    except DeployError as exc:
        print(f"cv-analytics deploy: {exc}", file=sys.stderr)
        return EXIT_FAILED
    _after(runner, outcomes)
    return EXIT_OK


def _copier(root: Path) -> Any:
    def copy(action: deploy_plan.CopyForEmulator) -> None:
        from cv_analytics.infra import terraform as tf  # rehearsals only: not at load

        tf.prepare(root / action.workspace, action.destination, emulator=True)

    return copy


def _after(runner: Runner, outcomes: list[checks.Outcome]) -> None:
    from cv_analytics.deploy import plan as deploy_plan

    ses = next((outcome.detail for outcome in outcomes if outcome.name == "SES"), "")
    output = deploy_plan.output_command(runner.plan.settings, runner.plan.target, "worker_infra")
    runner.say(
        f"Next: give the chatbot the worker's outputs (`{output.shell()}`): queue_url is the edge "
        "client's CV_ANALYTICS_QUEUE_URL, producer_policy_arn goes on the chatbot's role."
    )
    if "to verify" in ses:
        runner.say(
            "SES: AWS emailed a verification link to each new identity; the weekly report goes "
            "out once they are clicked."
        )
