"""The deployment as data: its steps, in order, and the exact command lines each one runs.

    1 worker      terraform apply worker_infra            (queue, DLQ, producer policy)
    2 processor   terraform apply processor_infra         (tables, roles)
    3 reporter    terraform apply reporter_infra          (schedule off until the function exists)
    4 processor   outputs -> parameters, sam build, sam deploy  (skipped when already current)
    5 reporter    outputs -> parameters, sam build, sam deploy  (skipped when already current)
    6 schedule    terraform apply reporter_infra          (schedule on: the rule targets :live)
    7 export      terraform apply export_infra            (only with [export] enabled = true)

Every step is idempotent: Terraform converges, a stack already at the same release (its
``DeployHash``, which covers code, layer, template and every parameter) is left alone, and step 3
keeps the schedule on when the reporter's live alias already exists. So a failed run is resumed by
running the command again.

Nothing here runs anything: :mod:`.runner` executes the plan, or prints it (``--dry-run``).
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cv_analytics.deploy.settings import (
    SERVICE_WORKSPACE,
    SERVICES,
    Service,
    Settings,
    Workspace,
    terraform_value,
)
from cv_analytics.deploy.tools import Tools, display_path

# Where the SAM steps keep `terraform output -json` and the parameter files (gitignored build
# output; samconfig.toml reads .aws-sam/parameters/<service>.yaml).
OUTPUTS_DIR = Path(".aws-sam") / "outputs"
PARAMETERS_DIR = Path(".aws-sam") / "parameters"
SAM_PARAMETERS_SCRIPT = Path("scripts") / "sam_parameters.py"
LIVE_ALIAS = "live"
# Terraform's provider mirror on machines without registry access (TOOLING.md); emulator runs only.
PLUGIN_MIRROR = Path("/opt/tf-plugins")
# What an emulator does not implement, per workspace (cv_analytics.infra.terraform keeps the list).
EMULATOR_VARIABLES: dict[Workspace, dict[str, bool]] = {
    "worker_infra": {"restrict_dead_letter_sources": False},
    "processor_infra": {"deletion_protection": False},
    "reporter_infra": {},
    # moto is reached over plain HTTP (the TLS-only bucket policy would refuse it); a rehearsal's
    # bucket and workgroup go with it.
    "export_infra": {"force_destroy": True, "deny_insecure_transport": False},
}


@dataclass(frozen=True)
class Command:
    """One command line, run from the repository's root."""

    argv: tuple[str, ...]
    # Variables this command needs besides the plan's common ones (shown before it).
    environment: Mapping[str, str] = field(default_factory=dict)
    # `> FILE`: the command's standard output is written there.
    stdout_file: Path | None = None
    # Inherits the terminal (terraform apply asks for confirmation unless -auto-approve).
    interactive: bool = False

    def shell(self) -> str:
        """The command as a shell line, ready to paste."""
        parts = [f"{name}={shlex.quote(value)}" for name, value in self.environment.items()]
        parts.append(shlex.join(self.argv))
        if self.stdout_file is not None:
            parts.append(f"> {shlex.quote(str(self.stdout_file))}")
        return " ".join(parts)


@dataclass(frozen=True)
class Run:
    command: Command


@dataclass(frozen=True)
class CopyForEmulator:
    """Emulator rehearsal only: the module copied with local state and the emulator's switches."""

    workspace: Workspace
    destination: Path


@dataclass(frozen=True)
class SkipIfStackCurrent:
    """The rest of the step is skipped when the stack already runs this release."""

    service: Service
    stack_name: str
    parameters_file: Path


@dataclass(frozen=True)
class ApplyDependingOnAlias:
    """Step 3: the schedule can only target the reporter's live alias once SAM created it, so it
    stays on when the alias exists (a later run) and is off the very first time."""

    function_name: str
    alias: str
    when_live: Command
    otherwise: Command


Action = Run | CopyForEmulator | SkipIfStackCurrent | ApplyDependingOnAlias


@dataclass(frozen=True)
class Step:
    number: int
    name: str
    title: str
    actions: tuple[Action, ...]


@dataclass(frozen=True)
class Target:
    """Where the deployment goes: AWS with Terraform Cloud state, or (a rehearsal) an emulator
    with local state in ``state_dir``."""

    root: Path
    tools: Tools
    python: str = sys.executable
    auto_approve: bool = False
    profile: str | None = None
    emulator_endpoint: str | None = None
    state_dir: Path | None = None

    @property
    def emulated(self) -> bool:
        return self.emulator_endpoint is not None


@dataclass(frozen=True)
class Plan:
    settings: Settings
    target: Target
    # Set for every command: the region (explicitly: botocore reads no AWS_REGION), every
    # Terraform variable of deploy.toml (TF_VAR_*), the Terraform Cloud organization, the profile
    # or the emulator's endpoint.
    environment: Mapping[str, str]
    steps: tuple[Step, ...]


def _workspace_dir(target: Target, workspace: Workspace) -> Path:
    if target.state_dir is not None:
        return target.state_dir / workspace
    return Path(workspace)


def _terraform(target: Target, workspace: Workspace, *args: str) -> tuple[str, ...]:
    terraform = display_path(target.tools.terraform, target.root)
    return (terraform, f"-chdir={_workspace_dir(target, workspace)}", *args)


def _terraform_environment(
    settings: Settings, target: Target, workspace: Workspace
) -> dict[str, str]:
    if target.emulated:
        return {}  # local state: no Terraform Cloud workspace to select
    return {"TF_WORKSPACE": settings.workspace_name(workspace)}


def init_command(settings: Settings, target: Target, workspace: Workspace) -> Command:
    args = ["init", "-input=false", "-lockfile=readonly"]
    if target.emulated and PLUGIN_MIRROR.is_dir():
        args.append(f"-plugin-dir={PLUGIN_MIRROR}")
    return Command(
        _terraform(target, workspace, *args),
        _terraform_environment(settings, target, workspace),
    )


def apply_command(
    settings: Settings,
    target: Target,
    workspace: Workspace,
    *,
    schedule_enabled: bool | None = None,
) -> Command:
    # The settings' variables come from the plan's TF_VAR_* environment; on the command line only
    # what this step decides, and what an emulator cannot do.
    variables: dict[str, bool] = {}
    if schedule_enabled is not None:
        variables["schedule_enabled"] = schedule_enabled
    if target.emulated:
        variables.update(EMULATOR_VARIABLES[workspace])
    args = ["apply", "-input=false"]
    if target.auto_approve:
        args.append("-auto-approve")
    args += [f"-var={name}={terraform_value(value)}" for name, value in variables.items()]
    return Command(
        _terraform(target, workspace, *args),
        _terraform_environment(settings, target, workspace),
        interactive=not target.auto_approve,
    )


def outputs_file(workspace: Workspace) -> Path:
    return OUTPUTS_DIR / f"{workspace}.json"


def parameters_file(service: Service) -> Path:
    return PARAMETERS_DIR / f"{service}.yaml"


def output_command(settings: Settings, target: Target, workspace: Workspace) -> Command:
    return Command(
        _terraform(target, workspace, "output", "-json"),
        _terraform_environment(settings, target, workspace),
        stdout_file=outputs_file(workspace),
    )


def sam_parameters_command(target: Target, service: Service) -> Command:
    python = display_path(target.python, target.root)
    return Command((python, str(SAM_PARAMETERS_SCRIPT), service, "--outputs-dir", str(OUTPUTS_DIR)))


def sam_build_command(target: Target, service: Service) -> Command:
    return Command((display_path(target.tools.sam, target.root), "build", "--config-env", service))


def sam_deploy_arguments(settings: Settings, service: Service) -> tuple[str, ...]:
    """What `sam deploy` gets besides samconfig.toml's environment: the region and the stack
    name derived from the settings, never defaults (samconfig.toml names neither)."""
    stack = settings.stack_name(service)
    return (
        "deploy",
        "--config-env",
        service,
        "--region",
        settings.region,
        "--stack-name",
        stack,
        "--s3-prefix",
        stack,
        "--no-fail-on-empty-changeset",
    )


def sam_deploy_command(settings: Settings, target: Target, service: Service) -> Command:
    sam = display_path(target.tools.sam, target.root)
    profile = ("--profile", target.profile) if target.profile else ()
    return Command((sam, *sam_deploy_arguments(settings, service), *profile))


def common_environment(settings: Settings, target: Target) -> dict[str, str]:
    environment = {**settings.aws_environment(), **settings.terraform_environment()}
    if target.profile:
        environment["AWS_PROFILE"] = target.profile
    if target.emulated:
        assert target.emulator_endpoint is not None
        environment["AWS_ENDPOINT_URL"] = target.emulator_endpoint
        if PLUGIN_MIRROR.is_dir():
            # This machine's default CLI configuration points at a file that does not exist.
            environment["TF_CLI_CONFIG_FILE"] = os.devnull
    else:
        environment.update(settings.terraform_cloud_environment())
    return environment


def _terraform_step(
    number: int,
    name: str,
    title: str,
    settings: Settings,
    target: Target,
    workspace: Workspace,
    *apply: Action,
) -> Step:
    actions: list[Action] = []
    if target.emulated:
        actions.append(CopyForEmulator(workspace, _workspace_dir(target, workspace)))
    actions.append(Run(init_command(settings, target, workspace)))
    actions.extend(apply)
    return Step(number, name, title, tuple(actions))


def _stack_step(number: int, settings: Settings, target: Target, service: Service) -> Step:
    workspace = SERVICE_WORKSPACE[service]
    return Step(
        number,
        f"{service}-stack",
        f"SAM stack {settings.stack_name(service)}: {workspace} outputs -> parameters, build, deploy",
        (
            Run(output_command(settings, target, workspace)),
            Run(sam_parameters_command(target, service)),
            SkipIfStackCurrent(service, settings.stack_name(service), parameters_file(service)),
            Run(sam_build_command(target, service)),
            Run(sam_deploy_command(settings, target, service)),
        ),
    )


def build(settings: Settings, target: Target) -> Plan:
    """The six steps of a deployment (seven with the export path), with every command line
    they run."""
    reporter_function = f"{settings.name_prefix}-reporter"
    steps = (
        _terraform_step(
            1,
            "worker",
            "worker_infra: the events queue, its dead-letter queue, the chatbot's send policy",
            settings,
            target,
            "worker_infra",
            Run(apply_command(settings, target, "worker_infra")),
        ),
        _terraform_step(
            2,
            "processor",
            "processor_infra: the tables and the processor's roles (finds the queue by name)",
            settings,
            target,
            "processor_infra",
            Run(apply_command(settings, target, "processor_infra")),
        ),
        _terraform_step(
            3,
            "reporter",
            "reporter_infra: role, SES identities, alarms; the schedule stays off until the "
            f"function {reporter_function}:{LIVE_ALIAS} exists",
            settings,
            target,
            "reporter_infra",
            ApplyDependingOnAlias(
                reporter_function,
                LIVE_ALIAS,
                when_live=apply_command(settings, target, "reporter_infra", schedule_enabled=True),
                otherwise=apply_command(settings, target, "reporter_infra", schedule_enabled=False),
            ),
        ),
        *(
            _stack_step(4 + index, settings, target, service)
            for index, service in enumerate(SERVICES)
        ),
        Step(
            6,
            "schedule",
            f"reporter_infra again, schedule on: the weekly rule targets {reporter_function}:{LIVE_ALIAS}",
            (Run(apply_command(settings, target, "reporter_infra", schedule_enabled=True)),),
        ),
    )
    if settings.export.enabled:
        steps += (
            _terraform_step(
                7,
                "export",
                "export_infra: the table exported to S3 on a schedule, catalogued for Athena "
                "(optional: [export] enabled in deploy.toml)",
                settings,
                target,
                "export_infra",
                Run(apply_command(settings, target, "export_infra")),
            ),
        )
    return Plan(settings, target, common_environment(settings, target), steps)
