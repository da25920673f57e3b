"""How the command line is put together: light to load, operator commands free of development
dependencies, development commands that say how to install them, one home for shared options."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest

import edge_client
from cv_analytics import dlq
from cv_analytics.cli import COMMAND_GROUPS, aws, build_parser, main
from cv_analytics.dev import resources

#: Run in a child interpreter with moto and powertools made unimportable (``None`` in
#: ``sys.modules`` is how Python marks a module as not available).
WITHOUT_DEV_EXTRA = """
import sys
for name in ("moto", "aws_lambda_powertools"):
    sys.modules[name] = None
from cv_analytics.cli import main
sys.exit(main(sys.argv[1:]))
"""


def run_without_dev_extra(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_DEV_EXTRA, *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_building_the_parser_loads_no_aws_sdk_and_nothing_of_the_dev_part():
    probe = (
        "import json, sys; from cv_analytics.cli import build_parser; build_parser(); "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('boto3', 'botocore', 'moto', 'aws_lambda_powertools', 'reporter', 'processor', "
        "'edge_client') or m.startswith('cv_analytics.dev.'))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(loaded.stdout) == []


def test_each_group_adds_its_own_top_level_command():
    parser = build_parser()
    [commands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert list(commands.choices) == [
        "demo", "stack", "report", "dlq", "events", "deploy", "export", "query", "dashboard", "cost",
    ]  # fmt: skip
    assert len(COMMAND_GROUPS) == len(commands.choices)


@pytest.mark.parametrize(
    "argv",
    [
        ["report", "preview", "--help"],
        ["dlq", "list", "--help"],
        ["dlq", "replay", "--help"],
        ["events", "send", "--help"],
        ["demo", "--help"],
    ],
    ids=" ".join,
)
def test_help_works_without_the_dev_extra(argv):
    result = run_without_dev_extra(*argv)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: cv-analytics")


@pytest.mark.parametrize("argv", [["demo"], ["stack", "up"]], ids=" ".join)
def test_development_commands_say_how_to_install_the_dev_extra(argv):
    result = run_without_dev_extra(*argv)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "needs the dev extra (missing: moto[server], aws-lambda-powertools)" in result.stderr
    assert "pip install 'cv-analytics[dev]'" in result.stderr


def test_the_queue_variable_is_the_edge_clients():
    """`events send` and the chatbot's edge client read the queue from the same variable."""
    assert aws.ENV_QUEUE_URL == edge_client.ENV_QUEUE_URL


def test_the_dlq_fallback_redrive_count_is_the_resources():
    assert dlq.DEFAULT_MAX_RECEIVE_COUNT == resources.MAX_RECEIVE_COUNT


# -- the region -------------------------------------------------------------------------------


@pytest.fixture
def no_region(monkeypatch, tmp_path):
    """No region anywhere: neither variable, and an AWS config file with a profile only."""
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "config"
    config.write_text("[profile ops]\nregion = ap-south-1\n\n[profile bare]\n", encoding="utf-8")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))


def session_region(*argv: str) -> str:
    args = build_parser().parse_args(["dlq", "list", *argv])
    return str(aws.session(args).region_name)


def test_region_option_first_then_aws_region_then_aws_default_region(no_region, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    assert session_region() == "us-east-1"
    monkeypatch.setenv("AWS_REGION", "eu-west-1")  # botocore alone would not read it
    assert session_region() == "eu-west-1"
    assert session_region("--region", "eu-central-1") == "eu-central-1"


def test_region_from_the_profile(no_region):
    assert session_region("--profile", "ops") == "ap-south-1"


def test_a_blank_aws_region_counts_as_unset(no_region, monkeypatch):
    monkeypatch.setenv("AWS_REGION", " ")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    assert session_region() == "us-east-1"


@pytest.mark.parametrize("argv", [[], ["--profile", "bare"]], ids=["no profile", "no region in it"])
def test_no_region_anywhere_is_a_usage_error_that_says_where_to_set_one(no_region, argv, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["dlq", "list", "--dlq-url", "https://sqs.example/1/dlq.fifo", *argv])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "no AWS region: pass --region, or set AWS_REGION or AWS_DEFAULT_REGION" in err


def test_an_unknown_profile_is_a_usage_error(no_region, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["dlq", "list", "--dlq-url", "u", "--profile", "nobody"])
    assert exited.value.code == 2
    assert "nobody" in capsys.readouterr().err
