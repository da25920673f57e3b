"""Runs a deployment :class:`~cv_analytics.deploy.plan.Plan`, or prints it (``--dry-run``).

Prerequisites first (the first problem stops everything, with what to do); then the steps in
order, each command echoed before it runs; the first failing command stops the run with the step
to look at. Running again resumes: every step is idempotent (see :mod:`.plan`).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TextIO

from botocore.exceptions import BotoCoreError, ClientError

from cv_analytics.deploy import checks, stacks
from cv_analytics.deploy.aws import aws_client
from cv_analytics.deploy.plan import (
    ApplyDependingOnAlias,
    Command,
    CopyForEmulator,
    Plan,
    Run,
    SkipIfStackCurrent,
    Step,
)


class DeployError(Exception):
    """The run stopped; the message says where and what to do."""


class Executor(Protocol):
    def run(self, command: Command, *, cwd: Path, environment: Mapping[str, str]) -> int:
        """Run ``command``; return its exit status."""
        ...


class SubprocessExecutor:
    """Runs commands for real, their output on this terminal (or in ``stdout_file``)."""

    def run(self, command: Command, *, cwd: Path, environment: Mapping[str, str]) -> int:
        env = {**os.environ, **environment, **command.environment}
        stdin = None if command.interactive else subprocess.DEVNULL
        if command.stdout_file is None:
            return subprocess.run(  # noqa: S603 - argv built by plan.py, no shell
                command.argv, cwd=cwd, env=env, stdin=stdin, check=False
            ).returncode
        target = cwd / command.stdout_file
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", encoding="utf-8") as handle:
            return subprocess.run(  # noqa: S603
                command.argv, cwd=cwd, env=env, stdin=stdin, stdout=handle, check=False
            ).returncode


@dataclass
class Runner:
    plan: Plan
    executor: Executor = field(default_factory=SubprocessExecutor)
    out: TextIO = field(default_factory=lambda: sys.stdout)
    # Emulator rehearsals copy each module with cv_analytics.infra.terraform (imported lazily:
    # a production run never needs it).
    copy_for_emulator: Callable[[CopyForEmulator], None] | None = None

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    # -- prerequisites -------------------------------------------------------------------------

    def check(self, context: checks.Context) -> list[checks.Outcome]:
        self.say("Prerequisites")
        outcomes = []
        for name, check in checks.checks_for(self.plan.target):
            try:
                outcome = check(context)
            except checks.PrerequisiteError as exc:
                self.say(f"  FAIL {name}: {exc}")
                raise DeployError(f"prerequisite not met ({name}): {exc}") from exc
            self.say(f"  ok   {outcome.name}: {outcome.detail}")
            outcomes.append(outcome)
        return outcomes

    # -- printing ------------------------------------------------------------------------------

    def _export_lines(self) -> list[str]:
        return [
            f"export {name}={shlex.quote(value)}" for name, value in self.plan.environment.items()
        ]

    def print_plan(self) -> None:
        settings, target = self.plan.settings, self.plan.target
        where = (
            f"the emulator at {target.emulator_endpoint} (local state in {target.state_dir})"
            if target.emulated
            else f"AWS {settings.region}, state in Terraform Cloud ({settings.terraform_cloud.organization})"
        )
        self.say(f"Deployment of {settings.name_prefix} to {where}; run from {target.root}")
        self.say()
        self.say(
            "Prerequisites checked first: "
            + ", ".join(name for name, _ in checks.checks_for(target))
        )
        self.say()
        for line in self._export_lines():
            self.say(line)
        for step in self.plan.steps:
            self.say()
            self.say(f"# {step.number}. {step.title}")
            for action in step.actions:
                for line in describe(action):
                    self.say(line)

    # -- running -------------------------------------------------------------------------------

    def run(self) -> None:
        total = len(self.plan.steps)
        started = time.monotonic()
        for step in self.plan.steps:
            self.say()
            self.say(f"== step {step.number}/{total}: {step.title}")
            step_started = time.monotonic()
            self.run_step(step)
            self.say(f"(step {step.number} done in {time.monotonic() - step_started:.0f} s)")
        self.say()
        self.say(f"Deployment complete in {time.monotonic() - started:.0f} s.")

    def run_step(self, step: Step) -> None:
        for action in step.actions:
            if isinstance(action, Run):
                self.execute(step, action.command)
            elif isinstance(action, CopyForEmulator):
                assert self.copy_for_emulator is not None, "an emulator plan needs its copier"
                self.say(
                    f"(copy {action.workspace} to {action.destination}: local state, emulator switches)"
                )
                self.copy_for_emulator(action)
            elif isinstance(action, SkipIfStackCurrent):
                if self.stack_is_current(step, action):
                    return
            elif isinstance(action, ApplyDependingOnAlias):
                live = self.alias_exists(action.function_name, action.alias)
                self.say(
                    f"({action.function_name}:{action.alias} "
                    + (
                        "exists: the schedule stays on)"
                        if live
                        else "does not exist yet: schedule off)"
                    )
                )
                self.execute(step, action.when_live if live else action.otherwise)

    def execute(self, step: Step, command: Command) -> None:
        self.say(f"$ {command.shell()}")
        status = self.executor.run(
            command, cwd=self.plan.target.root, environment=self.plan.environment
        )
        if status != 0:
            raise DeployError(
                f"step {step.number} ({step.name}) failed: `{command.shell()}` exited {status}. "
                "Fix the cause shown above and run `cv-analytics deploy` again: finished steps are "
                "re-checked (Terraform converges, current stacks are skipped), none is redone blindly."
            )

    def stack_is_current(self, step: Step, action: SkipIfStackCurrent) -> bool:
        wanted = stacks.read_parameters(self.plan.target.root / action.parameters_file)
        try:
            deployed = stacks.deployed_parameters(
                aws_client(self.plan.settings, self.plan.target, "cloudformation"),
                action.stack_name,
            )
        except (ClientError, BotoCoreError) as exc:
            raise DeployError(
                f"step {step.number}: cannot read stack {action.stack_name}: {exc}"
            ) from exc
        if stacks.is_current(deployed, wanted):
            self.say(
                f"(stack {action.stack_name} already runs release {wanted[stacks.DEPLOY_HASH]}: "
                "no build, no deploy)"
            )
            return True
        state = "does not exist yet" if deployed is None else "runs another release"
        self.say(f"(stack {action.stack_name} {state}: build and deploy)")
        return False

    def alias_exists(self, function_name: str, alias: str) -> bool:
        client = aws_client(self.plan.settings, self.plan.target, "lambda")
        try:
            client.get_alias(FunctionName=function_name, Name=alias)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return False
            raise DeployError(f"cannot read {function_name}:{alias}: {exc}") from exc
        return True


def describe(
    action: Run | CopyForEmulator | SkipIfStackCurrent | ApplyDependingOnAlias,
) -> list[str]:
    """The dry-run lines of one action: commands as they would run, decisions as comments."""
    if isinstance(action, Run):
        return [action.command.shell()]
    if isinstance(action, CopyForEmulator):
        return [
            f"#   (copies {action.workspace} to {action.destination}: local state, emulator switches)"
        ]
    if isinstance(action, SkipIfStackCurrent):
        return [
            f"#   if stack {action.stack_name} already has the DeployHash of {action.parameters_file}, "
            "the build and deploy below are skipped"
        ]
    return [
        f"#   if {action.function_name}:{action.alias} exists (a later run), the schedule stays on:",
        f"#   {action.when_live.shell()}",
        "#   else (the first deployment):",
        action.otherwise.shell(),
    ]
