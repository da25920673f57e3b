"""The workflows' view of deploy.toml: the same settings, derived the same way."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from cv_analytics.deploy import ci
from cv_analytics.deploy.settings import Settings, SettingsError
from tests.unit.deploy.conftest import COMMITTED


def lines(capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    out = capsys.readouterr().out
    return dict(line.split("=", 1) for line in out.splitlines())


def test_github_env_for_a_workspace_and_a_service(
    settings_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        ci.main(["--settings", str(settings_file), "github-env", "--workspace", "worker_infra"])
        == 0
    )
    worker = lines(capsys)
    assert worker["TF_WORKSPACE"] == "cv-analytics-worker"
    assert worker["AWS_DEFAULT_REGION"] == worker["AWS_REGION"] == "eu-west-2"
    assert worker["TF_CLOUD_ORGANIZATION"] == "acme"
    assert worker["TF_VAR_report_recipients"] == '["owner@example.com","team@example.com"]'
    assert "STACK_NAME" not in worker
    assert ci.main(["--settings", str(settings_file), "github-env", "--service", "reporter"]) == 0
    reporter = lines(capsys)
    assert reporter["TF_WORKSPACE"] == "cv-analytics-reporter"
    assert reporter["STACK_NAME"] == "cv-analytics-reporter"


def test_a_missing_setting_fails_the_job_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert ci.main(["--settings", str(COMMITTED), "github-env"]) == 2
    err = capsys.readouterr().err
    for name in ("terraform_cloud.organization", "report.sender", "report.recipients"):
        assert name in err


def test_no_value_can_inject_a_line_into_github_env() -> None:
    with pytest.raises(SettingsError, match="line break"):
        ci.env_lines({"A": "x\nGITHUB_PATH=/evil"})
    assert ci.env_lines({"A": "1", "B": "two words"}) == "A=1\nB=two words\n"


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def test_needs_deploy_until_the_stack_runs_the_release(
    settings: Settings, tmp_path: Path, aws: None
) -> None:
    parameters = tmp_path / "reporter.yaml"
    parameters.write_text(json.dumps({"DeployHash": "0123456789abcdef"}))
    cloudformation = boto3.client("cloudformation", region_name="eu-west-2")
    assert ci.needs_deploy(settings, "reporter", parameters, cloudformation) is True
    cloudformation.create_stack(
        StackName="cv-analytics-reporter",
        TemplateBody=json.dumps(
            {
                "Parameters": {"DeployHash": {"Type": "String"}},
                "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
            }
        ),
        Parameters=[{"ParameterKey": "DeployHash", "ParameterValue": "0123456789abcdef"}],
    )
    assert ci.needs_deploy(settings, "reporter", parameters, cloudformation) is False
    parameters.write_text(json.dumps({"DeployHash": "fedcba9876543210"}))
    assert ci.needs_deploy(settings, "reporter", parameters, cloudformation) is True


def test_deployed_says_whether_a_workflow_leg_has_a_workspace_to_plan(
    settings_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def deployed(workspace: str) -> str:
        assert (
            ci.main(["--settings", str(settings_file), "deployed", "--workspace", workspace]) == 0
        )
        return capsys.readouterr().out.strip()

    assert deployed("reporter_infra") == "true"
    assert deployed("export_infra") == "false"
    text = settings_file.read_text(encoding="utf-8")
    settings_file.write_text(
        text.replace("\nenabled = false", "\nenabled = true"), encoding="utf-8"
    )
    assert deployed("export_infra") == "true"
