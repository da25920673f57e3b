"""reporter_infra's quality alarms, read from the Terraform and evaluated as CloudWatch would."""

from __future__ import annotations

import json

import pytest

from cv_analytics.dev.alarms import (
    AlarmDefinitionError,
    QualityAlarm,
    emf_values,
    evaluate,
    load_quality_alarms,
    min_sample,
    parse_expression,
    quality_alarms_from,
    statistic,
)
from cv_analytics.infra import hcl

needs_hcl2 = pytest.mark.skipif(
    hcl.hcl2tojson_binary() is None, reason="hcl2tojson (checkov tool venv) is not installed"
)
PERIOD_MS = 900_000
START = 1_763_942_400_000  # Monday 2025-11-24 00:00 UTC, a multiple of every period


def failure_alarm(**changes: object) -> QualityAlarm:
    values: dict[str, object] = {
        "name": "failure-rate",
        "expression": "IF(questions >= 20, failed / questions, 0)",
        "threshold": 0.2,
        "metrics": {"questions": ("Questions", "Sum"), "failed": ("FailedAnswers", "Sum")},
        "period_seconds": 900,
        "evaluation_periods": 4,
        "datapoints_to_alarm": 2,
    }
    values.update(changes)
    return QualityAlarm(**values)  # type: ignore[arg-type]


def period(questions: int, failed: int) -> dict[str, list[float]]:
    return {"Questions": [1.0] * questions, "FailedAnswers": [1.0] * failed}


QUALITY_TERMS = ("no-match-rate", "failure-rate", "unanswered-rate", "p95-processing-time")


@needs_hcl2
def test_one_alarm_is_read_from_reporter_infra_with_its_defaults():
    """Every quality condition is a term of one alarm (5 alarm metrics, not 9 in four alarms):
    each rate over its own threshold variable, guarded by the minimum sample, MAX([...]) > 1."""
    (alarm,) = load_quality_alarms()
    assert alarm.name == "answer-quality"
    # The values below are the module's variable defaults; the point is that they come from it.
    assert alarm.expression == (
        "MAX([IF(answers >= 20, nomatch / answers / 0.5, 0), "
        "IF(questions >= 20, failed / questions / 0.2, 0), "
        "IF(questions >= 20, (questions - answers - failed) / questions / 0.3, 0), "
        "IF(answers >= 20, p95 / 15000, 0)])"
    )
    assert alarm.threshold == 1.0
    assert alarm.terms == QUALITY_TERMS
    assert alarm.metrics == {
        "questions": ("Questions", "Sum"),
        "answers": ("Answers", "Sum"),
        "failed": ("FailedAnswers", "Sum"),
        "nomatch": ("NoMatchAnswers", "Sum"),
        "p95": ("ProcessingTime", "p95"),
    }
    assert (alarm.period_seconds, alarm.evaluation_periods, alarm.datapoints_to_alarm) == (
        900,
        4,
        2,
    )
    assert alarm.namespace == "CvAnalytics"
    assert min_sample(alarm, "failure-rate") == ("questions", 20)
    assert min_sample(alarm, "no-match-rate") == ("answers", 20)
    assert min_sample(alarm, "p95-processing-time") == ("answers", 20)


@needs_hcl2
def test_variables_change_the_alarm_as_terraform_apply_var_would():
    (alarm,) = load_quality_alarms(
        variables={
            "quality_min_questions": 5,
            "failure_rate_threshold": 0.5,
            "quality_alarm_datapoints": 9,
            "quality_metrics_namespace": "Demo",
        }
    )
    assert "IF(questions >= 5, failed / questions / 0.5, 0)" in alarm.expression
    assert alarm.datapoints_to_alarm == 4  # min(datapoints, evaluation periods)
    assert alarm.namespace == "Demo"
    assert min_sample(alarm, "failure-rate") == ("questions", 5)
    with pytest.raises(AlarmDefinitionError, match="no such variable"):
        load_quality_alarms(variables={"failure_threshold": 0.5})


def quality_alarm(**changes: object) -> QualityAlarm:
    """The answer-quality alarm as reporter_infra declares it with its defaults (written out, so
    this test runs without hcl2tojson)."""
    values: dict[str, object] = {
        "name": "answer-quality",
        "expression": (
            "MAX([IF(answers >= 20, nomatch / answers / 0.5, 0), "
            "IF(questions >= 20, failed / questions / 0.2, 0), "
            "IF(questions >= 20, (questions - answers - failed) / questions / 0.3, 0), "
            "IF(answers >= 20, p95 / 15000, 0)])"
        ),
        "threshold": 1.0,
        "terms": QUALITY_TERMS,
        "metrics": {
            "questions": ("Questions", "Sum"),
            "answers": ("Answers", "Sum"),
            "failed": ("FailedAnswers", "Sum"),
            "nomatch": ("NoMatchAnswers", "Sum"),
            "p95": ("ProcessingTime", "p95"),
        },
        "period_seconds": 900,
        "evaluation_periods": 4,
        "datapoints_to_alarm": 2,
    }
    values.update(changes)
    return QualityAlarm(**values)  # type: ignore[arg-type]


def traffic(
    questions: int, *, failed: int = 0, nomatch: int = 0, millis: float = 1000.0
) -> dict[str, list[float]]:
    answers = questions - failed
    return {
        "Questions": [1.0] * questions,
        "Answers": [1.0] * answers,
        "FailedAnswers": [1.0] * failed,
        "NoMatchAnswers": [1.0] * nomatch,
        "ProcessingTime": [millis] * answers,
    }


@pytest.mark.parametrize(
    ("metrics", "crossed", "value"),
    [
        (traffic(30), [], 1000 / 15000),  # healthy: the p95 term is the highest
        (traffic(25, failed=15), ["failure-rate"], 0.6 / 0.2),
        (traffic(30, nomatch=18), ["no-match-rate"], 0.6 / 0.5),
        (traffic(30, millis=20_000.0), ["p95-processing-time"], 20_000 / 15000),
        (traffic(19, failed=19), [], 0.0),  # below the minimum sample: not judged
    ],
)
def test_each_condition_alone_raises_the_one_alarm_and_is_named(metrics, crossed, value):
    alarm = quality_alarm()
    periods = {START: metrics, START + PERIOD_MS: metrics}
    result = evaluate(alarm, periods, start_ms=START, end_ms=START + 2 * PERIOD_MS)
    second = result.periods[1]
    assert second.value == pytest.approx(value)
    assert second.crossed(alarm) == crossed
    assert second.state == ("ALARM" if crossed else "OK")
    assert set(second.terms) == set(QUALITY_TERMS)


def test_unanswered_questions_cross_their_own_term():
    alarm = quality_alarm()
    metrics = {**traffic(30), "Answers": [1.0] * 20, "ProcessingTime": [1000.0] * 20}
    result = evaluate(alarm, {START: metrics}, start_ms=START, end_ms=START + PERIOD_MS)
    assert result.periods[0].terms["unanswered-rate"] == pytest.approx((10 / 30) / 0.3)
    assert result.periods[0].crossed(alarm) == ["unanswered-rate"]


def test_terms_must_name_the_elements_of_max():
    with pytest.raises(AlarmDefinitionError, match="3 terms named for 4 elements"):
        evaluate(quality_alarm(terms=QUALITY_TERMS[:3]), {}, start_ms=START, end_ms=START)
    with pytest.raises(AlarmDefinitionError, match="not MAX"):
        evaluate(failure_alarm(terms=("failure-rate",)), {}, start_ms=START, end_ms=START)
    with pytest.raises(AlarmDefinitionError, match="names no term"):
        min_sample(quality_alarm(), "error-rate")


def test_a_module_without_the_alarm_resource_is_refused():
    with pytest.raises(AlarmDefinitionError, match="expected one resource"):
        quality_alarms_from({"main.tf": {"resource": []}})


def test_the_failure_alarm_fires_after_two_breaching_periods_and_clears():
    alarm = failure_alarm()
    periods = {
        START: period(25, 15),  # 60 % of 25: breaching
        START + PERIOD_MS: period(25, 14),  # breaching: 2 of the last 4 -> ALARM
        START + 2 * PERIOD_MS: period(30, 1),
        START + 3 * PERIOD_MS: period(30, 0),
        START + 4 * PERIOD_MS: period(30, 0),  # the first bad period drops out of the window
        START + 5 * PERIOD_MS: period(30, 0),
    }
    result = evaluate(alarm, periods, start_ms=START, end_ms=START + 8 * PERIOD_MS)
    states = [p.state for p in result.periods]
    assert states == ["OK", "ALARM", "ALARM", "ALARM", "OK", "OK", "OK", "OK"]
    assert result.periods[0].value == pytest.approx(0.6)
    assert result.periods[0].inputs == {"questions": 25.0, "failed": 15.0}
    assert result.periods[6].value is None  # no metrics: missing data, not breaching
    assert [p.start_ms for p in result.alarming()] == [START + i * PERIOD_MS for i in (1, 2, 3)]


def test_a_quiet_period_below_the_minimum_sample_never_breaches():
    alarm = failure_alarm()
    periods = {START + i * PERIOD_MS: period(19, 19) for i in range(4)}
    result = evaluate(alarm, periods, start_ms=START, end_ms=START + 4 * PERIOD_MS)
    assert [p.value for p in result.periods] == [0.0] * 4
    assert not result.alarming()
    assert min_sample(alarm) == ("questions", 20)


def test_a_period_with_other_metrics_only_counts_the_missing_sums_as_zero():
    alarm = failure_alarm(expression="IF(questions >= 1, failed / questions, 0)")
    periods = {START: {"Questions": [1.0, 1.0]}}  # no failure at all in the period
    result = evaluate(alarm, periods, start_ms=START, end_ms=START + PERIOD_MS)
    assert result.periods[0].inputs == {"questions": 2.0, "failed": 0.0}
    assert result.periods[0].value == 0.0


@pytest.mark.parametrize(
    ("expression", "values", "expected"),
    [
        ("IF(a >= 2, b / a, 0)", {"a": 4.0, "b": 1.0}, 0.25),
        ("IF(a >= 2, b / a, 0)", {"a": 1.0, "b": 1.0}, 0.0),
        ("(a - b - c) / a", {"a": 10.0, "b": 5.0, "c": 2.0}, 0.3),
        ("b / a", {"a": 0.0, "b": 1.0}, None),  # division by zero: no value
        ("MAX(a, b) * 2", {"a": 1.0, "b": 3.0}, 6.0),
        ("MAX([a / 2, b, 1]) * 2", {"a": 4.0, "b": 0.5}, 4.0),
        ("MIN([a, b / 0])", {"a": 4.0, "b": 0.5}, 4.0),  # an element without a value is skipped
        ("-a + 1", {"a": 1.0, "b": 0.0}, 0.0),
    ],
)
def test_metric_math(expression, values, expected):
    alarm = failure_alarm(
        expression=expression,
        metrics={k: (k.upper(), "Sum") for k in values},
        threshold=100.0,
    )
    periods = {START: {k.upper(): [v] for k, v in values.items()}}
    result = evaluate(alarm, periods, start_ms=START, end_ms=START + PERIOD_MS)
    assert result.periods[0].value == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("IF(x >= 2, b, 0)", "unknown metric id 'x'"),
        ("RATE(a)", "unsupported function"),
        ("a ** 2", "unsupported Pow"),
        ("a.b", "unsupported Attribute"),
        ("'a'", "unsupported constant"),
        ("IF(a >= ", "cannot parse"),
        ("[a, b]", "an array outside MIN/MAX"),
        ("MAX([a], b)", "an array outside MIN/MAX"),
    ],
)
def test_what_is_not_metric_math_is_refused_by_name(expression, message):
    with pytest.raises(AlarmDefinitionError, match=message):
        parse_expression(expression, ["a", "b"])


def test_statistics_over_one_period():
    values = [float(v) for v in range(1, 101)]
    assert statistic("Sum", values) == 5050.0
    assert statistic("p95", values) == 95.0
    assert statistic("p50", [3.0, 1.0, 2.0]) == 2.0
    assert statistic("Maximum", values) == 100.0
    assert statistic("SampleCount", values) == 100.0
    assert statistic("Sum", []) is None
    with pytest.raises(AlarmDefinitionError, match="unsupported statistic"):
        statistic("tm99", values)


def test_emf_values_read_the_metrics_of_one_namespace_and_skip_other_lines():
    emf = {
        "_aws": {
            "Timestamp": 1,
            "CloudWatchMetrics": [
                {
                    "Namespace": "CvAnalyticsDemo",
                    "Dimensions": [["service"]],
                    "Metrics": [
                        {"Name": "Questions", "Unit": "Count"},
                        {"Name": "ProcessingTime", "Unit": "Milliseconds"},
                    ],
                }
            ],
        },
        "service": "processor",
        "Questions": [1.0, 1.0, 1.0],
        "ProcessingTime": 1500.0,
    }
    other = {**emf, "_aws": {**emf["_aws"], "CloudWatchMetrics": [
        {**emf["_aws"]["CloudWatchMetrics"][0], "Namespace": "Else"}  # type: ignore[index]
    ]}}  # fmt: skip
    lines = [
        json.dumps({"level": "INFO", "message": "a log line"}),
        json.dumps(emf),
        "not json at all",
        json.dumps(other),
        '{"_aws": broken',
    ]
    assert emf_values(lines, namespace="CvAnalyticsDemo") == {
        "Questions": [1.0, 1.0, 1.0],
        "ProcessingTime": [1500.0],
    }
    assert emf_values(lines)["Questions"] == [1.0] * 6
