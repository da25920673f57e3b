"""template.yaml and samconfig.toml: what the stacks are made of, read as data (no build).

One template deployed as one stack per service: every function belongs to exactly one service,
is published behind the `live` alias and shifted by CodeDeploy under reporter_infra's alarm on its errors;
the event sources are on the alias with the settings a FIFO queue and a TTL stream need.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from cv_analytics.deploy.settings import Settings
from cv_analytics.dev.resources import PROCESSOR_TIMEOUT_SECONDS, VISIBILITY_TIMEOUT_SECONDS
from tests.infra import sam_support as sam
from tests.infra.test_sam_parameters import OUTPUTS as PARAMETER_OUTPUTS
from tests.infra.test_sam_parameters import load_script as load_parameters_script

pytestmark = pytest.mark.infra

LIVE_ALIAS = "live"
# Variables the runtime or powertools read; the rest must be read by the function's own code.
LIBRARY_VARIABLES = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "LOG_LEVEL"}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return sam.load_cfn(sam.TEMPLATE)


def properties(template: dict[str, Any], name: str) -> dict[str, Any]:
    result: dict[str, Any] = template["Resources"][name]["Properties"]
    return result


# ---------------------------------------------------------------- tools


def test_sam_validate_lint_passes() -> None:
    result = sam.run_sam(
        ["validate", "--lint", "--template-file", str(sam.TEMPLATE), "--region", "eu-west-2"]
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout + result.stderr


def test_checkov_finds_nothing_in_the_template_workflows_and_deploy_role() -> None:
    sam.require(sam.CHECKOV, "checkov (.tools/checkov)")
    common = [str(sam.CHECKOV), "--skip-download", "--compact", "--quiet", "--output", "json"]
    # checkov ignores --file when --directory is given too: two runs, side by side.
    runs = [
        [*common, "--framework", "cloudformation", "--file", str(sam.TEMPLATE)],
        [
            *common,
            "--framework",
            "terraform",
            "github_actions",
            "--directory",
            str(sam.REPO / "deploy_role"),
            "--directory",
            str(sam.REPO / ".github" / "workflows"),
        ],
    ]
    processes = [
        subprocess.Popen(
            command, cwd=sam.REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for command in runs
    ]
    reports: list[dict[str, Any]] = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stdout[-3000:] + stderr[-2000:]
        reports.extend(_json_documents(stdout))
    failed = [
        f"{report['check_type']}: {check['check_id']} {check['resource']} ({check['file_path']})"
        for report in reports
        for check in report["results"]["failed_checks"]
    ]
    assert failed == []
    scanned = {report["check_type"]: report["summary"]["passed"] for report in reports}
    assert set(scanned) == {"cloudformation", "terraform", "github_actions"}
    assert all(passed > 0 for passed in scanned.values()), scanned


def _json_documents(text: str) -> list[dict[str, Any]]:
    """checkov prints one JSON document (an object or a list of them) per scanned target."""
    decoder = json.JSONDecoder()
    documents: list[dict[str, Any]] = []
    position = 0
    while position < len(text.rstrip()):
        while text[position].isspace():
            position += 1
        value, position = decoder.raw_decode(text, position)
        documents.extend(value if isinstance(value, list) else [value])
    return documents


# ---------------------------------------------------------------- one stack per service


def test_template_uses_no_yaml_anchors() -> None:
    """CloudFormation refuses YAML aliases; SAM would resolve them, a console upload would not."""
    tokens = yaml.scan(sam.TEMPLATE.read_text(encoding="utf-8"))
    assert not [t for t in tokens if isinstance(t, yaml.AnchorToken | yaml.AliasToken)]


def test_every_function_belongs_to_exactly_one_service(template: dict[str, Any]) -> None:
    assert sam.functions_of(template, "processor") == {"ProcessorFunction", "ExpiryFunction"}
    assert sam.functions_of(template, "reporter") == {"ReporterFunction"}
    assert template["Parameters"]["Service"]["AllowedValues"] == list(sam.SERVICES)


def test_only_the_shared_layer_is_in_both_stacks(template: dict[str, Any]) -> None:
    unconditional = {
        name for name, resource in template["Resources"].items() if "Condition" not in resource
    }
    assert unconditional == {"ContractLayer"}
    layer_name = properties(template, "ContractLayer")["LayerName"]
    assert "${Service}" in layer_name["Fn::Sub"], "each stack publishes its own layer version"


def test_supporting_resources_follow_their_function_s_service(template: dict[str, Any]) -> None:
    for name, function in sam.functions(template).items():
        props = function["Properties"]
        log_group = props["LoggingConfig"]["LogGroup"]["Ref"]
        for resource in (log_group,):
            assert template["Resources"][resource]["Condition"] == function["Condition"], (
                name,
                resource,
            )


def test_each_stack_s_required_parameters_are_asserted_by_its_rule(
    template: dict[str, Any],
) -> None:
    """Empty defaults let one template serve both stacks; the Rules refuse a stack without its own
    values, and exactly those values are the ones the functions of that service reference."""
    for service in sam.SERVICES:
        rule = next(
            rule
            for rule in template["Rules"].values()
            if rule["RuleCondition"] == {"Fn::Equals": [{"Ref": "Service"}, service]}
        )
        asserted = {
            assertion["Assert"]["Fn::Not"][0]["Fn::Equals"][0]["Ref"]
            for assertion in rule["Assertions"]
        }
        referenced: set[str] = set()
        for function in sam.functions_of(template, service):
            referenced |= _refs(template["Resources"][function]["Properties"])
        empty_default = {
            name
            for name, parameter in template["Parameters"].items()
            if parameter.get("Default") == ""
        }
        optional = {"ExpiryRoleArn", "PricePerMillionInputTokens", "PricePerMillionOutputTokens"}
        assert asserted == (referenced & empty_default) - optional, service


def _refs(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::Sub" and isinstance(inner, str):
                found |= set(re.findall(r"\$\{(\w+)\}", inner))
            else:
                found |= _refs(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= _refs(inner)
    return found


# ---------------------------------------------------------------- the CloudFormation of each stack


@pytest.fixture(scope="module", params=sam.SERVICES)
def stack(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(service, transformed template, its resources that exist in that service's stack)."""
    service: str = request.param
    parameters = {"Service": service}
    cloudformation = sam.transformed(parameters)
    existing = {
        name: resource
        for name, resource in cloudformation["Resources"].items()
        if sam.condition_holds(cloudformation, resource.get("Condition"), parameters)
    }
    return service, cloudformation, existing


def test_no_resource_of_a_stack_points_at_one_the_stack_leaves_out(
    stack: tuple[str, dict[str, Any], dict[str, Any]],
) -> None:
    """CloudFormation refuses "unresolved resource dependencies": e.g. a CodeDeploy deployment
    group of the reporter in the processor's stack (SAM's default before PassthroughCondition)."""
    service, cloudformation, existing = stack
    every = set(cloudformation["Resources"])
    for name, resource in existing.items():
        depends = resource.get("DependsOn", [])
        pointed = sam.references(resource) | set([depends] if isinstance(depends, str) else depends)
        missing = (pointed & every) - set(existing)
        assert not missing, f"{service}: {name} -> {sorted(missing)}"
    for name, output in cloudformation.get("Outputs", {}).items():
        if sam.condition_holds(cloudformation, output.get("Condition"), {"Service": service}):
            assert not (sam.references(output) & every) - set(existing), f"{service}: output {name}"


def test_a_stack_holds_only_its_own_functions_and_their_release_machinery(
    stack: tuple[str, dict[str, Any], dict[str, Any]],
) -> None:
    service, _, existing = stack
    by_type: dict[str, set[str]] = {}
    for name, resource in existing.items():
        by_type.setdefault(resource["Type"], set()).add(name)
    own = {
        "processor": {"ProcessorFunction", "ExpiryFunction"},
        "reporter": {"ReporterFunction"},
    }[service]
    assert by_type["AWS::Lambda::Function"] == own
    assert by_type["AWS::CodeDeploy::DeploymentGroup"] == {f"{f}DeploymentGroup" for f in own}
    assert len(by_type["AWS::Lambda::LayerVersion"]) == 1
    assert len(by_type["AWS::CodeDeploy::Application"]) == 1
    assert by_type["AWS::Logs::LogGroup"] == {f.replace("Function", "LogGroup") for f in own}
    # No alarm of its own: the rollback alarms are reporter_infra's (AWS's free tier covers 10
    # alarm metrics, and reporter_infra's error alarms already watch every function).
    assert "AWS::CloudWatch::Alarm" not in by_type
    # Every role comes from Terraform with the permissions boundary (CodeDeploy's too, through
    # CodeDeployRoleArn): the stack creates no IAM resource, and needs no IAM capability.
    assert not [kind for kind in by_type if kind.startswith("AWS::IAM::")], service
    for name in existing:
        if existing[name]["Type"] == "AWS::CodeDeploy::DeploymentGroup":
            role = existing[name]["Properties"]["ServiceRoleArn"]
            assert role == {"Ref": "CodeDeployRoleArn"}, name


def test_event_sources_target_the_alias_codedeploy_shifts_under_its_alarm(
    stack: tuple[str, dict[str, Any], dict[str, Any]],
) -> None:
    service, _, existing = stack
    mappings = [r for r in existing.values() if r["Type"] == "AWS::Lambda::EventSourceMapping"]
    assert len(mappings) == {"processor": 2, "reporter": 0}[service]
    for mapping in mappings:
        alias = existing[mapping["Properties"]["FunctionName"]["Ref"]]
        assert alias["Type"] == "AWS::Lambda::Alias"
        assert alias["Properties"]["Name"] == LIVE_ALIAS
    for name, alias in existing.items():
        if alias["Type"] != "AWS::Lambda::Alias":
            continue
        update = alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
        group = existing[update["DeploymentGroupName"]["Ref"]]["Properties"]
        function = alias["Properties"]["FunctionName"]["Ref"]
        assert group["AlarmConfiguration"]["Enabled"] is True
        function_name = existing[function]["Properties"]["FunctionName"]["Fn::Sub"]
        assert group["AlarmConfiguration"]["Alarms"] == [
            {"Name": {"Fn::Sub": f"{function_name}-errors"}}
        ]
        assert group["AutoRollbackConfiguration"]["Enabled"] is True, name
        assert "DEPLOYMENT_STOP_ON_ALARM" in group["AutoRollbackConfiguration"]["Events"]


# ---------------------------------------------------------------- runtime and packaging


def test_functions_run_python_3_13_on_arm64_from_a_makefile_build(
    template: dict[str, Any],
) -> None:
    function_globals = template["Globals"]["Function"]
    assert function_globals["Runtime"] == "python3.13"
    assert function_globals["Architectures"] == ["arm64"]
    for name, function in sam.functions(template).items():
        assert function["Metadata"]["BuildMethod"] == "makefile", name
        code_uri = function["Properties"]["CodeUri"].rstrip("/")
        makefile = (sam.REPO / code_uri / "Makefile").read_text(encoding="utf-8")
        assert re.search(rf"^[^\n#]*\bbuild-{name}\b[^\n]*:", makefile, re.MULTILINE), (
            f"{code_uri}/Makefile has no build-{name} target"
        )


def test_layer_is_built_by_sam_for_the_same_runtime_and_architecture(
    template: dict[str, Any],
) -> None:
    layer = template["Resources"]["ContractLayer"]
    assert layer["Metadata"] == {"BuildMethod": "python3.13", "BuildArchitecture": "arm64"}
    props = layer["Properties"]
    assert props["ContentUri"].rstrip("/") == "contract"
    assert props["CompatibleRuntimes"] == ["python3.13"]
    assert props["CompatibleArchitectures"] == ["arm64"]
    assert (sam.REPO / "contract" / "requirements.txt").is_file()
    # SAM puts the ContentUri under python/ itself: a python/ of our own would end up at python/python/.
    assert not (sam.REPO / "contract" / "python").exists()
    assert template["Globals"]["Function"]["Layers"] == [{"Ref": "ContractLayer"}]


@pytest.mark.parametrize(
    ("function", "handler"),
    [
        ("ProcessorFunction", "processor.app.handler"),
        ("ExpiryFunction", "processor.expiry_app.handler"),
        ("ReporterFunction", "reporter.app.handler"),
    ],
)
def test_handlers_are_functions_of_the_packaged_modules(
    template: dict[str, Any], function: str, handler: str
) -> None:
    props = properties(template, function)
    assert props["Handler"] == handler
    module, _, attribute = handler.rpartition(".")
    source = sam.REPO / Path(*module.split(".")).with_suffix(".py")
    assert source.parts[-2] == props["CodeUri"].rstrip("/"), "handler package = CodeUri directory"
    if not source.exists():
        pytest.skip(f"{source.relative_to(sam.REPO)} is not written yet")
    tree = ast.parse(source.read_text(encoding="utf-8"))
    assert attribute in {
        node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


def test_environment_variables_are_ones_the_code_reads(template: dict[str, Any]) -> None:
    """A variable the code never reads is a typo or a leftover (e.g. QUERY_EVENT_TABLE)."""
    for name, function in sam.functions(template).items():
        package = sam.REPO / function["Properties"]["CodeUri"].rstrip("/")
        sources = "\n".join(
            path.read_text(encoding="utf-8") for path in sorted(package.rglob("*.py"))
        )
        read = set(re.findall(r"[\"']([A-Z][A-Z0-9_]{2,})[\"']", sources)) | LIBRARY_VARIABLES
        assert set(sam.environment(template, name)) <= read, name
    assert sam.environment(template, "ProcessorFunction")["POWERTOOLS_METRICS_NAMESPACE"] == (
        "CvAnalytics"
    )


# ---------------------------------------------------------------- zero-downtime releases


def test_every_function_is_published_behind_the_live_alias(template: dict[str, Any]) -> None:
    assert template["Globals"]["Function"]["AutoPublishAlias"] == LIVE_ALIAS
    for function in sam.functions(template).values():
        assert function["Properties"].get("AutoPublishAlias", LIVE_ALIAS) == LIVE_ALIAS


def test_every_function_names_its_version_after_the_deploy_hash(template: dict[str, Any]) -> None:
    parameter = template["Parameters"]["DeployHash"]
    assert parameter["Type"] == "String"
    assert parameter["Default"] == ""  # build and lint need no hash; the Rules refuse it at deploy
    assert parameter["Description"]
    for name, function in sam.functions(template).items():
        assert function["Properties"]["AutoPublishCodeSha256"] == {"Ref": "DeployHash"}, name


def _versions(parameters: dict[str, str]) -> dict[str, str]:
    """Function -> logical id of the Version its live alias points at, in the transformed stack."""
    cloudformation = sam.transformed(parameters)
    resources = cloudformation["Resources"]
    versions: dict[str, str] = {}
    for alias in resources.values():
        if alias["Type"] != "AWS::Lambda::Alias" or not sam.condition_holds(
            cloudformation, alias.get("Condition"), parameters
        ):
            continue
        assert alias["Properties"]["Name"] == LIVE_ALIAS
        version, attribute = alias["Properties"]["FunctionVersion"]["Fn::GetAtt"]
        assert (resources[version]["Type"], attribute) == ("AWS::Lambda::Version", "Version")
        versions[alias["Properties"]["FunctionName"]["Ref"]] = version
    return versions


@pytest.mark.parametrize("service", sam.SERVICES)
def test_a_new_deploy_hash_publishes_a_new_version_of_every_function(service: str) -> None:
    """SAM resolves the DeployHash parameter at transform time (as CloudFormation's transform does
    with the stack's values) and names each Version after it: a new hash is a new Version resource,
    which CloudFormation publishes and CodeDeploy shifts the live alias to; the same hash keeps the
    Version, so a redeploy of the same release changes nothing."""
    script = load_parameters_script()
    outputs_before = json.loads(json.dumps(PARAMETER_OUTPUTS))
    outputs_after = json.loads(json.dumps(PARAMETER_OUTPUTS))
    # Only a parameter value changes (the kind of change SAM's own naming ignores).
    table = {"processor": "processor_infra", "reporter": "reporter_infra"}[service]
    outputs_after[table]["analytics_table_name"]["value"] = "cv-analytics-analytics-v2"
    before = script.with_deploy_hash(service, script.resolve(service, outputs_before))
    after = script.with_deploy_hash(service, script.resolve(service, outputs_after))
    assert before["DeployHash"] != after["DeployHash"]

    first, again, changed = _versions(before), _versions(dict(before)), _versions(after)
    assert set(first) == sam.functions_of(sam.load_cfn(sam.TEMPLATE), service)
    assert again == first, "the same DeployHash keeps every Version"
    for function, version in first.items():
        assert changed[function] != version, f"{function} keeps its old version"
        assert version == f"{function}Version{before['DeployHash'][:10]}"


def test_traffic_shifting_rolls_back_on_reporter_infra_s_error_alarm(
    template: dict[str, Any],
) -> None:
    """Each function's rollback alarm is reporter_infra's alarm on that function's errors, by the
    name alerts.tf gives it ("<function name>-errors"), and the template declares no alarm."""
    allowed = template["Parameters"]["DeploymentType"]["AllowedValues"]
    assert template["Parameters"]["DeploymentType"]["Default"].startswith(("Canary", "Linear"))
    assert set(allowed) >= {"Canary10Percent5Minutes", "AllAtOnce"}
    alerts = (sam.TEMPLATE.parent / "reporter_infra" / "alerts.tf").read_text()
    assert 'alarm_name          = "${each.value}-errors"' in alerts
    declared = re.search(r"function_error_alarms = \{(.*?)\}", alerts, re.S)
    assert declared is not None
    watched = set(re.findall(r"(\w+)\s*=\s*local\.\w+_function_name", declared.group(1)))
    for name, function in sam.functions(template).items():
        preference = function["Properties"]["DeploymentPreference"]
        assert preference["Type"] == {"Ref": "DeploymentType"}
        function_name = function["Properties"]["FunctionName"]["Fn::Sub"]
        assert preference["Alarms"] == [{"Fn::Sub": f"{function_name}-errors"}], name
        assert function_name.removeprefix("${NamePrefix}-") in watched, name
    assert not [
        name
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::CloudWatch::Alarm"
    ]


def test_log_groups_are_the_functions_own_with_retention(template: dict[str, Any]) -> None:
    for name, function in sam.functions(template).items():
        props = function["Properties"]
        log_group = template["Resources"][props["LoggingConfig"]["LogGroup"]["Ref"]]
        assert log_group["Type"] == "AWS::Logs::LogGroup"
        function_name = props["FunctionName"]["Fn::Sub"]
        assert log_group["Properties"]["LogGroupName"] == {
            "Fn::Sub": f"/aws/lambda/{function_name}"
        }
        assert log_group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
        assert function_name.startswith("${NamePrefix}-"), name


def test_function_names_are_the_ones_terraform_grants_and_schedules(
    template: dict[str, Any],
) -> None:
    names = {
        name: props["Properties"]["FunctionName"]["Fn::Sub"]
        for name, props in sam.functions(template).items()
    }
    assert names == {
        "ProcessorFunction": "${NamePrefix}-processor",
        "ExpiryFunction": "${NamePrefix}-expiry",
        "ReporterFunction": "${NamePrefix}-reporter",
    }
    assert template["Parameters"]["NamePrefix"]["Default"] == "cv-analytics"


# ---------------------------------------------------------------- event sources


def test_sqs_trigger_fits_a_fifo_queue(template: dict[str, Any]) -> None:
    props = properties(template, "ProcessorFunction")
    (event,) = props["Events"].values()
    assert event["Type"] == "SQS"
    source = event["Properties"]
    assert source["Queue"] == {"Ref": "QueueArn"}
    assert source["BatchSize"] == 10  # the most a FIFO queue allows
    assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # AWS rejects a batching window on a FIFO queue at deploy time (cfn-lint does not catch it).
    assert "MaximumBatchingWindowInSeconds" not in source
    assert source["ScalingConfig"]["MaximumConcurrency"] == {"Ref": "ProcessorMaxConcurrency"}
    # The queue's visibility timeout is 6x the function timeout, as AWS recommends.
    assert props["Timeout"] == PROCESSOR_TIMEOUT_SECONDS
    worker_variables = sam.REPO / "worker_infra" / "variables.tf"
    if worker_variables.exists():  # the queue's Terraform sizes its visibility from this default
        declared = re.search(
            r'variable "processor_timeout_seconds" \{[^}]*?default\s*=\s*(\d+)',
            worker_variables.read_text(encoding="utf-8"),
        )
        assert declared and int(declared.group(1)) == props["Timeout"]
    assert 6 * props["Timeout"] == VISIBILITY_TIMEOUT_SECONDS


def test_reporter_has_no_event_source_of_its_own(template: dict[str, Any]) -> None:
    """The weekly schedule's target (on the live alias) belongs to reporter_infra."""
    assert "Events" not in properties(template, "ReporterFunction")


TTL_DELETION = {
    "eventName": "REMOVE",
    "eventSource": "aws:dynamodb",
    "userIdentity": {"type": "Service", "principalId": "dynamodb.amazonaws.com"},
    "dynamodb": {"Keys": {"requestId": {"S": "r-1"}}},
}


def matches(pattern: Any, event: Any) -> bool:
    """Event-pattern matching for exact values (what Lambda event filtering does for these)."""
    if isinstance(pattern, list):
        return event in pattern
    if not isinstance(event, dict):
        return False
    return all(key in event and matches(value, event[key]) for key, value in pattern.items())


def test_expiry_trigger_receives_only_ttl_deletions(template: dict[str, Any]) -> None:
    props = properties(template, "ExpiryFunction")
    (event,) = props["Events"].values()
    assert event["Type"] == "DynamoDB"
    source = event["Properties"]
    assert source["Stream"] == {"Ref": "InterimTableStreamArn"}
    assert source["StartingPosition"] == "TRIM_HORIZON"
    assert source["BisectBatchOnFunctionError"] is True
    # A TTL deletion's record is the only copy of the parked response and there is no on-failure
    # destination: retry without limit of count or age (until the stream's 24 h retention).
    assert source["MaximumRetryAttempts"] == -1
    assert source["MaximumRecordAgeInSeconds"] == -1
    assert "DestinationConfig" not in source
    assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    (only,) = source["FilterCriteria"]["Filters"]
    pattern = json.loads(only["Pattern"])

    assert matches(pattern, TTL_DELETION)
    user_delete = {k: v for k, v in TTL_DELETION.items() if k != "userIdentity"}
    assert not matches(pattern, user_delete), "the processor's own deletes are not expiries"
    for other in ("INSERT", "MODIFY"):
        assert not matches(pattern, {**TTL_DELETION, "eventName": other})
    other_service = {**TTL_DELETION, "userIdentity": {"type": "Service", "principalId": "x"}}
    assert not matches(pattern, other_service)


# ---------------------------------------------------------------- samconfig.toml


def test_samconfig_has_one_build_and_deploy_environment_per_service(
    template: dict[str, Any],
) -> None:
    config = sam.samconfig()
    stacks = set()
    build_homes = set()
    for service in sam.SERVICES:
        build = config[service]["build"]["parameters"]
        deploy = config[service]["deploy"]["parameters"]
        assert "Service=" + service in build["parameter_overrides"]
        others = set(sam.functions(template)) - sam.functions_of(template, service)
        assert set(build["exclude"]) == others, "build only this service's functions"
        assert deploy["template_file"] == build["build_dir"] + "/template.yaml"
        assert deploy["parameter_overrides"] == [
            "Service=" + service,
            f"file://.aws-sam/parameters/{service}.yaml",
        ]
        # No IAM resource in the stacks (Terraform owns every role), so no capability; the region,
        # the stack name and its S3 prefix come from deploy.toml on the command line
        # (cv_analytics/deploy/plan.py), never from here, so a non-default prefix or region
        # cannot be deployed under the defaults.
        assert not {"capabilities", "region", "stack_name", "s3_prefix"} & set(deploy), service
        assert deploy["confirm_changeset"] is False
        assert deploy["fail_on_empty_changeset"] is False
        stacks.add(Settings(name_prefix="p-x", region="eu-west-2").stack_name(service))
        build_homes.add(Path(build["build_dir"]).parent)  # where SAM writes build.toml
    assert len(stacks) == len(build_homes) == len(sam.SERVICES)


def test_sam_reads_the_parameter_file_the_script_writes(tmp_path: Path) -> None:
    """The deploy's parameter_overrides (samconfig) resolved by SAM's own parser, in SAM's venv."""
    sam.require(sam.SAM_PYTHON, "SAM CLI (.tools/sam)")
    script = load_parameters_script()
    outputs_dir = tmp_path / "outputs"
    outputs_dir.mkdir()
    for workspace, data in PARAMETER_OUTPUTS.items():
        (outputs_dir / f"{workspace}.json").write_text(json.dumps(data), encoding="utf-8")
    for service in sam.SERVICES:
        target = tmp_path / ".aws-sam" / "parameters" / f"{service}.yaml"
        assert (
            script.main([service, "--outputs-dir", str(outputs_dir), "--output", str(target)]) == 0
        )
        overrides = sam.samconfig()[service]["deploy"]["parameters"]["parameter_overrides"]
        code = (
            "import json, sys\n"
            "from samcli.cli.types import CfnParameterOverridesType\n"
            "print(json.dumps(CfnParameterOverridesType().convert(json.loads(sys.argv[1]), None, None)))"
        )
        result = subprocess.run(
            [str(sam.SAM_PYTHON), "-c", code, json.dumps(overrides)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
        )
        parsed = json.loads(result.stdout)
        assert parsed == json.loads(target.read_text(encoding="utf-8"))
        assert parsed["Service"] == service
        assert re.fullmatch(r"[0-9a-f]{16}", parsed["DeployHash"]), "the release's fingerprint"
