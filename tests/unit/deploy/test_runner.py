"""Running a plan: commands in order, the first failure stops it; current stacks and a live
reporter are recognised so that a second run resumes instead of redoing."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from cv_analytics.deploy import plan as deploy_plan
from cv_analytics.deploy.plan import Command, Target, build
from cv_analytics.deploy.runner import DeployError, Runner, SubprocessExecutor
from cv_analytics.deploy.settings import Settings
from cv_analytics.deploy.tools import Tools

TOOLS = Tools(terraform="terraform", sam="sam")
STACK_TEMPLATE = json.dumps(
    {
        "Parameters": {"DeployHash": {"Type": "String"}},
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
    }
)


class Recorder:
    """Records commands; fails the one whose shell line contains ``fail_on``; writes the
    parameter files the real scripts would."""

    def __init__(self, root: Path, fail_on: str | None = None, deploy_hash: str = "a" * 16):
        self.root = root
        self.fail_on = fail_on
        self.deploy_hash = deploy_hash
        self.lines: list[str] = []
        self.environments: list[Mapping[str, str]] = []

    def run(self, command: Command, *, cwd: Path, environment: Mapping[str, str]) -> int:
        assert cwd == self.root
        self.lines.append(command.shell())
        self.environments.append({**environment, **command.environment})
        if "sam_parameters.py" in command.argv[1]:
            service = command.argv[2]
            path = self.root / deploy_plan.parameters_file(service)  # type: ignore[arg-type]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({"Service": service, "DeployHash": self.deploy_hash}))
        return 1 if self.fail_on and self.fail_on in command.shell() else 0


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def runner(settings: Settings, recorder: Recorder) -> Runner:
    plan = build(settings, Target(root=recorder.root, tools=TOOLS, auto_approve=True))
    return Runner(plan, executor=recorder, out=io.StringIO())


def test_a_first_deployment_runs_every_step_in_order(
    settings: Settings, tmp_path: Path, aws: None
) -> None:
    recorder = Recorder(tmp_path)
    runner(settings, recorder).run()
    assert [line.split(" ", 2)[1] for line in recorder.lines if line.startswith("TF_")] == [
        "terraform",
    ] * 9  # init+apply x3, output x2, the last apply
    applies = [line for line in recorder.lines if " apply " in line]
    assert [line.split()[0] for line in applies] == [
        "TF_WORKSPACE=cv-analytics-worker",
        "TF_WORKSPACE=cv-analytics-processor",
        "TF_WORKSPACE=cv-analytics-reporter",
        "TF_WORKSPACE=cv-analytics-reporter",
    ]
    assert applies[2].endswith("-var=schedule_enabled=false"), "no reporter yet: schedule off"
    assert applies[3].endswith("-var=schedule_enabled=true")
    sams = [line for line in recorder.lines if line.startswith("sam ")]
    assert [line.split()[1:4] for line in sams] == [
        ["build", "--config-env", "processor"],
        ["deploy", "--config-env", "processor"],
        ["build", "--config-env", "reporter"],
        ["deploy", "--config-env", "reporter"],
    ]
    for environment in recorder.environments:
        assert environment["AWS_DEFAULT_REGION"] == "eu-west-2"


def test_the_first_failure_stops_the_run_and_says_how_to_resume(
    settings: Settings, tmp_path: Path, aws: None
) -> None:
    recorder = Recorder(tmp_path, fail_on="sam build --config-env reporter")
    with pytest.raises(DeployError) as raised:
        runner(settings, recorder).run()
    message = str(raised.value)
    assert "step 5 (reporter-stack) failed" in message
    assert "run `cv-analytics deploy` again" in message
    assert recorder.lines[-1] == "sam build --config-env reporter"
    assert not any("deploy --config-env reporter" in line for line in recorder.lines)


def test_a_second_run_skips_current_stacks_and_keeps_the_schedule_on(
    settings: Settings, tmp_path: Path, aws: None
) -> None:
    cloudformation = boto3.client("cloudformation", region_name="eu-west-2")
    for service, deployed in (("processor", "a" * 16), ("reporter", "b" * 16)):
        cloudformation.create_stack(
            StackName=f"cv-analytics-{service}",
            TemplateBody=STACK_TEMPLATE,
            Parameters=[{"ParameterKey": "DeployHash", "ParameterValue": deployed}],
        )
    lambda_client = boto3.client("lambda", region_name="eu-west-2")
    iam = boto3.client("iam", region_name="eu-west-2")
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lambda_client.create_function(
        FunctionName="cv-analytics-reporter",
        Runtime="python3.13",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
    )
    lambda_client.create_alias(
        FunctionName="cv-analytics-reporter", Name="live", FunctionVersion="$LATEST"
    )

    recorder = Recorder(tmp_path, deploy_hash="a" * 16)
    run = runner(settings, recorder)
    run.run()
    printed = run.out.getvalue()  # type: ignore[attr-defined]
    assert "stack cv-analytics-processor already runs release aaaaaaaaaaaaaaaa" in printed
    assert "stack cv-analytics-reporter runs another release: build and deploy" in printed
    assert not any("--config-env processor" in line for line in recorder.lines)
    assert any(line.startswith("sam deploy --config-env reporter") for line in recorder.lines)
    applies = [line for line in recorder.lines if "reporter_infra apply" in line]
    assert all(line.endswith("-var=schedule_enabled=true") for line in applies), applies


def test_the_dry_run_prints_every_command_and_runs_none(settings: Settings, tmp_path: Path) -> None:
    recorder = Recorder(tmp_path)
    run = runner(settings, recorder)
    run.print_plan()
    printed = run.out.getvalue()  # type: ignore[attr-defined]
    assert recorder.lines == []
    for step in run.plan.steps:
        assert f"# {step.number}. {step.title}" in printed
        for action in step.actions:
            if isinstance(action, deploy_plan.Run):
                assert action.command.shell() in printed
    assert "export AWS_DEFAULT_REGION=eu-west-2" in printed
    assert "export TF_VAR_report_sender=reports@example.com" in printed


def test_the_subprocess_executor_merges_the_environment_and_writes_stdout(tmp_path: Path) -> None:
    command = Command(
        (sys.executable, "-c", "import os; print(os.environ['A'] + os.environ['B'])"),
        {"B": "2"},
        stdout_file=Path("out") / "value.txt",
    )
    status = SubprocessExecutor().run(command, cwd=tmp_path, environment={"A": "1"})
    assert status == 0
    assert (tmp_path / "out" / "value.txt").read_text().strip() == "12"
    failing = Command((sys.executable, "-c", "raise SystemExit(3)"))
    assert SubprocessExecutor().run(failing, cwd=tmp_path, environment={}) == 3
