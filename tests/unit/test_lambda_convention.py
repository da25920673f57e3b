"""One convention for every Lambda, and dependencies that point inward (issue 13).

Each function's package has a thin ``app.py`` (module-level wiring, a handler of one statement), a
composition root (``wiring.py``), its metric names (``metrics.py``), its settings on the contract's
:class:`~analytics_contract.settings.EnvironmentSettings` with the one shared
``ConfigurationError``, its ports (``ports.py``) and one data-access module (``repository.py``).
Domain modules (what decides) import no AWS SDK and no adapter (what talks to AWS or wires it).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import processor
import reporter
from analytics_contract.settings import ConfigurationError, EnvironmentSettings

FORBIDDEN_PACKAGES = ("boto3", "botocore", "mypy_boto3_dynamodb", "mypy_boto3_sqs")

#: The reporter's adapters; every other module of the package (view/ included) is domain.
REPORTER_ADAPTERS = ("app", "wiring", "repository", "mailer", "deliveries", "preview")
#: Entry points: module -> handler function.
HANDLERS = {
    "processor.app": processor,
    "processor.expiry_app": processor,
    "reporter.app": reporter,
}


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


def _module_name(package: Path, path: Path) -> str:
    relative = path.relative_to(package.parent).with_suffix("")
    return ".".join(relative.parts).removesuffix(".__init__")


def reporter_domain_modules() -> list[Path]:
    package = Path(reporter.__file__).parent
    return sorted(
        path
        for path in package.rglob("*.py")
        if path.parent != package or path.stem not in REPORTER_ADAPTERS
    )


@pytest.mark.parametrize("path", reporter_domain_modules(), ids=lambda path: path.stem)
def test_a_reporter_domain_module_imports_no_aws_sdk_and_no_adapter(path: Path) -> None:
    imported = imported_modules(path)
    sdk = {name for name in imported if name.split(".")[0] in FORBIDDEN_PACKAGES}
    adapters = {name for name in imported if name in {f"reporter.{a}" for a in REPORTER_ADAPTERS}}
    name = _module_name(Path(reporter.__file__).parent, path)
    assert not sdk, f"{name} imports {sorted(sdk)}"
    assert not adapters, f"{name} imports {sorted(adapters)}"


@pytest.mark.parametrize("package", [processor, reporter], ids=lambda p: p.__name__)
def test_each_lambda_package_has_the_conventional_modules(package: object) -> None:
    root = Path(str(getattr(package, "__file__", ""))).parent
    for module in ("app", "wiring", "metrics", "settings", "ports", "repository"):
        assert (root / f"{module}.py").is_file(), f"{root.name}/{module}.py is missing"
    assert not (root / "store.py").exists() and not (root / "config.py").exists()


@pytest.mark.parametrize("module", sorted(HANDLERS))
def test_a_handler_is_one_statement(module: str) -> None:
    path = Path(str(HANDLERS[module].__file__)).parent / f"{module.split('.')[1]}.py"
    functions = [
        node
        for node in ast.parse(path.read_text(encoding="utf-8")).body
        if isinstance(node, ast.FunctionDef)
    ]
    assert [function.name for function in functions] == ["handler"]
    (handler,) = functions
    assert len(handler.body) == 1, f"{module}.handler should only delegate to its wired service"


def test_settings_of_both_lambdas_share_the_contracts_base_and_error() -> None:
    from processor import settings as processor_settings
    from reporter import settings as reporter_settings

    assert issubclass(processor_settings.ProcessorSettings, EnvironmentSettings)
    assert issubclass(reporter_settings.ReporterSettings, EnvironmentSettings)
    assert reporter_settings.ConfigurationError is ConfigurationError
    with pytest.raises(ConfigurationError) as processor_error:
        processor_settings.ProcessorSettings.from_environment({})
    with pytest.raises(ConfigurationError) as reporter_error:
        reporter_settings.ReporterSettings.from_environment({})
    assert "ANALYTICS_TABLE" in str(processor_error.value)
    assert "ANALYTICS_TABLE" in str(reporter_error.value)
