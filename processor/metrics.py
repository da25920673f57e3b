"""The processor's metric names, in one place, and which of them CloudWatch bills.

CloudWatch EMF through powertools ``Metrics``. Namespace: ``POWERTOOLS_METRICS_NAMESPACE``
(default ``CvAnalytics``); dimension ``service``.

Only :data:`PUBLISHED_METRICS` become CloudWatch metrics: the five the answer-quality alarm
(``reporter_infra/quality_alarms.tf``) reads, ``Questions``, ``Answers``, ``FailedAnswers``,
``NoMatchAnswers`` (each counted once, when its event is first recorded: never for a duplicate or
a replay) and ``ProcessingTime`` (milliseconds, for its p95). Five metrics stay within
CloudWatch's ten free custom metrics ($1.50 a month at list price without them).

Every other count (what processing did, one per outcome: ``EventsReceived``,
``QuestionsCorrelated``, ``DuplicateEvents``...; ``PositiveFeedback``, ``NegativeFeedback``) is
summed over the invocation and written as EMF metadata: a property of the same log line, which
CloudWatch does not turn into a metric (it costs nothing) and Logs Insights can still query::

    filter service = "processor"
    | stats sum(DuplicateEvents) as duplicates, sum(EventsReceived) as events by bin(1h)

:func:`count` routes each count; :class:`EmfMetrics` is the functions' sink: it refuses any other
metric, starts every invocation from zero and writes the counts even when nothing was published.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

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

#: The only names published as CloudWatch metrics (billed per name and dimensions): what the
#: answer-quality alarm reads. Everything else is an EMF property (:func:`count`).
PUBLISHED_METRICS: frozenset[str] = frozenset(
    {QUESTIONS, ANSWERS, FAILED_ANSWERS, NO_MATCH_ANSWERS, PROCESSING_TIME}
)

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


class UnpublishedMetricError(ValueError):
    """A metric outside :data:`PUBLISHED_METRICS` was about to be published (and billed)."""


class MetricSink(Protocol):
    """What the processor needs of its metrics (:class:`EmfMetrics`; tests pass a recorder).

    ``add_metric`` publishes a CloudWatch metric (only :data:`PUBLISHED_METRICS` reach it);
    ``add_metadata`` sets a property of the invocation's EMF line, replacing any earlier value of
    its key (as powertools does); ``metadata_set`` is what is set so far in this invocation.
    """

    def add_metric(
        self, name: str, unit: MetricUnit | str, value: float, resolution: int = ...
    ) -> None: ...

    def add_metadata(self, key: str, value: Any) -> None: ...

    @property
    def metadata_set(self) -> Mapping[str, Any]: ...


def require_published(name: str) -> None:
    """Raise :class:`UnpublishedMetricError` unless ``name`` is one of :data:`PUBLISHED_METRICS`."""
    if name not in PUBLISHED_METRICS:
        raise UnpublishedMetricError(f"{name} is not a published metric (PUBLISHED_METRICS)")


def publish(sink: MetricSink, name: str, value: float, unit: MetricUnit = MetricUnit.Count) -> None:
    """A CloudWatch metric: ``name`` must be one of :data:`PUBLISHED_METRICS`."""
    require_published(name)
    sink.add_metric(name=name, unit=unit, value=value)


def count(sink: MetricSink, name: str, value: int = 1) -> None:
    """Count ``value`` more of ``name``: a published metric, or else added to the invocation's
    total for ``name`` in the EMF metadata (``add_metadata`` replaces a key: the sum is kept)."""
    if not value:
        return
    if name in PUBLISHED_METRICS:
        publish(sink, name, value)
    else:
        sink.add_metadata(key=name, value=sink.metadata_set.get(name, 0) + value)


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
            publish(self._sink, PROCESSING_TIME, elapsed_ms, MetricUnit.Milliseconds)

    def feedback(self, feedback: Feedback) -> None:
        if feedback.positive is True:
            count(self._sink, POSITIVE_FEEDBACK)
        elif feedback.positive is False:
            count(self._sink, NEGATIVE_FEEDBACK)


Handler = TypeVar("Handler", bound=Callable[..., Any])


class EmfMetrics:
    """The functions' :class:`MetricSink`: powertools ``Metrics``, one invocation at a time.

    Wrap the handler in :meth:`log_metrics`. Each invocation starts from zero (whatever an
    earlier one left), and ends with one EMF line: the published metrics with the invocation's
    counts as properties. The counts are held here until then, so powertools' early flush at 100
    values of a metric never prints them twice. An invocation that published nothing still writes
    its counts: a JSON line of the same properties without the ``_aws`` directive (as AWS's own EMF
    libraries do), which Logs Insights queries alike.
    """

    def __init__(self, metrics: Metrics, *, write: Callable[[str], None] = print) -> None:
        self.metrics = metrics
        self._write = write
        self._metadata: dict[str, Any] = {}

    def add_metric(
        self, name: str, unit: MetricUnit | str, value: float, resolution: int = 60
    ) -> None:
        require_published(name)
        self.metrics.add_metric(name=name, unit=unit, value=value, resolution=resolution)

    def add_metadata(self, key: str, value: Any) -> None:
        self._metadata[key] = value

    @property
    def metadata_set(self) -> Mapping[str, Any]:
        return self._metadata

    def clear(self) -> None:
        """Forget everything recorded (published or not) and not yet flushed."""
        self._metadata.clear()
        self.metrics.clear_metrics()

    def flush(self) -> dict[str, Any] | None:
        """Write the invocation's EMF line (see the class) and clear; the document written, or
        ``None`` when there was nothing to write (or ``POWERTOOLS_METRICS_DISABLED``)."""
        try:
            if is_metrics_disabled() or not (self.metrics.metric_set or self._metadata):
                return None
            document: dict[str, Any]
            if self.metrics.metric_set:
                for key, value in self._metadata.items():
                    self.metrics.add_metadata(key=key, value=value)
                document = dict(self.metrics.serialize_metric_set())
            else:
                document = {"service": self.metrics.service, **self._metadata}
            self._write(json.dumps(document, separators=(",", ":")))
            return document
        finally:
            self.clear()

    def log_metrics(self, handler: Handler) -> Handler:
        """Decorate a Lambda handler: a fresh start before it, the flush after it (even when it
        raises)."""

        @functools.wraps(handler)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self.clear()
            try:
                return handler(*args, **kwargs)
            finally:
                self.flush()

        return wrapper  # type: ignore[return-value]


def create_metrics(*, write: Callable[[str], None] = print) -> EmfMetrics:
    """The functions' sink; ``write``: where its lines go (stdout, which Lambda sends to the log)."""
    return EmfMetrics(
        Metrics(
            namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", DEFAULT_NAMESPACE),
            service=SERVICE_NAME,
        ),
        write=write,
    )
