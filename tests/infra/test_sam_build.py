"""`sam build` of each stack: what is packaged, for which CPU, and that it runs.

Three builds, started together once for the module (about 10 s in all with a warm pip cache):
the two stacks as deployed (arm64, `sam build --config-env <service>`), and a variant of the
template for this machine's architecture, whose handlers are imported and invoked in a
python3.13 that sees only the build output (function dir + layer python/ dir, plus the boto3
that the Lambda runtime provides), against the moto server.
"""

from __future__ import annotations

import hashlib
import json
import platform
import re
import subprocess
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from analytics_contract.weeks import iso_week
from cv_analytics.dev.emulator import LocalAws
from cv_analytics.dev.resources import ResourceNames, Resources, create_all
from reporter.deliveries import table_definition
from tests.infra import sam_support as sam

pytestmark = pytest.mark.infra

NATIVE = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}[
    platform.machine().lower()
]
# The three places template.yaml names the architecture; the native variant changes exactly these.
ARCHITECTURE_SETTINGS = (
    "Architectures: [{}]",
    "BuildArchitecture: {}",
    "CompatibleArchitectures: [{}]",
)
PACKAGE_OF = {
    "ProcessorFunction": "processor",
    "ExpiryFunction": "processor",
    "ReporterFunction": "reporter",
}
LAYER_DEPENDENCIES = (
    "pydantic",
    "pydantic_core",
    "aws_lambda_powertools",
    "chevron",
    "rapidfuzz",
    "snowballstemmer",
)
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024  # function + layers
BUILD_TIMEOUT_SECONDS = 540


@dataclass(frozen=True)
class Builds:
    stacks: dict[str, Path]  # service -> build dir (arm64, as deployed)
    native: Path  # build dir of the variant for this machine (all functions)
    durations: dict[str, float]


def native_template(directory: Path) -> Path:
    text = sam.TEMPLATE.read_text(encoding="utf-8")
    for setting in ARCHITECTURE_SETTINGS:
        line = re.compile(rf"^(\s*){re.escape(setting.format('arm64'))}$", re.MULTILINE)
        text, replaced = line.subn(rf"\g<1>{setting.format(NATIVE)}", text)
        assert replaced == 1, setting
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "template.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Builds:
    sam.require(sam.SAM, "SAM CLI (.tools/sam)")
    root = tmp_path_factory.mktemp("sam-build")
    # Each build in a directory of its own: SAM writes build.toml beside the build dir.
    commands: dict[str, list[str]] = {
        service: ["build", "--config-env", service, "--build-dir", str(root / service / "build")]
        for service in sam.SERVICES
    }
    variant = native_template(root / "native")
    commands["native"] = [
        "build",
        "--template-file",
        str(variant),
        "--base-dir",
        str(sam.REPO),
        "--build-dir",
        str(root / "native" / "build"),
        "--parameter-overrides",
        "Service=processor",
    ]
    started = time.monotonic()
    durations: dict[str, float] = {}
    with ExitStack() as logs:
        processes = {
            name: subprocess.Popen(
                [str(sam.SAM), *args],
                cwd=sam.REPO,
                env=sam.tool_environment(),
                stdout=logs.enter_context((root / f"{name}.log").open("w")),
                stderr=subprocess.STDOUT,
            )
            for name, args in commands.items()
        }
        while len(durations) < len(processes):
            for name, process in processes.items():
                if name not in durations and process.poll() is not None:
                    durations[name] = time.monotonic() - started
            if time.monotonic() - started > BUILD_TIMEOUT_SECONDS:
                for process in processes.values():
                    process.kill()
                pytest.fail(f"sam build took over {BUILD_TIMEOUT_SECONDS} s")
            time.sleep(0.2)
    failures = [
        f"sam build ({name}) failed:\n{(root / f'{name}.log').read_text()[-4000:]}"
        for name, process in processes.items()
        if process.returncode != 0
    ]
    assert not failures, "\n".join(failures)
    sam.print_durations("sam build, side by side", durations)
    return Builds(
        stacks={service: root / service / "build" for service in sam.SERVICES},
        native=root / "native" / "build",
        durations=durations,
    )


def compiled_modules(directory: Path) -> list[Path]:
    return sorted(
        path for path in directory.rglob("*") if path.is_file() and ".so" in path.suffixes
    )


def files_under(directory: Path) -> set[str]:
    return {str(path.relative_to(directory)) for path in directory.rglob("*") if path.is_file()}


def source_files(package: Path) -> set[str]:
    return {
        str(path.relative_to(package.parent))
        for path in package.rglob("*")
        if path.is_file()
        and path.name != "Makefile"
        and "__pycache__" not in path.parts
        and path.suffix not in {".pyc", ".pyo"}
    }


def size_of(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())


# ---------------------------------------------------------------- architecture


def test_compiled_modules_of_the_deployed_builds_are_aarch64(builds: Builds) -> None:
    for service, directory in builds.stacks.items():
        modules = compiled_modules(directory)
        assert any(path.name.startswith("_pydantic_core") for path in modules), service
        wrong = {str(path): sam.elf_machine(path) for path in modules}
        wrong = {path: machine for path, machine in wrong.items() if machine != sam.EM_AARCH64}
        assert wrong == {}, f"{service}: not aarch64 (e_machine {sam.EM_AARCH64})"


def test_the_native_variant_is_built_for_this_machine(builds: Builds) -> None:
    """The same ELF check tells the two architectures apart (so the arm64 check means something)."""
    modules = compiled_modules(builds.native)
    assert modules
    assert {sam.elf_machine(path) for path in modules} == {sam.ELF_MACHINES[NATIVE]}


def test_elf_machine_reads_the_header_and_refuses_other_files(tmp_path: Path) -> None:
    header = bytearray(64)
    header[:6] = b"\x7fELF\x02\x01"
    header[18:20] = sam.EM_AARCH64.to_bytes(2, "little")
    (tmp_path / "a.so").write_bytes(bytes(header))
    assert sam.elf_machine(tmp_path / "a.so") == sam.EM_AARCH64
    (tmp_path / "b.so").write_bytes(b"#!/bin/sh\n" + bytes(20))
    with pytest.raises(ValueError, match="not an ELF"):
        sam.elf_machine(tmp_path / "b.so")


# ---------------------------------------------------------------- what each stack packages


def test_each_stack_builds_only_its_own_functions_and_its_layer(builds: Builds) -> None:
    template = sam.load_cfn(sam.TEMPLATE)
    for service, directory in builds.stacks.items():
        own = sam.functions_of(template, service)
        built = {path.name for path in directory.iterdir() if path.is_dir()}
        assert built == own | {"ContractLayer"}, service
        built_template = sam.load_cfn(directory / "template.yaml")
        for name in own:
            assert built_template["Resources"][name]["Properties"]["CodeUri"] == name
        assert built_template["Resources"]["ContractLayer"]["Properties"]["ContentUri"] == (
            "ContractLayer"
        )


def test_function_artifacts_hold_only_their_own_package(builds: Builds) -> None:
    for service, directory in builds.stacks.items():
        for function in (path for path in directory.iterdir() if path.name in PACKAGE_OF):
            package = PACKAGE_OF[function.name]
            assert [path.name for path in function.iterdir()] == [package], function.name
            assert files_under(function) == source_files(sam.REPO / package), (
                f"{service}/{function.name}: the package's sources, without Makefile or caches"
            )
    reporter = builds.stacks["reporter"] / "ReporterFunction" / "reporter" / "templates"
    assert reporter.is_dir() and any(reporter.iterdir()), "the report templates are packaged"


def test_layer_holds_the_contract_and_the_dependencies_not_the_runtime_s(builds: Builds) -> None:
    for service, directory in builds.stacks.items():
        layer = directory / "ContractLayer"
        assert [path.name for path in layer.iterdir()] == ["python"], service
        python = layer / "python"
        assert not (python / "python").exists()
        contract = sam.REPO / "contract" / "analytics_contract"
        assert {
            name for name in files_under(python / "analytics_contract") if name.endswith(".py")
        } == {str(path.relative_to(contract)) for path in contract.rglob("*.py")}
        for dependency in LAYER_DEPENDENCIES:
            assert (python / dependency).is_dir(), f"{service}: {dependency} missing"
        # boto3 comes with the Lambda runtime; shipping it would only add ~100 MB.
        assert not (python / "boto3").exists() and not (python / "botocore").exists()
        for function in (path for path in directory.iterdir() if path.name in PACKAGE_OF):
            total = size_of(layer) + size_of(function)
            assert total < LAMBDA_UNZIPPED_LIMIT, f"{function.name}: {total} bytes unzipped"
            assert not (function / "analytics_contract").exists()
            assert not (function / "pydantic").exists()


# ---------------------------------------------------------------- the built handlers run


@pytest.fixture(scope="module")
def stack(local_aws: LocalAws) -> Resources:
    names = ResourceNames(prefix=f"sam-build-{uuid.uuid4().hex[:8]}")
    return create_all(names, endpoint_url=local_aws.endpoint_url, region=local_aws.region)


def lambda_environment(
    local_aws: LocalAws, builds: Builds, function: str, parameters: dict[str, str]
) -> dict[str, str]:
    """What Lambda would set: the built template's variables for these parameters, plus the
    runtime's own (region, credentials) pointed at the moto server."""
    template = sam.load_cfn(builds.native / "template.yaml")
    return {
        **local_aws.environment(),
        "AWS_REGION": local_aws.region,
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_LAMBDA_FUNCTION_NAME": function,
        **sam.resolved_environment(template, function, parameters),
    }


def run_built(
    builds: Builds,
    tmp_path: Path,
    local_aws: LocalAws,
    function: str,
    parameters: dict[str, str],
    events: list[dict[str, Any]],
) -> dict[str, Any]:
    template = sam.load_cfn(builds.native / "template.yaml")
    handler = template["Resources"][function]["Properties"]["Handler"]
    module = handler.rpartition(".")[0]
    if not (sam.REPO / (module.replace(".", "/") + ".py")).exists():
        pytest.skip(f"{module} is not written yet")
    started = time.monotonic()
    result = sam.invoke_built_handler(
        python=sam.lambda_python(),
        paths=[
            builds.native / function,  # /var/task
            builds.native / "ContractLayer" / "python",  # /opt/python
            sam.runtime_provided_dir(tmp_path / "runtime"),  # /var/runtime (boto3)
        ],
        handler=handler,
        function_name=function,
        events=events,
        environ=lambda_environment(local_aws, builds, function, parameters),
        workdir=tmp_path,
        origins=(module, "analytics_contract", "pydantic_core", "boto3"),
    )
    sam.print_durations(f"{function} import + run", {"python3.13": time.monotonic() - started})
    origins = result["origins"]
    assert origins[module].startswith(str(builds.native / function))
    for packaged in ("analytics_contract", "pydantic_core"):
        assert origins[packaged].startswith(str(builds.native / "ContractLayer" / "python"))
    assert origins["boto3"].startswith(str(tmp_path / "runtime"))
    return result


def sqs_record(queue_arn: str, body: str, group: str, sequence: int) -> dict[str, Any]:
    now_ms = str(int(time.time() * 1000))
    message_id = str(uuid.uuid4())
    return {
        "messageId": message_id,
        "receiptHandle": f"handle-{message_id}",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": now_ms,
            "SequenceNumber": str(sequence),
            "MessageGroupId": group,
            "SenderId": "AIDAEXAMPLE",
            "MessageDeduplicationId": hashlib.sha256(body.encode()).hexdigest(),
            "ApproximateFirstReceiveTimestamp": now_ms,
        },
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": "eu-west-2",
    }


def processor_parameters(stack: Resources) -> dict[str, str]:
    return {
        "Service": "processor",
        "QueueArn": stack.queue_arn,
        "DeadLetterQueueUrl": stack.dead_letter_queue_url,
        "InterimTableName": stack.names.interim_table,
        "AnalyticsTableName": stack.names.analytics_table,
    }


def test_built_processor_and_expiry_handlers_correlate_park_quarantine_and_orphan(
    builds: Builds, stack: Resources, local_aws: LocalAws, tmp_path: Path
) -> None:
    dynamodb = boto3.client(
        "dynamodb", endpoint_url=local_aws.endpoint_url, region_name=local_aws.region
    )
    sqs = boto3.client("sqs", endpoint_url=local_aws.endpoint_url, region_name=local_aws.region)
    timestamp = int(time.time() * 1000) - 3_600_000
    session = "session-1"
    query = {
        "schemaVersion": 1,
        "eventType": "query",
        "requestId": "req-query-only",
        "timestamp": timestamp,
        "sessionId": session,
        "query": "Has she worked with Terraform?",
    }
    response = {
        "schemaVersion": 1,
        "eventType": "response",
        "requestId": "req-response-only",
        "timestamp": timestamp + 1500,
        "sessionId": session,
        "matchType": "full",
        "matchScore": 92,
        "tokens": {"input": 1200, "output": 300},
    }
    event = {
        "Records": [
            sqs_record(stack.queue_arn, json.dumps(query), session, 1),
            sqs_record(stack.queue_arn, json.dumps(response), session, 2),
            sqs_record(stack.queue_arn, "{not json", "other-session", 3),
        ]
    }
    parameters = processor_parameters(stack)

    (processed,) = run_built(
        builds, tmp_path / "processor", local_aws, "ProcessorFunction", parameters, [event]
    )["results"]

    assert processed == {"batchItemFailures": []}
    record = dynamodb.get_item(
        TableName=stack.names.analytics_table, Key={"requestId": {"S": "req-query-only"}}
    )["Item"]
    assert record["status"] == {"S": "unanswered"}
    parked = dynamodb.get_item(
        TableName=stack.names.interim_table, Key={"requestId": {"S": "req-response-only"}}
    )["Item"]
    quarantined = sqs.receive_message(
        QueueUrl=stack.dead_letter_queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
    )["Messages"]
    assert [message["Body"] for message in quarantined] == ["{not json"]

    # The park's TTL deletion, as the interim table's stream delivers it (filter and all).
    ttl_removal = {
        "eventID": "1",
        "eventName": "REMOVE",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": local_aws.region,
        "eventSourceARN": f"arn:aws:dynamodb:{local_aws.region}:123456789012:table/{stack.names.interim_table}/stream/1",
        "userIdentity": {"type": "Service", "principalId": "dynamodb.amazonaws.com"},
        "dynamodb": {
            "Keys": {"requestId": {"S": "req-response-only"}},
            "OldImage": parked,
            "SequenceNumber": "100",
            "SizeBytes": 512,
            "StreamViewType": "OLD_IMAGE",
        },
    }
    (expired,) = run_built(
        builds,
        tmp_path / "expiry",
        local_aws,
        "ExpiryFunction",
        parameters,
        [{"Records": [ttl_removal]}],
    )["results"]

    assert expired == {"batchItemFailures": []}
    orphan = dynamodb.get_item(
        TableName=stack.names.analytics_table, Key={"requestId": {"S": "req-response-only"}}
    )["Item"]
    assert orphan["status"] == {"S": "orphaned"}


def test_built_reporter_handler_sends_the_weekly_report(
    builds: Builds, stack: Resources, local_aws: LocalAws, tmp_path: Path
) -> None:
    sender = "reports@example.com"
    boto3.client(
        "ses", endpoint_url=local_aws.endpoint_url, region_name=local_aws.region
    ).verify_email_identity(EmailAddress=sender)
    week = iso_week(int(time.time() * 1000) - 3_600_000)
    parameters = {
        "Service": "reporter",
        "AnalyticsTableName": stack.names.analytics_table,
        "ReportSender": sender,
        "ReportRecipients": "owner@example.com,second@example.com",
        "PricePerMillionInputTokens": "3",
        "PricePerMillionOutputTokens": "15",
    }
    environ = lambda_environment(local_aws, builds, "ReporterFunction", parameters)
    assert environ["PRICE_PER_MILLION_INPUT_TOKENS"] == "3"
    # The delivery log (reporter_infra/idempotency.tf), named after NamePrefix by the template.
    boto3.client(
        "dynamodb", endpoint_url=local_aws.endpoint_url, region_name=local_aws.region
    ).create_table(**table_definition(environ["IDEMPOTENCY_TABLE"]))

    (report,) = run_built(
        builds, tmp_path, local_aws, "ReporterFunction", parameters, [{"weekId": week}]
    )["results"]

    assert report["weekId"] == week
    assert report["messageId"]


def test_optional_prices_are_left_unset_rather_than_empty(builds: Builds) -> None:
    template = sam.load_cfn(builds.native / "template.yaml")
    environ = sam.resolved_environment(template, "ReporterFunction", {"Service": "reporter"})
    assert "PRICE_PER_MILLION_INPUT_TOKENS" not in environ
    assert "PRICE_PER_MILLION_OUTPUT_TOKENS" not in environ
