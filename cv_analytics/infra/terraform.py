"""Init, apply, read outputs of and destroy one Terraform root module against a chosen endpoint.

The modules keep their production backend (an HCP Terraform ``cloud {}`` block) untouched: every
run here works on a copy of the module in a work directory, next to a generated
``backend_override.tf`` that swaps in local state and a ``provider_override.tf`` that turns on the
provider's ``skip_*`` switches an emulator needs. Terraform merges ``*_override.tf`` files over the
module, so switching between remote and local state, or between AWS and an emulator, never needs a
file edit, and the production configuration carries no emulator switch at all. The module's
committed ``.terraform.lock.hcl`` is copied too (``init`` runs with ``-lockfile=readonly``), and
so are the shared modules beside it (``infra_modules/``, referenced as ``../infra_modules/...``).

Used by ``tests/infra`` (against a moto server), by the local demo and by the emulator rehearsal of
``cv-analytics deploy``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKER_MODULE = REPO_ROOT / "worker_infra"
PROCESSOR_MODULE = REPO_ROOT / "processor_infra"
REPORTER_MODULE = REPO_ROOT / "reporter_infra"
EXPORT_MODULE = REPO_ROOT / "export_infra"
MODULES = {
    "worker": WORKER_MODULE,
    "processor": PROCESSOR_MODULE,
    "reporter": REPORTER_MODULE,
    "export": EXPORT_MODULE,
}
DEPLOY_ROLE_MODULE = REPO_ROOT / "deploy_role"
# Modules the roots share (``source = "../infra_modules/<name>"``): copied beside a work directory.
SHARED_MODULES_DIR = "infra_modules"
LOCK_FILE = ".terraform.lock.hcl"

# A read-only provider mirror (hashicorp/aws only) on machines without registry access.
PLUGIN_MIRROR = Path("/opt/tf-plugins")
BACKEND_OVERRIDE_FILE = "backend_override.tf"
BACKEND_OVERRIDE = 'terraform {\n  backend "local" {}\n}\n'
PROVIDER_OVERRIDE_FILE = "provider_override.tf"
# What an emulator (moto) needs and AWS must never get: no STS credential check, no account-id
# look-up, no instance-metadata credentials. Merged over the module's own provider block.
PROVIDER_OVERRIDE = (
    'provider "aws" {\n'
    "  skip_credentials_validation = true\n"
    "  skip_requesting_account_id  = true\n"
    "  skip_metadata_api_check     = true\n"
    "}\n"
)
# The provider builds an Athena workgroup's ARN from the account id (without it, moto cannot find
# the workgroup's tags): ``export_infra`` asks the emulator's STS for it.
_PROVIDER_OVERRIDES = {
    "export": PROVIDER_OVERRIDE.replace(
        "skip_requesting_account_id  = true", "skip_requesting_account_id  = false"
    ),
}
VARIABLES_FILE = "cv_analytics.tfvars.json"

# Settings that would send a local run to production state; they are dropped from its environment.
_REMOTE_STATE_ENVIRONMENT = ("TF_WORKSPACE", "TF_CLOUD_ORGANIZATION", "TF_CLOUD_PROJECT")
# Not copied into a work directory: earlier runs' state, caches and lock file, local overrides.
_NOT_COPIED = (
    ".terraform",
    "*.tfstate",
    "*.tfstate.*",
    "*.tfplan",
    "*_override.tf",
    "*_override.tf.json",
    "*.md",
)


class TerraformError(RuntimeError):
    """A terraform command failed; the message carries its output."""


def terraform_binary() -> str | None:
    """Path of the terraform executable, or None when it is not installed."""
    return shutil.which("terraform")


# Per-module settings for a local emulator (moto): what it does not implement is left out, and a
# local stack must be removable.
_EMULATOR_MODULE_VARIABLES: dict[str, dict[str, Any]] = {
    # moto 5.2 does not store RedriveAllowPolicy: the provider would wait for it forever.
    "worker": {"restrict_dead_letter_sources": False},
    "processor": {"deletion_protection": False},
    "reporter": {},
    # The bucket and workgroup of a local stack go with it; moto is reached over plain HTTP and
    # enforces the TLS-only bucket policy.
    "export": {"force_destroy": True, "deny_insecure_transport": False},
}


def emulator_variables(service: str) -> dict[str, Any]:
    """Variables for applying ``service`` (worker|processor|reporter|export) to an AWS emulator: what it
    does not implement left out, resources left removable. (The provider's own switches are in
    the work directory's ``provider_override.tf``.)"""
    return dict(_EMULATOR_MODULE_VARIABLES[service])


@dataclass(frozen=True)
class Workspace:
    """One root module, copied to ``work_dir`` and run with local state.

    ``environment`` is added to the process environment of every command: for an emulator, the
    variables of ``LocalAws.environment()`` (endpoint, region, fake credentials).
    """

    module_dir: Path
    work_dir: Path
    environment: Mapping[str, str] = field(default_factory=dict)

    @property
    def state_file(self) -> Path:
        return self.work_dir / "terraform.tfstate"

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``terraform <args>`` in the work directory."""
        return run_terraform(
            list(args), cwd=self.work_dir, environment=self.environment, check=check
        )


def run_terraform(
    args: list[str],
    *,
    cwd: Path,
    environment: Mapping[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    binary = terraform_binary()
    if binary is None:
        raise TerraformError("terraform is not installed (not on PATH)")
    env = {key: value for key, value in os.environ.items() if key not in _REMOTE_STATE_ENVIRONMENT}
    env.update({"TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1"})
    if PLUGIN_MIRROR.is_dir():
        # The machine's default CLI configuration may point at a file that does not exist.
        env["TF_CLI_CONFIG_FILE"] = os.devnull
    env.update(environment or {})
    completed = subprocess.run(  # noqa: S603 - fixed executable, arguments built here
        [binary, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if check and completed.returncode != 0:
        raise TerraformError(
            f"terraform {' '.join(args)} failed in {cwd} (exit {completed.returncode}):\n"
            f"{completed.stdout[-4000:]}\n{completed.stderr[-4000:]}"
        )
    return completed


def prepare(
    module_dir: Path,
    work_dir: Path,
    environment: Mapping[str, str] | None = None,
    *,
    emulator: bool = True,
) -> Workspace:
    """Copy the module's configuration into ``work_dir`` and force local state there; with
    ``emulator``, also the provider switches an AWS emulator needs.

    The committed lock file and the shared modules beside the module (``../infra_modules``) come
    along. Left behind: whatever a run in the module itself produced (``.terraform``, state) and a
    developer's own ``*_override.tf`` files.
    """
    ignore = shutil.ignore_patterns(*_NOT_COPIED)
    shutil.copytree(module_dir, work_dir, ignore=ignore, dirs_exist_ok=True)
    shared = module_dir.parent / SHARED_MODULES_DIR
    if shared.is_dir():
        shutil.copytree(
            shared, work_dir.parent / SHARED_MODULES_DIR, ignore=ignore, dirs_exist_ok=True
        )
    (work_dir / BACKEND_OVERRIDE_FILE).write_text(BACKEND_OVERRIDE, encoding="utf-8")
    if emulator:
        # By folder name: a rehearsal may run from another checkout than this one.
        service = next((name for name, path in MODULES.items() if path.name == module_dir.name), "")
        override = _PROVIDER_OVERRIDES.get(service, PROVIDER_OVERRIDE)
        (work_dir / PROVIDER_OVERRIDE_FILE).write_text(override, encoding="utf-8")
    return Workspace(module_dir=module_dir, work_dir=work_dir, environment=dict(environment or {}))


def local_workspace(
    service: str, work_root: Path, environment: Mapping[str, str] | None = None
) -> Workspace:
    """The ``service`` module (worker|processor|reporter|export) prepared in ``work_root/<service>``."""
    return prepare(MODULES[service], work_root / service, environment)


def init_arguments(work_dir: Path) -> list[str]:
    """``terraform init`` arguments: the committed lock file read-only (a provider that does not
    match it fails the init instead of being recorded), the provider mirror when there is one."""
    args = ["init", "-input=false", "-no-color"]
    if (work_dir / LOCK_FILE).is_file():
        args.append("-lockfile=readonly")
    if PLUGIN_MIRROR.is_dir():
        args.append(f"-plugin-dir={PLUGIN_MIRROR}")
    return args


def init(workspace: Workspace) -> None:
    """``terraform init`` with local state (see :func:`init_arguments`)."""
    workspace.run(*init_arguments(workspace.work_dir))


def _write_variables(workspace: Workspace, variables: Mapping[str, Any]) -> Path:
    path = workspace.work_dir / VARIABLES_FILE
    path.write_text(json.dumps(dict(variables), indent=2, sort_keys=True), encoding="utf-8")
    return path


def apply(workspace: Workspace, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``terraform apply`` with ``variables``; returns the outputs."""
    var_file = _write_variables(workspace, variables or {})
    workspace.run("apply", "-auto-approve", "-input=false", "-no-color", f"-var-file={var_file}")
    return outputs(workspace)


def plan_is_empty(workspace: Workspace, variables: Mapping[str, Any] | None = None) -> bool:
    """True when ``terraform plan`` finds nothing to change (exit code 0, not 2)."""
    var_file = _write_variables(workspace, variables or {})
    completed = workspace.run(
        "plan",
        "-input=false",
        "-no-color",
        "-detailed-exitcode",
        f"-var-file={var_file}",
        check=False,
    )
    if completed.returncode not in (0, 2):
        raise TerraformError(f"terraform plan failed:\n{completed.stdout}\n{completed.stderr}")
    return completed.returncode == 0


def plan_json(workspace: Workspace, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The plan of an apply with ``variables``, as ``terraform show -json`` renders it."""
    var_file = _write_variables(workspace, variables or {})
    plan_file = workspace.work_dir / "cv_analytics.tfplan"
    workspace.run("plan", "-input=false", "-no-color", f"-var-file={var_file}", f"-out={plan_file}")
    completed = workspace.run("show", "-json", "-no-color", str(plan_file))
    plan: dict[str, Any] = json.loads(completed.stdout)
    return plan


def outputs(workspace: Workspace) -> dict[str, Any]:
    """The workspace's outputs as plain values (``terraform output -json``)."""
    completed = workspace.run("output", "-json", "-no-color")
    raw: dict[str, dict[str, Any]] = json.loads(completed.stdout or "{}")
    return {name: item["value"] for name, item in raw.items()}


def destroy(workspace: Workspace, variables: Mapping[str, Any] | None = None) -> None:
    """``terraform destroy`` with the variables of the apply."""
    var_file = _write_variables(workspace, variables or {})
    workspace.run("destroy", "-auto-approve", "-input=false", "-no-color", f"-var-file={var_file}")


def validate(workspace: Workspace) -> dict[str, Any]:
    """``terraform validate -json`` of an initialised workspace; raises when it is not valid."""
    completed = workspace.run("validate", "-json", "-no-color", check=False)
    result: dict[str, Any] = json.loads(completed.stdout)
    if not result.get("valid"):
        raise TerraformError(f"terraform validate failed:\n{completed.stdout}")
    return result


def format_problems(module_dir: Path) -> list[str]:
    """Files that ``terraform fmt -check`` would rewrite (empty when formatted)."""
    completed = run_terraform(
        ["fmt", "-check", "-recursive", "-list=true", "-no-color"], cwd=module_dir, check=False
    )
    if completed.returncode not in (0, 3):
        raise TerraformError(f"terraform fmt failed:\n{completed.stdout}\n{completed.stderr}")
    return [line for line in completed.stdout.splitlines() if line.strip()]
