"""scripts/sam_parameters.py: Terraform outputs -> the SAM stacks' parameter files."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.infra import sam_support as sam

pytestmark = pytest.mark.infra

SCRIPT = sam.REPO / "scripts" / "sam_parameters.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sam_parameters", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("sam_parameters", module)
    spec.loader.exec_module(module)
    return module


def output(value: Any, *, sensitive: bool = False) -> dict[str, Any]:
    """One entry of `terraform output -json`."""
    kind: Any = "string" if isinstance(value, str) else ["list", "string"]
    return {"sensitive": sensitive, "type": kind, "value": value}


ACCOUNT = "123456789012"
OUTPUTS: dict[str, dict[str, Any]] = {
    "processor_infra": {
        "processor_role_arn": output(f"arn:aws:iam::{ACCOUNT}:role/cv-analytics-processor"),
        "expiry_role_arn": output(f"arn:aws:iam::{ACCOUNT}:role/cv-analytics-expiry"),
        "queue_arn": output(f"arn:aws:sqs:eu-west-2:{ACCOUNT}:cv-analytics-events.fifo"),
        "dead_letter_queue_url": output(
            f"https://sqs.eu-west-2.amazonaws.com/{ACCOUNT}/cv-analytics-events-dlq.fifo"
        ),
        "interim_table_name": output("cv-analytics-query-events"),
        "interim_table_stream_arn": output(
            f"arn:aws:dynamodb:eu-west-2:{ACCOUNT}:table/cv-analytics-query-events/stream/2025-01-01T00:00:00.000"
        ),
        "analytics_table_name": output("cv-analytics-analytics"),
        "analytics_table_arn": output(f"arn:aws:dynamodb:eu-west-2:{ACCOUNT}:table/x"),
    },
    "reporter_infra": {
        "reporter_role_arn": output(f"arn:aws:iam::{ACCOUNT}:role/cv-analytics-reporter"),
        "report_sender": output("Reports <reports@example.com>"),
        "report_recipients": output("a@example.com,b@example.com"),
        "analytics_table_name": output("cv-analytics-analytics"),
    },
}


@pytest.fixture(scope="module")
def script() -> ModuleType:
    return load_script()


def test_processor_parameters_come_from_its_workspace(script: ModuleType) -> None:
    parameters = script.resolve("processor", OUTPUTS)
    assert parameters == {
        "Service": "processor",
        "ProcessorRoleArn": f"arn:aws:iam::{ACCOUNT}:role/cv-analytics-processor",
        "ExpiryRoleArn": f"arn:aws:iam::{ACCOUNT}:role/cv-analytics-expiry",
        "QueueArn": f"arn:aws:sqs:eu-west-2:{ACCOUNT}:cv-analytics-events.fifo",
        "DeadLetterQueueUrl": f"https://sqs.eu-west-2.amazonaws.com/{ACCOUNT}/cv-analytics-events-dlq.fifo",
        "InterimTableName": "cv-analytics-query-events",
        "InterimTableStreamArn": OUTPUTS["processor_infra"]["interim_table_stream_arn"]["value"],
        "AnalyticsTableName": "cv-analytics-analytics",
    }


def test_reporter_parameters_join_lists_and_skip_absent_optional_outputs(
    script: ModuleType,
) -> None:
    outputs = json.loads(json.dumps(OUTPUTS))
    outputs["reporter_infra"]["report_recipients"] = output(["a@example.com", "b@example.com"])
    outputs["reporter_infra"]["name_prefix"] = output("cv-staging")
    outputs["reporter_infra"]["price_per_million_input_tokens"] = output(3)
    parameters = script.resolve("reporter", outputs)
    assert parameters["ReportRecipients"] == "a@example.com,b@example.com"
    assert parameters["NamePrefix"] == "cv-staging"
    assert parameters["PricePerMillionInputTokens"] == "3"
    assert "PricePerMillionOutputTokens" not in parameters  # keeps the template default ("")
    assert parameters["ReportSender"] == "Reports <reports@example.com>"


def test_missing_required_outputs_are_all_named(script: ModuleType) -> None:
    outputs = {"processor_infra": dict(OUTPUTS["processor_infra"])}
    del outputs["processor_infra"]["queue_arn"]
    outputs["processor_infra"]["interim_table_name"] = output(None)
    with pytest.raises(script.ParameterError) as raised:
        script.resolve("processor", outputs)
    message = str(raised.value)
    assert "processor_infra.queue_arn (for QueueArn)" in message
    assert "processor_infra.interim_table_name (for InterimTableName)" in message


def test_values_no_parameter_can_hold_are_refused(script: ModuleType) -> None:
    for bad in ({"a": 1}, ["a,b", "c"], [["nested"]]):
        outputs = json.loads(json.dumps(OUTPUTS))
        outputs["reporter_infra"]["report_recipients"] = output(bad)
        with pytest.raises(script.ParameterError, match="report_recipients"):
            script.resolve("reporter", outputs)


def test_main_writes_the_file_sam_deploy_reads_and_fails_without_outputs(
    script: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs_dir = tmp_path / "outputs"
    outputs_dir.mkdir()
    (outputs_dir / "reporter_infra.json").write_text(
        json.dumps(OUTPUTS["reporter_infra"]), encoding="utf-8"
    )
    target = tmp_path / "reporter.yaml"
    assert (
        script.main(["reporter", "--outputs-dir", str(outputs_dir), "--output", str(target)]) == 0
    )
    written = json.loads(target.read_text(encoding="utf-8"))
    assert written == script.resolve("reporter", OUTPUTS)
    assert "a@example.com" not in capsys.readouterr().err, "values are not printed"

    assert script.main(["processor", "--outputs-dir", str(outputs_dir)]) == 1
    assert "processor_infra.json" in capsys.readouterr().err


def test_the_default_file_is_the_one_samconfig_deploys_with(script: ModuleType) -> None:
    for service in sam.SERVICES:
        default = script.DEFAULT_OUTPUT_DIR / f"{service}.yaml"
        overrides = sam.samconfig()[service]["deploy"]["parameters"]["parameter_overrides"]
        assert f"file://{default.relative_to(sam.REPO)}" in overrides


def test_mapped_parameters_exist_and_cover_what_each_stack_requires(
    script: ModuleType,
) -> None:
    template = sam.load_cfn(sam.TEMPLATE)
    for service, mapping in script.PARAMETERS.items():
        assert set(mapping) <= set(template["Parameters"]), service
        rule = next(
            rule
            for rule in template["Rules"].values()
            if rule["RuleCondition"]["Fn::Equals"][1] == service
        )
        required_by_rule = {
            assertion["Assert"]["Fn::Not"][0]["Fn::Equals"][0]["Ref"]
            for assertion in rule["Assertions"]
        }
        required_here = {name for name, source in mapping.items() if source.required}
        assert required_by_rule <= required_here, service


def test_each_stack_reads_only_its_own_workspace(script: ModuleType) -> None:
    """The deploy job selects the Terraform Cloud workspace of `<service>_infra` (TF_WORKSPACE)."""
    for service in sam.SERVICES:
        assert script.workspaces_of(service) == [f"{service}_infra"]


def test_required_outputs_are_declared_by_the_workspaces(script: ModuleType) -> None:
    """The mapping table against the workspaces' own `output` blocks."""
    for service, mapping in script.PARAMETERS.items():
        for name, source in mapping.items():
            directory = sam.REPO / source.workspace
            if not directory.is_dir():
                pytest.skip(f"{source.workspace}/ is not written yet")
            declared = {
                match
                for path in directory.glob("*.tf")
                for match in re.findall(
                    r'^output\s+"(\w+)"', path.read_text(encoding="utf-8"), re.M
                )
            }
            if source.required:
                assert source.output in declared, (
                    f"{service}: {name} <- {source.workspace}.{source.output}"
                )
