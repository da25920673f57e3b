"""Prerequisites of a deployment, checked before anything changes; the first problem stops it.

In order: the tools (terraform >= 1.6, the SAM CLI, python3.13 for the layer build), AWS
credentials, the region, Terraform Cloud (token, organization, the three workspaces, four with
the export path, in Local execution mode with their tags), the permissions boundary deploy_role/ creates, and SES (sandbox
status against deploy.toml, no identity whose verification failed). Each problem comes with what to
do about it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from cv_analytics.deploy import terraform_cloud as tfc
from cv_analytics.deploy.aws import aws_client
from cv_analytics.deploy.plan import Target
from cv_analytics.deploy.settings import Settings
from cv_analytics.deploy.tools import LAMBDA_PYTHON

MINIMUM_TERRAFORM = (1, 6)
# One attempt each: a check reports, it does not wait out an outage.
_CHECK_CONFIG = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5)


class PrerequisiteError(Exception):
    """A prerequisite is not met; the message says what to do."""


@dataclass(frozen=True)
class Outcome:
    name: str
    detail: str


@dataclass
class Context:
    settings: Settings
    target: Target
    environ: Mapping[str, str]
    home: Path
    # (base URL, token) -> client; tests give a loopback server's URL.
    terraform_cloud: Callable[[str, str], tfc.Client] = tfc.Client
    terraform_cloud_url: str | None = None
    account_id: str = ""
    partition: str = "aws"

    def client(self, service: str) -> Any:
        return aws_client(self.settings, self.target, service, config=_CHECK_CONFIG)


def _run(argv: list[str], environ: Mapping[str, str]) -> str:
    try:
        completed = subprocess.run(  # noqa: S603 - a tool found by path, fixed arguments
            argv, capture_output=True, text=True, timeout=120, check=False, env=dict(environ)
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PrerequisiteError(f"{argv[0]} does not run: {exc}") from exc
    if completed.returncode != 0:
        raise PrerequisiteError(f"`{' '.join(argv)}` failed: {completed.stderr.strip()[:500]}")
    return completed.stdout


def check_tools(context: Context) -> Outcome:
    tools = context.target.tools
    version_json = json.loads(_run([tools.terraform, "version", "-json"], context.environ))
    version = str(version_json.get("terraform_version", ""))
    numbers = tuple(int(part) for part in re.findall(r"\d+", version)[:2])
    if numbers < MINIMUM_TERRAFORM:
        raise PrerequisiteError(
            f"terraform {version} is too old: the workspaces need >= 1.6 "
            "(https://developer.hashicorp.com/terraform/install)"
        )
    sam_version = _run([tools.sam, "--version"], context.environ).strip()
    python = shutil.which(LAMBDA_PYTHON, path=context.environ.get("PATH"))
    if python is None:
        raise PrerequisiteError(
            f"{LAMBDA_PYTHON} is not on PATH: `sam build` builds the functions and their layer "
            f"for the Lambda runtime {LAMBDA_PYTHON} (arm64) with it; install Python 3.13"
        )
    return Outcome("tools", f"terraform {version}, {sam_version}, {LAMBDA_PYTHON}")


def check_credentials(context: Context) -> Outcome:
    try:
        identity = context.client("sts").get_caller_identity()
    except (ClientError, BotoCoreError) as exc:
        raise PrerequisiteError(
            f"no usable AWS credentials ({exc}): sign in first (`aws sso login --profile P` then "
            "--profile P, or AWS_ACCESS_KEY_ID/... of an administrator for the first deployment)"
        ) from exc
    arn = str(identity["Arn"])
    context.account_id = str(identity["Account"])
    context.partition = arn.split(":")[1]
    return Outcome("AWS credentials", f"{arn} (account {context.account_id})")


def check_region(context: Context) -> Outcome:
    region = context.settings.region
    session = boto3.session.Session()
    known = {
        name
        for partition in session.get_available_partitions()
        for name in session.get_available_regions("lambda", partition_name=partition)
    }
    if known and region not in known:
        raise PrerequisiteError(
            f"region {region!r} (deploy.toml) is not a region where Lambda runs: fix `region`"
        )
    ambient = context.environ.get("AWS_DEFAULT_REGION") or context.environ.get("AWS_REGION")
    note = f"; your shell's {ambient} is ignored" if ambient and ambient != region else ""
    return Outcome("region", f"{region}, passed explicitly to terraform and sam{note}")


def check_terraform_cloud(context: Context) -> Outcome:
    cloud = context.settings.terraform_cloud
    variable = tfc.token_variable(cloud.hostname)
    token = tfc.find_token(cloud.hostname, context.environ, context.home)
    if token is None:
        raise PrerequisiteError(
            f"no Terraform Cloud token for {cloud.hostname}: run `terraform login` (or set "
            f"{variable} to a team or user token)"
        )
    client = context.terraform_cloud(
        context.terraform_cloud_url or f"https://{cloud.hostname}", token
    )
    try:
        client.organization(cloud.organization)
        problems = [
            tfc.workspace_problem(
                context.settings.workspace_name(workspace),
                context.settings.workspace_tag(workspace),
                client.workspace(cloud.organization, context.settings.workspace_name(workspace)),
                cloud.organization,
            )
            for workspace in context.settings.workspaces
        ]
    except tfc.TerraformCloudError as exc:
        raise PrerequisiteError(str(exc)) from exc
    first = next((problem for problem in problems if problem), None)
    if first is not None:
        raise PrerequisiteError(first)
    names = ", ".join(
        context.settings.workspace_name(workspace) for workspace in context.settings.workspaces
    )
    return Outcome("Terraform Cloud", f"{cloud.organization}: {names} (Local execution mode)")


def boundary_arn(context: Context) -> str:
    return (
        f"arn:{context.partition}:iam::{context.account_id}:policy/"
        f"{context.settings.permissions_boundary_name}"
    )


def check_permissions_boundary(context: Context) -> Outcome:
    arn = boundary_arn(context)
    try:
        context.client("iam").get_policy(PolicyArn=arn)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "NoSuchEntity":
            raise PrerequisiteError(f"cannot read the permissions boundary {arn}: {exc}") from exc
        settings = context.settings
        raise PrerequisiteError(
            f"the permissions boundary {settings.permissions_boundary_name} does not exist: every "
            "role the workspaces create carries it. Apply deploy_role/ once, as an administrator: "
            "`terraform -chdir=deploy_role init && terraform -chdir=deploy_role apply "
            f"-var name_prefix={settings.name_prefix} -var aws_region={settings.region} "
            "-var github_repository=OWNER/REPO`"
        ) from exc
    return Outcome("permissions boundary", arn)


def _ses_identities(settings: Settings) -> list[str]:
    report = settings.report
    wanted = [report.sender]
    if report.ses_sandbox:
        wanted += [address for address in report.recipients if address not in wanted]
    return wanted


def check_ses(context: Context) -> Outcome:
    sesv2 = context.client("sesv2")
    notes: list[str] = []
    try:
        production = bool(sesv2.get_account().get("ProductionAccessEnabled"))
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("AccessDenied", "AccessDeniedException"):
            raise PrerequisiteError(f"cannot read the SES account ({code}): {exc}") from exc
        production = None  # an emulator without the call: nothing to compare
        notes.append("account status not available")
    if production is False and not context.settings.report.ses_sandbox:
        raise PrerequisiteError(
            f"SES in {context.settings.region} is still in the sandbox (it sends only to verified "
            "addresses) but deploy.toml says report.ses_sandbox = false: request production access "
            "(SES console -> Account dashboard) or set report.ses_sandbox = true"
        )
    if production is not None:
        notes.append("production access" if production else "sandbox")
    pending: list[str] = []
    for address in _ses_identities(context.settings):
        try:
            identity = sesv2.get_email_identity(EmailIdentity=address)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NotFoundException", "NotFound"):
                pending.append(f"{address} (created by step 3; AWS emails it a link)")
                continue
            raise PrerequisiteError(f"cannot read the SES identity {address}: {exc}") from exc
        status = identity.get("VerificationStatus")
        if status == "FAILED":
            raise PrerequisiteError(
                f"the SES identity {address} failed verification: delete it in the SES console "
                "(the deployment creates it again and AWS sends a new link), or fix the address "
                "in deploy.toml"
            )
        if status != "SUCCESS":
            pending.append(f"{address} (verification {str(status).lower()}: click AWS's link)")
    if pending:
        notes.append("to verify before the first report: " + ", ".join(pending))
    return Outcome("SES", "; ".join(notes) or "ready")


Check = Callable[[Context], Outcome]


def checks_for(target: Target) -> list[tuple[str, Check]]:
    """(name, check) in order; Terraform Cloud only when the state lives there (not in a
    rehearsal against an emulator, where it is local)."""
    checks: list[tuple[str, Check]] = [
        ("tools", check_tools),
        ("AWS credentials", check_credentials),
        ("region", check_region),
    ]
    if not target.emulated:
        checks.append(("Terraform Cloud", check_terraform_cloud))
    checks += [("permissions boundary", check_permissions_boundary), ("SES", check_ses)]
    return checks
