"""The simulator's ground truth: every question and every delivery, and what each must become."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from analytics_contract import FeedbackEvent, QueryEvent, RecordStatus, ResponseEvent

EventKind = Literal["query", "response", "feedback", "malformed"]
#: What the visitor thought of the answer (a 3-star rating is neutral).
Opinion = Literal["positive", "negative", "neutral"]
#: ``edge``: sent through the edge client; ``raw``: put on the queue directly (duplicates and
#: malformed messages, which the edge client would not send).
Channel = Literal["edge", "raw"]


class QuestionTruth(BaseModel):
    """What the pipeline must record for one question."""

    model_config = ConfigDict(frozen=True)

    request_id: str
    session_id: str
    topic: str
    #: Which of the topic's phrasings was asked (0: the first, most common), before the casual
    #: variations (case, greetings, thanks): the generator's notion of one question.
    phrasing: int = 0
    week: str
    day: str
    expected_status: RecordStatus
    query_sent: int
    response_sent: int
    out_of_order: bool
    #: The prompt variant that answered (``None``: no response, or no variants).
    variant: str | None = None
    #: The visitor's feedback on the answer, and how many times its event was sent.
    feedback: Opinion | None = None
    feedback_sent: int = 0
    #: The feedback reached the queue before the response did.
    feedback_first: bool = False
    #: Asked during the failure spike.
    in_spike: bool = False


class Delivery(BaseModel):
    """One message as it reaches the queue, in order. ``event`` is set unless malformed."""

    model_config = ConfigDict(frozen=True)

    seq: int
    #: When it reaches the queue (epoch milliseconds of the simulated week).
    at: int = 0
    kind: EventKind
    channel: Channel
    request_id: str | None
    session_id: str
    duplicate: bool = False
    event: QueryEvent | ResponseEvent | FeedbackEvent | None = None
    raw_body: str | None = None
    malformed_reason: str | None = None

    def body(self) -> str:
        """The message body (the event's JSON, or the raw malformed body)."""
        if self.event is not None:
            return self.event.to_json()
        assert self.raw_body is not None
        return self.raw_body


class Manifest(BaseModel):
    """Ground truth: every question and every delivery the simulator generated."""

    week: str
    seed: int
    questions: list[QuestionTruth]
    #: The lighter weeks simulated before ``week`` (oldest first), whose questions and
    #: deliveries come first (see :func:`~cv_analytics.dev.traffic.history.with_history`).
    history_weeks: list[str] = []
    #: How many of ``deliveries`` belong to the earlier weeks (they come first).
    history_deliveries: int = 0
    deliveries: list[Delivery]

    def of_week(self, week: str | None = None) -> list[QuestionTruth]:
        """The questions asked in ``week`` (default: the manifest's week)."""
        wanted = week or self.week
        return [q for q in self.questions if q.week == wanted]

    def count(self, *, kind: EventKind | None = None, duplicate: bool | None = None) -> int:
        return sum(
            1
            for d in self.deliveries
            if (kind is None or d.kind == kind) and (duplicate is None or d.duplicate == duplicate)
        )

    def expected(self, status: RecordStatus) -> int:
        return sum(1 for q in self.questions if q.expected_status == status)
