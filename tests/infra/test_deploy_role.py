"""deploy_role/ applied to the moto server: the OIDC trust matches exactly the subjects the
workflows' jobs present, and the deploy role has no privilege-escalation path.

The applied policies are evaluated for the requests an attacker holding the deploy role would make
(create a role without the boundary, attach AdministratorAccess, put an inline policy on a role
without the boundary, remove or rewrite the boundary, rewrite the pipeline's own roles) with a
small evaluator of IAM's rules (explicit deny wins, an allow needs action, resource and every
condition to match) for the operators these policies use.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from cv_analytics.dev.emulator import LocalAws, moto_server
from cv_analytics.infra import terraform as tf
from cv_analytics.infra.iam_audit import as_list, statements
from tests.infra.test_workflows import conditions, jobs, workflow

pytestmark = [
    pytest.mark.infra,
    pytest.mark.skipif(tf.terraform_binary() is None, reason="terraform is not installed"),
]

REPOSITORY = "acme/cv-analytics"
PREFIX = "cv-oidc"
ACCOUNT = "123456789012"
IAM = f"arn:aws:iam::{ACCOUNT}"
BOUNDARY = f"{IAM}:policy/github-{PREFIX}-workload-boundary"
CODEDEPLOY_POLICY = "arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited"


@dataclass
class Applied:
    aws: LocalAws
    outputs: dict[str, Any]

    def client(self, service: str) -> Any:
        return boto3.client(
            service, endpoint_url=self.aws.endpoint_url, region_name=self.aws.region
        )

    def role_policy(self, role: str) -> list[dict[str, Any]]:
        iam = self.client("iam")
        (name,) = iam.list_role_policies(RoleName=role)["PolicyNames"]
        return statements(iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"])


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Applied]:
    with moto_server(load_managed_policies=True) as aws:
        workspace = tf.prepare(
            tf.DEPLOY_ROLE_MODULE,
            tmp_path_factory.mktemp("deploy-role") / "deploy_role",
            aws.environment(),
        )
        tf.init(workspace)
        outputs = tf.apply(
            workspace,
            {"github_repository": REPOSITORY, "name_prefix": PREFIX, "aws_region": aws.region},
        )
        yield Applied(aws, outputs)


def test_outputs_name_the_roles_and_the_boundary(applied: Applied) -> None:
    assert applied.outputs == {
        "plan_role_arn": f"{IAM}:role/github-{PREFIX}-plan",
        "deploy_role_arn": f"{IAM}:role/github-{PREFIX}-deploy",
        "permissions_boundary_arn": BOUNDARY,
    }


def _subjects(applied: Applied, role: str) -> list[str]:
    trust: Any = applied.client("iam").get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    (statement,) = statements(trust)
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    condition = statement["Condition"]["StringEquals"]
    assert condition["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    return sorted(as_list(condition["token.actions.githubusercontent.com:sub"]))


def _job_subject(name: str, job_id: str, job: Mapping[str, Any]) -> set[str]:
    """The OIDC subjects a job presents: its environment, else the pull request or main's ref."""
    if "environment" in job:
        return {f"repo:{REPOSITORY}:environment:{job['environment']}"}
    subjects = set()
    on = workflow(name).get("on", workflow(name).get(True))
    if "pull_request" in on and "github.event_name != 'pull_request'" not in conditions(
        name, job_id
    ):
        subjects.add(f"repo:{REPOSITORY}:pull_request")
    if "push" in on or "workflow_dispatch" in on:
        subjects.add(f"repo:{REPOSITORY}:ref:refs/heads/main")
    return subjects


def test_each_role_trusts_exactly_the_jobs_that_assume_it(applied: Applied) -> None:
    presented: dict[str, set[str]] = {"AWS_PLAN_ROLE_ARN": set(), "AWS_DEPLOY_ROLE_ARN": set()}
    for name, job_id, job in jobs():
        for step in job.get("steps", []):
            role = step.get("with", {}).get("role-to-assume", "")
            for secret in presented:
                if secret in role:
                    presented[secret] |= _job_subject(name, job_id, job)
    assert _subjects(applied, f"github-{PREFIX}-plan") == sorted(presented["AWS_PLAN_ROLE_ARN"])
    assert _subjects(applied, f"github-{PREFIX}-deploy") == sorted(presented["AWS_DEPLOY_ROLE_ARN"])
    assert presented["AWS_DEPLOY_ROLE_ARN"] == {f"repo:{REPOSITORY}:environment:production"}


# ---------------------------------------------------------------- no escalation


def _matches(patterns: Any, value: str) -> bool:
    return any(fnmatch.fnmatchcase(value, pattern) for pattern in as_list(patterns))


def _condition_holds(
    condition: Mapping[str, Mapping[str, Any]], context: Mapping[str, str]
) -> bool:
    for operator, pairs in condition.items():
        for key, wanted in pairs.items():
            if key not in context:
                # IAM: a missing key fails every operator but the negated ones... which also
                # fail here, being "...IfExists"-free: conservative for an allow, not for a deny.
                if operator.startswith(("StringNot", "ArnNot")):
                    continue
                return False
            value = context[key]
            if operator in ("StringEquals", "ArnEquals"):
                ok = value in as_list(wanted)
            elif operator in ("StringLike", "ArnLike"):
                ok = _matches(wanted, value)
            elif operator in ("StringNotEquals", "ArnNotEquals"):
                ok = value not in as_list(wanted)
            else:
                raise AssertionError(f"operator {operator} not evaluated by this test")
            if not ok:
                return False
    return True


def allowed(policy: list[dict[str, Any]], action: str, resource: str, **context: str) -> bool:
    decisions = [
        statement["Effect"]
        for statement in policy
        if _matches(statement.get("Action"), action)
        and _matches(statement.get("Resource"), resource)
        and _condition_holds(statement.get("Condition", {}), context)
    ]
    return "Allow" in decisions and "Deny" not in decisions


@pytest.fixture(scope="module")
def deploy_policy(applied: Applied) -> list[dict[str, Any]]:
    return applied.role_policy(f"github-{PREFIX}-deploy")


WORKLOAD_ROLE = f"{IAM}:role/{PREFIX}-reporter-role"


@pytest.mark.parametrize(
    ("action", "resource", "context", "expected"),
    [
        # Workload roles only with the boundary.
        ("iam:CreateRole", WORKLOAD_ROLE, {"iam:PermissionsBoundary": BOUNDARY}, True),
        ("iam:CreateRole", WORKLOAD_ROLE, {}, False),
        ("iam:CreateRole", WORKLOAD_ROLE, {"iam:PermissionsBoundary": f"{IAM}:policy/mine"}, False),
        ("iam:PutRolePolicy", WORKLOAD_ROLE, {"iam:PermissionsBoundary": BOUNDARY}, True),
        ("iam:PutRolePolicy", WORKLOAD_ROLE, {}, False),  # a role without the boundary
        # No managed policy but CodeDeploy's.
        (
            "iam:AttachRolePolicy",
            WORKLOAD_ROLE,
            {"iam:PermissionsBoundary": BOUNDARY, "iam:PolicyARN": CODEDEPLOY_POLICY},
            True,
        ),
        (
            "iam:AttachRolePolicy",
            WORKLOAD_ROLE,
            {
                "iam:PermissionsBoundary": BOUNDARY,
                "iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess",
            },
            False,
        ),
        (
            "iam:AttachRolePolicy",
            WORKLOAD_ROLE,
            {"iam:PermissionsBoundary": BOUNDARY, "iam:PolicyARN": f"{IAM}:policy/{PREFIX}-mine"},
            False,
        ),
        # The boundary stays, and stays as it is.
        ("iam:DeleteRolePermissionsBoundary", WORKLOAD_ROLE, {}, False),
        (
            "iam:PutRolePermissionsBoundary",
            WORKLOAD_ROLE,
            {"iam:PermissionsBoundary": f"{IAM}:policy/x"},
            False,
        ),
        ("iam:CreatePolicyVersion", BOUNDARY, {}, False),
        ("iam:SetDefaultPolicyVersion", BOUNDARY, {}, False),
        ("iam:DeletePolicy", BOUNDARY, {}, False),
        # The pipeline's own roles are out of reach.
        ("iam:UpdateAssumeRolePolicy", f"{IAM}:role/github-{PREFIX}-deploy", {}, False),
        (
            "iam:PutRolePolicy",
            f"{IAM}:role/github-{PREFIX}-deploy",
            {"iam:PermissionsBoundary": BOUNDARY},
            False,
        ),
        ("iam:CreateRole", f"{IAM}:role/admin", {"iam:PermissionsBoundary": BOUNDARY}, False),
        # Roles go to the functions, CodeDeploy and the export schedule only.
        ("iam:PassRole", WORKLOAD_ROLE, {"iam:PassedToService": "lambda.amazonaws.com"}, True),
        ("iam:PassRole", WORKLOAD_ROLE, {"iam:PassedToService": "ec2.amazonaws.com"}, False),
        ("iam:PassRole", WORKLOAD_ROLE, {"iam:PassedToService": "scheduler.amazonaws.com"}, True),
        # export_infra: its bucket's configuration, never another bucket nor the exports' objects.
        ("s3:CreateBucket", f"arn:aws:s3:::{PREFIX}-data-{ACCOUNT}", {}, True),
        ("s3:PutLifecycleConfiguration", f"arn:aws:s3:::{PREFIX}-data-{ACCOUNT}", {}, True),
        ("s3:CreateBucket", "arn:aws:s3:::someone-elses-bucket", {}, False),
        ("s3:GetObject", f"arn:aws:s3:::{PREFIX}-data-{ACCOUNT}/snapshots/x", {}, False),
        (
            "glue:CreateTable",
            f"arn:aws:glue:eu-west-2:{ACCOUNT}:table/{PREFIX.replace('-', '_')}_analytics/records",
            {},
            True,
        ),
        (
            "athena:CreateNamedQuery",
            f"arn:aws:athena:eu-west-2:{ACCOUNT}:workgroup/{PREFIX}-analytics",
            {},
            True,
        ),
        (
            "glue:DeleteDatabase",
            f"arn:aws:glue:eu-west-2:{ACCOUNT}:userDefinedFunction/{PREFIX.replace('-', '_')}_analytics/*",
            {},
            True,
        ),
        (
            "scheduler:CreateSchedule",
            f"arn:aws:scheduler:eu-west-2:{ACCOUNT}:schedule/default/{PREFIX}-analytics-export",
            {},
            True,
        ),
        # What a deploy does need.
        ("iam:CreatePolicyVersion", f"{IAM}:policy/{PREFIX}-events-producer", {}, True),
        (
            "cloudformation:CreateChangeSet",
            f"arn:aws:cloudformation:eu-west-2:{ACCOUNT}:stack/{PREFIX}-reporter/x",
            {},
            True,
        ),
        (
            "cloudformation:CreateChangeSet",
            f"arn:aws:cloudformation:eu-west-2:{ACCOUNT}:stack/cv-analytics-reporter/x",
            {},
            False,
        ),
    ],
)
def test_the_deploy_role_cannot_escalate(
    deploy_policy: list[dict[str, Any]],
    action: str,
    resource: str,
    context: dict[str, str],
    expected: bool,
) -> None:
    assert allowed(deploy_policy, action, resource, **context) is expected


def test_no_allow_grants_an_iam_wildcard(deploy_policy: list[dict[str, Any]]) -> None:
    for statement in deploy_policy:
        if statement["Effect"] == "Allow":
            for action in as_list(statement["Action"]):
                assert not (action.startswith("iam:") and "*" in action), statement["Sid"]


def test_the_boundary_caps_workloads_to_data_logs_email_and_alias_shifts(applied: Applied) -> None:
    iam = applied.client("iam")
    policy = iam.get_policy(PolicyArn=BOUNDARY)["Policy"]
    document = iam.get_policy_version(PolicyArn=BOUNDARY, VersionId=policy["DefaultVersionId"])
    granted = statements(document["PolicyVersion"]["Document"])
    services = {action.split(":")[0] for s in granted for action in as_list(s["Action"])}
    assert services == {"sqs", "dynamodb", "ses", "logs", "lambda", "cloudwatch", "s3"}
    # The export schedule's role writes exports into "<prefix>-*" buckets, and reads nothing.
    exports = f"arn:aws:s3:::{PREFIX}-data-{ACCOUNT}/snapshots/x"
    assert allowed(granted, "s3:PutObject", exports)
    assert not allowed(granted, "s3:GetObject", exports)
    assert not allowed(granted, "s3:PutObject", "arn:aws:s3:::someone-elses-bucket/x")
    for statement in granted:
        assert statement["Effect"] == "Allow"
        assert not any("*" in action for action in as_list(statement["Action"]))
    assert not allowed(granted, "iam:CreateRole", "*")
    assert not allowed(
        granted,
        "lambda:UpdateFunctionCode",
        f"arn:aws:lambda:eu-west-2:{ACCOUNT}:function:{PREFIX}-reporter",
    )
    assert os.environ.get("AWS_ENDPOINT_URL") is None, (
        "the test talks to moto through the fixture only"
    )


GLUE = f"arn:aws:glue:eu-west-2:{ACCOUNT}"
GLUE_DATABASE = f"{PREFIX.replace('-', '_')}_analytics"
EXPORT_BUCKET = f"arn:aws:s3:::{PREFIX}-data-{ACCOUNT}"


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        # What provider 5.100 reads to refresh export_infra (a missing one fails every plan of
        # the workspace once it has state, and with it the whole Deploy workflow).
        ("glue:GetDatabase", f"{GLUE}:database/{GLUE_DATABASE}"),
        ("glue:GetTable", f"{GLUE}:table/{GLUE_DATABASE}/records"),
        ("glue:GetPartitionIndexes", f"{GLUE}:table/{GLUE_DATABASE}/analytics_export"),
        ("glue:GetTags", f"{GLUE}:database/{GLUE_DATABASE}"),
        ("athena:GetWorkGroup", f"arn:aws:athena:eu-west-2:{ACCOUNT}:workgroup/{PREFIX}-analytics"),
        (
            "athena:GetNamedQuery",
            f"arn:aws:athena:eu-west-2:{ACCOUNT}:workgroup/{PREFIX}-analytics",
        ),
        ("s3:GetBucketPolicy", EXPORT_BUCKET),
        ("s3:GetLifecycleConfiguration", EXPORT_BUCKET),
        ("s3:GetEncryptionConfiguration", EXPORT_BUCKET),
        ("s3:ListBucket", EXPORT_BUCKET),
        (
            "scheduler:GetSchedule",
            f"arn:aws:scheduler:eu-west-2:{ACCOUNT}:schedule/default/{PREFIX}-analytics-export",
        ),
        ("iam:GetRole", f"{IAM}:role/{PREFIX}-analytics-export-role"),
        ("iam:GetPolicyVersion", f"{IAM}:policy/{PREFIX}-analytics-analyst"),
    ],
)
def test_the_plan_role_can_refresh_the_export_workspace(
    applied: Applied, action: str, resource: str
) -> None:
    assert allowed(applied.role_policy(f"github-{PREFIX}-plan"), action, resource)


def test_the_plan_role_reads_no_exported_data(applied: Applied) -> None:
    plan = applied.role_policy(f"github-{PREFIX}-plan")
    assert not allowed(plan, "s3:GetObject", f"{EXPORT_BUCKET}/snapshots/x/data/1.json.gz")
    assert not allowed(
        plan,
        "athena:GetQueryResults",
        f"arn:aws:athena:eu-west-2:{ACCOUNT}:workgroup/{PREFIX}-analytics",
    )
