"""``deploy.toml``: every setting a user chooses for a deployment, in one place.

The file is read by ``cv-analytics deploy``, by the GitHub workflows (through
``python -m cv_analytics.deploy.ci``) and, through them, by Terraform (``-var``/``TF_VAR_*``) and
SAM (region, stack names and, via the Terraform outputs, the parameters). Nothing else holds a
prefix, a region, an address or a workspace name: the Terraform variables they feed have no
default, so a caller that forgets one stops at once.

Everything derived from the settings (workspace and stack names, the Terraform variables of each
workspace, the environment of every command) is computed here, once.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    model_validator,
)

# The Terraform root modules, in the order they are applied (each reads the one before by name).
# export_infra is optional ([export] enabled = true in deploy.toml): it reads the analytics table.
Workspace = Literal["worker_infra", "processor_infra", "reporter_infra", "export_infra"]
WORKSPACES: tuple[Workspace, ...] = (
    "worker_infra",
    "processor_infra",
    "reporter_infra",
    "export_infra",
)
REQUIRED_WORKSPACES: tuple[Workspace, ...] = WORKSPACES[:3]
# The SAM stacks, one per Lambda service (samconfig.toml environments); each reads its workspace.
Service = Literal["processor", "reporter"]
SERVICES: tuple[Service, ...] = ("processor", "reporter")
SERVICE_WORKSPACE: dict[Service, Workspace] = {
    "processor": "processor_infra",
    "reporter": "reporter_infra",
}

# Same rules as infra_modules/naming (Terraform) and template.yaml's NamePrefix (SAM).
NAME_PREFIX_PATTERN = r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$"
REGION_PATTERN = r"^[a-z]{2}(-[a-z]+)+-[0-9]$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
SCHEDULE_PATTERN = (
    r"^(cron\(([^ )]+ ){5}[^ )]+\)|rate\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\))$"
)


class SettingsError(ValueError):
    """deploy.toml is missing, unreadable or holds a missing or invalid setting (all named)."""


def _required(help_text: str) -> AfterValidator:
    """An empty value (the committed placeholder) is a missing setting, explained."""

    def check(value: Any) -> Any:
        if value in ("", [], None):
            raise ValueError(f"required: {help_text}")
        return value

    return AfterValidator(check)


def _matches(pattern: str, what: str) -> AfterValidator:
    def check(value: str) -> str:
        if not re.fullmatch(pattern, value):
            raise ValueError(f"{value!r} is not {what}")
        return value

    return AfterValidator(check)


def _blank_is_none(value: str | None) -> str | None:
    return value or None


def _checked(value: str | None, pattern: str, what: str) -> str | None:
    if value is not None and not re.fullmatch(pattern, value):
        raise ValueError(f"{value!r} is not {what}")
    return value


Email = Annotated[str, _matches(EMAIL_PATTERN, "an email address")]
OptionalText = Annotated[str | None, AfterValidator(_blank_is_none)]
Price = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Workspaces(_Section):
    """Terraform Cloud workspace names; empty = "<name_prefix>-<service>"."""

    worker: OptionalText = None
    processor: OptionalText = None
    reporter: OptionalText = None
    export: OptionalText = None


class TerraformCloud(_Section):
    organization: Annotated[
        str,
        _required(
            "the Terraform Cloud organization that keeps the three workspaces' state "
            "(https://app.terraform.io/app/organizations)"
        ),
    ] = ""
    hostname: str = "app.terraform.io"
    workspaces: Workspaces = Workspaces()


class Report(_Section):
    sender: Annotated[
        str,
        _required("the address the weekly report is sent from (an SES identity is created for it)"),
        _matches(EMAIL_PATTERN, "an email address"),
    ] = ""
    # Like reporter_infra's report_sender_name: it becomes "<name> <address>" in the From.
    sender_name: Annotated[
        OptionalText,
        AfterValidator(
            lambda name: _checked(
                name,
                r'^[^<>"@,;\r\n]{1,64}$',
                "a display name (1-64 characters "
                'without <, >, ", @, comma, semicolon or line breaks)',
            )
        ),
    ] = None
    recipients: Annotated[
        list[Email],
        _required('the addresses that receive the weekly report, e.g. ["you@example.com"]'),
        Field(max_length=50),
    ] = Field(default_factory=list)
    ses_sandbox: StrictBool = True
    schedule: Annotated[str, _matches(SCHEDULE_PATTERN, "an EventBridge schedule expression")] = (
        "cron(0 7 ? * MON *)"
    )
    price_per_million_input_tokens: Price | None = None
    price_per_million_output_tokens: Price | None = None
    price_currency: Annotated[str, _matches(r"^[A-Z]{3}$", "a currency code such as USD")] = "USD"

    @model_validator(mode="after")
    def _prices_come_in_pairs(self) -> Self:
        given = (self.price_per_million_input_tokens, self.price_per_million_output_tokens)
        if (given[0] is None) != (given[1] is None):
            raise ValueError(
                "set both price_per_million_input_tokens and price_per_million_output_tokens "
                "(the report's LLM cost needs both), or neither"
            )
        return self


class Export(_Section):
    """The optional data-out path (export_infra): the table exported to S3 on a schedule, for
    Athena. Off by default: the £0 deployment does not need it."""

    enabled: StrictBool = False
    # Empty: "<name_prefix>-data-<account id>". Another name must still start with
    # "<name_prefix>-": the deploy role may only manage buckets named so (deploy_role/).
    bucket_name: Annotated[
        OptionalText,
        AfterValidator(
            lambda name: _checked(name, r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", "an S3 bucket name")
        ),
    ] = None
    schedule: Annotated[str, _matches(SCHEDULE_PATTERN, "an EventBridge schedule expression")] = (
        "cron(0 5 ? * MON *)"
    )
    snapshot_retention_days: Annotated[int, Field(ge=2, le=400, strict=True)] = 15


class Alerts(_Section):
    email: Annotated[
        OptionalText,
        AfterValidator(lambda email: _checked(email, EMAIL_PATTERN, "an email address")),
    ] = None


class Settings(_Section):
    """The validated contents of deploy.toml, and everything derived from them."""

    name_prefix: Annotated[
        str,
        _required("the prefix of every resource, stack and workspace name"),
        _matches(
            NAME_PREFIX_PATTERN,
            "a name prefix (3-32 lower-case letters, digits and hyphens, starting with a letter)",
        ),
    ] = ""
    region: Annotated[
        str,
        _required("the AWS region of every resource, e.g. eu-west-2"),
        _matches(REGION_PATTERN, "an AWS region code such as eu-west-2"),
    ] = ""
    terraform_cloud: TerraformCloud = TerraformCloud()
    report: Report = Report()
    alerts: Alerts = Alerts()
    export: Export = Export()

    @model_validator(mode="after")
    def _export_bucket_carries_the_prefix(self) -> Self:
        bucket = self.export.bucket_name
        if (
            bucket is not None
            and self.name_prefix
            and not bucket.startswith(f"{self.name_prefix}-")
        ):
            raise ValueError(
                f'export.bucket_name {bucket!r} must start with "{self.name_prefix}-": the '
                "deploy role may only manage buckets named after the prefix (deploy_role/)"
            )
        return self

    @property
    def workspaces(self) -> tuple[Workspace, ...]:
        """The workspaces this deployment applies, in order: export_infra when enabled."""
        if self.export.enabled:
            return WORKSPACES
        return REQUIRED_WORKSPACES

    # -- names ---------------------------------------------------------------------------------

    def workspace_name(self, workspace: Workspace) -> str:
        """The Terraform Cloud workspace of a root module (``TF_WORKSPACE``)."""
        service = workspace.removesuffix("_infra")
        chosen: str | None = getattr(self.terraform_cloud.workspaces, service)
        return chosen or f"{self.name_prefix}-{service}"

    @staticmethod
    def workspace_tag(workspace: Workspace) -> str:
        """The tag the workspace must carry: the ``cloud {}`` block of its versions.tf selects
        workspaces by it (a cloud block cannot read a setting)."""
        return f"cv-analytics-{workspace.removesuffix('_infra')}"

    def stack_name(self, service: Service) -> str:
        """The SAM stack of a service: the deploy role may only change stacks named
        ``<name_prefix>-*`` (deploy_role/)."""
        return f"{self.name_prefix}-{service}"

    @property
    def permissions_boundary_name(self) -> str:
        """The boundary policy deploy_role/ creates (infra_modules/naming names it the same)."""
        return f"github-{self.name_prefix}-workload-boundary"

    # -- what each tool gets -------------------------------------------------------------------

    def terraform_variables(
        self, workspace: Workspace, *, schedule_enabled: bool | None = None
    ) -> dict[str, Any]:
        """The variables of a workspace, from the settings (unset optional ones left out, so the
        workspace's own default applies). The reporter's are a superset of the others'."""
        variables: dict[str, Any] = {"name_prefix": self.name_prefix, "aws_region": self.region}
        if workspace == "export_infra":
            export = self.export
            variables.update(
                export_schedule_expression=export.schedule,
                snapshot_retention_days=export.snapshot_retention_days,
            )
            if export.bucket_name is not None:
                variables["bucket_name"] = export.bucket_name
            return variables
        if workspace != "reporter_infra":
            return variables
        report = self.report
        variables.update(
            report_sender=report.sender,
            report_recipients=list(report.recipients),
            ses_sandbox=report.ses_sandbox,
            schedule_expression=report.schedule,
            price_currency=report.price_currency,
        )
        optional = {
            "report_sender_name": report.sender_name,
            "alert_email": self.alerts.email,
            "price_per_million_input_tokens": report.price_per_million_input_tokens,
            "price_per_million_output_tokens": report.price_per_million_output_tokens,
        }
        variables.update({name: value for name, value in optional.items() if value is not None})
        if schedule_enabled is not None:
            variables["schedule_enabled"] = schedule_enabled
        return variables

    def terraform_environment(self) -> dict[str, str]:
        """Every workspace's variables as ``TF_VAR_*``: set once for all of them (Terraform
        ignores a ``TF_VAR_`` its workspace does not declare; no two workspaces give one name
        different meanings), the same way on a laptop and in the workflows. ``schedule_enabled``
        is the deployment's to choose, step by step."""
        exported = self.terraform_variables("export_infra") if self.export.enabled else {}
        variables = {**exported, **self.terraform_variables("reporter_infra")}
        return {f"TF_VAR_{name}": terraform_value(value) for name, value in variables.items()}

    def aws_environment(self) -> dict[str, str]:
        """The region, explicitly, for every tool: botocore (SAM, the AWS CLI) reads only
        ``AWS_DEFAULT_REGION`` or the profile, Terraform's provider gets ``aws_region`` too."""
        return {"AWS_REGION": self.region, "AWS_DEFAULT_REGION": self.region}

    def terraform_cloud_environment(self, workspace: Workspace | None = None) -> dict[str, str]:
        """What selects the state in Terraform Cloud (the ``cloud {}`` blocks name neither
        organization nor workspace): the organization, the hostname when not the default, and
        the workspace's ``TF_WORKSPACE`` when one is given."""
        environment = {"TF_CLOUD_ORGANIZATION": self.terraform_cloud.organization}
        if self.terraform_cloud.hostname != "app.terraform.io":
            environment["TF_CLOUD_HOSTNAME"] = self.terraform_cloud.hostname
        if workspace is not None:
            environment["TF_WORKSPACE"] = self.workspace_name(workspace)
        return environment


def terraform_value(value: Any) -> str:
    """A variable's value as ``-var name=VALUE`` and ``TF_VAR_name`` take it: strings raw,
    everything else as an HCL literal (JSON lists, numbers and booleans are HCL)."""
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    return json.dumps(value, separators=(",", ":"))


def _location(error: Mapping[str, Any]) -> str:
    parts = [str(part) for part in error["loc"] if not str(part).startswith("function-")]
    return ".".join(parts) or "(file)"


def describe(error: ValidationError, path: Path) -> str:
    """Every problem of the file, one per line, each naming its setting."""
    lines = [f"{path}: {len(error.errors())} setting(s) to fix:"]
    for item in error.errors():
        message = str(item["msg"]).removeprefix("Value error, ")
        lines.append(f"  {_location(item)}: {message}")
    return "\n".join(lines)


def parse(text: str, path: Path) -> Settings:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML: {exc}") from exc
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise SettingsError(describe(exc, path)) from exc


def load(path: Path) -> Settings:
    """Read and validate deploy.toml; :class:`SettingsError` names every missing setting."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SettingsError(
            f"{path}: cannot read the settings file ({exc.strerror}); "
            f"run from the repository's root or pass --settings"
        ) from exc
    return parse(text, path)
