"""The processor's metric names, in one place (CloudWatch EMF through powertools ``Metrics``).

Namespace: ``POWERTOOLS_METRICS_NAMESPACE`` (default ``CvAnalytics``); dimension ``service``.

Two families: what processing did (one per outcome, per request: ``QuestionsCorrelated``,
``DuplicateEvents``...), and the answers' quality, each counted once, when its event is first
recorded (never for a duplicate or a replay): ``Questions``, ``Answers``, ``FailedAnswers``,
``NoMatchAnswers``, ``ProcessingTime``, ``PositiveFeedback``, ``NegativeFeedback``. The quality
alarms (reporter_infra) are built on the second family.
"""

from __future__ import annotations

import os
from typing import Protocol

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from analytics_contract import Feedback, ResponseEvent
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
CONFLICTING_EVENTS = "ConflictingEvents"
ORPHANS_RECORDED = "OrphansRecorded"
STALE_PARKS_DISCARDED = "StaleParksDiscarded"
UNREADABLE_PARKS = "UnreadableParks"
FEEDBACK_RECORDED = "FeedbackRecorded"
FEEDBACK_PARKED = "FeedbackParked"
FEEDBACK_SUPERSEDED = "FeedbackSuperseded"
#: Messages on their last receive whose effect was already in a table: acknowledged, not quarantined.
ALREADY_RECORDED = "AlreadyRecordedOnLastReceive"
#: A dead letter whose reason could not go to the DLQ with it: kept in a note (and the log).
REASONS_NOTED = "DeadLetterReasonsNoted"
#: Messages left for the next receive because the invocation was about to time out.
DEFERRED_BY_DEADLINE = "DeferredByDeadline"

# Quality: one per event, on its first recording.
QUESTIONS = "Questions"
ANSWERS = "Answers"
FAILED_ANSWERS = "FailedAnswers"
NO_MATCH_ANSWERS = "NoMatchAnswers"
PROCESSING_TIME = "ProcessingTime"
POSITIVE_FEEDBACK = "PositiveFeedback"
NEGATIVE_FEEDBACK = "NegativeFeedback"

OUTCOME_METRICS: dict[Outcome, str] = {
    Outcome.CORRELATED: QUESTIONS_CORRELATED,
    Outcome.CONCURRENTLY_CORRELATED: CONCURRENT_CORRELATIONS,
    Outcome.UNANSWERED_RECORDED: UNANSWERED_RECORDED,
    Outcome.PARKED: RESPONSES_PARKED,
    Outcome.DUPLICATE: DUPLICATE_EVENTS,
    Outcome.ORPHANED: ORPHANS_RECORDED,
    Outcome.STALE_PARK: STALE_PARKS_DISCARDED,
    Outcome.FEEDBACK_RECORDED: FEEDBACK_RECORDED,
    Outcome.FEEDBACK_PARKED: FEEDBACK_PARKED,
    Outcome.FEEDBACK_SUPERSEDED: FEEDBACK_SUPERSEDED,
    Outcome.CONFLICT: CONFLICTING_EVENTS,
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


class QualityMetrics:
    """:class:`processor.ports.QualitySink` on CloudWatch EMF."""

    def __init__(self, sink: MetricSink) -> None:
        self._sink = sink

    def question(self) -> None:
        count(self._sink, QUESTIONS)

    def answer(self, response: ResponseEvent, elapsed_ms: float | None) -> None:
        if response.error is not None:
            count(self._sink, FAILED_ANSWERS)
        else:
            count(self._sink, ANSWERS)
            if response.match_type == "none":
                count(self._sink, NO_MATCH_ANSWERS)
        if elapsed_ms is not None:
            self._sink.add_metric(
                name=PROCESSING_TIME, unit=MetricUnit.Milliseconds, value=elapsed_ms
            )

    def feedback(self, feedback: Feedback) -> None:
        if feedback.positive is True:
            count(self._sink, POSITIVE_FEEDBACK)
        elif feedback.positive is False:
            count(self._sink, NEGATIVE_FEEDBACK)


def create_metrics() -> Metrics:
    return Metrics(
        namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", DEFAULT_NAMESPACE),
        service=SERVICE_NAME,
    )
