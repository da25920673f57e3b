"""The three workspaces applied to a moto server in dependency order (worker, processor, the
reporter's function as SAM would deploy it, reporter), checked through boto3, compared with the
boto3 definitions of cv_analytics/dev/resources.py, and destroyed.

The stack is applied once for the module (each SQS queue takes ~25 s: the provider waits for its
attributes to settle). The destroy test is last in the file on purpose.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from analytics_contract.storage import WEEK_INDEX_ATTRIBUTES
from cv_analytics.dev import resources
from cv_analytics.dev.emulator import LocalAws, moto_server
from cv_analytics.infra import terraform as tf
from cv_analytics.infra.iam_audit import as_list, statements, wildcard_grants
from tests.infra.test_iam_policies import is_resource_less_grant, without_resource_less_grants

pytestmark = [
    pytest.mark.infra,
    pytest.mark.skipif(tf.terraform_binary() is None, reason="terraform is not installed"),
]

PREFIX = "tf-cv"
REFERENCE_PREFIX = "boto3-cv"
SENDER = "reports@example.com"
SENDER_NAME = "CV chatbot reports"
RECIPIENTS = ["owner@example.com", SENDER]
ALERT_EMAIL = "ops@example.com"
AGE_THRESHOLD_SECONDS = 1200
REPORTER_FUNCTION = f"{PREFIX}-reporter"
PRICES = (0.8, 4)
CURRENCY = "GBP"
BOUNDARY_ARN = f"arn:aws:iam::123456789012:policy/github-{PREFIX}-workload-boundary"
CODEDEPLOY_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited"


@dataclass
class Stack:
    aws: LocalAws
    workspaces: dict[str, tf.Workspace]
    variables: dict[str, dict[str, Any]]
    outputs: dict[str, dict[str, Any]]
    # What the schedule looked like after the first reporter apply (schedule_enabled = false).
    first_reporter_apply: dict[str, Any] = field(default_factory=dict)
    destroyed: bool = False

    def client(self, service: Any) -> Any:
        return boto3.client(
            service, endpoint_url=self.aws.endpoint_url, region_name=self.aws.region
        )

    @property
    def account_id(self) -> str:
        return str(self.outputs["worker"]["queue_arn"].split(":")[4])


def _function_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return None\n")
    return buffer.getvalue()


def _deploy_reporter_like_sam(stack: Stack) -> None:
    """What `sam deploy` of the reporter stack does that the reporter workspace depends on:
    the function, with the role from the workspace's output, a version and its live alias."""
    lambda_client = stack.client("lambda")
    lambda_client.create_function(
        FunctionName=REPORTER_FUNCTION,
        Runtime="python3.13",
        Role=stack.outputs["reporter"]["reporter_role_arn"],
        Handler="app.handler",
        Code={"ZipFile": _function_zip()},
    )
    version = lambda_client.publish_version(FunctionName=REPORTER_FUNCTION)["Version"]
    lambda_client.create_alias(FunctionName=REPORTER_FUNCTION, Name="live", FunctionVersion=version)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    root: Path = tmp_path_factory.mktemp("tf-apply")
    with moto_server(load_managed_policies=True) as aws:
        common = {"name_prefix": PREFIX, "aws_region": aws.region}
        variables = {
            service: {**common, **tf.emulator_variables(service)} for service in tf.MODULES
        }
        variables["reporter"].update(
            report_sender=SENDER,
            report_sender_name=SENDER_NAME,
            report_recipients=RECIPIENTS,
            alert_email=ALERT_EMAIL,
            oldest_message_age_threshold_seconds=AGE_THRESHOLD_SECONDS,
            price_per_million_input_tokens=PRICES[0],
            price_per_million_output_tokens=PRICES[1],
            price_currency=CURRENCY,
        )
        workspaces = {
            service: tf.local_workspace(service, root, aws.environment()) for service in tf.MODULES
        }
        stack = Stack(aws, workspaces, variables, outputs={})
        timings: dict[str, float] = {}

        def timed(label: str, action: Any) -> Any:
            started = time.perf_counter()
            result = action()
            timings[label] = time.perf_counter() - started
            return result

        for service in ("worker", "processor"):
            timed(f"{service} init", lambda s=service: tf.init(workspaces[s]))
            stack.outputs[service] = timed(
                f"{service} apply", lambda s=service: tf.apply(workspaces[s], variables[s])
            )

        # First deployment of the reporter: its role must exist before `sam deploy`, and the
        # schedule cannot target a function that does not exist yet.
        timed("reporter init", lambda: tf.init(workspaces["reporter"]))
        stack.outputs["reporter"] = timed(
            "reporter apply (schedule off)",
            lambda: tf.apply(
                workspaces["reporter"], {**variables["reporter"], "schedule_enabled": False}
            ),
        )
        events = stack.client("events")
        rule_name = stack.outputs["reporter"]["schedule_rule_name"]
        stack.first_reporter_apply = {
            "rule": events.describe_rule(Name=rule_name),
            "targets": events.list_targets_by_rule(Rule=rule_name)["Targets"],
            "schedule_target_arn": stack.outputs["reporter"].get("schedule_target_arn"),
        }
        _deploy_reporter_like_sam(stack)
        # Steady state: schedule_enabled left at its default (true).
        stack.outputs["reporter"] = timed(
            "reporter apply (schedule on)",
            lambda: tf.apply(workspaces["reporter"], variables["reporter"]),
        )
        print("\nterraform timings against moto:", {k: round(v, 1) for k, v in timings.items()})
        yield stack


def _queue_attributes(stack: Stack, url: str) -> dict[str, str]:
    attributes: dict[str, str] = stack.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["All"]
    )["Attributes"]
    return attributes


def _normalised(document: Any) -> list[dict[str, Any]]:
    """Statements with every action/resource list as a sorted list and conditions' values too."""
    result = []
    for statement in statements(document):
        item: dict[str, Any] = {
            "Sid": statement.get("Sid"),
            "Effect": statement["Effect"],
            "Action": sorted(as_list(statement.get("Action"))),
            "Resource": sorted(as_list(statement.get("Resource"))),
        }
        if "Condition" in statement:
            item["Condition"] = {
                test: {key: sorted(as_list(values)) for key, values in pairs.items()}
                for test, pairs in statement["Condition"].items()
            }
        if "Principal" in statement:
            item["Principal"] = statement["Principal"]
        result.append(item)
    return sorted(result, key=lambda statement: str(statement["Sid"]))


def _role_policy(stack: Stack, role_arn: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(assume-role policy, statements of the only inline policy) of a role; no managed policy."""
    iam = stack.client("iam")
    role_name = role_arn.rsplit("/", 1)[1]
    role = iam.get_role(RoleName=role_name)["Role"]
    assert iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"] == []
    names = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    # The reporter's role also holds its delivery log's policy (test below).
    assert "least-privilege" in names and set(names) <= {"least-privilege", "delivery-log"}
    document = iam.get_role_policy(RoleName=role_name, PolicyName="least-privilege")[
        "PolicyDocument"
    ]
    return role["AssumeRolePolicyDocument"], _normalised(document)


def _projection(projection: dict[str, Any]) -> dict[str, Any]:
    """An index projection with its attributes in one order (Terraform stores them as a set)."""
    if "NonKeyAttributes" not in projection:
        return projection
    return {**projection, "NonKeyAttributes": sorted(projection["NonKeyAttributes"])}


def _own_policies(stack: Stack) -> list[dict[str, Any]]:
    """The customer-managed policies of this stack. moto keeps one state per process, shared by
    every server it runs: other test files' stacks (the deploy role's boundary) are left out."""
    policies: list[dict[str, Any]] = stack.client("iam").list_policies(Scope="Local")["Policies"]
    return [policy for policy in policies if policy["PolicyName"].startswith(f"{PREFIX}-")]


def _log_resources(stack: Stack, function: str) -> list[str]:
    group = f"arn:aws:logs:{stack.aws.region}:{stack.account_id}:log-group:/aws/lambda/{function}"
    return sorted([group, f"{group}:*"])


LOG_ACTIONS = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]


# --- worker -----------------------------------------------------------------------------------


def test_events_queue_is_high_throughput_fifo_with_long_polling_and_sse(stack: Stack) -> None:
    worker = stack.outputs["worker"]
    assert worker["queue_name"] == f"{PREFIX}-events.fifo"
    attributes = _queue_attributes(stack, worker["queue_url"])
    assert attributes["QueueArn"] == worker["queue_arn"]
    assert attributes["FifoQueue"] == "true"
    assert attributes["ContentBasedDeduplication"] == "false"
    assert attributes["DeduplicationScope"] == "messageGroup"
    assert attributes["FifoThroughputLimit"] == "perMessageGroupId"
    assert attributes["ReceiveMessageWaitTimeSeconds"] == "20"
    # 6 x the processor's 30 s timeout.
    assert attributes["VisibilityTimeout"] == "180"
    assert worker["visibility_timeout_seconds"] == 180
    assert attributes["SqsManagedSseEnabled"] == "true"


def test_events_queue_redrives_to_the_fifo_dead_letter_queue_after_three_receives(
    stack: Stack,
) -> None:
    worker = stack.outputs["worker"]
    redrive = json.loads(_queue_attributes(stack, worker["queue_url"])["RedrivePolicy"])
    assert redrive == {"deadLetterTargetArn": worker["dead_letter_queue_arn"], "maxReceiveCount": 3}
    dead_letter = _queue_attributes(stack, worker["dead_letter_queue_url"])
    assert worker["dead_letter_queue_name"] == f"{PREFIX}-events-dlq.fifo"
    assert dead_letter["FifoQueue"] == "true"
    assert dead_letter["MessageRetentionPeriod"] == str(14 * 24 * 3600)
    assert dead_letter["SqsManagedSseEnabled"] == "true"


def test_dead_letter_queue_accepts_only_the_events_queue_on_aws(stack: Stack) -> None:
    """moto 5.2 does not store RedriveAllowPolicy, so the emulator run leaves it out; the plan
    for AWS (the default) carries it, naming the events queue only."""
    worker = stack.workspaces["worker"]
    plan = tf.plan_json(worker, {**stack.variables["worker"], "restrict_dead_letter_sources": True})
    changes = {change["address"]: change for change in plan["resource_changes"]}
    allow = changes["aws_sqs_queue_redrive_allow_policy.dead_letter[0]"]["change"]
    assert allow["actions"] == ["create"]
    assert json.loads(allow["after"]["redrive_allow_policy"]) == {
        "redrivePermission": "byQueue",
        "sourceQueueArns": [stack.outputs["worker"]["queue_arn"]],
    }


def test_producer_policy_only_sends_to_the_events_queue(stack: Stack) -> None:
    iam = stack.client("iam")
    arn = stack.outputs["worker"]["producer_policy_arn"]
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    document = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])
    assert _normalised(document["PolicyVersion"]["Document"]) == [
        {
            "Sid": "SendAnalyticsEvents",
            "Effect": "Allow",
            "Action": ["sqs:SendMessage"],
            "Resource": [stack.outputs["worker"]["queue_arn"]],
        }
    ]


# --- processor --------------------------------------------------------------------------------


def test_processor_finds_the_worker_queues_by_name(stack: Stack) -> None:
    processor, worker = stack.outputs["processor"], stack.outputs["worker"]
    assert processor["queue_arn"] == worker["queue_arn"]
    assert processor["dead_letter_queue_url"] == worker["dead_letter_queue_url"]


def test_interim_table_expires_items_and_streams_old_images(stack: Stack) -> None:
    dynamodb = stack.client("dynamodb")
    name = stack.outputs["processor"]["interim_table_name"]
    assert name == f"{PREFIX}-query-events"
    table = dynamodb.describe_table(TableName=name)["Table"]
    assert table["TableArn"] == stack.outputs["processor"]["interim_table_arn"]
    assert table["KeySchema"] == [{"AttributeName": "requestId", "KeyType": "HASH"}]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "OLD_IMAGE"}
    assert table["LatestStreamArn"] == stack.outputs["processor"]["interim_table_stream_arn"]
    assert table["SSEDescription"]["Status"] == "ENABLED"
    ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expiresAt"}


def test_analytics_table_has_its_week_index_ttl_backups_and_encryption(stack: Stack) -> None:
    dynamodb = stack.client("dynamodb")
    name = stack.outputs["processor"]["analytics_table_name"]
    assert name == f"{PREFIX}-analytics"
    table = dynamodb.describe_table(TableName=name)["Table"]
    assert table["KeySchema"] == [{"AttributeName": "requestId", "KeyType": "HASH"}]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    [index] = table["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "week-index"
    assert index["KeySchema"] == [
        {"AttributeName": "week", "KeyType": "HASH"},
        {"AttributeName": "timestamp", "KeyType": "RANGE"},
    ]
    # The provider holds non_key_attributes as a set: the order AWS returns is not the file's.
    assert index["Projection"]["ProjectionType"] == "INCLUDE"
    assert sorted(index["Projection"]["NonKeyAttributes"]) == sorted(WEEK_INDEX_ATTRIBUTES)
    assert table["SSEDescription"]["Status"] == "ENABLED"
    ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expiresAt"}
    backups = dynamodb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


def test_processor_role_grants_exactly_what_the_processor_uses(stack: Stack) -> None:
    processor, worker = stack.outputs["processor"], stack.outputs["worker"]
    assume, granted = _role_policy(stack, processor["processor_role_arn"])
    assert _normalised(assume) == [
        {
            "Sid": "LambdaAssumesRole",
            "Effect": "Allow",
            "Action": ["sts:AssumeRole"],
            "Resource": [],
            "Principal": {"Service": "lambda.amazonaws.com"},
        }
    ]
    assert granted == [
        {
            "Sid": "ConsumeEventsQueue",
            "Effect": "Allow",
            "Action": ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"],
            "Resource": [worker["queue_arn"]],
        },
        {
            "Sid": "ParkEarlyEvents",
            "Effect": "Allow",
            "Action": [
                "dynamodb:DeleteItem",
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
            ],
            "Resource": [processor["interim_table_arn"]],
        },
        {
            "Sid": "QuarantineInvalidEvents",
            "Effect": "Allow",
            "Action": ["sqs:SendMessage"],
            "Resource": [worker["dead_letter_queue_arn"]],
        },
        {
            "Sid": "WriteAnalyticsRecords",
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
            "Resource": [processor["analytics_table_arn"]],
        },
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": LOG_ACTIONS,
            "Resource": _log_resources(stack, f"{PREFIX}-processor"),
        },
    ]


def test_expiry_role_reads_the_stream_writes_analytics_and_keeps_conflicts_in_the_dlq(
    stack: Stack,
) -> None:
    processor, worker = stack.outputs["processor"], stack.outputs["worker"]
    assert processor["expiry_role_arn"] != processor["processor_role_arn"]
    _, granted = _role_policy(stack, processor["expiry_role_arn"])
    assert granted == [
        {
            "Sid": "CompleteOrOrphanRecords",
            "Effect": "Allow",
            "Action": ["dynamodb:PutItem", "dynamodb:UpdateItem"],
            "Resource": [processor["analytics_table_arn"]],
        },
        {
            "Sid": "KeepConflictEvidence",
            "Effect": "Allow",
            "Action": ["sqs:SendMessage"],
            "Resource": [worker["dead_letter_queue_arn"]],
        },
        {
            # ListStreams has no resource-level permissions: "*" or nothing (see iam.tf).
            "Sid": "ListStreams",
            "Effect": "Allow",
            "Action": ["dynamodb:ListStreams"],
            "Resource": ["*"],
        },
        {
            "Sid": "ReadInterimStream",
            "Effect": "Allow",
            "Action": [
                "dynamodb:DescribeStream",
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
            ],
            "Resource": [processor["interim_table_stream_arn"]],
        },
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": LOG_ACTIONS,
            "Resource": _log_resources(stack, f"{PREFIX}-expiry"),
        },
    ]


# --- reporter ---------------------------------------------------------------------------------


def test_first_reporter_apply_creates_the_rule_without_target(stack: Stack) -> None:
    first = stack.first_reporter_apply
    assert first["rule"]["State"] == "DISABLED"
    assert first["targets"] == []
    assert first["schedule_target_arn"] is None


def test_weekly_rule_invokes_the_live_alias_of_the_reporter(stack: Stack) -> None:
    reporter = stack.outputs["reporter"]
    events = stack.client("events")
    rule = events.describe_rule(Name=reporter["schedule_rule_name"])
    assert rule["Arn"] == reporter["schedule_rule_arn"]
    assert rule["State"] == "ENABLED"
    assert rule["ScheduleExpression"] == "cron(0 7 ? * MON *)"
    alias_arn = stack.client("lambda").get_alias(FunctionName=REPORTER_FUNCTION, Name="live")[
        "AliasArn"
    ]
    assert reporter["schedule_target_arn"] == alias_arn
    targets = events.list_targets_by_rule(Rule=reporter["schedule_rule_name"])["Targets"]
    assert [target["Arn"] for target in targets] == [alias_arn]


def test_only_the_weekly_rule_may_invoke_the_live_alias(stack: Stack) -> None:
    reporter = stack.outputs["reporter"]
    policy = stack.client("lambda").get_policy(FunctionName=REPORTER_FUNCTION, Qualifier="live")
    granted = statements(policy["Policy"])
    assert len(granted) == 1
    statement = granted[0]
    assert statement["Sid"] == "AllowWeeklyReportSchedule"
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "lambda:InvokeFunction"
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Resource"].endswith(f":function:{REPORTER_FUNCTION}:live")
    assert statement["Condition"] == {"ArnLike": {"AWS:SourceArn": reporter["schedule_rule_arn"]}}


def test_reporter_role_queries_the_week_index_and_sends_from_the_sender_only(
    stack: Stack,
) -> None:
    reporter, processor = stack.outputs["reporter"], stack.outputs["processor"]
    assert reporter["analytics_table_name"] == processor["analytics_table_name"]
    # The reporter's From (SAM ReportSender) carries the display name; IAM checks the address.
    assert reporter["report_sender"] == f"{SENDER_NAME} <{SENDER}>"
    assert reporter["report_recipients"] == ",".join(RECIPIENTS)
    sender_identity = reporter["sender_identity_arn"]
    owner_identity = sender_identity.rsplit("/", 1)[0] + "/owner@example.com"
    _, granted = _role_policy(stack, reporter["reporter_role_arn"])
    assert granted == [
        {
            "Sid": "QueryWeekIndex",
            "Effect": "Allow",
            "Action": ["dynamodb:Query"],
            "Resource": [f"{processor['analytics_table_arn']}/index/week-index"],
        },
        {
            "Sid": "SendReportFromSender",
            "Effect": "Allow",
            "Action": ["ses:SendEmail"],
            # Sandbox: SES also checks the recipients' identities (the sender's is one of them).
            "Resource": sorted([sender_identity, owner_identity]),
            "Condition": {
                "StringEquals": {"ses:FromAddress": [SENDER]},
                "ForAllValues:StringEquals": {"ses:Recipients": sorted(RECIPIENTS)},
            },
        },
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": LOG_ACTIONS,
            "Resource": _log_resources(stack, REPORTER_FUNCTION),
        },
    ]


def test_sender_and_sandbox_recipients_are_ses_identities(stack: Stack) -> None:
    # moto has no SESv2 ListEmailIdentities; SES v1 lists the same identities.
    assert sorted(stack.client("ses").list_identities()["Identities"]) == sorted(RECIPIENTS)
    for address in RECIPIENTS:
        identity = stack.client("sesv2").get_email_identity(EmailIdentity=address)
        assert identity["IdentityType"] == "EMAIL_ADDRESS"


def test_alert_topic_takes_alarms_of_this_account_and_mails_the_operator(stack: Stack) -> None:
    sns = stack.client("sns")
    topic_arn = stack.outputs["reporter"]["alert_topic_arn"]
    attributes = sns.get_topic_attributes(TopicArn=topic_arn)["Attributes"]
    assert _normalised(attributes["Policy"]) == [
        {
            "Sid": "CloudWatchAlarmsPublish",
            "Effect": "Allow",
            "Action": ["sns:Publish"],
            "Resource": [topic_arn],
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Condition": {
                "ArnLike": {
                    "aws:SourceArn": [
                        f"arn:aws:cloudwatch:{stack.aws.region}:{stack.account_id}:alarm:{PREFIX}-*"
                    ]
                },
                "StringEquals": {"aws:SourceAccount": [stack.account_id]},
            },
        }
    ]
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions] == [("email", ALERT_EMAIL)]


def test_alarms_watch_functions_dead_letters_and_queue_age(stack: Stack) -> None:
    topic_arn = stack.outputs["reporter"]["alert_topic_arn"]
    alarms = [
        alarm
        for alarm in stack.client("cloudwatch").describe_alarms(AlarmNamePrefix=PREFIX)[
            "MetricAlarms"
        ]
        if not alarm.get("Metrics")  # the metric-math quality alarm is tested below
    ]
    observed = {
        alarm["AlarmName"]: (
            alarm["Namespace"],
            alarm["MetricName"],
            {d["Name"]: d["Value"] for d in alarm["Dimensions"]},
            alarm["Statistic"],
            alarm["ComparisonOperator"],
            alarm["Threshold"],
            alarm["TreatMissingData"],
        )
        for alarm in alarms
    }
    assert observed == {
        f"{PREFIX}-processor-errors": (
            "AWS/Lambda", "Errors", {"FunctionName": f"{PREFIX}-processor"},
            "Sum", "GreaterThanThreshold", 0.0, "notBreaching",
        ),
        f"{PREFIX}-expiry-errors": (
            "AWS/Lambda", "Errors", {"FunctionName": f"{PREFIX}-expiry"},
            "Sum", "GreaterThanThreshold", 0.0, "notBreaching",
        ),
        f"{PREFIX}-reporter-errors": (
            "AWS/Lambda", "Errors", {"FunctionName": REPORTER_FUNCTION},
            "Sum", "GreaterThanThreshold", 0.0, "notBreaching",
        ),
        f"{PREFIX}-events-dlq-not-empty": (
            "AWS/SQS", "ApproximateNumberOfMessagesVisible",
            {"QueueName": f"{PREFIX}-events-dlq.fifo"},
            "Maximum", "GreaterThanThreshold", 0.0, "notBreaching",
        ),
        f"{PREFIX}-events-oldest-message-age": (
            "AWS/SQS", "ApproximateAgeOfOldestMessage", {"QueueName": f"{PREFIX}-events.fifo"},
            "Maximum", "GreaterThanThreshold", float(AGE_THRESHOLD_SECONDS), "notBreaching",
        ),
    }  # fmt: skip
    assert set(observed) == set(stack.outputs["reporter"]["alarm_names"].values())
    for alarm in alarms:
        assert alarm["AlarmActions"] == [topic_arn]
        assert alarm["OKActions"] == [topic_arn]


def test_one_quality_alarm_is_metric_math_on_the_processors_metrics(stack: Stack) -> None:
    """moto stores metric-math alarms with their queries: one alarm holds every quality
    condition, MAX([...]) of each rate over its threshold (each with its minimum sample) > 1, and
    reads the five metrics once (namespace, name, service=processor, period, statistic)."""
    topic_arn = stack.outputs["reporter"]["alert_topic_arn"]
    names = stack.outputs["reporter"]["quality_alarm_names"]
    assert names == {"answer-quality": f"{PREFIX}-answer-quality"}
    (alarm,) = stack.client("cloudwatch").describe_alarms(AlarmNames=list(names.values()))[
        "MetricAlarms"
    ]
    assert alarm["AlarmActions"] == [topic_arn] and alarm["OKActions"] == [topic_arn]
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["Threshold"] == 1.0
    assert alarm["TreatMissingData"] == "notBreaching"
    assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (4, 2)
    for words in ("50%", "20%", "30%", "15000 ms", "at least 20"):
        assert words in alarm["AlarmDescription"], words
    queries = {query["Id"]: query for query in alarm["Metrics"]}
    (expression,) = [q for q in queries.values() if "Expression" in q]
    assert expression["ReturnData"] is True
    text = expression["Expression"]
    assert text.startswith("MAX([") and text.endswith("])")
    for term in (
        "IF(answers >= 20, nomatch / answers / 0.5, 0)",
        "IF(questions >= 20, failed / questions / 0.2, 0)",
        "IF(questions >= 20, (questions - answers - failed) / questions / 0.3, 0)",
        "IF(answers >= 20, p95 / 15000, 0)",
    ):
        assert term in text, term
    read = {
        q["MetricStat"]["Metric"]["MetricName"]: q["MetricStat"]["Stat"]
        for q in queries.values()
        if "MetricStat" in q
    }
    assert read == {
        "Questions": "Sum", "Answers": "Sum", "FailedAnswers": "Sum", "NoMatchAnswers": "Sum",
        "ProcessingTime": "p95",
    }  # fmt: skip
    for query in queries.values():
        if "MetricStat" in query:
            stat = query["MetricStat"]
            assert stat["Metric"]["Namespace"] == "CvAnalytics"
            assert stat["Metric"]["Dimensions"] == [{"Name": "service", "Value": "processor"}]
            assert stat["Period"] == 900


def test_the_alarms_fit_in_the_free_tier_s_ten_alarm_metrics(stack: Stack) -> None:
    """AWS bills one alarm metric per standard alarm and one per metric a metric-math alarm
    reads; 10 are free. The SAM stacks add none (they roll back on reporter_infra's alarms)."""
    alarms = stack.client("cloudwatch").describe_alarms(AlarmNamePrefix=PREFIX)["MetricAlarms"]
    billed = [
        sum("MetricStat" in query for query in alarm["Metrics"]) if alarm.get("Metrics") else 1
        for alarm in alarms
    ]
    assert (len(alarms), sum(billed)) == (6, 10)


def test_the_reporters_delivery_log_is_its_own_table(stack: Stack) -> None:
    reporter = stack.outputs["reporter"]
    name = reporter["idempotency_table_name"]
    assert name == f"{PREFIX}-reporter-idempotency"
    dynamodb = stack.client("dynamodb")
    table = dynamodb.describe_table(TableName=name)["Table"]
    assert table["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expiration"
    iam = stack.client("iam")
    role_name = reporter["reporter_role_arn"].rsplit("/", 1)[1]
    document = iam.get_role_policy(RoleName=role_name, PolicyName="delivery-log")["PolicyDocument"]
    (statement,) = statements(document)
    assert set(statement["Action"]) == {
        "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
    }  # fmt: skip
    assert statement["Resource"] == table["TableArn"]


def test_the_report_prices_reach_the_outputs_sam_reads(stack: Stack) -> None:
    reporter = stack.outputs["reporter"]
    assert (
        reporter["price_per_million_input_tokens"],
        reporter["price_per_million_output_tokens"],
    ) == PRICES
    assert reporter["price_currency"] == CURRENCY


# --- across the stack -------------------------------------------------------------------------


def test_every_role_carries_the_permissions_boundary(stack: Stack) -> None:
    """The deploy role may only create roles that carry it (deploy_role/): every role the
    workspaces create does, so the workspaces apply with that role."""
    iam = stack.client("iam")
    roles = [role for role in iam.list_roles()["Roles"] if role["RoleName"].startswith(PREFIX)]
    assert sorted(role["RoleName"] for role in roles) == sorted(
        [
            f"{PREFIX}-processor-role",
            f"{PREFIX}-expiry-role",
            f"{PREFIX}-reporter-role",
            f"{PREFIX}-processor-codedeploy",
            f"{PREFIX}-reporter-codedeploy",
        ]
    )
    for role in roles:
        boundary = iam.get_role(RoleName=role["RoleName"])["Role"]["PermissionsBoundary"]
        assert boundary["PermissionsBoundaryArn"] == BOUNDARY_ARN, role["RoleName"]


def test_codedeploy_roles_get_aws_s_limited_lambda_policy_only(stack: Stack) -> None:
    iam = stack.client("iam")
    for service in ("processor", "reporter"):
        arn = stack.outputs[service]["codedeploy_role_arn"]
        name = arn.rsplit("/", 1)[1]
        assert name == f"{PREFIX}-{service}-codedeploy"
        role = iam.get_role(RoleName=name)["Role"]
        trust = statements(role["AssumeRolePolicyDocument"])
        assert [s["Principal"] for s in trust] == [{"Service": "codedeploy.amazonaws.com"}]
        attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
        assert [policy["PolicyArn"] for policy in attached] == [CODEDEPLOY_POLICY_ARN]
        assert iam.list_role_policies(RoleName=name)["PolicyNames"] == []


def test_no_applied_policy_grants_wildcards(stack: Stack) -> None:
    iam = stack.client("iam")
    documents: dict[str, Any] = {}
    for role in iam.list_roles()["Roles"]:
        if not role["RoleName"].startswith(PREFIX):
            continue
        documents[f"{role['RoleName']} trust"] = role["AssumeRolePolicyDocument"]
        for name in iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"]:
            documents[f"{role['RoleName']}/{name}"] = iam.get_role_policy(
                RoleName=role["RoleName"], PolicyName=name
            )["PolicyDocument"]
    for policy in _own_policies(stack):
        version = iam.get_policy_version(
            PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"]
        )
        documents[policy["PolicyName"]] = version["PolicyVersion"]["Document"]
    topic_arn = stack.outputs["reporter"]["alert_topic_arn"]
    documents["alert topic"] = stack.client("sns").get_topic_attributes(TopicArn=topic_arn)[
        "Attributes"
    ]["Policy"]
    documents["reporter live alias"] = stack.client("lambda").get_policy(
        FunctionName=REPORTER_FUNCTION, Qualifier="live"
    )["Policy"]
    # Five roles (each with trust; three with an inline policy, the reporter's with its delivery
    # log's too, the two CodeDeploy roles with AWS's managed policy only), the producer policy,
    # two resource policies.
    assert len(documents) == 12
    problems = [
        problem
        for where, document in documents.items()
        for problem in wildcard_grants(
            {"Statement": without_resource_less_grants(statements(document))}, where=where
        )
    ]
    assert problems == []
    # The one accepted "*": the expiry role's ListStreams (no resource-level permissions).
    exempted = {
        where
        for where, document in documents.items()
        for statement in statements(document)
        if is_resource_less_grant(statement)
    }
    assert exempted == {f"{PREFIX}-expiry-role/least-privilege"}


def test_boto3_definitions_match_what_terraform_created(stack: Stack) -> None:
    """cv_analytics/dev/resources.py provisions the same queues and tables when Terraform is
    absent (tests, demo): same keys, indexes, TTL, stream and queue attributes. (Terraform adds
    what a local stack does not need: SSE and PITR on tables, tags, the redrive-allow policy.)"""
    reference_names = resources.ResourceNames(REFERENCE_PREFIX)
    resources.create_all(
        reference_names, endpoint_url=stack.aws.endpoint_url, region=stack.aws.region
    )
    terraform_names = resources.ResourceNames(PREFIX)
    dynamodb = stack.client("dynamodb")

    def table_shape(name: str) -> dict[str, Any]:
        table = dynamodb.describe_table(TableName=name)["Table"]
        return {
            "KeySchema": table["KeySchema"],
            "AttributeDefinitions": sorted(
                table["AttributeDefinitions"], key=lambda a: a["AttributeName"]
            ),
            "GlobalSecondaryIndexes": sorted(
                (
                    {
                        "IndexName": index["IndexName"],
                        "KeySchema": index["KeySchema"],
                        "Projection": _projection(index["Projection"]),
                    }
                    for index in table.get("GlobalSecondaryIndexes", [])
                ),
                key=lambda index: index["IndexName"],
            ),
            "BillingMode": table["BillingModeSummary"]["BillingMode"],
            "StreamSpecification": table.get("StreamSpecification"),
            "TimeToLive": dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"],
        }

    for table in ("interim_table", "analytics_table", "delivery_log_table"):
        assert table_shape(getattr(reference_names, table)) == table_shape(
            getattr(terraform_names, table)
        )

    sqs = stack.client("sqs")
    volatile = {"QueueArn", "CreatedTimestamp", "LastModifiedTimestamp"}

    def queue_shape(name: str, prefix: str) -> dict[str, Any]:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        attributes = _queue_attributes(stack, url)
        shape: dict[str, Any] = {
            key: value
            for key, value in attributes.items()
            if key not in volatile and not key.startswith("ApproximateNumberOf")
        }
        if "RedrivePolicy" in shape:
            redrive = json.loads(shape["RedrivePolicy"])
            redrive["deadLetterTargetArn"] = redrive["deadLetterTargetArn"].replace(prefix, "<p>")
            shape["RedrivePolicy"] = redrive
        return shape

    for queue in ("queue", "dead_letter_queue"):
        reference = queue_shape(getattr(reference_names, queue), REFERENCE_PREFIX)
        created = queue_shape(getattr(terraform_names, queue), PREFIX)
        assert reference == created
    assert queue_shape(terraform_names.queue, PREFIX)["RedrivePolicy"] == {
        "deadLetterTargetArn": f"arn:aws:sqs:{stack.aws.region}:{stack.account_id}:<p>-events-dlq.fifo",
        "maxReceiveCount": resources.MAX_RECEIVE_COUNT,
    }


def test_a_second_plan_changes_nothing(stack: Stack) -> None:
    for service in ("processor", "reporter"):
        assert tf.plan_is_empty(stack.workspaces[service], stack.variables[service]), service
    # The worker's only difference is moto's: it re-serialises the redrive policy JSON with
    # spaces. That pending in-place update defers the read of the producer's policy document
    # (it names the queue's ARN), so the policy shows as "known after apply": nothing else.
    plan = tf.plan_json(stack.workspaces["worker"], stack.variables["worker"])
    changes = {
        change["address"]: change["change"]
        for change in plan["resource_changes"]
        if change["change"]["actions"] != ["no-op"]
    }
    if not changes:
        return
    assert set(changes) == {
        "aws_sqs_queue.events",
        "data.aws_iam_policy_document.producer",
        "aws_iam_policy.producer",
    }
    queue = changes["aws_sqs_queue.events"]
    assert queue["actions"] == ["update"]
    differing = {key for key in queue["after"] if queue["before"].get(key) != queue["after"][key]}
    assert differing == {"redrive_policy"}
    assert json.loads(queue["before"]["redrive_policy"]) == json.loads(
        queue["after"]["redrive_policy"]
    )
    assert changes["data.aws_iam_policy_document.producer"]["actions"] == ["read"]
    policy = changes["aws_iam_policy.producer"]
    assert policy["actions"] == ["update"]
    assert {key for key, unknown in policy["after_unknown"].items() if unknown} == {"policy"}


def test_destroy_in_reverse_order_removes_everything(stack: Stack) -> None:
    """Last test of the module: reporter, processor, worker."""
    for service in ("reporter", "processor", "worker"):
        tf.destroy(stack.workspaces[service], stack.variables[service])
    stack.destroyed = True

    sqs_urls = stack.client("sqs").list_queues(QueueNamePrefix=PREFIX).get("QueueUrls", [])
    assert sqs_urls == []
    tables = stack.client("dynamodb").list_tables()["TableNames"]
    assert [name for name in tables if name.startswith(PREFIX)] == []
    roles = stack.client("iam").list_roles()["Roles"]
    assert [role["RoleName"] for role in roles if role["RoleName"].startswith(PREFIX)] == []
    assert _own_policies(stack) == []
    assert stack.client("events").list_rules(NamePrefix=PREFIX)["Rules"] == []
    alarms = stack.client("cloudwatch").describe_alarms(AlarmNamePrefix=PREFIX)["MetricAlarms"]
    assert alarms == []
    assert stack.client("sns").list_topics()["Topics"] == []
    assert stack.client("ses").list_identities()["Identities"] == []
    # The function was SAM's, not Terraform's: only the schedule's permission went away.
    lambda_client = stack.client("lambda")
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.get_policy(FunctionName=REPORTER_FUNCTION, Qualifier="live")
