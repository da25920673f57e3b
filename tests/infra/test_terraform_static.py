"""The Terraform workspaces, checked without applying them: formatting, validation, their
interface (documented variables and outputs, validation of bad input) and the state backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cv_analytics.dev.emulator import LocalAws
from cv_analytics.infra import hcl
from cv_analytics.infra import terraform as tf

pytestmark = [
    pytest.mark.infra,
    pytest.mark.skipif(tf.terraform_binary() is None, reason="terraform is not installed"),
]

SERVICES = sorted(tf.MODULES)
needs_hcl2 = pytest.mark.skipif(
    hcl.hcl2tojson_binary() is None, reason="hcl2tojson (checkov tool venv) is not installed"
)


@pytest.fixture(scope="module")
def initialised(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tf.Workspace]:
    """Each module copied and initialised once (local backend, provider mirror when present)."""
    workspaces: dict[str, tf.Workspace] = {}
    root = tmp_path_factory.mktemp("tf-static")
    for service, module in tf.MODULES.items():
        workspace = tf.prepare(module, root / service)
        tf.init(workspace)
        workspaces[service] = workspace
    return workspaces


@pytest.mark.parametrize("service", SERVICES)
def test_terraform_fmt_check(service: str) -> None:
    assert tf.format_problems(tf.MODULES[service]) == []


@pytest.mark.parametrize("service", SERVICES)
def test_terraform_validate(service: str, initialised: dict[str, tf.Workspace]) -> None:
    result = tf.validate(initialised[service])
    assert result["valid"] is True
    assert result["error_count"] == 0
    assert result["warning_count"] == 0, result["diagnostics"]


# One plan per workspace with every bad value at once: Terraform reports each invalid variable.
BAD_VALUES: dict[str, dict[str, tuple[Any, str]]] = {
    "worker": {
        "name_prefix": ("Bad_Prefix", "name_prefix must be"),
        "aws_region": ("London", "aws_region must be"),
        "processor_timeout_seconds": (901, "processor_timeout_seconds must be"),
        "max_receive_count": (0, "max_receive_count must be"),
        "dead_letter_retention_seconds": (1209601, "dead_letter_retention_seconds must be"),
        "receive_wait_time_seconds": (21, "receive_wait_time_seconds must be"),
    },
    "processor": {
        "name_prefix": ("-x", "name_prefix must be"),
        "aws_region": ("eu_west_2", "aws_region must be"),
    },
    "reporter": {
        "report_sender": ("nobody", "report_sender must be"),
        "report_sender_name": ("Reports <x>", "report_sender_name must be"),
        "report_recipients": ([], "report_recipients must"),
        "schedule_expression": ("weekly", "schedule_expression must be"),
        "alert_email": ("ops", "alert_email must be"),
        "oldest_message_age_threshold_seconds": (5, "oldest_message_age_threshold_seconds must"),
        "alarm_period_seconds": (120, "alarm_period_seconds must be"),
    },
    "export": {
        "bucket_name": ("Not_A_Bucket", "bucket_name must be"),
        "export_schedule_expression": ("weekly", "export_schedule_expression must be"),
        "snapshot_retention_days": (1, "snapshot_retention_days must be"),
        "query_result_retention_days": (0, "query_result_retention_days must be"),
        "bytes_scanned_cutoff_per_query": (1024, "bytes_scanned_cutoff_per_query must be"),
    },
}


@pytest.mark.parametrize("service", SERVICES)
def test_bad_variable_values_are_rejected(
    service: str, initialised: dict[str, tf.Workspace], local_aws: LocalAws
) -> None:
    # Planned against the shared moto server so that nothing can reach AWS whatever is evaluated.
    workspace = initialised[service]
    workspace = tf.Workspace(workspace.module_dir, workspace.work_dir, local_aws.environment())
    bad = {name: value for name, (value, _) in BAD_VALUES[service].items()}
    with pytest.raises(tf.TerraformError) as failure:
        tf.plan_json(workspace, {**tf.emulator_variables(service), **bad})
    report = " ".join(str(failure.value).split())
    assert report.count("Invalid value for variable") == len(bad)
    for _, message in BAD_VALUES[service].values():
        assert message in report


@needs_hcl2
@pytest.mark.parametrize("service", SERVICES)
def test_every_variable_and_output_is_documented(service: str) -> None:
    module = hcl.load_module(tf.MODULES[service])
    variables = dict(hcl.blocks(module, "variable"))
    outputs = dict(hcl.blocks(module, "output"))
    assert variables and outputs
    for name, body in variables.items():
        assert body.get("description", [""])[0].strip(), f"variable {name} has no description"
        assert body.get("type"), f"variable {name} has no type"
    for name, body in outputs.items():
        assert body.get("description", [""])[0].strip(), f"output {name} has no description"
    # Values that can be mistyped are validated (booleans, tags and maps cannot go wrong).
    for name, body in variables.items():
        if body["type"][0] in ("${string}", "${number}", "${list(string)}"):
            assert body.get("validation"), f"variable {name} has no validation"


@needs_hcl2
@pytest.mark.parametrize("service", SERVICES)
def test_provider_skips_are_variables_off_by_default(service: str) -> None:
    module = hcl.load_module(tf.MODULES[service])
    providers = [body for entry in module["providers.tf"]["provider"] for body in entry.values()]
    assert len(providers) == 1
    provider = providers[0]
    assert provider["region"] == ["${var.aws_region}"]
    variables = dict(hcl.blocks(module, "variable"))
    for setting in (
        "skip_credentials_validation",
        "skip_requesting_account_id",
        "skip_metadata_api_check",
    ):
        assert provider[setting] == [f"${{var.{setting}}}"]
        assert variables[setting]["default"] == [False]


@needs_hcl2
@pytest.mark.parametrize("service", SERVICES)
def test_production_state_is_hcp_terraform_without_hard_coded_names(service: str) -> None:
    module = hcl.load_module(tf.MODULES[service])
    terraform_blocks = [
        block for content in module.values() for block in content.get("terraform", [])
    ]
    clouds = [cloud for block in terraform_blocks for cloud in block.get("cloud", [])]
    assert len(clouds) == 1, "one cloud {} block (remote state with locking)"
    cloud = clouds[0]
    # Organization and workspace come from TF_CLOUD_ORGANIZATION / TF_WORKSPACE.
    assert set(cloud) == {"workspaces"}
    assert set(cloud["workspaces"][0]) == {"tags"}
    assert hcl.flatten(cloud["workspaces"][0]["tags"]) == [f"cv-analytics-{service}"]
    assert not any("backend" in block for block in terraform_blocks)


def test_prepare_copies_the_module_and_forces_local_state(tmp_path: Path) -> None:
    module = tmp_path / "module"
    module.mkdir()
    (module / "main.tf").write_text("terraform {\n  cloud {}\n}\n", encoding="utf-8")
    (module / "README.md").write_text("docs", encoding="utf-8")
    (module / "dev_override.tf").write_text("# a developer's own override", encoding="utf-8")
    (module / "terraform.tfstate").write_text("{}", encoding="utf-8")

    workspace = tf.prepare(module, tmp_path / "work", {"AWS_REGION": "eu-west-2"})

    copied = sorted(path.name for path in workspace.work_dir.iterdir())
    assert copied == [tf.BACKEND_OVERRIDE_FILE, "main.tf"]
    assert 'backend "local"' in (workspace.work_dir / tf.BACKEND_OVERRIDE_FILE).read_text()
    assert workspace.environment == {"AWS_REGION": "eu-west-2"}
    # The module itself is left as it was.
    assert sorted(path.name for path in module.iterdir()) == [
        "README.md",
        "dev_override.tf",
        "main.tf",
        "terraform.tfstate",
    ]


def test_local_runs_never_inherit_remote_state_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TF_WORKSPACE", "cv-analytics-worker-prod")
    monkeypatch.setenv("TF_CLOUD_ORGANIZATION", "someone")
    (tmp_path / "main.tf").write_text(
        'output "workspace" {\n  value = terraform.workspace\n}\n', encoding="utf-8"
    )
    workspace = tf.prepare(tmp_path, tmp_path / "work")
    tf.init(workspace)
    assert tf.apply(workspace) == {"workspace": "default"}
