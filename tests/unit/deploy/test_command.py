"""`cv-analytics deploy` on the command line: wiring, dry run, settings and usage errors, and the
base dependencies only."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from cv_analytics.cli import main
from tests.unit.deploy.conftest import COMMITTED, filled


def test_the_dry_run_prints_the_six_steps_and_changes_nothing(
    settings_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["deploy", "--dry-run", "--settings", str(settings_file)]) == 0
    out = capsys.readouterr().out
    for number in range(1, 7):
        assert f"\n# {number}. " in out
    assert "export AWS_DEFAULT_REGION=eu-west-2" in out
    assert "TF_WORKSPACE=cv-analytics-worker " in out
    assert (
        "deploy --config-env reporter --region eu-west-2 --stack-name cv-analytics-reporter" in out
    )
    assert not (settings_file.parent / ".aws-sam").exists()


def test_missing_settings_stop_before_anything_with_their_names(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["deploy", "--dry-run", "--settings", str(COMMITTED)]) == 2
    err = capsys.readouterr().err
    assert "terraform_cloud.organization: required" in err
    assert "report.sender: required" in err


def test_a_rehearsal_needs_both_the_emulator_and_a_state_dir(
    settings_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["deploy", "--settings", str(settings_file), "--emulator", "http://x"]) == 2
    assert "--emulator and --state-dir go together" in capsys.readouterr().err


def test_the_deploy_command_needs_only_the_base_dependencies() -> None:
    """No moto, powertools or chevron at load: it runs from a plain `pip install cv-analytics`."""
    code = (
        "import sys\n"
        "import cv_analytics.deploy.command, cv_analytics.deploy.ci, cv_analytics.deploy.checks\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('moto', 'aws_lambda_powertools', 'chevron', 'yaml', 'processor', 'reporter'))\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path("/")
    )
    assert result.stdout.strip() == ""


def test_register_adds_deploy_with_its_handler() -> None:
    import argparse

    from cv_analytics.deploy import command

    parser = argparse.ArgumentParser()
    command.register(parser.add_subparsers())
    args = parser.parse_args(["deploy", "--dry-run"])
    assert args.func is command.run
    assert args.dry_run is True


def test_the_readme_s_hand_run_commands_are_exactly_what_the_command_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """README's "by hand" block is the dry run of deploy.toml with its three example values."""
    readme = (COMMITTED.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### First deployment: one command") :]
    section = section[section.index("ready to paste:") :]
    block = section[section.index("```bash\n") + len("```bash\n") : section.index("\n```\n")]
    settings = tmp_path / "deploy.toml"
    settings.write_text(
        filled(
            organization="my-org",
            sender="reports@example.com",
            recipients='["you@example.com"]',
        ),
        encoding="utf-8",
    )
    assert main(["deploy", "--dry-run", "--settings", str(settings)]) == 0
    out = capsys.readouterr().out
    printed = out[out.index("export ") :].rstrip("\n")
    # The interpreter is this machine's; the README says `python`.
    printed = re.sub(r"^\S*python[0-9.]* scripts/", "python scripts/", printed, flags=re.M)
    printed = re.sub(r"^(TF_WORKSPACE=\S+ )?\S*/terraform ", r"\1terraform ", printed, flags=re.M)
    printed = re.sub(r"^\S*/sam ", "sam ", printed, flags=re.M)
    assert printed == block


def test_registering_the_command_loads_no_aws_sdk() -> None:
    """Building the parser stays quick (`cv-analytics --help`): the handler imports the rest."""
    code = (
        "import argparse, sys\n"
        "from cv_analytics.deploy.command import register\n"
        "register(argparse.ArgumentParser().add_subparsers())\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 'moto')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path("/")
    )
    assert result.stdout.strip() == "[]"
