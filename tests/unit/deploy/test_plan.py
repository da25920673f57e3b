"""The deployment's steps and their exact command lines (nothing runs here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cv_analytics.deploy import plan as deploy_plan
from cv_analytics.deploy.plan import (
    ApplyDependingOnAlias,
    CopyForEmulator,
    Run,
    SkipIfStackCurrent,
    Target,
    build,
)
from cv_analytics.deploy.settings import Settings, parse
from cv_analytics.deploy.tools import Tools
from tests.unit.deploy.conftest import COMMITTED, filled

ROOT = Path("/repo")
TOOLS = Tools(terraform="/usr/local/bin/terraform", sam="/repo/.tools/sam/bin/sam")


def target(**changes: object) -> Target:
    return Target(root=ROOT, tools=TOOLS, python="python3", **changes)  # type: ignore[arg-type]


def commands(plan: deploy_plan.Plan) -> list[deploy_plan.Command]:
    found = []
    for step in plan.steps:
        for action in step.actions:
            if isinstance(action, Run):
                found.append(action.command)
            elif isinstance(action, ApplyDependingOnAlias):
                found += [action.when_live, action.otherwise]
    return found


def test_steps_run_in_the_order_the_dependencies_need(settings: Settings) -> None:
    plan = build(settings, target())
    assert [(step.number, step.name) for step in plan.steps] == [
        (1, "worker"),
        (2, "processor"),
        (3, "reporter"),
        (4, "processor-stack"),
        (5, "reporter-stack"),
        (6, "schedule"),
    ]
    chdir = [
        next(arg for arg in step.actions[-1].command.argv if arg.startswith("-chdir="))
        for step in plan.steps
        if isinstance(step.actions[-1], Run) and "terraform" in step.actions[-1].command.argv[0]
    ]
    assert chdir == [
        "-chdir=worker_infra",
        "-chdir=processor_infra",
        "-chdir=reporter_infra",
    ]


def test_every_terraform_command_selects_its_terraform_cloud_workspace(settings: Settings) -> None:
    plan = build(settings, target())
    for command in commands(plan):
        if command.argv[0].endswith("terraform"):
            workspace = command.argv[1].removeprefix("-chdir=")
            assert command.environment == {
                "TF_WORKSPACE": settings.workspace_name(workspace)  # type: ignore[arg-type]
            }, command.shell()
            assert "-lockfile=readonly" in command.argv or "init" not in command.argv
    assert plan.environment["TF_CLOUD_ORGANIZATION"] == "acme"


def test_the_region_is_explicit_for_every_tool(settings: Settings) -> None:
    plan = build(settings, target())
    assert plan.environment["AWS_DEFAULT_REGION"] == plan.environment["AWS_REGION"] == "eu-west-2"
    assert plan.environment["TF_VAR_aws_region"] == "eu-west-2"
    deploys = [c for c in commands(plan) if c.argv[1:2] == ("deploy",)]
    assert len(deploys) == 2
    for command in deploys:
        assert command.argv[command.argv.index("--region") + 1] == "eu-west-2"


def test_a_non_default_prefix_names_the_stacks_workspaces_and_s3_prefix() -> None:
    settings = parse(filled().replace('"cv-analytics"', '"acme-bot"', 1), COMMITTED)
    plan = build(settings, target())
    deploys = {c.argv[3]: c.argv for c in commands(plan) if c.argv[1:2] == ("deploy",)}
    assert deploys == {
        service: (
            ".tools/sam/bin/sam",
            "deploy",
            "--config-env",
            service,
            "--region",
            "eu-west-2",
            "--stack-name",
            f"acme-bot-{service}",
            "--s3-prefix",
            f"acme-bot-{service}",
            "--no-fail-on-empty-changeset",
        )
        for service in ("processor", "reporter")
    }
    assert plan.environment["TF_VAR_name_prefix"] == "acme-bot"
    workspaces = {c.environment.get("TF_WORKSPACE") for c in commands(plan)} - {None}
    assert workspaces == {"acme-bot-worker", "acme-bot-processor", "acme-bot-reporter"}


def test_the_schedule_is_off_only_until_the_reporter_is_live(settings: Settings) -> None:
    plan = build(settings, target())
    (decision,) = [a for a in plan.steps[2].actions if isinstance(a, ApplyDependingOnAlias)]
    assert (decision.function_name, decision.alias) == ("cv-analytics-reporter", "live")
    assert "-var=schedule_enabled=false" in decision.otherwise.argv
    assert "-var=schedule_enabled=true" in decision.when_live.argv
    (last,) = plan.steps[5].actions
    assert isinstance(last, Run) and "-var=schedule_enabled=true" in last.command.argv


def test_a_stack_step_reads_outputs_writes_parameters_then_skips_or_builds_and_deploys(
    settings: Settings,
) -> None:
    for step, service, workspace in (
        (build(settings, target()).steps[3], "processor", "processor_infra"),
        (build(settings, target()).steps[4], "reporter", "reporter_infra"),
    ):
        kinds = [type(action).__name__ for action in step.actions]
        assert kinds == ["Run", "Run", "SkipIfStackCurrent", "Run", "Run"]
        output, parameters, skip, sam_build, sam_deploy = step.actions
        assert isinstance(output, Run) and output.command.argv[-2:] == ("output", "-json")
        assert output.command.stdout_file == Path(".aws-sam/outputs") / f"{workspace}.json"
        assert isinstance(parameters, Run)
        assert parameters.command.argv == (
            "python3",
            "scripts/sam_parameters.py",
            service,
            "--outputs-dir",
            ".aws-sam/outputs",
        )
        assert isinstance(skip, SkipIfStackCurrent)
        assert skip.parameters_file == Path(".aws-sam/parameters") / f"{service}.yaml"
        assert isinstance(sam_build, Run)
        assert sam_build.command.argv[1:] == ("build", "--config-env", service)
        assert isinstance(sam_deploy, Run)


@pytest.mark.parametrize("auto_approve", [False, True])
def test_applies_ask_unless_auto_approved(settings: Settings, auto_approve: bool) -> None:
    plan = build(settings, target(auto_approve=auto_approve))
    applies = [c for c in commands(plan) if "apply" in c.argv]
    assert len(applies) == 5  # worker, processor, reporter (both choices), schedule
    for command in applies:
        assert ("-auto-approve" in command.argv) is auto_approve
        assert command.interactive is not auto_approve


def test_a_rehearsal_runs_copies_with_local_state_against_the_emulator(
    settings: Settings, tmp_path: Path
) -> None:
    plan = build(
        settings,
        target(emulator_endpoint="http://127.0.0.1:5000", state_dir=tmp_path, auto_approve=True),
    )
    assert plan.environment["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5000"
    assert "TF_CLOUD_ORGANIZATION" not in plan.environment
    copies = [a for s in plan.steps for a in s.actions if isinstance(a, CopyForEmulator)]
    assert [(c.workspace, c.destination) for c in copies] == [
        (w, tmp_path / w) for w in ("worker_infra", "processor_infra", "reporter_infra")
    ]
    for command in commands(plan):
        assert "TF_WORKSPACE" not in command.environment
        if command.argv[0].endswith("terraform"):
            assert command.argv[1].startswith(f"-chdir={tmp_path}")
    applies = {c.argv[1]: c.argv for c in commands(plan) if "apply" in c.argv}
    assert "-var=restrict_dead_letter_sources=false" in applies[f"-chdir={tmp_path}/worker_infra"]
    assert "-var=deletion_protection=false" in applies[f"-chdir={tmp_path}/processor_infra"]


def test_commands_print_as_shell_lines_to_paste() -> None:
    command = deploy_plan.Command(
        ("terraform", "-chdir=reporter_infra", "output", "-json"),
        {"TF_WORKSPACE": "cv analytics"},
        stdout_file=Path(".aws-sam/outputs/reporter_infra.json"),
    )
    assert command.shell() == (
        "TF_WORKSPACE='cv analytics' terraform -chdir=reporter_infra output -json "
        "> .aws-sam/outputs/reporter_infra.json"
    )


def test_the_export_path_is_a_seventh_step_only_when_enabled() -> None:
    enabled = parse(filled().replace("\nenabled = false", "\nenabled = true"), COMMITTED)
    plan = build(enabled, target())
    last = plan.steps[-1]
    assert (last.number, last.name) == (7, "export")
    (init, apply) = [action.command for action in last.actions if isinstance(action, Run)]
    assert init.argv[1:3] == ("-chdir=export_infra", "init")
    assert apply.argv[1:3] == ("-chdir=export_infra", "apply")
    assert apply.environment == {"TF_WORKSPACE": "cv-analytics-export"}
    assert plan.environment["TF_VAR_export_schedule_expression"] == "cron(0 5 ? * MON *)"
    # On an emulator: copied with the emulator's switches, what moto cannot do left out.
    rehearsal = build(enabled, target(emulator_endpoint="http://127.0.0.1:1", state_dir=Path("/s")))
    actions = rehearsal.steps[-1].actions
    assert isinstance(actions[0], CopyForEmulator) and actions[0].workspace == "export_infra"
    emulated = actions[-1]
    assert isinstance(emulated, Run)
    assert "-var=deny_insecure_transport=false" in emulated.command.argv
    assert "-var=force_destroy=true" in emulated.command.argv
    assert [step.name for step in build(parse(filled(), COMMITTED), target()).steps][
        -1
    ] == "schedule"
