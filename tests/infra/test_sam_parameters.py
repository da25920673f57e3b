"""scripts/sam_parameters.py: Terraform outputs -> the SAM stacks' parameter files."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
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
        "name_prefix": output("cv-analytics"),
        "codedeploy_role_arn": output(
            f"arn:aws:iam::{ACCOUNT}:role/cv-analytics-processor-codedeploy"
        ),
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
        "name_prefix": output("cv-analytics"),
        "codedeploy_role_arn": output(
            f"arn:aws:iam::{ACCOUNT}:role/cv-analytics-reporter-codedeploy"
        ),
        "reporter_role_arn": output(f"arn:aws:iam::{ACCOUNT}:role/cv-analytics-reporter"),
        "report_sender": output("Reports <reports@example.com>"),
        "report_recipients": output("a@example.com,b@example.com"),
        "analytics_table_name": output("cv-analytics-analytics"),
        # Terraform writes null for an unset optional variable's output.
        "price_per_million_input_tokens": output(None),
        "price_per_million_output_tokens": output(None),
        "price_currency": output("USD"),
    },
}


@pytest.fixture(scope="module")
def script() -> ModuleType:
    return load_script()


def test_processor_parameters_come_from_its_workspace(script: ModuleType) -> None:
    parameters = script.resolve("processor", OUTPUTS)
    assert parameters == {
        "Service": "processor",
        "NamePrefix": "cv-analytics",
        "CodeDeployRoleArn": f"arn:aws:iam::{ACCOUNT}:role/cv-analytics-processor-codedeploy",
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
    outputs["reporter_infra"]["price_per_million_output_tokens"] = output(1.5e-05)
    outputs["reporter_infra"]["price_currency"] = output("GBP")
    parameters = script.resolve("reporter", outputs)
    assert parameters["ReportRecipients"] == "a@example.com,b@example.com"
    assert parameters["NamePrefix"] == "cv-staging"
    assert parameters["PricePerMillionInputTokens"] == "3"
    # Plain decimals: the template's AllowedPattern has no exponent.
    assert parameters["PricePerMillionOutputTokens"] == "0.000015"
    assert parameters["PriceCurrency"] == "GBP"
    # Unset prices (null outputs) keep the template default (""): no cost in the report.
    assert "PricePerMillionInputTokens" not in script.resolve("reporter", OUTPUTS)
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
    resolved = script.resolve("reporter", OUTPUTS)
    assert written == {**resolved, "DeployHash": script.deploy_hash("reporter", resolved)}
    pattern = sam.load_cfn(sam.TEMPLATE)["Parameters"]["DeployHash"]["AllowedPattern"]
    assert re.fullmatch(pattern, written["DeployHash"]), "CloudFormation accepts the hash"
    assert written["DeployHash"] != "", "the stack's Rules refuse an empty DeployHash"
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
        # DeployHash is no Terraform output: the script computes it and always writes it.
        assert script.DEPLOY_HASH in template["Parameters"]
        assert required_by_rule <= required_here | {script.DEPLOY_HASH}, service
        assert script.DEPLOY_HASH in required_by_rule, service


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


# ---------------------------------------------------------------- DeployHash


def _release_tree(root: Path) -> Path:
    """A small repository: template, samconfig, contract layer and both function directories."""
    files = {
        "template.yaml": "Resources: {}\n",
        "samconfig.toml": "version = 0.1\n",
        "contract/requirements.txt": "pydantic==2.9.2\n",
        "contract/event-contract-v1.schema.json": "{}\n",
        "contract/analytics_contract/__init__.py": "",
        "contract/analytics_contract/events.py": "LIMIT = 1\n",
        "contract/analytics_contract/__pycache__/events.cpython-313.pyc": "cache",
        "processor/Makefile": "package:\n",
        "processor/app.py": "def handler(event, context): ...\n",
        "processor/__pycache__/app.cpython-313.pyc": "cache",
        "processor/.mypy_cache/x.json": "{}",
        "reporter/app.py": "def handler(event, context): ...\n",
        "reporter/templates/report.txt.mustache": "{{week}}\n",
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


PROCESSOR_PARAMETERS = {"Service": "processor", "AnalyticsTableName": "cv-analytics-analytics"}


def test_deploy_hash_is_stable_for_the_same_release(script: ModuleType, tmp_path: Path) -> None:
    root = _release_tree(tmp_path)
    first = script.deploy_hash("processor", PROCESSOR_PARAMETERS, root)
    assert re.fullmatch(r"[0-9a-f]{16}", first)
    assert script.deploy_hash("processor", dict(PROCESSOR_PARAMETERS), root) == first
    # A hash already in the parameters (a file written before) is not an input of itself.
    assert script.deploy_hash("processor", {**PROCESSOR_PARAMETERS, "DeployHash": "x"}, root) == (
        first
    )
    # Caches, dot files and the other service's code are not part of the processor's release.
    (root / "processor" / "__pycache__" / "app.cpython-313.pyc").write_text("other", "utf-8")
    (root / "contract" / "analytics_contract" / "__pycache__" / "new.pyc").write_text("x", "utf-8")
    (root / "processor" / ".mypy_cache" / "x.json").write_text("[]", encoding="utf-8")
    (root / "reporter" / "app.py").write_text("changed = True\n", encoding="utf-8")
    assert script.deploy_hash("processor", PROCESSOR_PARAMETERS, root) == first


@pytest.mark.parametrize(
    "change",
    [
        "contract/analytics_contract/events.py",
        "contract/requirements.txt",
        "contract/event-contract-v1.schema.json",
        "contract/analytics_contract/new_module.py",
        "processor/app.py",
        "processor/Makefile",
        "template.yaml",
        "samconfig.toml",
    ],
)
def test_deploy_hash_changes_with_any_source_file(
    script: ModuleType, tmp_path: Path, change: str
) -> None:
    root = _release_tree(tmp_path)
    before = script.deploy_hash("processor", PROCESSOR_PARAMETERS, root)
    path = root / change
    path.write_text(
        (path.read_text(encoding="utf-8") if path.exists() else "") + "# changed\n", "utf-8"
    )
    assert script.deploy_hash("processor", PROCESSOR_PARAMETERS, root) != before


def test_deploy_hash_changes_with_a_reporter_template_or_a_renamed_file(
    script: ModuleType, tmp_path: Path
) -> None:
    root = _release_tree(tmp_path)
    parameters = {"Service": "reporter"}
    before = script.deploy_hash("reporter", parameters, root)
    template = root / "reporter" / "templates" / "report.txt.mustache"
    template.write_text("{{week}} {{total}}\n", encoding="utf-8")
    edited = script.deploy_hash("reporter", parameters, root)
    assert edited != before
    template.rename(template.with_name("weekly.txt.mustache"))  # same bytes, other path
    assert script.deploy_hash("reporter", parameters, root) != edited


@pytest.mark.parametrize(
    "parameters",
    [
        {**PROCESSOR_PARAMETERS, "AnalyticsTableName": "cv-analytics-analytics-v2"},
        {**PROCESSOR_PARAMETERS, "LogLevel": "DEBUG"},
        {"Service": "processor"},
    ],
    ids=["changed value", "added value", "removed value"],
)
def test_deploy_hash_changes_with_any_parameter_value(
    script: ModuleType, tmp_path: Path, parameters: dict[str, str]
) -> None:
    root = _release_tree(tmp_path)
    before = script.deploy_hash("processor", PROCESSOR_PARAMETERS, root)
    assert script.deploy_hash("processor", parameters, root) != before


def test_deploy_hash_covers_the_repository_s_layer_function_and_template(
    script: ModuleType,
) -> None:
    """The real source lists: the template's CodeUri/ContentUri directories are all covered."""
    template = sam.load_cfn(sam.TEMPLATE)
    layer = template["Resources"]["ContractLayer"]["Properties"]["ContentUri"].rstrip("/")
    for service in sam.SERVICES:
        files = {path.as_posix() for path in script.release_files(service)}
        code = {
            template["Resources"][name]["Properties"]["CodeUri"].rstrip("/")
            for name in sam.functions_of(template, service)
        }
        assert {"template.yaml", "samconfig.toml"} <= files
        for directory in {layer, *code}:
            on_disk = {
                relative.as_posix()
                for path in (sam.REPO / directory).rglob("*")
                if path.is_file()
                for relative in [path.relative_to(sam.REPO)]
                if "__pycache__" not in relative.parts
                and not any(part.startswith(".") for part in relative.parts)
                and relative.suffix not in {".pyc", ".pyo"}
            }
            assert on_disk, directory
            assert on_disk <= files, f"{service}: {sorted(on_disk - files)}"
        assert not any("__pycache__" in name for name in files)
        other = {"processor": "reporter/", "reporter": "processor/"}[service]
        assert not any(name.startswith(other) for name in files)


def test_a_missing_release_source_is_an_error(script: ModuleType, tmp_path: Path) -> None:
    """A wrong root (or a renamed directory) fails rather than hashing less than the release."""
    root = _release_tree(tmp_path)
    shutil.rmtree(root / "processor")
    with pytest.raises(script.ParameterError, match="release source processor is missing"):
        script.deploy_hash("processor", PROCESSOR_PARAMETERS, root)
