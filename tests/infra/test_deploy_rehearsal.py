"""Rehearsal of the first deployment: `cv-analytics deploy`, the command a user types, run against
the embedded emulator (a moto server on 127.0.0.1).

Everything runs for real: the deploy_role root (the boundary every role must carry), every
Terraform step of the command (init with the committed lock file, apply with local state instead of
Terraform Cloud), `terraform output`, scripts/sam_parameters.py and `sam build`. Only `sam deploy`
cannot run against moto (TOOLING.md): a stand-in `sam` (passed with --sam, as a user passes the
SAM CLI's own virtual environment) records its exact command line and environment, creates what
the stack would (the reporter's function and live alias, a stack carrying the DeployHash) and hands
every other sub-command to the real SAM CLI.

The deployment uses a non-default prefix and a region other than the shell's, so a default that
leaks anywhere (a stack name, a region only AWS_REGION sets) shows. The first run fails at the
reporter's `sam deploy`; the second run resumes: Terraform converges, the processor stack (already
at its release) is skipped, the reporter is deployed, the schedule goes on.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from cv_analytics.dev.emulator import LocalAws, moto_server
from cv_analytics.infra import terraform as tf
from tests.infra import sam_support as sam

pytestmark = [
    pytest.mark.infra,
    pytest.mark.skipif(tf.terraform_binary() is None, reason="terraform is not installed"),
]

PREFIX = "cv-rehearsal"
REGION = "eu-central-1"  # the shell says eu-west-2 (tests/conftest.py): it must not matter
SENDER = "reports@example.com"
RECIPIENTS = ["owner@example.com", "team@example.com"]
SERVICES = ("processor", "reporter")

SETTINGS = f"""\
name_prefix = "{PREFIX}"
region = "{REGION}"

[terraform_cloud]
organization = "acme"

[report]
sender = "{SENDER}"
sender_name = "CV reports"
recipients = {json.dumps(RECIPIENTS)}
price_per_million_input_tokens = 0.8
price_per_million_output_tokens = 4
price_currency = "GBP"

[alerts]
email = "ops@example.com"

[export]
enabled = true
snapshot_retention_days = 8
"""

# `sam deploy` cannot run against moto: this stand-in records what it was given and creates what
# the stack would that later steps read. Everything else goes to the real SAM CLI.
FAKE_SAM = """#!{python}
import json, os, sys

REAL_SAM = {real_sam!r}
LOG = {log!r}
args = sys.argv[1:]
if args[:1] != ["deploy"]:
    os.execv(REAL_SAM, [REAL_SAM, *args])

import boto3

service = args[args.index("--config-env") + 1]
stack = args[args.index("--stack-name") + 1]
region = args[args.index("--region") + 1]
parameters = json.load(open(os.path.join(".aws-sam", "parameters", service + ".yaml")))
with open(LOG, "a") as log:
    log.write(json.dumps({{
        "argv": args,
        "cwd": os.getcwd(),
        "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION"),
        "parameters": parameters,
    }}) + "\\n")
if os.environ.get("FAKE_SAM_FAIL") == service:
    print("Error: Failed to create changeset (the rehearsal's injected failure)", file=sys.stderr)
    sys.exit(1)
endpoint = os.environ["AWS_ENDPOINT_URL"]
if service == "reporter":
    aws_lambda = boto3.client("lambda", region_name=region, endpoint_url=endpoint)
    name = parameters["NamePrefix"] + "-reporter"
    aws_lambda.create_function(
        FunctionName=name, Runtime="python3.13", Role=parameters["ReporterRoleArn"],
        Handler="reporter.app.handler", Code={{"ZipFile": b"PK\\x05\\x06" + b"\\x00" * 18}},
    )
    version = aws_lambda.publish_version(FunctionName=name)["Version"]
    aws_lambda.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
boto3.client("cloudformation", region_name=region, endpoint_url=endpoint).create_stack(
    StackName=stack,
    TemplateBody=json.dumps({{
        "Parameters": {{"DeployHash": {{"Type": "String"}}}},
        "Resources": {{"Release": {{"Type": "AWS::SNS::Topic"}}}},
    }}),
    Parameters=[{{"ParameterKey": "DeployHash", "ParameterValue": parameters["DeployHash"]}}],
)
print("Successfully created/updated stack - " + stack)
"""


@dataclass
class Rehearsal:
    aws: LocalAws
    checkout: Path
    runs: list[subprocess.CompletedProcess[str]]
    seconds: list[float]
    deploys: list[dict[str, Any]]

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.aws.endpoint_url, region_name=REGION)


def _checkout(destination: Path) -> Path:
    """The repository's files (tracked and new, as `git ls-files` lists them) copied: the build
    output of the rehearsal (.aws-sam/) stays out of the working tree."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=sam.REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    for name in listed:
        source = sam.REPO / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    (destination / "deploy.toml").write_text(SETTINGS, encoding="utf-8")
    return destination


def _apply_deploy_role(aws: LocalAws, work: Path) -> None:
    """README's first-time setup, step 1: the OIDC roles and the workload boundary."""
    workspace = tf.prepare(tf.DEPLOY_ROLE_MODULE, work / "deploy_role", aws.environment())
    tf.init(workspace)
    tf.apply(
        workspace,
        {"github_repository": "acme/cv-analytics", "name_prefix": PREFIX, "aws_region": REGION},
    )


def _fake_sam(directory: Path, log: Path) -> Path:
    sam.require(sam.SAM, "SAM CLI (.tools/sam)")
    path = directory / "sam"
    path.write_text(
        FAKE_SAM.format(python=sys.executable, real_sam=str(sam.SAM), log=str(log)),
        encoding="utf-8",
    )
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def _deploy(
    checkout: Path, fake_sam: Path, aws: LocalAws, **extra: str
) -> subprocess.CompletedProcess[str]:
    environment = {**sam.tool_environment(), **extra}
    environment.pop("AWS_ENDPOINT_URL", None)  # the command gets the emulator from --emulator
    return subprocess.run(
        [
            str(Path(sys.executable).with_name("cv-analytics")),
            "deploy",
            "--auto-approve",
            "--sam",
            str(fake_sam),
            "--emulator",
            aws.endpoint_url,
            "--state-dir",
            str(checkout.parent / "state"),
        ],
        cwd=checkout,
        env=environment,
        capture_output=True,
        text=True,
        timeout=1500,
        check=False,
    )


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rehearsal]:
    root = tmp_path_factory.mktemp("rehearsal")
    checkout = _checkout(root / "checkout")
    log = root / "sam-deploy.jsonl"
    fake_sam = _fake_sam(root, log)
    with moto_server(load_managed_policies=True) as aws:
        _apply_deploy_role(aws, root)
        runs, seconds = [], []
        for extra in ({"FAKE_SAM_FAIL": "reporter"}, {}):
            started = time.monotonic()
            run = _deploy(checkout, fake_sam, aws, **extra)
            seconds.append(time.monotonic() - started)
            # Kept for reading when an assertion fails: the whole output of each run.
            (root / f"run-{len(runs) + 1}.log").write_text(run.stdout + run.stderr, "utf-8")
            runs.append(run)
        print(
            f"\nrehearsal of `cv-analytics deploy` against moto: first run (stops at the reporter's "
            f"sam deploy) {seconds[0]:.0f} s, second run (resumes) {seconds[1]:.0f} s",
            file=sys.stderr,
        )
        deploys = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
        yield Rehearsal(aws, checkout, runs, seconds, deploys)


def _output(run: subprocess.CompletedProcess[str]) -> str:
    return run.stdout + run.stderr


def test_the_first_run_stops_at_the_failing_step_saying_how_to_resume(rehearsal: Rehearsal) -> None:
    first = rehearsal.runs[0]
    assert first.returncode == 1, _output(first)[-3000:]
    assert "step 5 (reporter-stack) failed" in first.stderr
    assert "run `cv-analytics deploy` again" in first.stderr
    for check in ("tools", "AWS credentials", "region", "permissions boundary", "SES"):
        assert f"  ok   {check}: " in first.stdout
    assert "== step 6/7" not in first.stdout


def test_the_second_run_resumes_and_completes(rehearsal: Rehearsal) -> None:
    second = rehearsal.runs[1]
    assert second.returncode == 0, _output(second)[-4000:]
    assert "Deployment complete in " in second.stdout
    # Already there: the processor's stack is at its release, nothing rebuilt.
    assert f"stack {PREFIX}-processor already runs release" in second.stdout
    assert f"stack {PREFIX}-reporter does not exist yet: build and deploy" in second.stdout
    assert second.stdout.count("sam build --config-env") == 1


def test_sam_deploy_gets_the_region_the_stack_names_and_no_capability(rehearsal: Rehearsal) -> None:
    """The exact command lines: a region other than the shell's, the prefix's stack names."""
    by_service = {deploy["argv"][2]: deploy for deploy in rehearsal.deploys}
    assert [deploy["argv"][2] for deploy in rehearsal.deploys] == [
        "processor",
        "reporter",  # the injected failure
        "reporter",  # the resumed run; the processor was not deployed again
    ]
    for service in SERVICES:
        deploy = by_service[service]
        assert deploy["argv"] == [
            "deploy",
            "--config-env",
            service,
            "--region",
            REGION,
            "--stack-name",
            f"{PREFIX}-{service}",
            "--s3-prefix",
            f"{PREFIX}-{service}",
            "--no-fail-on-empty-changeset",
        ]
        assert deploy["AWS_DEFAULT_REGION"] == REGION, "botocore's own region variable"
        assert Path(deploy["cwd"]).resolve() == rehearsal.checkout.resolve()
        # What samconfig.toml adds: the built template and the parameter file, no capability.
        config = sam.samconfig()[service]["deploy"]["parameters"]
        assert "capabilities" not in config
        assert (rehearsal.checkout / config["template_file"]).is_file(), "sam build ran"


def test_the_stacks_get_every_parameter_from_the_terraform_outputs(rehearsal: Rehearsal) -> None:
    by_service = {deploy["argv"][2]: deploy["parameters"] for deploy in rehearsal.deploys}
    account = "123456789012"
    processor, reporter = by_service["processor"], by_service["reporter"]
    assert processor["NamePrefix"] == reporter["NamePrefix"] == PREFIX
    assert processor["QueueArn"] == f"arn:aws:sqs:{REGION}:{account}:{PREFIX}-events.fifo"
    assert processor["InterimTableName"] == f"{PREFIX}-query-events"
    assert (
        processor["AnalyticsTableName"] == reporter["AnalyticsTableName"] == f"{PREFIX}-analytics"
    )
    assert (
        processor["CodeDeployRoleArn"]
        == f"arn:aws:iam::{account}:role/{PREFIX}-processor-codedeploy"
    )
    assert (
        reporter["CodeDeployRoleArn"] == f"arn:aws:iam::{account}:role/{PREFIX}-reporter-codedeploy"
    )
    assert reporter["ReportSender"] == f"CV reports <{SENDER}>"
    assert reporter["ReportRecipients"] == ",".join(RECIPIENTS)
    assert (
        reporter["PricePerMillionInputTokens"],
        reporter["PricePerMillionOutputTokens"],
        reporter["PriceCurrency"],
    ) == ("0.8", "4", "GBP")
    # Every parameter a stack's Rules require is there, and not empty.
    template = sam.load_cfn(sam.TEMPLATE)
    for service, parameters in by_service.items():
        rule = next(
            rule
            for rule in template["Rules"].values()
            if rule["RuleCondition"]["Fn::Equals"][1] == service
        )
        for assertion in rule["Assertions"]:
            name = assertion["Assert"]["Fn::Not"][0]["Fn::Equals"][0]["Ref"]
            assert parameters.get(name), f"{service}: {name}"


def test_terraform_created_everything_in_the_settings_region_under_the_prefix(
    rehearsal: Rehearsal,
) -> None:
    sqs = rehearsal.client("sqs")
    url = sqs.get_queue_url(QueueName=f"{PREFIX}-events.fifo")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    assert arn["QueueArn"].split(":")[3] == REGION
    tables = rehearsal.client("dynamodb").list_tables()["TableNames"]
    assert {f"{PREFIX}-analytics", f"{PREFIX}-query-events"} <= set(tables)
    iam = rehearsal.client("iam")
    boundary = f"arn:aws:iam::123456789012:policy/github-{PREFIX}-workload-boundary"
    roles = [r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"].startswith(PREFIX)]
    assert len(roles) == 6  # processor, expiry, reporter, two CodeDeploy, the export schedule's
    for role in roles:
        assert iam.get_role(RoleName=role)["Role"]["PermissionsBoundary"][
            "PermissionsBoundaryArn"
        ] == (boundary)


def test_the_schedule_ends_on_the_reporter_s_live_alias(rehearsal: Rehearsal) -> None:
    events = rehearsal.client("events")
    rule = events.describe_rule(Name=f"{PREFIX}-weekly-report")
    assert rule["State"] == "ENABLED"
    alias = rehearsal.client("lambda").get_alias(FunctionName=f"{PREFIX}-reporter", Name="live")
    targets = events.list_targets_by_rule(Rule=f"{PREFIX}-weekly-report")["Targets"]
    assert [target["Arn"] for target in targets] == [alias["AliasArn"]]
    # The first run, before the function existed, applied with the schedule off.
    first = rehearsal.runs[0].stdout
    assert f"({PREFIX}-reporter:live does not exist yet: schedule off)" in first


def test_the_optional_export_path_is_the_seventh_step_with_its_settings(
    rehearsal: Rehearsal,
) -> None:
    second = rehearsal.runs[1].stdout
    assert "== step 7/7" in second
    schedule = rehearsal.client("scheduler").get_schedule(Name=f"{PREFIX}-analytics-export")
    assert schedule["State"] == "ENABLED"
    assert schedule["Arn"].split(":")[3] == REGION
    target = json.loads(schedule["Target"]["Input"])
    assert target["TableArn"].endswith(f":table/{PREFIX}-analytics")
    assert target["S3Bucket"] == f"{PREFIX}-data-123456789012"
    rules = rehearsal.client("s3").get_bucket_lifecycle_configuration(Bucket=target["S3Bucket"])
    expiry = {rule["ID"]: rule.get("Expiration", {}).get("Days") for rule in rules["Rules"]}
    assert expiry["expire-snapshots"] == 8  # [export] snapshot_retention_days, as TF_VAR_*


def test_the_terraform_state_stayed_local_and_the_checkout_clean(rehearsal: Rehearsal) -> None:
    state = rehearsal.checkout.parent / "state"
    for workspace in ("worker_infra", "processor_infra", "reporter_infra", "export_infra"):
        assert (state / workspace / "terraform.tfstate").is_file()
        assert not (rehearsal.checkout / workspace / ".terraform").exists()
    assert os.environ.get("TF_WORKSPACE") is None
