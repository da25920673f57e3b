"""Dependencies point inward: the processor's domain imports no AWS SDK and no adapter.

Domain: what decides (correlation, records, the batch's rules, the expiry's). Adapters: what
talks to AWS (DynamoDB, SQS) and the composition root that wires them. A domain module that
imported boto3/botocore or an adapter would tie the algorithm to one SDK and make it testable
only through it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import processor

PACKAGE = Path(processor.__file__).parent
DOMAIN = (
    "batch_plan",
    "correlator",
    "expiry",
    "metrics",
    "ports",
    "records",
    "settings",
    "sqs_batch",
)
ADAPTERS = ("quarantine", "redrive", "repository", "wiring", "app", "expiry_app")
FORBIDDEN_PACKAGES = ("boto3", "botocore", "mypy_boto3_dynamodb", "mypy_boto3_sqs")


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


def test_every_module_of_the_processor_is_either_domain_or_adapter() -> None:
    modules = {path.stem for path in PACKAGE.glob("*.py")} - {"__init__"}
    assert modules == set(DOMAIN) | set(ADAPTERS)


@pytest.mark.parametrize("module", DOMAIN)
def test_a_domain_module_imports_no_aws_sdk_and_no_adapter(module: str) -> None:
    imported = imported_modules(PACKAGE / f"{module}.py")
    sdk = {name for name in imported if name.split(".")[0] in FORBIDDEN_PACKAGES}
    adapters = {name for name in imported if name in {f"processor.{a}" for a in ADAPTERS}}
    assert not sdk, f"processor.{module} imports {sorted(sdk)}"
    assert not adapters, f"processor.{module} imports {sorted(adapters)}"
