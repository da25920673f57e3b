"""The quality metrics, by the names the reporter's alarms use."""

from __future__ import annotations

from processor import metrics as names
from processor.metrics import QualityMetrics
from tests.unit.processor.conftest import RecordingMetrics, feedback_event, response_event


def test_the_quality_metric_names_are_the_ones_the_alarms_use() -> None:
    assert (
        names.QUESTIONS,
        names.ANSWERS,
        names.FAILED_ANSWERS,
        names.NO_MATCH_ANSWERS,
        names.PROCESSING_TIME,
        names.POSITIVE_FEEDBACK,
        names.NEGATIVE_FEEDBACK,
    ) == (
        "Questions",
        "Answers",
        "FailedAnswers",
        "NoMatchAnswers",
        "ProcessingTime",
        "PositiveFeedback",
        "NegativeFeedback",
    )


def test_each_answer_and_feedback_maps_to_its_metrics() -> None:
    sink = RecordingMetrics()
    quality = QualityMetrics(sink)
    quality.question()
    quality.answer(response_event(), 1_500.0)
    quality.answer(response_event(matchType="none", matchScore=0), None)
    quality.answer(response_event(error="timeout"), 30_000.0)
    quality.feedback(feedback_event().feedback())
    quality.feedback(feedback_event(thumbs=None, rating=2).feedback())
    quality.feedback(feedback_event(thumbs=None, rating=3).feedback())  # neutral: neither
    assert sink.counts == {
        names.QUESTIONS: 1,
        names.ANSWERS: 2,
        names.NO_MATCH_ANSWERS: 1,
        names.FAILED_ANSWERS: 1,
        names.PROCESSING_TIME: 31_500.0,
    }
    # Feedback is counted too, but no alarm reads it: EMF metadata, not a billed metric.
    assert sink.metadata_set == {names.POSITIVE_FEEDBACK: 1, names.NEGATIVE_FEEDBACK: 1}
