"""The processor's metric names, in one place (CloudWatch EMF through powertools ``Metrics``).

Namespace: ``POWERTOOLS_METRICS_NAMESPACE`` (default ``CvAnalytics``); dimension ``service``.
"""

from __future__ import annotations

import os
from typing import Protocol

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from processor.correlator import Outcome

SERVICE_NAME = "processor"
DEFAULT_NAMESPACE = "CvAnalytics"

EVENTS_RECEIVED = "EventsReceived"
QUESTIONS_CORRELATED = "QuestionsCorrelated"
CONCURRENT_CORRELATIONS = "ConcurrentCorrelations"
UNANSWERED_RECORDED = "UnansweredRecorded"
RESPONSES_PARKED = "ResponsesParked"
DUPLICATE_EVENTS = "DuplicateEvents"
INVALID_EVENTS_QUARANTINED = "InvalidEventsQuarantined"
FAILED_EVENTS_QUARANTINED = "FailedEventsQuarantined"
ORPHANS_RECORDED = "OrphansRecorded"
STALE_PARKS_DISCARDED = "StaleParksDiscarded"
UNREADABLE_PARKS = "UnreadableParks"

OUTCOME_METRICS: dict[Outcome, str] = {
    Outcome.CORRELATED: QUESTIONS_CORRELATED,
    Outcome.CONCURRENTLY_CORRELATED: CONCURRENT_CORRELATIONS,
    Outcome.UNANSWERED_RECORDED: UNANSWERED_RECORDED,
    Outcome.PARKED: RESPONSES_PARKED,
    Outcome.DUPLICATE: DUPLICATE_EVENTS,
    Outcome.ORPHANED: ORPHANS_RECORDED,
    Outcome.STALE_PARK: STALE_PARKS_DISCARDED,
}


class MetricSink(Protocol):
    """What the processor needs of powertools ``Metrics`` (tests pass a recorder)."""

    def add_metric(
        self, name: str, unit: MetricUnit | str, value: float, resolution: int = ...
    ) -> None: ...


def count(sink: MetricSink, name: str, value: int = 1) -> None:
    if value:
        sink.add_metric(name=name, unit=MetricUnit.Count, value=value)


def count_outcome(sink: MetricSink, outcome: Outcome) -> None:
    count(sink, OUTCOME_METRICS[outcome])


def create_metrics() -> Metrics:
    return Metrics(
        namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", DEFAULT_NAMESPACE),
        service=SERVICE_NAME,
    )
