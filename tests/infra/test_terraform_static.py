"""The Terraform workspaces, checked without applying them: formatting, validation, their
interface (documented variables and outputs, validation of bad input) and the state backend."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from cv_analytics.deploy.settings import NAME_PREFIX_PATTERN
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
        "name_prefix": ("ab", "name_prefix must be"),  # 3 characters at least, as SAM's NamePrefix
        "report_sender": ("nobody", "report_sender must be"),
        "report_sender_name": ("Reports <x>", "report_sender_name must be"),
        "report_recipients": ([], "report_recipients must"),
        "schedule_expression": ("weekly", "schedule_expression must be"),
        "alert_email": ("ops", "alert_email must be"),
        "oldest_message_age_threshold_seconds": (5, "oldest_message_age_threshold_seconds must"),
        "alarm_period_seconds": (120, "alarm_period_seconds must be"),
        "price_per_million_input_tokens": (-1, "price_per_million_input_tokens must be"),
        "price_currency": ("pounds", "price_currency must be"),
    },
    "export": {
        "bucket_name": ("Not_A_Bucket", "bucket_name must be"),
        "export_schedule_expression": ("weekly", "export_schedule_expression must be"),
        "snapshot_retention_days": (1, "snapshot_retention_days must be"),
        "query_result_retention_days": (0, "query_result_retention_days must be"),
        "bytes_scanned_cutoff_per_query": (1024, "bytes_scanned_cutoff_per_query must be"),
    },
}
# Variables without a default that a valid plan needs besides name_prefix and aws_region.
REQUIRED: dict[str, dict[str, Any]] = {
    "reporter": {"report_sender": "reports@example.com", "report_recipients": ["a@example.com"]},
}


@pytest.mark.parametrize("service", SERVICES)
def test_bad_variable_values_are_rejected(
    service: str, initialised: dict[str, tf.Workspace], local_aws: LocalAws
) -> None:
    # Planned against the shared moto server so that nothing can reach AWS whatever is evaluated.
    workspace = initialised[service]
    workspace = tf.Workspace(workspace.module_dir, workspace.work_dir, local_aws.environment())
    bad = {name: value for name, (value, _) in BAD_VALUES[service].items()}
    good = {"name_prefix": "cv-static", "aws_region": local_aws.region, **REQUIRED.get(service, {})}
    with pytest.raises(tf.TerraformError) as failure:
        tf.plan_json(workspace, {**tf.emulator_variables(service), **good, **bad})
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
    # Values that can be mistyped are validated (booleans, tags and maps cannot go wrong):
    # name_prefix and aws_region once for every workspace, by the naming module they are given to.
    (naming,) = [body for name, body in hcl.blocks(module, "module") if name == "naming"]
    assert naming["source"] == ["../infra_modules/naming"]
    validated_by_naming = {
        name for name in ("name_prefix", "aws_region") if naming[name] == [f"${{var.{name}}}"]
    }
    assert validated_by_naming == {"name_prefix", "aws_region"}
    for name, body in variables.items():
        if name in validated_by_naming:
            assert "default" not in body, f"{name} comes from deploy.toml: no default"
            continue
        if body["type"][0] in ("${string}", "${number}", "${list(string)}"):
            assert body.get("validation"), f"variable {name} has no validation"


EMULATOR_SWITCHES = (
    "skip_credentials_validation",
    "skip_requesting_account_id",
    "skip_metadata_api_check",
)


@needs_hcl2
@pytest.mark.parametrize("service", SERVICES)
def test_production_provider_has_no_emulator_switch(service: str, tmp_path: Path) -> None:
    """The skip_* switches exist only in the provider_override.tf of an emulator's work copy."""
    module = hcl.load_module(tf.MODULES[service])
    providers = [body for entry in module["providers.tf"]["provider"] for body in entry.values()]
    assert len(providers) == 1
    provider = providers[0]
    assert provider["region"] == ["${var.aws_region}"]
    assert not set(EMULATOR_SWITCHES) & set(provider)
    assert not set(EMULATOR_SWITCHES) & set(dict(hcl.blocks(module, "variable")))

    emulated = tf.prepare(tf.MODULES[service], tmp_path / "emulator")
    override = hcl.load_module(emulated.work_dir)[tf.PROVIDER_OVERRIDE_FILE]
    (switches,) = [body for entry in override["provider"] for body in entry.values()]
    # export_infra asks the emulator's STS for the account id (the provider builds the Athena
    # workgroup's ARN from it); the emulator answers, and AWS never sees this file.
    asks_for_account = {"export": {"skip_requesting_account_id"}}.get(service, set())
    assert {name: switches[name] for name in EMULATOR_SWITCHES} == {
        name: [name not in asks_for_account] for name in EMULATOR_SWITCHES
    }
    aws = tf.prepare(tf.MODULES[service], tmp_path / "aws", emulator=False)
    assert not (aws.work_dir / tf.PROVIDER_OVERRIDE_FILE).exists()


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

    (module / tf.LOCK_FILE).write_text("# lock", encoding="utf-8")
    shared = tmp_path / tf.SHARED_MODULES_DIR / "naming"
    shared.mkdir(parents=True)
    (shared / "main.tf").write_text("# shared", encoding="utf-8")

    workspace = tf.prepare(module, tmp_path / "runs" / "work", {"AWS_REGION": "eu-west-2"})

    copied = sorted(path.name for path in workspace.work_dir.iterdir())
    assert copied == sorted(
        [tf.LOCK_FILE, tf.BACKEND_OVERRIDE_FILE, tf.PROVIDER_OVERRIDE_FILE, "main.tf"]
    )
    assert (tmp_path / "runs" / tf.SHARED_MODULES_DIR / "naming" / "main.tf").is_file()
    assert 'backend "local"' in (workspace.work_dir / tf.BACKEND_OVERRIDE_FILE).read_text()
    assert workspace.environment == {"AWS_REGION": "eu-west-2"}
    # The module itself is left as it was.
    assert sorted(path.name for path in module.iterdir()) == [
        tf.LOCK_FILE,
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


# ---------------------------------------------------------------- provider versions and names

ROOTS = [*tf.MODULES.values(), tf.DEPLOY_ROLE_MODULE]


def test_the_provider_is_pinned_exactly_and_locked_the_same_in_every_root() -> None:
    """Provider versions cannot change between a plan and its apply (or between two machines):
    an exact version in versions.tf, and one committed lock file, identical in every root."""
    locks = {root.name: (root / tf.LOCK_FILE).read_text(encoding="utf-8") for root in ROOTS}
    assert len(set(locks.values())) == 1, "the roots' lock files differ"
    lock = next(iter(locks.values()))
    (version,) = re.findall(r'^\s+version\s+=\s+"([^"]+)"', lock, re.M)
    assert re.search(rf'constraints = "{re.escape(version)}"', lock)
    assert len(re.findall(r'"zh:[0-9a-f]{64}"', lock)) >= 10, "checksums for every platform"
    assert re.search(r'"h1:[A-Za-z0-9+/=]{44}"', lock)
    for root in ROOTS:
        versions = (root / "versions.tf").read_text(encoding="utf-8")
        assert f'version = "{version}"' in versions, root.name
    ignored = (tf.REPO_ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert tf.LOCK_FILE not in ignored


def test_init_with_the_lock_file_works_offline_and_refuses_another_provider(tmp_path: Path) -> None:
    workspace = tf.prepare(tf.WORKER_MODULE, tmp_path / "worker")
    assert "-lockfile=readonly" in tf.init_arguments(workspace.work_dir)
    tf.init(workspace)  # from the mirror when there is one, the lock file read-only
    tampered = tf.prepare(tf.WORKER_MODULE, tmp_path / "tampered")
    lock = tampered.work_dir / tf.LOCK_FILE
    lock.write_text(re.sub(r'"h1:[^"]+"', '"h1:' + "A" * 43 + '="', lock.read_text()), "utf-8")
    if not tf.PLUGIN_MIRROR.is_dir():
        pytest.skip("the registry's zh: checksums would still match: needs the local mirror")
    lock.write_text(re.sub(r'\s+"zh:[0-9a-f]{64}",', "", lock.read_text()), "utf-8")
    with pytest.raises(tf.TerraformError, match="checksum"):
        tf.init(tampered)


def test_the_prefix_rule_is_the_same_for_terraform_sam_and_deploy_toml() -> None:
    """A prefix deploy.toml accepts is one every workspace and the SAM template accept."""
    naming = (tf.REPO_ROOT / "infra_modules" / "naming" / "main.tf").read_text(encoding="utf-8")
    (terraform_rule,) = re.findall(
        r'condition\s+=\s+can\(regex\("([^"]+)", var\.name_prefix\)\)', naming
    )
    template = (tf.REPO_ROOT / "template.yaml").read_text(encoding="utf-8")
    (sam_rule,) = re.findall(r'NamePrefix:\n(?:.*\n)*?\s+AllowedPattern: "([^"]+)"', template)
    assert terraform_rule.replace("\\\\", "\\") == sam_rule == NAME_PREFIX_PATTERN
