"""Terraform Cloud (HCP Terraform) checks before a deployment: the token, the organization and
the three workspaces, through the documented read-only API (``GET /api/v2/...``).

A workspace must exist (``TF_WORKSPACE`` never creates one), carry the tag its ``cloud {}`` block
selects by, and run in **Local** execution mode: plans and applies run on this machine or in
GitHub Actions with their AWS credentials, Terraform Cloud keeps and locks the state. (In Local
mode a workspace's own variables are never loaded: every value comes from deploy.toml.)
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

API_PREFIX = "/api/v2"
CREDENTIALS_FILE = Path(".terraform.d") / "credentials.tfrc.json"
TIMEOUT_SECONDS = 15


class TerraformCloudError(RuntimeError):
    """A problem with the token, the organization or a workspace, with what to do about it."""


def token_variable(hostname: str) -> str:
    """The variable Terraform reads a host's token from: ``TF_TOKEN_app_terraform_io``."""
    return "TF_TOKEN_" + hostname.replace("-", "__").replace(".", "_")


def find_token(hostname: str, environ: Mapping[str, str], home: Path) -> str | None:
    """The token Terraform itself would use: the environment variable, else `terraform login`'s
    credentials file."""
    token = environ.get(token_variable(hostname))
    if token:
        return token
    path = home / CREDENTIALS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    entry = data.get("credentials", {}).get(hostname, {})
    found = entry.get("token") if isinstance(entry, dict) else None
    return found if isinstance(found, str) and found else None


@dataclass(frozen=True)
class WorkspaceState:
    name: str
    execution_mode: str
    tags: frozenset[str]


class Client:
    """Read-only JSON:API client. ``base_url`` is ``https://<hostname>`` (tests: a loopback
    server)."""

    def __init__(self, base_url: str, token: str) -> None:
        self._base_url = base_url.rstrip("/")
        self._token = token

    def get(self, path: str) -> tuple[int, dict[str, Any]]:
        request = urllib.request.Request(  # noqa: S310 - https (or a test's loopback) only
            self._base_url + API_PREFIX + path,
            headers={
                "Authorization": f"Bearer {self._token}",
                "Content-Type": "application/vnd.api+json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            return exc.code, {}
        except (urllib.error.URLError, TimeoutError) as exc:
            raise TerraformCloudError(f"cannot reach {self._base_url}: {exc}") from exc

    def organization(self, organization: str) -> None:
        status, _ = self.get(f"/organizations/{urllib.parse.quote(organization, safe='')}")
        if status == 401:
            raise TerraformCloudError(
                "the Terraform Cloud token was refused (expired or revoked): run `terraform login` "
                "again, or set a valid team or user token"
            )
        if status == 404:
            raise TerraformCloudError(
                f"organization {organization!r} not found, or the token cannot see it: check "
                "terraform_cloud.organization in deploy.toml and the token's team membership"
            )
        if status != 200:
            raise TerraformCloudError(f"organization {organization!r}: unexpected HTTP {status}")

    def workspace(self, organization: str, name: str) -> WorkspaceState | None:
        status, body = self.get(
            f"/organizations/{urllib.parse.quote(organization, safe='')}"
            f"/workspaces/{urllib.parse.quote(name, safe='')}"
        )
        if status == 404:
            return None
        if status != 200:
            raise TerraformCloudError(f"workspace {name!r}: unexpected HTTP {status}")
        attributes = body.get("data", {}).get("attributes", {})
        return WorkspaceState(
            name=name,
            execution_mode=str(attributes.get("execution-mode", "")),
            tags=frozenset(str(tag) for tag in attributes.get("tag-names", []) or []),
        )


def workspace_problem(
    name: str, tag: str, state: WorkspaceState | None, organization: str
) -> str | None:
    """What is wrong with a workspace, and what to do, or None."""
    create = (
        f"create it in {organization}: Workspaces -> New -> CLI-driven workflow, name {name!r}, "
        f"then Settings -> General -> Execution Mode: Local, and add the tag {tag!r}"
    )
    if state is None:
        return f"workspace {name!r} does not exist: {create}"
    if state.execution_mode != "local":
        return (
            f"workspace {name!r} runs in {state.execution_mode or 'an unknown'} execution mode: set "
            "Settings -> General -> Execution Mode to Local (plans then run here with your AWS "
            "credentials; in Remote mode they would run in Terraform Cloud without them)"
        )
    if tag not in state.tags:
        return f"workspace {name!r} lacks the tag {tag!r} its cloud block selects by: add it"
    return None
