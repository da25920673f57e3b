"""Least privilege, checked statically on the Terraform sources (fast, no apply): every IAM policy
is an ``aws_iam_policy_document`` whose statements grant named actions on named resources, and
each role gets exactly the actions its code uses. The applied documents, with their resolved
ARNs, are checked again in test_terraform_apply.py."""

from __future__ import annotations

from typing import Any

import pytest

from cv_analytics.infra import hcl
from cv_analytics.infra import terraform as tf
from cv_analytics.infra.iam_audit import wildcard_grants

pytestmark = [
    pytest.mark.infra,
    pytest.mark.skipif(
        hcl.hcl2tojson_binary() is None, reason="hcl2tojson (checkov tool venv) is not installed"
    ),
]

# Every attribute that carries a policy document, by resource type.
POLICY_ATTRIBUTES = {
    "aws_iam_policy": "policy",
    "aws_iam_role_policy": "policy",
    "aws_iam_role": "assume_role_policy",
    "aws_sns_topic_policy": "policy",
    "aws_sqs_queue_policy": "policy",
}

# (module, policy document) -> statement sid -> the exact actions it grants.
EXPECTED_ACTIONS: dict[tuple[str, str], dict[str, set[str]]] = {
    ("worker", "producer"): {"SendAnalyticsEvents": {"sqs:SendMessage"}},
    ("processor", "lambda_assume_role"): {"LambdaAssumesRole": {"sts:AssumeRole"}},
    ("processor", "processor"): {
        "ConsumeEventsQueue": {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"},
        "QuarantineInvalidEvents": {"sqs:SendMessage"},
        "WriteAnalyticsRecords": {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:GetItem"},
        "ParkEarlyResponses": {
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:GetItem",
            "dynamodb:DeleteItem",
        },
        "WriteOwnLogs": {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"},
    },
    ("processor", "expiry"): {
        "ReadInterimStream": {
            "dynamodb:DescribeStream",
            "dynamodb:GetRecords",
            "dynamodb:GetShardIterator",
        },
        "ListInterimStreams": {"dynamodb:ListStreams"},
        "CompleteOrOrphanRecords": {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:GetItem"},
        "WriteOwnLogs": {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"},
    },
    ("reporter", "lambda_assume_role"): {"LambdaAssumesRole": {"sts:AssumeRole"}},
    ("reporter", "reporter"): {
        "QueryWeekIndex": {"dynamodb:Query"},
        "SendReportFromSender": {"ses:SendEmail"},
        "WriteOwnLogs": {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"},
    },
    ("reporter", "alerts_topic"): {"CloudWatchAlarmsPublish": {"sns:Publish"}},
}


def _documents() -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Statements of every aws_iam_policy_document, in IAM's JSON shape."""
    documents: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for service, module_dir in tf.MODULES.items():
        module = hcl.load_module(module_dir)
        for block_type, name, body in hcl.typed_blocks(module, "data"):
            if block_type != "aws_iam_policy_document":
                continue
            converted = []
            for statement in body.get("statement", []):
                item: dict[str, Any] = {
                    "Sid": statement["sid"][0],
                    "Effect": statement.get("effect", ["Allow"])[0],
                    "Action": hcl.flatten(statement.get("actions", [])),
                }
                if "not_actions" in statement:
                    item["NotAction"] = hcl.flatten(statement["not_actions"])
                if "not_resources" in statement:
                    item["NotResource"] = hcl.flatten(statement["not_resources"])
                if "principals" in statement:
                    item["Principal"] = {
                        p["type"][0]: hcl.flatten(p["identifiers"]) for p in statement["principals"]
                    }
                else:
                    item["Resource"] = hcl.flatten(statement.get("resources", []))
                converted.append(item)
            documents[(service, name)] = converted
    return documents


@pytest.fixture(scope="module")
def documents() -> dict[tuple[str, str], list[dict[str, Any]]]:
    return _documents()


def test_every_policy_is_a_policy_document_data_source() -> None:
    """No inline JSON policy escapes the checks below."""
    for service, module_dir in tf.MODULES.items():
        module = hcl.load_module(module_dir)
        for block_type, name, body in hcl.typed_blocks(module, "resource"):
            attribute = POLICY_ATTRIBUTES.get(block_type)
            if attribute is None:
                continue
            value = body[attribute][0]
            assert value.startswith("${data.aws_iam_policy_document.") and value.endswith(
                ".json}"
            ), f"{service}: {block_type}.{name}.{attribute} is not a policy document"


def test_policy_documents_are_the_expected_ones(
    documents: dict[tuple[str, str], list[dict[str, Any]]],
) -> None:
    assert set(documents) == set(EXPECTED_ACTIONS)


@pytest.mark.parametrize("document", sorted(EXPECTED_ACTIONS), ids=lambda key: "/".join(key))
def test_each_statement_grants_exactly_the_actions_the_code_uses(
    document: tuple[str, str], documents: dict[tuple[str, str], list[dict[str, Any]]]
) -> None:
    granted = {statement["Sid"]: set(statement["Action"]) for statement in documents[document]}
    assert granted == EXPECTED_ACTIONS[document]
    assert all(statement["Effect"] == "Allow" for statement in documents[document])


def test_no_statement_grants_wildcard_actions_or_resources(
    documents: dict[tuple[str, str], list[dict[str, Any]]],
) -> None:
    problems = [
        problem
        for (service, name), statements in documents.items()
        for problem in wildcard_grants({"Statement": statements}, where=f"{service}/{name}")
    ]
    assert problems == []


def test_identity_policies_name_their_resources(
    documents: dict[tuple[str, str], list[dict[str, Any]]],
) -> None:
    """A resource in the sources is a reference to something this stack knows, never a literal."""
    for (service, name), statements in documents.items():
        for statement in statements:
            for resource in statement.get("Resource", []):
                assert resource.startswith("${"), f"{service}/{name} {statement['Sid']}: {resource}"


# --- the checker itself -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        ({"Effect": "Allow", "Action": "*", "Resource": "arn:aws:sqs:r:1:q"}, "wildcard action"),
        (
            {"Effect": "Allow", "Action": "sqs:*", "Resource": "arn:aws:sqs:r:1:q"},
            "wildcard action",
        ),
        (
            {"Effect": "Allow", "Action": ["dynamodb:Get*"], "Resource": "arn:aws:dynamodb:r:1:t"},
            "wildcard action",
        ),
        ({"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}, "wildcard resource"),
        (
            {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:*:1:q"},
            "wildcard resource",
        ),
        (
            {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:r:1:*"},
            "wildcard resource",
        ),
        ({"Effect": "Allow", "NotAction": "iam:*", "Resource": "arn:aws:s3:::b"}, "NotAction"),
        (
            {"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::b"},
            "NotResource",
        ),
        (
            {
                "Effect": "Allow",
                "Action": "sns:Publish",
                "Resource": "arn:aws:sns:r:1:t",
                "Principal": "*",
            },
            "Principal '*'",
        ),
        (
            {
                "Effect": "Allow",
                "Action": "sns:Publish",
                "Resource": "arn:aws:sns:r:1:t",
                "Principal": {"AWS": ["*"]},
            },
            "Principal '*'",
        ),
        ({"Effect": "Allow", "Action": "sqs:SendMessage"}, "no Resource"),
    ],
)
def test_the_checker_reports_broad_grants(statement: dict[str, Any], problem: str) -> None:
    problems = wildcard_grants({"Statement": [statement]})
    assert len(problems) == 1
    assert problem in problems[0]


def test_the_checker_accepts_scoped_grants_and_ignores_denies() -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Logs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": "arn:aws:logs:eu-west-2:123456789012:log-group:/aws/lambda/f:*",
            },
            {
                "Sid": "Stream",
                "Effect": "Allow",
                "Action": "dynamodb:ListStreams",
                "Resource": "arn:aws:dynamodb:eu-west-2:123456789012:table/t/stream/*",
            },
            {"Sid": "NoPlainHttp", "Effect": "Deny", "Action": "*", "Resource": "*"},
        ],
    }
    assert wildcard_grants(document) == []
