"""The analytics record: one per question, written by the processor, read by the reporter."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from analytics_contract.events import Feedback, MatchType, Tokens

#: answered: a response without ``error``; failed: a response with ``error``;
#: unanswered: the query's correlation window closed with no response;
#: orphaned: a response (or feedback) whose query never arrived (no query text, week of the event).
RecordStatus = Literal["answered", "failed", "unanswered", "orphaned"]


class AnalyticsRecord(BaseModel):
    """Stored in the analytics table, keyed by ``requestId``.

    Indexed by ``week`` + ``timestamp`` (reports) and ``sessionId`` + ``timestamp`` (sessions).
    """

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    request_id: str
    timestamp: int = Field(description="The query's timestamp (the response's for an orphan), ms")
    week: str = Field(description="ISO 8601 week of timestamp in UTC, YYYY-Www")
    day: str = Field(description="YYYY-MM-DD of timestamp in UTC")
    status: RecordStatus
    session_id: str | None = None
    query: str | None = None
    metadata: dict[str, str] | None = None
    match_type: MatchType | None = None
    match_score: float | None = None
    reasoning: str | None = None
    response: str | None = None
    processing_time_ms: float | None = None
    tokens: Tokens | None = None
    model: str | None = None
    variant: str | None = None
    error: str | None = None
    response_timestamp: int | None = None
    feedback: Feedback | None = Field(
        default=None, description="What the visitor thought of the answer (the latest feedback)"
    )
    truncated_fields: list[str] | None = None
    recorded_at: Annotated[int, Field(description="When the processor wrote it, ms")]
    expires_at: Annotated[int, Field(description="DynamoDB TTL, epoch seconds")]

    @property
    def elapsed_ms(self) -> float | None:
        """Milliseconds to answer: ``processingTimeMs`` as the response gave it, else the time
        from the query to the response (never negative: two hosts' clocks may disagree, and a
        response stamped before its query took no measurable time). ``None`` without a response.

        Derived here, when read, rather than stored: the processor stores only what the events
        said, so the stored record is the same whatever order the events arrived in.
        """
        if self.processing_time_ms is not None:
            return max(0.0, self.processing_time_ms)
        if self.response_timestamp is None or self.status == "orphaned":
            return None
        return float(max(0, self.response_timestamp - self.timestamp))
