"""Helpers of the SAM tests: the template as data, the SAM CLI, ELF headers, the Lambda-like runner.

Kept out of the test modules so the template and build tests share one reading of the template.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Mapping
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest

from cv_analytics.infra.cloudformation import load_template as load_cfn  # noqa: F401 (the tests' name)

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "template.yaml"
SAMCONFIG = REPO / "samconfig.toml"
SAM = REPO / ".tools" / "sam" / "bin" / "sam"
SAM_PYTHON = REPO / ".tools" / "sam" / "bin" / "python"
CHECKOV = REPO / ".tools" / "checkov" / "bin" / "checkov"
# pyenv's shims resolve python3.12/python3.13 only when these versions are selected.
PYENV_VERSIONS = "3.11.7:3.12.1:3.13.0"
LAMBDA_PYTHON = "python3.13"
SERVICES = ("processor", "reporter")

# ELF e_machine values (the Lambda architectures).
EM_X86_64 = 62
EM_AARCH64 = 183
ELF_MACHINES = {"x86_64": EM_X86_64, "arm64": EM_AARCH64}


# ---------------------------------------------------------------- the template as data


def functions(template: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: resource
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def service_of(template: Mapping[str, Any], condition: str) -> str:
    """The Service value a condition such as IsProcessor selects (Fn::Equals [Ref Service, x])."""
    left, right = template["Conditions"][condition]["Fn::Equals"]
    assert left == {"Ref": "Service"}, condition
    return str(right)


def functions_of(template: Mapping[str, Any], service: str) -> set[str]:
    return {
        name
        for name, resource in functions(template).items()
        if service_of(template, resource["Condition"]) == service
    }


def environment(template: Mapping[str, Any], function: str) -> dict[str, Any]:
    """The function's variables merged over the Globals' (as SAM merges them)."""
    merged = dict(
        template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    )
    merged.update(
        template["Resources"][function]["Properties"].get("Environment", {}).get("Variables", {})
    )
    return merged


def resolve(value: Any, parameters: Mapping[str, str], template: Mapping[str, Any]) -> Any:
    """Evaluate the few intrinsics the functions' environments use, with given parameter values.

    Returns ``None`` for ``AWS::NoValue`` (the variable is then not set).
    """
    if not isinstance(value, dict):
        return value
    if "Ref" in value:
        name = value["Ref"]
        if name == "AWS::NoValue":
            return None
        if name in parameters:
            return parameters[name]
        return str(template["Parameters"][name].get("Default", ""))
    if "Fn::If" in value:
        condition, when_true, when_false = value["Fn::If"]
        chosen = when_true if _condition(condition, parameters, template) else when_false
        return resolve(chosen, parameters, template)
    if "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):  # "${Parameter}" references
        return re.sub(
            r"\$\{([A-Za-z0-9]+)\}",
            lambda match: str(resolve({"Ref": match.group(1)}, parameters, template)),
            value["Fn::Sub"],
        )
    raise AssertionError(f"unsupported intrinsic in an environment variable: {value}")


def _condition(name: str, parameters: Mapping[str, str], template: Mapping[str, Any]) -> bool:
    return bool(_evaluate(template["Conditions"][name], parameters, template))


def _evaluate(expression: Any, parameters: Mapping[str, str], template: Mapping[str, Any]) -> Any:
    if isinstance(expression, dict):
        if "Fn::Equals" in expression:
            left, right = (
                _evaluate(part, parameters, template) for part in expression["Fn::Equals"]
            )
            return str(left) == str(right)
        if "Fn::Not" in expression:
            return not _evaluate(expression["Fn::Not"][0], parameters, template)
        if "Condition" in expression:
            return _condition(expression["Condition"], parameters, template)
        return resolve(expression, parameters, template)
    return expression


def resolved_environment(
    template: Mapping[str, Any], function: str, parameters: Mapping[str, str]
) -> dict[str, str]:
    resolved = {
        name: resolve(value, parameters, template)
        for name, value in environment(template, function).items()
    }
    return {name: str(value) for name, value in resolved.items() if value is not None}


def samconfig() -> dict[str, Any]:
    with SAMCONFIG.open("rb") as handle:
        return tomllib.load(handle)


# ---------------------------------------------------------------- tools


def require(path: Path | str | None, what: str) -> None:
    """Skip when a tool is missing on a developer machine; fail in CI, where `make tools` ran."""
    if path and Path(path).exists():
        return
    message = f"{what} is not installed (run `make tools`)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def tool_environment() -> dict[str, str]:
    """Environment for the SAM CLI: python3.13 on PATH (pyenv), no telemetry, no AWS endpoint."""
    env = dict(os.environ)
    env.setdefault("PYENV_VERSION", PYENV_VERSIONS)
    env["SAM_CLI_TELEMETRY"] = "0"
    env.pop("AWS_ENDPOINT_URL", None)
    return env


def lambda_python() -> str:
    """Absolute path of the Lambda runtime's interpreter (python3.13) on this machine."""
    env = tool_environment()
    found = shutil.which(LAMBDA_PYTHON, path=env.get("PATH"))
    require(found, LAMBDA_PYTHON)
    assert found is not None
    result = subprocess.run(
        [found, "-c", "import sys; print(sys.executable)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def run_sam(
    args: list[str], *, cwd: Path = REPO, timeout: float = 540
) -> subprocess.CompletedProcess[str]:
    require(SAM, "SAM CLI (.tools/sam)")
    return subprocess.run(
        [str(SAM), *args],
        cwd=cwd,
        env=tool_environment(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# ---------------------------------------------------------------- ELF


def elf_machine(path: Path) -> int:
    """``e_machine`` of an ELF file (raises on anything else): parsed from the header itself."""
    with path.open("rb") as handle:
        header = handle.read(20)
    if len(header) < 20 or header[:4] != b"\x7fELF":
        raise ValueError(f"{path} is not an ELF file")
    byteorder = {1: "little", 2: "big"}[header[5]]
    return int.from_bytes(header[18:20], byteorder)  # type: ignore[arg-type]


# ---------------------------------------------------------------- a Lambda-like interpreter

# The packages the Lambda Python runtime itself provides (boto3 and its dependencies): the build
# must not ship them, so the runner lends them from this interpreter's environment, placed after
# the function and layer directories as on Lambda (/var/task, /opt/python, /var/runtime).
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")

RUNNER = r"""
import importlib, json, sys
spec = json.load(open(sys.argv[1]))
# -I -S: no site-packages, no user site, no PYTHONPATH, no working directory; keep the stdlib only.
sys.path[:] = spec["paths"] + [p for p in sys.path if p]

class Context:
    function_name = spec["function_name"]
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:eu-west-2:123456789012:function:" + function_name + ":live"
    memory_limit_in_mb = 256
    aws_request_id = "00000000-0000-4000-8000-000000000000"
    log_group_name = "/aws/lambda/" + function_name
    log_stream_name = "test"
    def get_remaining_time_in_millis(self):
        return 30000

module_name, _, attribute = spec["handler"].rpartition(".")
module = importlib.import_module(module_name)
handler = getattr(module, attribute)
results = [handler(event, Context()) for event in spec["events"]]
origins = {name: getattr(sys.modules.get(name), "__file__", None) for name in spec["origins"]}
json.dump({"results": results, "origins": origins}, open(sys.argv[2], "w"), default=str)
"""


def runtime_provided_dir(directory: Path) -> Path:
    """A directory of symlinks to this environment's boto3 & co. (the runtime's own packages)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in RUNTIME_PROVIDED:
        spec = find_spec(name)
        assert spec is not None and spec.origin is not None, name
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        link = directory / source.name
        if not link.exists():
            link.symlink_to(source)
    return directory


def invoke_built_handler(
    *,
    python: str,
    paths: list[Path],
    handler: str,
    function_name: str,
    events: list[dict[str, Any]],
    environ: Mapping[str, str],
    workdir: Path,
    origins: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Import ``handler`` in a fresh python3.13 that sees only ``paths`` and call it per event."""
    workdir.mkdir(parents=True, exist_ok=True)
    spec_file = workdir / f"{function_name}-spec.json"
    result_file = workdir / f"{function_name}-result.json"
    spec_file.write_text(
        json.dumps(
            {
                "paths": [str(path) for path in paths],
                "handler": handler,
                "function_name": function_name,
                "events": events,
                "origins": list(origins),
            }
        ),
        encoding="utf-8",
    )
    completed = subprocess.run(
        [python, "-I", "-S", "-c", RUNNER, str(spec_file), str(result_file)],
        cwd=workdir,
        env={"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8", **environ},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if completed.returncode != 0:
        raise AssertionError(
            f"{handler} failed (exit {completed.returncode}):\n{completed.stderr[-4000:]}"
        )
    data: dict[str, Any] = json.loads(result_file.read_text(encoding="utf-8"))
    data["stdout"] = completed.stdout
    return data


def print_durations(label: str, durations: Mapping[str, float]) -> None:
    """Shown with `pytest -s`, and in the report's captured output of a failing test."""
    figures = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in durations.items())
    print(f"{label}: {figures}", file=sys.stderr)


# ---------------------------------------------------------------- the transformed template

TRANSFORM = r"""
import json, sys
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

template = yaml_parse(open(sys.argv[1]).read())
for resource in template["Resources"].values():
    properties = resource.get("Properties", {})
    for key in ("CodeUri", "ContentUri"):  # what `sam package` does: local paths -> S3
        if key in properties:
            properties[key] = "s3://artifacts/" + resource["Type"].rsplit(":", 1)[-1] + ".zip"

class NoManagedPolicies:
    def load(self):
        return {}

print(json.dumps(transform(template, json.loads(sys.argv[2]), NoManagedPolicies())))
"""


def transformed(parameters: Mapping[str, str]) -> dict[str, Any]:
    """template.yaml after the AWS::Serverless transform (SAM's own translator, in SAM's venv),
    i.e. the CloudFormation that a stack with these parameters is made of."""
    require(SAM_PYTHON, "SAM CLI (.tools/sam)")
    result = subprocess.run(
        [str(SAM_PYTHON), "-c", TRANSFORM, str(TEMPLATE), json.dumps(dict(parameters))],
        env={**tool_environment(), "AWS_DEFAULT_REGION": "eu-west-2"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def condition_holds(
    template: Mapping[str, Any], name: str | None, parameters: Mapping[str, str]
) -> bool:
    """Evaluate a condition of a (transformed) template: Equals/Not/And/Or/Condition on Refs."""
    if name is None:
        return True

    def value(expression: Any) -> Any:
        if isinstance(expression, dict) and "Ref" in expression:
            reference = expression["Ref"]
            if reference in parameters:
                return parameters[reference]
            return str(template["Parameters"][reference].get("Default", ""))
        return expression

    def holds(expression: Any) -> bool:
        if "Condition" in expression:
            return holds(template["Conditions"][expression["Condition"]])
        if "Fn::Equals" in expression:
            left, right = expression["Fn::Equals"]
            return str(value(left)) == str(value(right))
        if "Fn::Not" in expression:
            return not holds(expression["Fn::Not"][0])
        if "Fn::Or" in expression:
            return any(holds(part) for part in expression["Fn::Or"])
        if "Fn::And" in expression:
            return all(holds(part) for part in expression["Fn::And"])
        raise AssertionError(f"unsupported condition {expression}")

    return holds(template["Conditions"][name])


def references(value: Any) -> set[str]:
    """Logical ids a value points at (Ref, Fn::GetAtt, Fn::Sub ${X} / ${X.Attr})."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner.split(".", 1)[0])
            elif key == "Fn::GetAtt":
                target = inner[0] if isinstance(inner, list) else str(inner).split(".", 1)[0]
                found.add(target)
            elif key == "Fn::Sub":
                text = inner if isinstance(inner, str) else inner[0]
                found |= {name.split(".", 1)[0] for name in re.findall(r"\$\{([^}!]+)\}", text)}
                if not isinstance(inner, str):
                    found |= references(inner[1])
            else:
                found |= references(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= references(inner)
    return found
