"""deploy.toml for the GitHub workflows: the same settings, the same derivations as
``cv-analytics deploy``.

    python -m cv_analytics.deploy.ci github-env [--workspace W | --service S] >> "$GITHUB_ENV"
    eval "$(python -m cv_analytics.deploy.ci github-env --workspace W --format shell)"
    python -m cv_analytics.deploy.ci needs-deploy --service S
    python -m cv_analytics.deploy.ci deployed --workspace W

``github-env`` prints ``NAME=value`` lines: the region (``AWS_REGION`` and ``AWS_DEFAULT_REGION``:
botocore reads only the latter), every Terraform variable as ``TF_VAR_*``, the Terraform Cloud
organization and, for a workspace or a service, ``TF_WORKSPACE`` (and the service's
``STACK_NAME``). A missing or invalid setting fails it, naming the setting: the job stops at its
first step. ``--format shell`` prints quoted ``export`` lines instead, for a job that goes through
several workspaces in turn. ``needs-deploy`` prints ``true`` unless the stack already runs the
release in ``.aws-sam/parameters/<service>.yaml`` (its ``DeployHash``). ``deployed`` prints
``true`` when the workspace is part of this deployment (export_infra only with ``[export]
enabled = true``), so a workflow's leg for an optional workspace does nothing otherwise.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import boto3

from cv_analytics.deploy import SETTINGS_FILE, stacks
from cv_analytics.deploy.plan import parameters_file
from cv_analytics.deploy.settings import (
    SERVICE_WORKSPACE,
    SERVICES,
    WORKSPACES,
    Service,
    Settings,
    SettingsError,
    Workspace,
    load,
)


def github_environment(
    settings: Settings, *, workspace: Workspace | None = None, service: Service | None = None
) -> dict[str, str]:
    if service is not None:
        workspace = SERVICE_WORKSPACE[service]
    environment = {
        **settings.aws_environment(),
        **settings.terraform_environment(),
        **settings.terraform_cloud_environment(workspace),
    }
    if service is not None:
        environment["STACK_NAME"] = settings.stack_name(service)
    return environment


def shell_lines(environment: Mapping[str, str]) -> str:
    """``export NAME='value'`` lines, quoted for ``eval``."""
    return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in environment.items())


def env_lines(environment: Mapping[str, str]) -> str:
    """``$GITHUB_ENV`` lines; a value with a line break would inject variables, so none may."""
    for name, value in environment.items():
        if "\n" in value or "\r" in value:
            raise SettingsError(f"{name}: a value with a line break cannot be exported")
    return "".join(f"{name}={value}\n" for name, value in environment.items())


def _cloudformation(settings: Settings) -> Any:
    return boto3.session.Session(region_name=settings.region).client(
        "cloudformation", region_name=settings.region
    )


def needs_deploy(
    settings: Settings, service: Service, parameters: Path, cloudformation: Any
) -> bool:
    wanted = stacks.read_parameters(parameters)
    deployed = stacks.deployed_parameters(cloudformation, settings.stack_name(service))
    return not stacks.is_current(deployed, wanted)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cv_analytics.deploy.ci", description=__doc__)
    parser.add_argument("--settings", type=Path, default=Path(SETTINGS_FILE))
    commands = parser.add_subparsers(dest="command", required=True)
    env = commands.add_parser("github-env", help="NAME=value lines for $GITHUB_ENV")
    scope = env.add_mutually_exclusive_group()
    scope.add_argument("--workspace", choices=WORKSPACES)
    scope.add_argument("--service", choices=SERVICES)
    env.add_argument("--format", choices=("github", "shell"), default="github")
    deploy = commands.add_parser("needs-deploy", help="true when the stack runs another release")
    deploy.add_argument("--service", choices=SERVICES, required=True)
    deploy.add_argument("--parameters", type=Path, default=None)
    deployed = commands.add_parser("deployed", help="true when the workspace is deployed")
    deployed.add_argument("--workspace", choices=WORKSPACES, required=True)
    args = parser.parse_args(argv)
    try:
        settings = load(args.settings)
        if args.command == "deployed":
            sys.stdout.write("true\n" if args.workspace in settings.workspaces else "false\n")
            return 0
        if args.command == "github-env":
            environment = github_environment(
                settings, workspace=args.workspace, service=args.service
            )
            write = shell_lines if args.format == "shell" else env_lines
            sys.stdout.write(write(environment))
            return 0
        path = args.parameters or args.settings.parent / parameters_file(args.service)
        wanted = needs_deploy(settings, args.service, path, _cloudformation(settings))
    except SettingsError as exc:
        print(f"deploy settings: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write("true\n" if wanted else "false\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
