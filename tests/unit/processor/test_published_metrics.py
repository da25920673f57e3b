"""Only the five metrics the answer-quality alarm reads are published (billed); every other count
is EMF metadata on the same line, summed per invocation and starting from zero in each.

The real handlers (``processor.app``, ``processor.expiry_app``), imported as Lambda imports them;
what they print is read as CloudWatch would: the names a line declares under
``_aws.CloudWatchMetrics[].Metrics[]`` become metrics, the other properties stay in the log.
"""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import pytest

from cv_analytics.dev.alarms import emf_values, load_quality_alarms
from cv_analytics.dev.sqs_trigger import LocalLambdaContext
from cv_analytics.dev.ttl import expire_items
from cv_analytics.infra import hcl
from processor import metrics as names
from processor.metrics import PUBLISHED_METRICS, EmfMetrics, UnpublishedMetricError, count
from tests.unit.processor.conftest import (
    NAMESPACE,
    Aws,
    cold_start,
    feedback_event,
    query_event,
    response_event,
    sqs_event,
    sqs_record,
)

#: Keys of an EMF line that are neither metric values nor counts.
STRUCTURE = {"_aws", "service"}


def printed(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """The metric lines printed since the last call: EMF documents, and lines of counts alone."""
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    return [line for line in lines if "_aws" in line or "level" not in line]


def declared(document: dict[str, Any]) -> list[str]:
    return [
        metric["Name"]
        for directive in document.get("_aws", {}).get("CloudWatchMetrics", [])
        for metric in directive["Metrics"]
    ]


def properties(document: dict[str, Any]) -> dict[str, Any]:
    """What CloudWatch keeps as log properties only: neither structure nor a declared metric."""
    return {k: v for k, v in document.items() if k not in STRUCTURE | set(declared(document))}


def invoke(app: ModuleType, aws: Aws, *bodies: Any) -> dict[str, Any]:
    records = [
        sqs_record(body, queue_arn=aws.resources.queue_arn, message_id=f"m{n}-{id(body)}")
        for n, body in enumerate(bodies)
    ]
    result: dict[str, Any] = app.handler(sqs_event(*records), LocalLambdaContext())
    return result


needs_hcl2 = pytest.mark.skipif(
    hcl.hcl2tojson_binary() is None, reason="hcl2tojson (checkov tool venv) is not installed"
)


@needs_hcl2
def test_the_published_metrics_are_exactly_what_the_answer_quality_alarm_reads() -> None:
    (alarm,) = load_quality_alarms()
    assert {name for name, _ in alarm.metrics.values()} == PUBLISHED_METRICS
    assert alarm.namespace == names.DEFAULT_NAMESPACE


@pytest.mark.usefixtures("lambda_environment")
def test_the_processor_publishes_only_the_alarm_metrics_and_sums_the_rest_per_invocation(
    aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    app = cold_start("processor.app")
    capsys.readouterr()
    query_a = query_event("a")
    first = invoke(
        app,
        aws,
        query_a,
        response_event("a"),
        query_a,  # a duplicate
        query_event("a", query="Something else?"),  # a conflict
        response_event("b"),  # parked: its query comes next time
        query_event("c"),  # unanswered
        "not json",  # quarantined
        feedback_event("a"),
        query_event("d"),
        response_event("d", matchType="none", matchScore=0),
    )
    assert first == {"batchItemFailures": []}
    [line] = printed(capsys)
    assert line["_aws"]["CloudWatchMetrics"][0]["Namespace"] == NAMESPACE
    assert line["service"] == "processor"
    assert sorted(declared(line)) == ["Answers", "NoMatchAnswers", "ProcessingTime", "Questions"]
    assert {name: sum(line[name]) for name in declared(line)} == {
        "Questions": 3,
        "Answers": 2,
        "NoMatchAnswers": 1,
        "ProcessingTime": 3_000,
    }
    assert properties(line) == {
        names.EVENTS_RECEIVED: 10,
        names.QUESTIONS_CORRELATED: 2,
        names.DUPLICATE_EVENTS: 1,
        names.CONFLICTING_EVENTS: 1,
        names.RESPONSES_PARKED: 1,
        names.UNANSWERED_RECORDED: 1,
        names.INVALID_EVENTS_QUARANTINED: 1,
        names.FEEDBACK_RECORDED: 1,
        names.POSITIVE_FEEDBACK: 1,
    }

    # The next invocation of the same container counts from zero (one duplicate, not two).
    second = invoke(
        app,
        aws,
        query_event("b"),  # completes the parked response
        query_event("e"),
        response_event("e", error="timeout"),
        response_event("a"),  # a duplicate of an answered question
        feedback_event("c", thumbs="down"),
    )
    assert second == {"batchItemFailures": []}
    [line] = printed(capsys)
    assert {name: sum(line[name]) for name in declared(line)} == {
        "Questions": 2,
        "Answers": 1,
        "FailedAnswers": 1,
        "ProcessingTime": 3_000,
    }
    assert properties(line) == {
        names.EVENTS_RECEIVED: 5,
        names.QUESTIONS_CORRELATED: 2,
        names.DUPLICATE_EVENTS: 1,
        names.FEEDBACK_RECORDED: 1,
        names.NEGATIVE_FEEDBACK: 1,
    }

    # Nothing to publish (a redelivered pair): its counts are written all the same, as a line of
    # properties that declares no metric, and they do not leak into the next invocation.
    assert invoke(app, aws, response_event("a"), query_event("a")) == {"batchItemFailures": []}
    [line] = printed(capsys)
    assert "_aws" not in line
    assert properties(line) == {names.EVENTS_RECEIVED: 2, names.DUPLICATE_EVENTS: 1}
    assert line["service"] == "processor"
    invoke(app, aws, "not json")
    [line] = printed(capsys)
    assert properties(line) == {names.EVENTS_RECEIVED: 1, names.INVALID_EVENTS_QUARANTINED: 1}


@pytest.mark.usefixtures("lambda_environment")
def test_the_local_alarm_evaluator_still_reads_the_five_from_the_log(
    aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    app = cold_start("processor.app")
    capsys.readouterr()
    invoke(
        app,
        aws,
        query_event("a"),
        response_event("a"),
        query_event("b"),
        response_event("b", matchType="none", matchScore=0),
        query_event("c"),
        response_event("c", error="timeout"),
        response_event("d"),
    )
    lines = [json.dumps(document) for document in printed(capsys)]
    values = emf_values(lines, namespace=NAMESPACE)
    assert set(values) == PUBLISHED_METRICS
    assert {name: len(found) for name, found in values.items()} == {
        "Questions": 3,
        "Answers": 2,
        "NoMatchAnswers": 1,
        "FailedAnswers": 1,
        "ProcessingTime": 3,
    }


@pytest.mark.usefixtures("lambda_environment")
def test_the_expiry_function_publishes_only_the_alarm_metrics(
    aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    app = cold_start("processor.app")
    expiry_app = cold_start("processor.expiry_app")
    invoke(app, aws, response_event("lost"), feedback_event("gone"))
    capsys.readouterr()
    expires = max(int(item["expiresAt"]["N"]) for item in aws.parked().values())
    result = expire_items(
        aws.dynamodb, aws.names.interim_table, expiry_app.handler, now=expires + 1, batch_size=1
    )
    assert (result.expired, result.delivered, result.failed) == (2, 2, 0)
    lines = printed(capsys)
    assert len(lines) == 2, "one line per invocation"
    assert all(set(declared(line)) <= PUBLISHED_METRICS for line in lines)
    # Each invocation (one expired park each) counts its own orphan, from zero.
    # Each invocation (one expired park each) counts its own orphan, from zero; the orphaned
    # response is an answer (published), the orphaned feedback a positive one (a property).
    assert sorted((declared(line), properties(line)) for line in lines) == [
        ([], {names.POSITIVE_FEEDBACK: 1, names.ORPHANS_RECORDED: 1}),
        ([names.ANSWERS], {names.ORPHANS_RECORDED: 1}),
    ]
    assert {r.status for r in aws.records().values()} == {"orphaned"}


# -- the sink ---------------------------------------------------------------------------------------


def emf_metrics() -> tuple[EmfMetrics, list[dict[str, Any]]]:
    from aws_lambda_powertools import Metrics

    written: list[dict[str, Any]] = []
    return EmfMetrics(
        Metrics(namespace=NAMESPACE, service="processor"),
        write=lambda line: written.append(json.loads(line)),
    ), written


def test_the_sink_refuses_to_publish_any_other_metric() -> None:
    sink, written = emf_metrics()
    with pytest.raises(UnpublishedMetricError):
        sink.add_metric(name=names.DUPLICATE_EVENTS, unit="Count", value=1)
    count(sink, names.DUPLICATE_EVENTS)
    count(sink, names.QUESTIONS)
    sink.flush()
    assert declared(written[0]) == [names.QUESTIONS]
    assert properties(written[0]) == {names.DUPLICATE_EVENTS: 1}


def test_counts_are_summed_within_an_invocation_and_start_from_zero_in_the_next() -> None:
    sink, written = emf_metrics()
    handler = sink.log_metrics(lambda n: [count(sink, names.DUPLICATE_EVENTS, n) for _ in range(3)])
    handler(2)
    handler(5)
    assert [line[names.DUPLICATE_EVENTS] for line in written] == [6, 15]


def test_a_handler_that_raises_still_writes_its_counts_and_leaves_nothing_behind() -> None:
    sink, written = emf_metrics()

    def failing() -> None:
        count(sink, names.EVENTS_RECEIVED, 3)
        count(sink, names.QUESTIONS)
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        sink.log_metrics(failing)()
    assert [properties(line) for line in written] == [{names.EVENTS_RECEIVED: 3}]
    assert sink.metadata_set == {} and not sink.metrics.metric_set


def test_leftovers_of_an_unflushed_invocation_are_dropped_when_the_next_starts() -> None:
    sink, written = emf_metrics()
    count(sink, names.EVENTS_RECEIVED, 7)  # outside any invocation: never flushed
    count(sink, names.QUESTIONS)
    sink.log_metrics(lambda: count(sink, names.EVENTS_RECEIVED))()
    assert written == [{"service": "processor", names.EVENTS_RECEIVED: 1}]


def test_the_counts_are_written_once_even_when_powertools_flushes_early(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """At 100 values of one metric powertools prints the metrics so far by itself: the counts
    are held back for the invocation's last line, so a Logs Insights sum sees them once."""
    sink, written = emf_metrics()

    def expiry_batch() -> None:
        for _ in range(150):
            count(sink, names.ANSWERS)
            count(sink, names.ORPHANS_RECORDED)

    sink.log_metrics(expiry_batch)()
    early = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [len(line[names.ANSWERS]) for line in early] == [100]
    assert all(names.ORPHANS_RECORDED not in line for line in early)
    [last] = written
    assert len(last[names.ANSWERS]) == 50
    assert properties(last) == {names.ORPHANS_RECORDED: 150}
