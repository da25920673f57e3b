"""The demo's quality alarms: reporter_infra's alarms evaluated over the metrics the processor
emitted while it processed the simulated week (:mod:`cv_analytics.dev.alarms` does the evaluating).

The processor runs in this process and prints its CloudWatch EMF lines; :class:`MetricsTap` wraps
its handler, passes what it prints on to the Lambda log, and files each invocation's metric values
under the alarm period the simulated clock is in (the demo sends the week's events period by
period, so an invocation handles the events of one period, as a live processor would).
:func:`check_alarms` then says whether the answer-quality alarm fires during the spike, on its
failure-rate term, and only around it.
"""

from __future__ import annotations

import contextlib
import io
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from analytics_contract import week_bounds
from cv_analytics.dev.alarms import (
    AlarmEvaluation,
    PeriodResult,
    QualityAlarm,
    emf_values,
    evaluate,
    load_quality_alarms,
    min_sample,
)
from cv_analytics.dev.traffic import Spike

QUALITY_ALARM = "answer-quality"
#: The term of the answer-quality alarm that the failure spike must cross.
FAILURE_TERM = "failure-rate"
#: Each window of the spike holds this many times the alarm's minimum sample.
SPIKE_SAMPLE_MARGIN = 1.25
#: The spike takes at most this share of the week's questions.
SPIKE_MAX_SHARE = 1 / 3
SPIKE_FAILED_SHARE = 0.6

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass
class LoadedAlarms:
    """reporter_infra's quality alarms, or why they could not be read."""

    alarms: list[QualityAlarm] = field(default_factory=list)
    unavailable: str | None = None

    def named(self, name: str) -> QualityAlarm | None:
        return next((a for a in self.alarms if a.name == name), None)


def load_alarms(namespace: str) -> LoadedAlarms:
    """The alarms as deployed with the processor's metrics namespace ``namespace``."""
    try:
        return LoadedAlarms(load_quality_alarms(variables={"quality_metrics_namespace": namespace}))
    except FileNotFoundError as exc:
        return LoadedAlarms(unavailable=str(exc))


def _failure_guard(alarm: QualityAlarm) -> tuple[str, int] | None:
    """The minimum sample of the alarm's failure-rate term (of the alarm, if it names no terms)."""
    return min_sample(alarm, FAILURE_TERM if FAILURE_TERM in alarm.terms else None)


def spike_for(questions: int, alarms: LoadedAlarms) -> Spike:
    """A failure spike that the failure-rate term can judge: ``datapoints_to_alarm + 1`` of the
    alarm's periods, each with a margin over its minimum sample (at most a third of the week)."""
    alarm = alarms.named(QUALITY_ALARM)
    guard = _failure_guard(alarm) if alarm is not None else None
    if alarm is None or guard is None:
        return Spike(questions=questions // 4, failed_share=SPIKE_FAILED_SHARE)
    windows = alarm.datapoints_to_alarm + 1
    wanted = math.ceil(guard[1] * SPIKE_SAMPLE_MARGIN) * windows
    return Spike(
        questions=min(wanted, int(questions * SPIKE_MAX_SHARE)),
        minutes=windows * alarm.period_seconds // 60,
        failed_share=SPIKE_FAILED_SHARE,
    )


class MetricsTap:
    """The processor's handler, with its EMF metrics filed by alarm period (see the module)."""

    def __init__(self, handler: Handler, *, period_seconds: int, namespace: str) -> None:
        self._handler = handler
        self._period_ms = period_seconds * 1000
        self._namespace = namespace
        self._current = 0
        self.periods: dict[int, dict[str, list[float]]] = {}

    def period_of(self, at_ms: int) -> int:
        return at_ms - at_ms % self._period_ms

    def clock(self, at_ms: int) -> None:
        """The simulated time of the events about to be processed."""
        self._current = self.period_of(at_ms)

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        printed = io.StringIO()
        try:
            with contextlib.redirect_stdout(printed):
                return self._handler(event, context)
        finally:
            text = printed.getvalue()
            sys.stdout.write(text)  # on to the Lambda log, as CloudWatch would keep it
            values = emf_values(text.splitlines(), namespace=self._namespace)
            period = self.periods.setdefault(self._current, {})
            for name, found in values.items():
                period.setdefault(name, []).extend(found)


@dataclass(frozen=True)
class AlarmCheck:
    ok: bool
    lines: list[str]
    problems: list[str]
    evaluations: dict[str, AlarmEvaluation] = field(default_factory=dict)


def _when(start_ms: int) -> str:
    return datetime.fromtimestamp(start_ms / 1000, UTC).strftime("%a %d %b %H:%M")


def _inputs(result: PeriodResult, alarm: QualityAlarm) -> str:
    shown = ", ".join(
        f"{metric_id} {value:g}" for metric_id, value in result.inputs.items() if value is not None
    )
    value = "no data" if result.value is None else f"{result.value:.2f}"
    crossed = result.crossed(alarm)
    terms = f", {' and '.join(crossed)} crossed" if crossed else ""
    return f"{shown or 'no metrics'} -> {value} (threshold {alarm.threshold:g}{terms})"


def check_alarms(
    alarms: LoadedAlarms, tap: MetricsTap | None, *, week: str, spike: Spike
) -> AlarmCheck:
    """Evaluate every alarm over the week; the answer-quality one must fire in the spike's periods
    (or right after: it looks back ``evaluation_periods``), its failure-rate term crossing, and
    nowhere else."""
    if alarms.unavailable is not None or tap is None:
        why = alarms.unavailable or "no metrics were captured"
        return AlarmCheck(True, [f"not evaluated: {why}"], [])
    start_ms, end_ms = week_bounds(week)
    evaluations = {
        alarm.name: evaluate(alarm, tap.periods, start_ms=start_ms, end_ms=end_ms)
        for alarm in alarms.alarms
    }
    failure = evaluations.get(QUALITY_ALARM)
    if failure is None:
        return AlarmCheck(False, [], [f"reporter_infra declares no {QUALITY_ALARM} alarm"])
    alarm = failure.alarm
    step = alarm.period_seconds * 1000
    spike_start, spike_end = spike.bounds(start_ms)
    around = (spike_start, spike_end + alarm.evaluation_periods * step)
    in_spike = [p for p in failure.periods if spike_start <= p.start_ms < spike_end]
    lines = [
        f"{alarm.name}: {alarm.expression} > {alarm.threshold:g}, "
        f"{alarm.datapoints_to_alarm} of {alarm.evaluation_periods} periods of "
        f"{alarm.period_seconds} s (reporter_infra/quality_alarms.tf)"
    ]
    problems: list[str] = []
    guard = _failure_guard(alarm)
    judged = guard is None or all((p.inputs.get(guard[0]) or 0) >= guard[1] for p in in_spike)
    firing = failure.alarming()
    stray = [p for p in firing if not around[0] <= p.start_ms < around[1]]
    for period in in_spike:
        lines.append(
            f"  spike {_when(period.start_ms)}  {period.state:<5}  {_inputs(period, alarm)}"
        )
    if stray:
        problems.append(
            f"the {alarm.name} alarm fires outside the spike, first at {_when(stray[0].start_ms)}"
        )
    spike_fired = [p for p in firing if around[0] <= p.start_ms < around[1]]
    if not spike_fired:
        if judged:
            problems.append(f"the {alarm.name} alarm does not fire during the failure spike")
        else:
            lines.append(
                f"  the spike's periods hold fewer questions than the alarm's minimum "
                f"({guard[1] if guard else 0}): not judged (simulate more questions)"
            )
    quiet = [p for p in failure.periods if not around[0] - step <= p.start_ms < around[1]]
    if quiet:
        busiest = max(quiet, key=lambda p: (p.inputs.get("questions") or 0, -p.start_ms))
        lines.append(
            f"  quiet {_when(busiest.start_ms)}  {busiest.state:<5}  {_inputs(busiest, alarm)}"
            "  (the busiest period outside the spike)"
        )
        if busiest.state != "OK":
            problems.append(f"the {alarm.name} alarm fires in a quiet period")
    failure_crossed = any(FAILURE_TERM in p.crossed(alarm) for p in in_spike)
    if spike_fired and alarm.terms and not failure_crossed:
        problems.append(
            f"the {alarm.name} alarm fires during the spike, but not on its {FAILURE_TERM} term"
        )
    if spike_fired:
        lines.append(
            f"  in ALARM from {_when(spike_fired[0].start_ms)} to "
            f"{_when(spike_fired[-1].start_ms + step)[-5:]} UTC, OK the rest of the week"
        )
    if alarm.terms:
        counts = {
            term: sum(term in p.crossed(alarm) for p in failure.periods) for term in alarm.terms
        }
        crossed = [f"{term} in {n} periods" for term, n in counts.items() if n]
        never = [term for term, n in counts.items() if not n]
        lines.append(
            "  terms crossed over the week: "
            + "; ".join([*crossed, *([", ".join(never) + " never"] if never else [])])
        )
    others = [
        f"{name} {'in ALARM ' + str(len(e.alarming())) + ' periods' if e.alarming() else 'OK'}"
        for name, e in evaluations.items()
        if name != QUALITY_ALARM
    ]
    if others:
        lines.append("  other alarms over the week: " + ", ".join(others))
    return AlarmCheck(not problems, lines, problems, evaluations)
