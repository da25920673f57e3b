"""deploy.toml: one place for every setting; a missing one is named; names derived once."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from cv_analytics.deploy.settings import (
    WORKSPACES,
    SettingsError,
    load,
    parse,
    terraform_value,
)
from tests.unit.deploy.conftest import COMMITTED, filled


def problems(text: str) -> str:
    with pytest.raises(SettingsError) as raised:
        parse(text, Path("deploy.toml"))
    return str(raised.value)


def test_the_committed_file_names_each_setting_a_user_must_choose() -> None:
    """A fresh clone fails at the first step, naming the three settings to fill in."""
    with pytest.raises(SettingsError) as raised:
        load(COMMITTED)
    lines = str(raised.value).splitlines()
    assert "3 setting(s) to fix" in lines[0]
    assert sorted(line.split(":")[0].strip() for line in lines[1:]) == [
        "report.recipients",
        "report.sender",
        "terraform_cloud.organization",
    ]
    assert all("required:" in line for line in lines[1:])


def test_a_missing_file_says_where_to_run_from(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="run from the repository's root or pass --settings"):
        load(tmp_path / "deploy.toml")


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (('name_prefix = "cv-analytics"', 'name_prefix = "CV"'), "name_prefix"),
        (('name_prefix = "cv-analytics"', 'name_prefix = "ab"'), "name_prefix"),  # SAM's 3 min
        (('region = "eu-west-2"', 'region = "London"'), "region"),
        (('region = "eu-west-2"', 'region = ""'), "region: required"),
        (("ses_sandbox = true", 'ses_sandbox = "yes"'), "report.ses_sandbox"),
        (('schedule = "cron(0 7 ? * MON *)"', 'schedule = "weekly"'), "report.schedule"),
        (('price_currency = "USD"', 'price_currency = "pounds"'), "report.price_currency"),
        (('email = ""', 'email = "ops"'), "alerts.email"),
        (('sender_name = ""', 'sender_name = "Reports <x>"'), "report.sender_name"),
        (("[alerts]", "[alert]"), "alert"),  # a misspelt section is not silently ignored
    ],
)
def test_each_bad_value_is_named(change: tuple[str, str], named: str) -> None:
    text = filled()
    assert change[0] in text
    assert named in problems(text.replace(*change, 1))


def test_recipients_must_be_addresses_and_prices_come_in_pairs() -> None:
    report = problems(filled(recipients='["owner@example.com", "nobody"]'))
    assert "report.recipients.1" in report and "'nobody' is not an email address" in report
    text = filled().replace(
        "# price_per_million_input_tokens = 0.8", "price_per_million_input_tokens = 0.8"
    )
    assert "set both price_per_million_input_tokens and price_per_million_output_tokens" in (
        problems(text)
    )


def test_names_derive_from_the_prefix_unless_chosen() -> None:
    settings = parse(filled().replace('"cv-analytics"', '"acme-cv"', 1), COMMITTED)
    assert [settings.workspace_name(w) for w in WORKSPACES] == [
        "acme-cv-worker",
        "acme-cv-processor",
        "acme-cv-reporter",
        "acme-cv-export",
    ]
    assert [settings.workspace_tag(w) for w in WORKSPACES] == [
        "cv-analytics-worker",
        "cv-analytics-processor",
        "cv-analytics-reporter",
        "cv-analytics-export",
    ]
    assert settings.stack_name("processor") == "acme-cv-processor"
    assert settings.stack_name("reporter") == "acme-cv-reporter"
    assert settings.permissions_boundary_name == "github-acme-cv-workload-boundary"
    chosen = parse(filled().replace('processor = ""', 'processor = "analytics-tables"'), COMMITTED)
    assert chosen.workspace_name("processor_infra") == "analytics-tables"
    assert chosen.workspace_name("worker_infra") == "cv-analytics-worker"


def test_each_workspace_gets_its_variables_and_unset_options_keep_their_defaults() -> None:
    settings = parse(
        filled(
            extra="\n[report_prices_are_in_report]\n".replace("[report_prices_are_in_report]\n", "")
        )
        .replace("# price_per_million_input_tokens = 0.8", "price_per_million_input_tokens = 0.8")
        .replace("# price_per_million_output_tokens = 4", "price_per_million_output_tokens = 4")
        .replace('email = ""', 'email = "ops@example.com"'),
        COMMITTED,
    )
    base = {"name_prefix": "cv-analytics", "aws_region": "eu-west-2"}
    assert settings.terraform_variables("worker_infra") == base
    assert settings.terraform_variables("processor_infra") == base
    assert settings.terraform_variables("reporter_infra", schedule_enabled=False) == {
        **base,
        "report_sender": "reports@example.com",
        "report_recipients": ["owner@example.com", "team@example.com"],
        "ses_sandbox": True,
        "schedule_expression": "cron(0 7 ? * MON *)",
        "price_currency": "USD",
        "alert_email": "ops@example.com",
        "price_per_million_input_tokens": Decimal("0.8"),
        "price_per_million_output_tokens": Decimal("4"),
        "schedule_enabled": False,
    }
    unset = parse(filled(), COMMITTED).terraform_variables("reporter_infra")
    assert not {"alert_email", "report_sender_name", "price_per_million_input_tokens"} & set(unset)


def test_variables_reach_terraform_as_tf_var_in_hcl_syntax(settings) -> None:
    environment = settings.terraform_environment()
    assert environment["TF_VAR_aws_region"] == "eu-west-2"
    assert environment["TF_VAR_report_recipients"] == '["owner@example.com","team@example.com"]'
    assert environment["TF_VAR_ses_sandbox"] == "true"
    assert "TF_VAR_schedule_enabled" not in environment, "each step decides it"
    assert terraform_value(Decimal("0.000015")) == "0.000015"
    assert terraform_value("a b") == "a b"


def test_the_region_is_given_to_botocore_explicitly(settings) -> None:
    """botocore reads AWS_DEFAULT_REGION (or the profile), never AWS_REGION alone."""
    assert settings.aws_environment() == {
        "AWS_REGION": "eu-west-2",
        "AWS_DEFAULT_REGION": "eu-west-2",
    }


def test_terraform_cloud_is_selected_by_organization_and_workspace(settings) -> None:
    assert settings.terraform_cloud_environment("reporter_infra") == {
        "TF_CLOUD_ORGANIZATION": "acme",
        "TF_WORKSPACE": "cv-analytics-reporter",
    }
    enterprise = parse(
        filled().replace('# hostname = "app.terraform.io"', 'hostname = "tfe.example.com"'),
        COMMITTED,
    )
    assert enterprise.terraform_cloud_environment("worker_infra")["TF_CLOUD_HOSTNAME"] == (
        "tfe.example.com"
    )


# ---------------------------------------------------------------- the optional export path

ENABLE_EXPORT = ("\nenabled = false", "\nenabled = true")


def test_the_export_path_is_off_unless_enabled_and_then_a_fourth_workspace() -> None:
    off = parse(filled(), COMMITTED)
    assert off.workspaces == ("worker_infra", "processor_infra", "reporter_infra")
    on = parse(filled().replace(*ENABLE_EXPORT), COMMITTED)
    assert on.workspaces == (*off.workspaces, "export_infra")
    assert on.workspace_name("export_infra") == "cv-analytics-export"
    assert on.terraform_variables("export_infra") == {
        "name_prefix": "cv-analytics",
        "aws_region": "eu-west-2",
        "export_schedule_expression": "cron(0 5 ? * MON *)",
        "snapshot_retention_days": 15,
    }
    environment = on.terraform_environment()
    assert environment["TF_VAR_snapshot_retention_days"] == "15"
    assert environment["TF_VAR_report_sender"] == "reports@example.com"  # the reporter's still
    named = parse(
        filled()
        .replace(*ENABLE_EXPORT)
        .replace('bucket_name = ""', 'bucket_name = "cv-analytics-x"'),
        COMMITTED,
    )
    assert named.terraform_variables("export_infra")["bucket_name"] == "cv-analytics-x"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (('bucket_name = ""', 'bucket_name = "someone-elses"'), 'must start with "cv-analytics-"'),
        (('bucket_name = ""', 'bucket_name = "Not_A_Bucket"'), "export.bucket_name"),
        (
            ("snapshot_retention_days = 15", "snapshot_retention_days = 1"),
            "export.snapshot_retention_days",
        ),
        (('schedule = "cron(0 5 ? * MON *)"', 'schedule = "weekly"'), "export.schedule"),
        (("enabled = false", 'enabled = "yes"'), "export.enabled"),
    ],
)
def test_each_bad_export_setting_is_named(change: tuple[str, str], named: str) -> None:
    text = filled()
    assert change[0] in text
    assert named in problems(text.replace(*change, 1))
