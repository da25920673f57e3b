"""A local stack: an embedded AWS emulator with the pipeline's resources, and how to reach them.

Resources come from the Terraform workspaces when ``terraform`` can run here (``worker_infra``,
``processor_infra`` and ``reporter_infra``, through :mod:`cv_analytics.infra.terraform`: the same
code as production; the reporter's function and ``live`` alias, which SAM deploys in production,
are created in between so that the weekly schedule has its target), and otherwise from
:mod:`cv_analytics.dev.resources` (boto3: queues and tables only; a test in ``tests/infra`` keeps
the two identical). Lambda cannot run in the emulator either way: the demo invokes the handlers in
this process, with the events their triggers would send.
"""

from __future__ import annotations

import importlib
import logging
import shlex
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import boto3

from cv_analytics.cli.aws import (
    ENV_ANALYTICS_TABLE,
    ENV_DLQ_URL,
    ENV_INTERIM_TABLE,
    ENV_QUEUE_URL,
)
from cv_analytics.dev import PROVISIONER_CHOICES
from cv_analytics.dev.emulator import LocalAws, emulator_credentials, moto_server
from cv_analytics.dev.resources import WEEK_INDEX, ResourceNames, create_all

Provisioner = Literal["terraform", "boto3"]
DEFAULT_SENDER = "reports@cv-analytics.example.com"
DEFAULT_RECIPIENTS = ("owner@cv-analytics.example.com",)

Log = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True)
class StackResources:
    """Where a stack's resources are."""

    names: ResourceNames
    provisioner: Provisioner
    region: str
    endpoint_url: str | None
    queue_url: str
    dead_letter_queue_url: str
    interim_table: str
    analytics_table: str
    sender: str = DEFAULT_SENDER
    recipients: tuple[str, ...] = DEFAULT_RECIPIENTS
    #: The weekly schedule, when ``reporter_infra`` was applied (Terraform provisioner only).
    schedule_rule_arn: str | None = None
    schedule_target_arn: str | None = None

    def rule_arn(self, account_id: str = "123456789012") -> str:
        """The weekly rule's ARN (as ``reporter_infra`` names it, when it was not applied)."""
        return self.schedule_rule_arn or (
            f"arn:aws:events:{self.region}:{account_id}:rule/{self.names.prefix}-weekly-report"
        )

    def processor_environment(self) -> dict[str, str]:
        """What ``processor.app.handler`` (and the expiry handler) read."""
        return {
            "QUERY_EVENTS_TABLE": self.interim_table,
            "ANALYTICS_TABLE": self.analytics_table,
            "DEAD_LETTER_QUEUE_URL": self.dead_letter_queue_url,
        }

    def reporter_environment(self) -> dict[str, str]:
        """What ``reporter.app.handler`` reads."""
        return {
            "ANALYTICS_TABLE": self.analytics_table,
            "WEEK_INDEX_NAME": WEEK_INDEX,
            "REPORT_SENDER": self.sender,
            "REPORT_RECIPIENTS": ",".join(self.recipients),
        }

    def cli_environment(self) -> dict[str, str]:
        """What the operator command line reads in place of its options."""
        return {
            ENV_QUEUE_URL: self.queue_url,
            ENV_DLQ_URL: self.dead_letter_queue_url,
            ENV_ANALYTICS_TABLE: self.analytics_table,
            ENV_INTERIM_TABLE: self.interim_table,
        }

    def environment(self, aws: LocalAws | None = None) -> dict[str, str]:
        """Everything to export to use this stack from a shell (emulator, CLI, Lambdas)."""
        return {
            **(aws.environment() if aws else {}),
            **self.cli_environment(),
            **self.processor_environment(),
            **self.reporter_environment(),
        }


@dataclass(frozen=True)
class LocalStack:
    aws: LocalAws
    resources: StackResources

    def environment(self) -> dict[str, str]:
        return self.resources.environment(self.aws)

    def export_lines(self) -> list[str]:
        """``export NAME=value`` lines (shell-quoted) for everything in :meth:`environment`."""
        return [f"export {key}={shlex.quote(value)}" for key, value in self.environment().items()]


def terraform_available() -> bool:
    """True when the Terraform binary and this project's Terraform helper are both here."""
    if shutil.which("terraform") is None:
        return False
    try:
        importlib.import_module("cv_analytics.infra.terraform")
    except ImportError:
        return False
    return True


def choose_provisioner(requested: str) -> Provisioner:
    if requested == "boto3":
        return "boto3"
    if requested == "terraform":
        if not terraform_available():
            raise RuntimeError(
                "--provisioner terraform: needs the terraform binary on PATH and "
                "cv_analytics.infra.terraform"
            )
        return "terraform"
    if requested != "auto":
        raise ValueError(f"unknown provisioner {requested!r} (choose from {PROVISIONER_CHOICES})")
    return "terraform" if terraform_available() else "boto3"


def _provision_boto3(aws: LocalAws, names: ResourceNames) -> StackResources:
    created = create_all(names, endpoint_url=aws.endpoint_url, region=aws.region)
    return StackResources(
        names=names,
        provisioner="boto3",
        region=aws.region,
        endpoint_url=aws.endpoint_url,
        queue_url=created.queue_url,
        dead_letter_queue_url=created.dead_letter_queue_url,
        interim_table=names.interim_table,
        analytics_table=names.analytics_table,
    )


def reporter_package() -> bytes:
    """A zip of the reporter's code: what ``sam build`` would upload (without the layer)."""
    import io
    import zipfile

    import reporter

    root = Path(reporter.__file__).resolve().parent
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, Path("reporter") / path.relative_to(root))
    return buffer.getvalue()


def deploy_reporter_function(aws: LocalAws, function_name: str, role_arn: str) -> str:
    """Stand in for ``sam deploy`` of the reporter: the function, a version and the ``live``
    alias the schedule targets (moto stores them; it cannot run them). Returns the alias ARN."""
    client = boto3.session.Session(region_name=aws.region).client(
        "lambda", endpoint_url=aws.endpoint_url
    )
    client.create_function(
        FunctionName=function_name,
        Runtime="python3.13",
        Role=role_arn,
        Handler="reporter.app.handler",
        Code={"ZipFile": reporter_package()},
        Timeout=60,
        Architectures=["arm64"],
    )
    version = client.publish_version(FunctionName=function_name)["Version"]
    alias = client.create_alias(FunctionName=function_name, Name="live", FunctionVersion=version)
    return str(alias["AliasArn"])


def _provision_terraform(
    aws: LocalAws, names: ResourceNames, workdir: Path, log: Log
) -> StackResources:
    """worker_infra, processor_infra, then reporter_infra around a stand-in SAM deployment of
    the reporter: its first apply (schedule off) creates the function's role, the function and
    its ``live`` alias are created, and the second apply points the weekly schedule at them."""
    from cv_analytics.infra import terraform as tf

    common = {"name_prefix": names.prefix, "aws_region": aws.region}
    outputs: dict[str, Any] = {}

    def apply(name: str, module: Path, extra: dict[str, Any], note: str = "") -> None:
        workspace = tf.prepare(module, workdir / names.prefix / name, aws.environment())
        if not (workspace.work_dir / ".terraform").is_dir():
            log(f"terraform init {module.name}")
            tf.init(workspace)
        log(f"terraform apply {module.name}{note}")
        outputs.update(tf.apply(workspace, {**common, **tf.emulator_variables(name), **extra}))

    apply("worker", tf.WORKER_MODULE, {}, " (moto's SQS makes the queues take about a minute)")
    apply("processor", tf.PROCESSOR_MODULE, {})
    reporter = {
        "report_sender": DEFAULT_SENDER,
        "report_recipients": list(DEFAULT_RECIPIENTS),
        "schedule_enabled": False,
    }
    apply("reporter", tf.REPORTER_MODULE, reporter, " (schedule off: no function yet)")
    function = f"{names.prefix}-reporter"
    log(f"deploying {function} with its live alias (what `sam deploy` does)")
    deploy_reporter_function(aws, function, str(outputs["reporter_role_arn"]))
    apply("reporter", tf.REPORTER_MODULE, {**reporter, "schedule_enabled": True}, " (schedule on)")
    return StackResources(
        names=names,
        provisioner="terraform",
        region=aws.region,
        endpoint_url=aws.endpoint_url,
        queue_url=str(outputs["queue_url"]),
        dead_letter_queue_url=str(outputs["dead_letter_queue_url"]),
        interim_table=str(outputs["interim_table_name"]),
        analytics_table=str(outputs["analytics_table_name"]),
        schedule_rule_arn=str(outputs["schedule_rule_arn"]),
        schedule_target_arn=str(outputs["schedule_target_arn"]),
    )


def verify_sender(aws: LocalAws, sender: str) -> None:
    """SES only sends from a verified identity; in the emulator, verifying is immediate."""
    from email.utils import parseaddr

    ses = boto3.session.Session(region_name=aws.region).client("ses", endpoint_url=aws.endpoint_url)
    ses.verify_email_identity(EmailAddress=parseaddr(sender)[1])


def provision(
    aws: LocalAws,
    *,
    names: ResourceNames | None = None,
    provisioner: str = "auto",
    workdir: Path | None = None,
    log: Log = _quiet,
) -> StackResources:
    """Create the pipeline's resources in the emulator at ``aws`` and verify the report sender."""
    names = names or ResourceNames()
    chosen = choose_provisioner(provisioner)
    if chosen == "terraform":
        if workdir is None:
            workdir = Path(tempfile.mkdtemp(prefix="cv-analytics-terraform-"))
        resources = _provision_terraform(aws, names, workdir, log)
    else:
        log("creating queues and tables with boto3 (cv_analytics/dev/resources.py)")
        resources = _provision_boto3(aws, names)
    verify_sender(aws, resources.sender)
    return resources


@contextmanager
def local_stack(
    *,
    prefix: str = "cv-analytics",
    provisioner: str = "auto",
    port: int | None = None,
    workdir: Path | None = None,
    log: Log = _quiet,
) -> Iterator[LocalStack]:
    """Start the emulator, provision the resources, and stop it all when the block ends.

    Terraform state goes to ``workdir``, or to a temporary folder removed at the end (it describes
    an emulator that is gone once the block ends).
    """
    # moto's server logs every request through werkzeug; the operator wants our lines only.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with ExitStack() as cleanup:
        cleanup.enter_context(emulator_credentials())
        if workdir is None:
            workdir = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="cv-tf-")))
        aws = cleanup.enter_context(moto_server(port, load_managed_policies=True))
        log(f"AWS emulator (moto) listening on {aws.endpoint_url}")
        resources = provision(
            aws,
            names=ResourceNames(prefix),
            provisioner=provisioner,
            workdir=workdir,
            log=log,
        )
        yield LocalStack(aws, resources)
