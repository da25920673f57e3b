"""Least privilege, checked statically on the Terraform sources (fast, no apply): every IAM policy
is an ``aws_iam_policy_document`` whose statements grant named actions on named resources, and
each role gets exactly the actions its code uses. The applied documents, with their resolved
ARNs, are checked again in test_terraform_apply.py."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pytest

from cv_analytics.infra import hcl
from cv_analytics.infra import terraform as tf
from cv_analytics.infra.iam_audit import as_list, wildcard_grants

pytestmark = [
    pytest.mark.infra,
    pytest.mark.skipif(
        hcl.hcl2tojson_binary() is None, reason="hcl2tojson (checkov tool venv) is not installed"
    ),
]

# Actions that support no resource-level permissions (the Service Authorization Reference lists no
# resource type for them): IAM matches them only against Resource "*", so a statement naming an ARN
# would grant nothing. Each with the reason a role needs it. A statement granting only these, on
# exactly "*", is the one wildcard the audit accepts.
RESOURCE_LESS_ACTIONS: dict[str, str] = {
    "dynamodb:ListStreams": (
        "Lambda's DynamoDB stream event source lists the table's streams (and checks the role for"
        " it when the mapping is created); it returns stream ARNs, no data"
    ),
}
# Where such a statement is expected: (module, policy document, sid).
RESOURCE_LESS_STATEMENTS = {("processor", "expiry", "ListStreams")}


def is_resource_less_grant(statement: Mapping[str, Any]) -> bool:
    """An Allow of resource-less actions only, on exactly "*" (nothing else, no Not*/Principal)."""
    actions = as_list(statement.get("Action"))
    return (
        statement.get("Effect") == "Allow"
        and bool(actions)
        and set(actions) <= set(RESOURCE_LESS_ACTIONS)
        and as_list(statement.get("Resource")) == ["*"]
        and not {"NotAction", "NotResource", "Principal"} & set(statement)
    )


def without_resource_less_grants(
    statement_list: Iterable[Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """The statements the wildcard audit must pass: all but the accepted resource-less grants."""
    return [
        dict(statement) for statement in statement_list if not is_resource_less_grant(statement)
    ]


# Every attribute that carries a policy document, by resource type.
POLICY_ATTRIBUTES = {
    "aws_iam_policy": "policy",
    "aws_iam_role_policy": "policy",
    "aws_iam_role": "assume_role_policy",
    "aws_sns_topic_policy": "policy",
    "aws_sqs_queue_policy": "policy",
    "aws_s3_bucket_policy": "policy",
}

# (module, policy document) -> statement sid -> the exact actions it grants.
EXPECTED_ACTIONS: dict[tuple[str, str], dict[str, set[str]]] = {
    ("worker", "producer"): {"SendAnalyticsEvents": {"sqs:SendMessage"}},
    ("processor", "lambda_assume_role"): {"LambdaAssumesRole": {"sts:AssumeRole"}},
    ("processor", "processor"): {
        "ConsumeEventsQueue": {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"},
        "QuarantineInvalidEvents": {"sqs:SendMessage"},
        # processor/repository.py: put/update/get on the analytics table (get: the last-receive
        # check), put (notes)/update (parks)/get/delete on the interim table.
        "WriteAnalyticsRecords": {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:GetItem"},
        "ParkEarlyEvents": {
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
        "ListStreams": {"dynamodb:ListStreams"},
        # processor/expiry.py: complete (update_item) or insert the orphan (put_item).
        "CompleteOrOrphanRecords": {"dynamodb:PutItem", "dynamodb:UpdateItem"},
        "KeepConflictEvidence": {"sqs:SendMessage"},
        "WriteOwnLogs": {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"},
    },
    ("reporter", "lambda_assume_role"): {"LambdaAssumesRole": {"sts:AssumeRole"}},
    ("reporter", "reporter"): {
        "QueryWeekIndex": {"dynamodb:Query"},
        "SendReportFromSender": {"ses:SendEmail"},
        "WriteOwnLogs": {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"},
    },
    ("reporter", "alerts_topic"): {"CloudWatchAlarmsPublish": {"sns:Publish"}},
    ("export", "scheduler_assume_role"): {"SchedulerAssumesRole": {"sts:AssumeRole"}},
    ("export", "export"): {
        # The scheduled universal target: DynamoDB's export, which writes as its caller.
        "ExportAnalyticsTable": {"dynamodb:ExportTableToPointInTime"},
        "WriteSnapshots": {"s3:PutObject", "s3:PutObjectAcl", "s3:AbortMultipartUpload"},
    },
    ("export", "analyst"): {
        # cv_analytics/data/athena.py (start, poll, read, stop) and the console's named queries.
        "RunQueriesInTheWorkgroup": {
            "athena:StartQueryExecution",
            "athena:GetQueryExecution",
            "athena:GetQueryResults",
            "athena:StopQueryExecution",
            "athena:GetWorkGroup",
            "athena:ListNamedQueries",
            "athena:GetNamedQuery",
            "athena:BatchGetNamedQuery",
        },
        "ReadTheCatalogue": {"glue:GetDatabase", "glue:GetTable", "glue:GetTables"},
        "ListTheBucket": {"s3:ListBucket", "s3:GetBucketLocation"},
        "ReadSnapshots": {"s3:GetObject"},
        "WriteQueryResults": {"s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"},
    },
    # reporter/deliveries.py through Powertools' DynamoDBPersistenceLayer: put (in progress),
    # get (an existing week), update (sent), delete (a refused send, a forced resend).
    ("reporter", "reporter_idempotency"): {
        "DeliveryLog": {
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
        }
    },
}
# Documents that deny rather than grant (resource policies): (module, document) -> sid -> actions.
EXPECTED_DENIALS: dict[tuple[str, str], dict[str, set[str]]] = {
    ("export", "bucket"): {"TlsOnly": {"s3:*"}},
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
    assert set(documents) == set(EXPECTED_ACTIONS) | set(EXPECTED_DENIALS)


@pytest.mark.parametrize("document", sorted(EXPECTED_ACTIONS), ids=lambda key: "/".join(key))
def test_each_statement_grants_exactly_the_actions_the_code_uses(
    document: tuple[str, str], documents: dict[tuple[str, str], list[dict[str, Any]]]
) -> None:
    granted = {statement["Sid"]: set(statement["Action"]) for statement in documents[document]}
    assert granted == EXPECTED_ACTIONS[document]
    assert all(statement["Effect"] == "Allow" for statement in documents[document])


@pytest.mark.parametrize("document", sorted(EXPECTED_DENIALS), ids=lambda key: "/".join(key))
def test_denying_documents_only_deny(
    document: tuple[str, str], documents: dict[tuple[str, str], list[dict[str, Any]]]
) -> None:
    denied = {statement["Sid"]: set(statement["Action"]) for statement in documents[document]}
    assert denied == EXPECTED_DENIALS[document]
    assert all(statement["Effect"] == "Deny" for statement in documents[document])


def test_no_statement_grants_wildcard_actions_or_resources(
    documents: dict[tuple[str, str], list[dict[str, Any]]],
) -> None:
    problems = [
        problem
        for (service, name), statements in documents.items()
        for problem in wildcard_grants(
            {"Statement": without_resource_less_grants(statements)}, where=f"{service}/{name}"
        )
    ]
    assert problems == []


def test_only_resource_less_actions_are_granted_on_star_and_only_where_expected(
    documents: dict[tuple[str, str], list[dict[str, Any]]],
) -> None:
    on_star = {
        (service, name, statement["Sid"])
        for (service, name), statements in documents.items()
        for statement in statements
        if "*" in statement.get("Resource", [])
    }
    assert on_star == RESOURCE_LESS_STATEMENTS
    for service, name, sid in on_star:
        (statement,) = [s for s in documents[(service, name)] if s["Sid"] == sid]
        assert is_resource_less_grant(statement), statement


def test_identity_policies_name_their_resources(
    documents: dict[tuple[str, str], list[dict[str, Any]]],
) -> None:
    """A resource in the sources is a reference to something this stack knows, never a literal
    (but "*" for the actions that support no resource-level permissions)."""
    for (service, name), statements in documents.items():
        for statement in without_resource_less_grants(statements):
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
                "Action": "dynamodb:DescribeStream",
                "Resource": "arn:aws:dynamodb:eu-west-2:123456789012:table/t/stream/*",
            },
            {"Sid": "NoPlainHttp", "Effect": "Deny", "Action": "*", "Resource": "*"},
        ],
    }
    assert wildcard_grants(document) == []


def test_the_checker_flags_list_streams_on_star_which_only_the_exemption_accepts() -> None:
    """The audit itself still reports "*"; the exemption is this module's, and narrow."""
    accepted = {"Sid": "L", "Effect": "Allow", "Action": "dynamodb:ListStreams", "Resource": "*"}
    assert len(wildcard_grants({"Statement": [accepted]})) == 1
    assert without_resource_less_grants([accepted]) == []
    not_accepted: list[dict[str, Any]] = [
        # another action rides along on "*"
        {**accepted, "Action": ["dynamodb:ListStreams", "dynamodb:GetRecords"]},
        # "*" among named resources, or a wildcard ARN instead of "*"
        {**accepted, "Resource": ["*", "arn:aws:dynamodb:r:1:table/t"]},
        {**accepted, "Resource": "arn:aws:dynamodb:*:*:*"},
        {**accepted, "Principal": {"AWS": "arn:aws:iam::1:root"}},
        {"Sid": "N", "Effect": "Allow", "NotAction": "dynamodb:ListStreams", "Resource": "*"},
    ]
    assert without_resource_less_grants(not_accepted) == not_accepted
    assert all(wildcard_grants({"Statement": [statement]}) for statement in not_accepted)
