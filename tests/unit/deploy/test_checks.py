"""Prerequisites: each problem stops the deployment with what to do about it."""

from __future__ import annotations

import json
import stat
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from cv_analytics.deploy import checks
from cv_analytics.deploy import terraform_cloud as tfc
from cv_analytics.deploy.plan import Target
from cv_analytics.deploy.settings import Settings, parse
from cv_analytics.deploy.tools import Tools
from tests.unit.deploy.conftest import COMMITTED, filled

TOKEN = "test-token"


class FakeTerraformCloud(BaseHTTPRequestHandler):
    """GET /api/v2/organizations/<org>[/workspaces/<name>] from ``self.server.workspaces``."""

    def do_GET(self) -> None:
        server: Any = self.server
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._reply(401, {})
            return
        parts = self.path.removeprefix("/api/v2/").split("/")
        if parts[:2] != ["organizations", "acme"]:
            self._reply(404, {})
        elif len(parts) == 2:
            self._reply(200, {"data": {"id": "acme"}})
        elif parts[2] == "workspaces" and parts[3] in server.workspaces:
            mode, tags = server.workspaces[parts[3]]
            self._reply(200, {"data": {"attributes": {"execution-mode": mode, "tag-names": tags}}})
        else:
            self._reply(404, {})

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/vnd.api+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        return


GOOD_WORKSPACES = {
    "cv-analytics-worker": ("local", ["cv-analytics-worker"]),
    "cv-analytics-processor": ("local", ["cv-analytics-processor", "team"]),
    "cv-analytics-reporter": ("local", ["cv-analytics-reporter"]),
}


@pytest.fixture
def terraform_cloud() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeTerraformCloud)
    server.workspaces = dict(GOOD_WORKSPACES)  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def context(settings: Settings, tmp_path: Path, **changes: Any) -> checks.Context:
    environ = {"PATH": "/usr/bin:/bin", **changes.pop("environ", {})}
    return checks.Context(
        settings=settings,
        target=changes.pop("target", Target(root=tmp_path, tools=Tools("terraform", "sam"))),
        environ=environ,
        home=tmp_path,
        **changes,
    )


def cloud_context(
    settings: Settings, tmp_path: Path, server: ThreadingHTTPServer
) -> checks.Context:
    host, port = server.server_address[:2]
    return context(
        settings,
        tmp_path,
        environ={"TF_TOKEN_app_terraform_io": TOKEN},
        terraform_cloud_url=f"http://{host}:{port}",
    )


# ---------------------------------------------------------------- Terraform Cloud


def test_terraform_cloud_ready(settings: Settings, tmp_path: Path, terraform_cloud) -> None:
    outcome = checks.check_terraform_cloud(cloud_context(settings, tmp_path, terraform_cloud))
    assert outcome.detail == (
        "acme: cv-analytics-worker, cv-analytics-processor, cv-analytics-reporter "
        "(Local execution mode)"
    )


@pytest.mark.parametrize(
    ("workspace", "state", "expected"),
    [
        ("cv-analytics-processor", None, "does not exist: create it in acme"),
        (
            "cv-analytics-reporter",
            ("remote", ["cv-analytics-reporter"]),
            "runs in remote execution mode: set Settings -> General -> Execution Mode to Local",
        ),
        ("cv-analytics-worker", ("local", ["worker"]), "lacks the tag 'cv-analytics-worker'"),
    ],
)
def test_each_workspace_problem_says_what_to_do(
    settings: Settings,
    tmp_path: Path,
    terraform_cloud,
    workspace: str,
    state: tuple[str, list[str]] | None,
    expected: str,
) -> None:
    if state is None:
        del terraform_cloud.workspaces[workspace]
    else:
        terraform_cloud.workspaces[workspace] = state
    with pytest.raises(checks.PrerequisiteError, match=expected):
        checks.check_terraform_cloud(cloud_context(settings, tmp_path, terraform_cloud))


def test_a_missing_or_refused_token_and_an_unknown_organization(
    settings: Settings, tmp_path: Path, terraform_cloud
) -> None:
    with pytest.raises(checks.PrerequisiteError, match="run `terraform login`"):
        checks.check_terraform_cloud(context(settings, tmp_path))
    refused = cloud_context(settings, tmp_path, terraform_cloud)
    refused.environ = {"TF_TOKEN_app_terraform_io": "stale"}
    with pytest.raises(checks.PrerequisiteError, match="token was refused"):
        checks.check_terraform_cloud(refused)
    other = parse(filled(organization="someone-else"), COMMITTED)
    with pytest.raises(checks.PrerequisiteError, match="'someone-else' not found"):
        checks.check_terraform_cloud(cloud_context(other, tmp_path, terraform_cloud))


def test_the_token_is_found_where_terraform_looks(tmp_path: Path) -> None:
    assert tfc.token_variable("app.terraform.io") == "TF_TOKEN_app_terraform_io"
    assert tfc.token_variable("tfe.my-corp.com") == "TF_TOKEN_tfe_my__corp_com"
    assert tfc.find_token("app.terraform.io", {}, tmp_path) is None
    credentials = tmp_path / tfc.CREDENTIALS_FILE
    credentials.parent.mkdir()
    credentials.write_text(json.dumps({"credentials": {"app.terraform.io": {"token": "t1"}}}))
    assert tfc.find_token("app.terraform.io", {}, tmp_path) == "t1"
    assert tfc.find_token("app.terraform.io", {"TF_TOKEN_app_terraform_io": "t2"}, tmp_path) == "t2"


# ---------------------------------------------------------------- AWS


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def test_credentials_then_boundary(settings: Settings, tmp_path: Path, aws: None) -> None:
    ctx = context(settings, tmp_path)
    assert "account 123456789012" in checks.check_credentials(ctx).detail
    with pytest.raises(checks.PrerequisiteError) as raised:
        checks.check_permissions_boundary(ctx)
    message = str(raised.value)
    assert "github-cv-analytics-workload-boundary does not exist" in message
    assert "terraform -chdir=deploy_role apply -var name_prefix=cv-analytics" in message
    boto3.client("iam").create_policy(
        PolicyName="github-cv-analytics-workload-boundary",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}],
            }
        ),
    )
    assert checks.check_permissions_boundary(ctx).detail == (
        "arn:aws:iam::123456789012:policy/github-cv-analytics-workload-boundary"
    )


def test_a_region_aws_does_not_have_is_refused(tmp_path: Path) -> None:
    nowhere = parse(filled().replace('region = "eu-west-2"', 'region = "xx-nowhere-9"'), COMMITTED)
    with pytest.raises(checks.PrerequisiteError, match="'xx-nowhere-9'"):
        checks.check_region(context(nowhere, tmp_path))
    outcome = checks.check_region(
        context(parse(filled(), COMMITTED), tmp_path, environ={"AWS_REGION": "us-east-1"})
    )
    assert "your shell's us-east-1 is ignored" in outcome.detail


class FakeSes:
    def __init__(self, production: bool | None, identities: dict[str, str]):
        self.production = production
        self.identities = identities

    def get_account(self) -> dict[str, Any]:
        if self.production is None:
            raise ClientError({"Error": {"Code": "InternalFailure"}}, "GetAccount")
        return {"ProductionAccessEnabled": self.production}

    def get_email_identity(self, EmailIdentity: str) -> dict[str, Any]:  # noqa: N803
        if EmailIdentity not in self.identities:
            raise ClientError({"Error": {"Code": "NotFoundException"}}, "GetEmailIdentity")
        return {"VerificationStatus": self.identities[EmailIdentity]}


class SesContext(checks.Context):
    ses: FakeSes

    def client(self, service: str) -> Any:
        assert service == "sesv2"
        return self.ses


def ses_context(settings: Settings, tmp_path: Path, ses: FakeSes) -> SesContext:
    ctx = SesContext(
        settings=settings, target=Target(tmp_path, Tools("t", "s")), environ={}, home=tmp_path
    )
    ctx.ses = ses
    return ctx


def test_ses_sandbox_must_match_the_settings(settings: Settings, tmp_path: Path) -> None:
    leaves_sandbox = parse(filled().replace("ses_sandbox = true", "ses_sandbox = false"), COMMITTED)
    with pytest.raises(checks.PrerequisiteError, match="request production access"):
        checks.check_ses(ses_context(leaves_sandbox, tmp_path, FakeSes(False, {})))
    outcome = checks.check_ses(ses_context(leaves_sandbox, tmp_path, FakeSes(True, {})))
    assert outcome.detail.startswith("production access")


def test_ses_identities_failed_stop_pending_are_reported(
    settings: Settings, tmp_path: Path
) -> None:
    failed = FakeSes(False, {"reports@example.com": "FAILED"})
    with pytest.raises(checks.PrerequisiteError, match=r"reports@example\.com failed verification"):
        checks.check_ses(ses_context(settings, tmp_path, failed))
    mixed = FakeSes(None, {"reports@example.com": "SUCCESS", "owner@example.com": "PENDING"})
    detail = checks.check_ses(ses_context(settings, tmp_path, mixed)).detail
    assert "account status not available" in detail
    assert "owner@example.com (verification pending: click AWS's link)" in detail
    assert "team@example.com (created by step 3; AWS emails it a link)" in detail
    assert "reports@example.com" not in detail


# ---------------------------------------------------------------- tools


def fake_tool(directory: Path, name: str, output: str) -> str:
    path = directory / name
    path.write_text(f"#!/bin/sh\necho '{output}'\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_tools_old_terraform_and_missing_python(settings: Settings, tmp_path: Path) -> None:
    old = fake_tool(tmp_path, "terraform", json.dumps({"terraform_version": "1.5.7"}))
    sam = fake_tool(tmp_path, "sam", "SAM CLI, version 1.170.0")
    target = Target(root=tmp_path, tools=Tools(terraform=old, sam=sam))
    with pytest.raises(checks.PrerequisiteError, match=r"terraform 1\.5\.7 is too old"):
        checks.check_tools(context(settings, tmp_path, target=target))
    new = fake_tool(tmp_path, "terraform", json.dumps({"terraform_version": "1.11.4"}))
    target = Target(root=tmp_path, tools=Tools(terraform=new, sam=sam))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(checks.PrerequisiteError, match=r"python3\.13 is not on PATH"):
        checks.check_tools(context(settings, tmp_path, target=target, environ={"PATH": str(empty)}))
    fake_tool(empty, "python3.13", "")
    outcome = checks.check_tools(
        context(settings, tmp_path, target=target, environ={"PATH": f"{empty}:/bin"})
    )
    assert outcome.detail == "terraform 1.11.4, SAM CLI, version 1.170.0, python3.13"


def test_the_rehearsal_skips_terraform_cloud_only(tmp_path: Path) -> None:
    aws_target = Target(root=tmp_path, tools=Tools("t", "s"))
    emulator = Target(
        root=tmp_path, tools=Tools("t", "s"), emulator_endpoint="http://x", state_dir=tmp_path
    )
    assert [name for name, _ in checks.checks_for(aws_target)] == [
        "tools",
        "AWS credentials",
        "region",
        "Terraform Cloud",
        "permissions boundary",
        "SES",
    ]
    assert [name for name, _ in checks.checks_for(emulator)] == [
        "tools",
        "AWS credentials",
        "region",
        "permissions boundary",
        "SES",
    ]
