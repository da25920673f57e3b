"""The demo's alarm check: the processor's printed metrics filed by period, and the verdict."""

from __future__ import annotations

import json
import sys

from analytics_contract import week_bounds
from cv_analytics.dev.alarms import QualityAlarm
from cv_analytics.dev.demo.alarm_check import (
    LoadedAlarms,
    MetricsTap,
    check_alarms,
    spike_for,
)
from cv_analytics.dev.traffic import Spike

WEEK = "2026-W48"
NAMESPACE = "CvAnalyticsDemo"
PERIOD_MS = 900_000
#: reporter_infra's answer-quality alarm, two of its terms (written out: no hcl2tojson needed).
QUALITY = QualityAlarm(
    name="answer-quality",
    expression=(
        "MAX([IF(questions >= 20, failed / questions / 0.2, 0), "
        "IF(questions >= 20, (questions - answers - failed) / questions / 0.3, 0)])"
    ),
    threshold=1.0,
    terms=("failure-rate", "unanswered-rate"),
    metrics={
        "questions": ("Questions", "Sum"),
        "answers": ("Answers", "Sum"),
        "failed": ("FailedAnswers", "Sum"),
    },
    period_seconds=900,
    evaluation_periods=4,
    datapoints_to_alarm=2,
    namespace=NAMESPACE,
)
ALARMS = LoadedAlarms([QUALITY])


def emf(questions: int, failed: int, answers: int | None = None) -> str:
    """One invocation's metrics; every question not failed is answered unless ``answers``."""
    answered = questions - failed if answers is None else answers
    metrics = [
        {"Name": "Questions", "Unit": "Count"},
        {"Name": "FailedAnswers", "Unit": "Count"},
        {"Name": "Answers", "Unit": "Count"},
    ]
    return json.dumps(
        {
            "_aws": {
                "Timestamp": 0,
                "CloudWatchMetrics": [
                    {"Namespace": NAMESPACE, "Dimensions": [["service"]], "Metrics": metrics}
                ],
            },
            "service": "processor",
            "Questions": [1.0] * questions,
            "FailedAnswers": [1.0] * failed,
            "Answers": [1.0] * answered,
        }
    )


def run_week(
    spike: Spike,
    failed_in_spike: int,
    capsys,
    per_period: int = 25,
    answered_in_spike: int | None = None,
    burst_at: int | None = None,
) -> MetricsTap:
    """A processor that prints one EMF line per invocation, invoked period by period."""
    printed: list[str] = []
    tap = MetricsTap(
        lambda event, context: print(printed[-1]), period_seconds=900, namespace=NAMESPACE
    )
    start, _ = week_bounds(WEEK)
    spike_start, spike_end = spike.bounds(start)
    for at in range(start, start + 7 * 86_400_000, 2 * PERIOD_MS):  # quiet traffic all week
        tap.clock(at)
        printed.append(emf(6, 1))
        tap({}, None)
    bursts = [range(spike_start, spike_end, PERIOD_MS)]
    if burst_at is not None:  # the same failures again, at another time of the week
        bursts.append(
            range(start + burst_at, start + burst_at + spike_end - spike_start, PERIOD_MS)
        )
    for burst in bursts:
        for at in burst:
            tap.clock(at + 1_000)
            printed.append(emf(per_period, failed_in_spike, answered_in_spike))
            tap({}, None)
    out = capsys.readouterr().out
    assert out.count('"_aws"') == len(printed)  # what the processor printed still reaches the log
    return tap


def test_the_tap_passes_the_output_on_and_files_metrics_by_period(capsys):
    tap = MetricsTap(lambda e, c: print(emf(3, 1)), period_seconds=900, namespace=NAMESPACE)
    start, _ = week_bounds(WEEK)
    tap.clock(start + 5 * 60_000)
    tap({}, None)
    tap.clock(start + 20 * 60_000)
    tap({}, None)
    tap({}, None)
    assert '"_aws"' in capsys.readouterr().out
    assert tap.periods == {
        start: {"Questions": [1.0] * 3, "FailedAnswers": [1.0], "Answers": [1.0] * 2},
        start + PERIOD_MS: {
            "Questions": [1.0] * 6,
            "FailedAnswers": [1.0] * 2,
            "Answers": [1.0] * 4,
        },
    }
    assert sys.stdout is not None


def test_the_spike_fills_the_alarm_periods_with_a_margin_over_the_minimum():
    spike = spike_for(300, ALARMS)
    assert spike.minutes == 45  # datapoints to alarm + 1 periods of 15 min
    assert spike.questions == 75  # 25 a period: 1.25 x the minimum of 20
    assert spike_for(60, ALARMS).questions == 20  # at most a third of the week
    unreadable = LoadedAlarms(unavailable="hcl2tojson is not installed")
    assert spike_for(300, unreadable).questions == 75  # a quarter of the week


def test_the_check_passes_when_the_alarm_fires_in_the_spike_only(capsys):
    spike = spike_for(300, ALARMS)
    check = check_alarms(ALARMS, run_week(spike, 15, capsys), week=WEEK, spike=spike)
    assert check.ok, check.problems
    text = "\n".join(check.lines)
    assert "spike Wed 25 Nov 14:15  ALARM" in text
    # 15 of 25 failed: 0.6 over the 0.2 threshold, and the term that crossed is named.
    assert "-> 3.00 (threshold 1, failure-rate crossed)" in text
    assert "quiet " in text and "OK" in text
    assert "terms crossed over the week: failure-rate in 3 periods; unanswered-rate never" in text


def test_the_check_fails_when_the_spike_does_not_raise_the_alarm(capsys):
    spike = spike_for(300, ALARMS)
    check = check_alarms(ALARMS, run_week(spike, 2, capsys), week=WEEK, spike=spike)
    assert not check.ok
    assert check.problems == ["the answer-quality alarm does not fire during the failure spike"]


def test_the_check_fails_when_the_alarm_also_fires_away_from_the_spike(capsys):
    spike = spike_for(300, ALARMS)
    friday = 4 * 86_400_000 + 9 * 3_600_000  # Fri 09:00, far from Wednesday's spike
    tap = run_week(spike, 15, capsys, burst_at=friday)
    check = check_alarms(ALARMS, tap, week=WEEK, spike=spike)
    assert not check.ok
    assert "the answer-quality alarm fires outside the spike, first at Fri 27 Nov 09:" in (
        "\n".join(check.problems)
    )


def test_the_check_fails_when_another_term_raises_the_alarm_in_the_spike(capsys):
    spike = spike_for(300, ALARMS)
    tap = run_week(spike, 2, capsys, answered_in_spike=10)  # few failures, many unanswered
    check = check_alarms(ALARMS, tap, week=WEEK, spike=spike)
    assert check.problems == [
        "the answer-quality alarm fires during the spike, but not on its failure-rate term"
    ]
    assert "unanswered-rate crossed" in "\n".join(check.lines)


def test_a_spike_under_the_minimum_sample_is_not_judged(capsys):
    spike = Spike(questions=15, minutes=45)
    tap = run_week(spike, 4, capsys, per_period=5)  # 80 % failed, of too few questions
    check = check_alarms(ALARMS, tap, week=WEEK, spike=spike)
    assert check.ok
    assert "not judged" in "\n".join(check.lines)


def test_without_the_terraform_the_alarms_are_not_evaluated_and_it_says_why():
    unreadable = LoadedAlarms(
        unavailable="hcl2tojson is not installed (make tools installs checkov)"
    )
    check = check_alarms(unreadable, None, week=WEEK, spike=Spike(questions=10))
    assert check.ok
    assert check.lines == [
        "not evaluated: hcl2tojson is not installed (make tools installs checkov)"
    ]
