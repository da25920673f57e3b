#!/usr/bin/env python3
"""Write a SAM stack's parameter overrides from the Terraform workspaces' outputs.

    python scripts/sam_parameters.py processor [--init] [--outputs-dir DIR] [--output FILE]

For the service's stack (``processor`` or ``reporter``) this reads ``terraform output -json`` of
each workspace the stack needs (or ``DIR/<workspace>.json`` files holding that same JSON), maps
outputs to template parameters with :data:`PARAMETERS`, and writes
``.aws-sam/parameters/<service>.yaml``, which ``sam deploy --config-env <service>`` reads
(samconfig.toml: ``parameter_overrides = [..., "file://.aws-sam/parameters/<service>.yaml"]``).
So no ARN or table name is ever copied by hand, and a deploy without this step fails.

It also writes ``DeployHash``: a fingerprint (sha256) of what the stack's functions are made of:
the files of contract/ (the layer), of the service's function directory, template.yaml,
samconfig.toml and every parameter value written. The template names each function's Version
after it (``AutoPublishCodeSha256``), so any change of these publishes a new version behind the
``live`` alias, and a deploy of the same inputs publishes none.

The file is JSON, which is also YAML: SAM reads parameter files only as .yaml/.toml, and
``json.dumps`` quotes every value safely. Standard library only: it runs on a bare CI runner.
Values are not printed (recipients are e-mail addresses); the parameter names are, on stderr.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT_DIR = REPO_ROOT / ".aws-sam" / "parameters"


@dataclass(frozen=True)
class Source:
    """Where a template parameter's value comes from: one output of one Terraform workspace."""

    workspace: str
    output: str
    required: bool = True


# Template parameter <- (workspace, output), per stack. THE place to adjust when a workspace
# renames an output. Each stack reads only its own workspace (processor_infra re-exports the
# worker's queue by name, reporter_infra the analytics table and deploy.toml's report settings).
# NamePrefix is required: the template's default ("cv-analytics") is for build and lint only, and a
# non-default prefix must reach the function names. Optional sources may be absent or null: the
# parameter then keeps its template default (the prices: no cost in the report).
PARAMETERS: dict[str, dict[str, Source]] = {
    "processor": {
        "NamePrefix": Source("processor_infra", "name_prefix"),
        "ProcessorRoleArn": Source("processor_infra", "processor_role_arn"),
        "ExpiryRoleArn": Source("processor_infra", "expiry_role_arn", required=False),
        "CodeDeployRoleArn": Source("processor_infra", "codedeploy_role_arn"),
        "QueueArn": Source("processor_infra", "queue_arn"),
        "DeadLetterQueueUrl": Source("processor_infra", "dead_letter_queue_url"),
        "InterimTableName": Source("processor_infra", "interim_table_name"),
        "InterimTableStreamArn": Source("processor_infra", "interim_table_stream_arn"),
        "AnalyticsTableName": Source("processor_infra", "analytics_table_name"),
    },
    "reporter": {
        "NamePrefix": Source("reporter_infra", "name_prefix"),
        "ReporterRoleArn": Source("reporter_infra", "reporter_role_arn"),
        "CodeDeployRoleArn": Source("reporter_infra", "codedeploy_role_arn"),
        "AnalyticsTableName": Source("reporter_infra", "analytics_table_name"),
        "ReportSender": Source("reporter_infra", "report_sender"),
        "ReportRecipients": Source("reporter_infra", "report_recipients"),
        "PricePerMillionInputTokens": Source(
            "reporter_infra", "price_per_million_input_tokens", required=False
        ),
        "PricePerMillionOutputTokens": Source(
            "reporter_infra", "price_per_million_output_tokens", required=False
        ),
        "PriceCurrency": Source("reporter_infra", "price_currency", required=False),
    },
}

# What a service's release is built from (relative to the repository), besides its parameters:
# the contract layer (ContentUri contract/), the function directory (CodeUri), the template
# (Globals, runtime, memory...) and samconfig.toml (build settings and fixed parameter overrides).
RELEASE_SOURCES: dict[str, tuple[str, ...]] = {
    "processor": ("template.yaml", "samconfig.toml", "contract", "processor"),
    "reporter": ("template.yaml", "samconfig.toml", "contract", "reporter"),
}
DEPLOY_HASH = "DeployHash"
# Hex digits kept; SAM names the Version after the first 10 (LogicalIdGenerator's hash length).
DEPLOY_HASH_LENGTH = 16
# Never part of a build (the functions' Makefiles exclude them too): caches and dot files.
IGNORED_DIRECTORIES = frozenset({"__pycache__"})
IGNORED_SUFFIXES = (".pyc", ".pyo", ".pyd")

Outputs = Mapping[str, Mapping[str, Any]]
"""``terraform output -json``: output name -> {"value": ..., "type": ..., "sensitive": ...}."""


class ParameterError(Exception):
    """A required output is missing or has a value no CloudFormation parameter can hold."""


def workspaces_of(service: str) -> list[str]:
    """The workspaces a service's stack reads, in a stable order."""
    return sorted({source.workspace for source in PARAMETERS[service].values()})


def parameter_value(value: Any) -> str:
    """A Terraform output value as a CloudFormation parameter string (lists comma-joined)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # Plain decimal notation (0.0000001, not 1e-07): the price parameters' AllowedPattern.
        return format(Decimal(repr(value)), "f")
    if isinstance(value, list | tuple) and all(
        isinstance(item, str | int | float) and not isinstance(item, bool) for item in value
    ):
        items = [str(item) for item in value]
        if any("," in item for item in items):
            raise ParameterError(f"list item with a comma cannot be comma-joined: {items!r}")
        return ",".join(items)
    raise ParameterError(f"unsupported output value {value!r} (want a string, number or list)")


def resolve(service: str, outputs: Mapping[str, Outputs]) -> dict[str, str]:
    """Map the workspaces' outputs to the service's template parameters."""
    if service not in PARAMETERS:
        raise ParameterError(f"unknown service {service!r}; one of {sorted(PARAMETERS)}")
    parameters: dict[str, str] = {"Service": service}
    missing: list[str] = []
    for name, source in PARAMETERS[service].items():
        output = outputs.get(source.workspace, {}).get(source.output)
        if output is None or output.get("value") is None:
            if source.required:
                missing.append(f"{source.workspace}.{source.output} (for {name})")
            continue
        try:
            parameters[name] = parameter_value(output["value"])
        except ParameterError as exc:
            raise ParameterError(f"{source.workspace}.{source.output}: {exc}") from exc
    if missing:
        raise ParameterError("missing Terraform outputs: " + ", ".join(missing))
    return parameters


def release_files(service: str, root: Path = REPO_ROOT) -> list[Path]:
    """The files a service's release is built from, relative to ``root``, in a stable order."""
    files: list[Path] = []
    for source in RELEASE_SOURCES[service]:
        path = root / source
        if path.is_file():
            files.append(path.relative_to(root))
            continue
        if not path.is_dir():
            raise ParameterError(f"release source {source} is missing under {root}")
        for candidate in path.rglob("*"):
            relative = candidate.relative_to(root)
            if not candidate.is_file() or _ignored(relative):
                continue
            files.append(relative)
    return sorted(set(files), key=lambda item: item.as_posix())


def _ignored(relative: Path) -> bool:
    return any(
        part in IGNORED_DIRECTORIES or part.startswith(".") for part in relative.parts
    ) or relative.name.endswith(IGNORED_SUFFIXES)


def deploy_hash(service: str, parameters: Mapping[str, str], root: Path = REPO_ROOT) -> str:
    """Fingerprint of a release: its source files (paths and contents) and parameter values.

    Each file is framed by its path and size, so moving bytes between files changes the hash.
    """
    digest = hashlib.sha256()
    for relative in release_files(service, root):
        content = (root / relative).read_bytes()
        digest.update(f"{relative.as_posix()}\0{len(content)}\0".encode())
        digest.update(content)
    values = {name: value for name, value in parameters.items() if name != DEPLOY_HASH}
    digest.update(json.dumps(values, sort_keys=True).encode())
    return digest.hexdigest()[:DEPLOY_HASH_LENGTH]


def with_deploy_hash(
    service: str, parameters: Mapping[str, str], root: Path = REPO_ROOT
) -> dict[str, str]:
    """The parameters plus their release's ``DeployHash``."""
    return {**parameters, DEPLOY_HASH: deploy_hash(service, parameters, root)}


def terraform_outputs(workspace: str, *, init: bool) -> Outputs:
    """``terraform output -json`` of a workspace directory (optionally after ``init``)."""
    directory = REPO_ROOT / workspace
    if init:
        subprocess.run(  # noqa: S603 - fixed command line, no shell
            ["terraform", f"-chdir={directory}", "init", "-input=false", "-no-color"],  # noqa: S607
            check=True,
            stdout=sys.stderr,
        )
    result = subprocess.run(  # noqa: S603
        ["terraform", f"-chdir={directory}", "output", "-json", "-no-color"],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
    )
    data: Outputs = json.loads(result.stdout or "{}")
    return data


def file_outputs(directory: Path) -> Callable[[str], Outputs]:
    """Reader of saved ``terraform output -json`` files: ``directory/<workspace>.json``."""

    def read(workspace: str) -> Outputs:
        data: Outputs = json.loads((directory / f"{workspace}.json").read_text(encoding="utf-8"))
        return data

    return read


def write(parameters: Mapping[str, str], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(parameters), indent=2, sort_keys=True) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("service", choices=sorted(PARAMETERS))
    parser.add_argument(
        "--outputs-dir",
        type=Path,
        help="read <workspace>.json files (saved `terraform output -json`) instead of terraform",
    )
    parser.add_argument(
        "--init", action="store_true", help="run `terraform init` in each workspace first"
    )
    parser.add_argument(
        "--output", type=Path, help="file to write (default .aws-sam/parameters/<service>.yaml)"
    )
    args = parser.parse_args(argv)

    read: Callable[[str], Outputs]
    if args.outputs_dir is not None:
        read = file_outputs(args.outputs_dir)
    else:

        def read(workspace: str) -> Outputs:
            return terraform_outputs(workspace, init=args.init)

    try:
        outputs = {workspace: read(workspace) for workspace in workspaces_of(args.service)}
        parameters = with_deploy_hash(args.service, resolve(args.service, outputs))
    except (ParameterError, OSError, ValueError, subprocess.CalledProcessError) as exc:
        print(f"sam_parameters: {exc}", file=sys.stderr)
        return 1
    path = args.output or DEFAULT_OUTPUT_DIR / f"{args.service}.yaml"
    write(parameters, path)
    print(f"sam_parameters: wrote {', '.join(sorted(parameters))} to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
