"""The operator command line installed with the base dependencies only, as in production.

`pip install cv-analytics` (no extras) into a fresh virtual environment, then every command's
`--help`, the three operator commands (`events send`, `dlq list`, `report preview`) against the
moto server on 127.0.0.1, and `cost` (no AWS). Fails on a ModuleNotFoundError: the operator commands must not import
moto or powertools, which only the dev and lambda extras install. The development commands (`demo`,
`stack up`) must say how to install the dev extra instead of crashing.

The package is built from a copy of its sources (an in-tree build would write into the checkout);
pip uses this machine's configured package mirror and its cache, nothing else.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
import venv
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest

from analytics_contract import dead_letters
from analytics_contract.weeks import iso_week
from cv_analytics.dev.emulator import LocalAws
from cv_analytics.dev.resources import ResourceNames, Resources, create_all

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
#: What the package is built from (pyproject.toml's package roots, and its readme).
SOURCES = ("pyproject.toml", "README.md", "contract", "edge_client", "processor", "reporter",
           "cv_analytics")  # fmt: skip
DEV_ONLY_MODULES = ("moto", "aws_lambda_powertools")


@dataclass(frozen=True)
class Installed:
    root: Path
    home: Path

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    @property
    def command(self) -> Path:
        return self.root / "bin" / "cv-analytics"

    def environment(self, aws: LocalAws | None, **extra: str) -> dict[str, str]:
        """A clean environment: fake credentials, no AWS config files, the region in AWS_REGION
        only (botocore alone would not read it), the endpoint of ``aws``."""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",  # moto accepts any value; never a real key
            "AWS_CONFIG_FILE": str(self.home / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.home / "no-aws-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        if aws is not None:
            env |= {"AWS_ENDPOINT_URL": aws.endpoint_url, "AWS_REGION": aws.region}
        return env | extra

    def run(
        self, *args: str, aws: LocalAws | None = None, **extra: str
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(self.command), *args],
            env=self.environment(aws, **extra),
            cwd=self.home,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert "ModuleNotFoundError" not in result.stderr, result.stderr
        assert "Traceback" not in result.stderr, result.stderr
        return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    work = tmp_path_factory.mktemp("base-install")
    source = work / "source"
    for name in SOURCES:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(path, source / name)
    root = work / "venv"
    venv.create(root, with_pip=False)  # pip below installs into it from this interpreter
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(root / "bin" / "python"),
         "install", "--quiet", str(source)],
        check=True, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    home = work / "home"
    home.mkdir()
    return Installed(root, home)


@pytest.fixture(scope="module")
def resources(local_aws) -> Resources:
    return create_all(
        ResourceNames(f"base-{uuid.uuid4().hex[:8]}"),
        endpoint_url=local_aws.endpoint_url,
        region=local_aws.region,
    )


def client(aws: LocalAws, service: str):
    return boto3.session.Session(region_name=aws.region).client(
        service, endpoint_url=aws.endpoint_url
    )


def test_the_base_install_has_no_dev_or_lambda_only_modules(installed):
    probe = "import importlib.util as u, sys; print([m for m in sys.argv[1:] if u.find_spec(m)])"
    found = subprocess.run(
        [str(installed.python), "-c", probe, *DEV_ONLY_MODULES],
        capture_output=True, text=True, check=True, cwd=installed.home,
    )  # fmt: skip
    assert found.stdout.strip() == "[]"  # else this test would prove nothing


def test_the_package_data_is_installed(installed):
    """The simulator's catalogue is a data file: it must be in the built package."""
    probe = (
        "from cv_analytics.dev.traffic import load_catalogue; print(len(load_catalogue().topics))"
    )
    loaded = subprocess.run(
        [str(installed.python), "-c", probe],
        capture_output=True, text=True, check=False, cwd=installed.home,
    )  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr
    assert int(loaded.stdout) > 5


def test_every_command_has_help(installed):
    """Every command the installed parser has, including ones added later (walked, not listed)."""
    listing = subprocess.run(
        [str(installed.python), "-c", COMMAND_PATHS], capture_output=True, text=True,
        check=True, cwd=installed.home,
    )  # fmt: skip
    commands = [tuple(path) for path in json.loads(listing.stdout)]
    assert {("report", "preview"), ("dlq", "list"), ("dlq", "replay"), ("events", "send")} <= set(
        commands
    )
    for path in commands:
        result = installed.run(*path, "--help")
        assert result.returncode == 0, (path, result.stderr)
        assert result.stdout.startswith("usage: cv-analytics")


COMMAND_PATHS = """
import argparse, json
from cv_analytics.cli import build_parser

def walk(parser, prefix=()):
    yield prefix
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from walk(sub, (*prefix, name))

print(json.dumps(list(walk(build_parser()))))
"""


def test_cost_runs_from_the_installed_package_data(installed):
    """`cv-analytics cost` reads its measured inputs from the package (no checkout, no AWS)."""
    result = installed.run("cost", "--questions", "1M", "--json")
    assert result.returncode == 0, result.stderr
    [estimate, _] = json.loads(result.stdout)["estimates"]
    assert estimate["questions_per_month"] == 1_000_000 and 0 < estimate["ratio_to_seed"] < 1


def test_events_send_reaches_the_queue(installed, local_aws, resources):
    result = installed.run(
        "events", "send", "--queue-url", resources.queue_url, "--query", "Does she know Go?",
        "--request-id", "base-install-1", aws=local_aws,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "sent 2 event(s) (query + response) for requestId base-install-1" in result.stdout
    got = client(local_aws, "sqs").receive_message(
        QueueUrl=resources.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
    )
    bodies = [json.loads(message["Body"]) for message in got.get("Messages", [])]
    assert {(b["eventType"], b["requestId"]) for b in bodies} == {
        ("query", "base-install-1"),
        ("response", "base-install-1"),
    }


def test_dlq_list_shows_a_quarantined_message_with_its_reason(installed, local_aws, resources):
    client(local_aws, "sqs").send_message(
        QueueUrl=resources.dead_letter_queue_url,
        MessageBody="{not json",
        MessageGroupId="g1",
        MessageDeduplicationId="base-install-dlq-1",
        MessageAttributes={
            dead_letters.REASON: {"DataType": "String", "StringValue": "(body): not valid JSON"},
            dead_letters.KIND: {"DataType": "String", "StringValue": "json"},
        },
    )
    result = installed.run(
        "dlq", "list", "--json", "--dlq-url", resources.dead_letter_queue_url, aws=local_aws
    )
    assert result.returncode == 0, result.stderr
    [letter] = json.loads(result.stdout)
    assert (letter["kind"], letter["reason"]) == ("quarantined:json", "(body): not valid JSON")


def test_report_preview_renders_a_week(installed, local_aws, resources):
    week = iso_week(int(time.time() * 1000))
    out = installed.home / "preview"
    result = installed.run(
        "report", "preview", "--week", week, "--analytics-table", resources.names.analytics_table,
        "--out", str(out), aws=local_aws,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert week in result.stdout.splitlines()[0]
    assert (out / f"report-{week}.html").read_text(encoding="utf-8").startswith("<!")
    assert week in (out / f"report-{week}.txt").read_text(encoding="utf-8")


def test_no_region_is_a_clear_usage_error(installed, local_aws, resources):
    result = installed.run(
        "dlq", "list", "--dlq-url", resources.dead_letter_queue_url,
        AWS_ENDPOINT_URL=local_aws.endpoint_url,
    )  # fmt: skip
    assert result.returncode == 2
    assert "no AWS region: pass --region" in result.stderr


@pytest.mark.parametrize("command", [("demo",), ("stack", "up")], ids=" ".join)
def test_development_commands_say_how_to_install_the_dev_extra(installed, command):
    result = installed.run(*command)
    assert result.returncode == 2
    assert "needs the dev extra" in result.stderr
    assert "pip install 'cv-analytics[dev]'" in result.stderr
