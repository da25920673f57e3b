"""What the report says about one ISO week: raw numbers, no formatting (the view formats them).

Plain frozen dataclasses, so a dashboard can compute them for many weeks and keep them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from reporter.questions import QuestionRow

MATCH_TYPES = ("full", "partial", "none")
PERCENTILES = (0.50, 0.95, 0.99)


@dataclass(frozen=True)
class Example:
    text: str
    timestamp: int
    error: str | None = None


@dataclass(frozen=True)
class RatedAnswer:
    """One answer the visitor rated, with what they said."""

    question: str
    timestamp: int
    #: 1-5 (a thumbs down is shown as 1, a thumbs up as 5).
    stars: int
    thumbs: str | None
    comment: str | None
    match_type: str | None
    match_score: float | None


@dataclass(frozen=True)
class FeedbackFigures:
    rated: int = 0
    positive: int = 0
    negative: int = 0
    comments: int = 0
    lowest: list[RatedAnswer] = field(default_factory=list)

    @property
    def neutral(self) -> int:
        return self.rated - self.positive - self.negative

    @property
    def positive_share(self) -> float | None:
        """Positive answers among the rated ones (neutral ratings count as not positive)."""
        return self.positive / self.rated if self.rated else None


@dataclass(frozen=True)
class ArmFigures:
    """One model + prompt variant (an *arm*): what it answered and how well.

    ``questions`` are the responses it produced (answered + failed: an unanswered question has
    no model). ``cost`` holds, per question, the LLM cost when token prices are configured, else
    the tokens used; ``latency`` is the processing-time histogram (bucket -> count) of
    :class:`reporter.sketch.QuantileSketch`, kept for the rank test."""

    model: str | None
    variant: str | None
    questions: int
    answered: int
    no_match: int
    score_count: int
    score_mean: float | None
    score_variance: float
    p95_ms: float | None
    latency: Mapping[int, int]
    cost_count: int
    cost_mean: float | None
    cost_variance: float
    cost_is_money: bool
    rated: int
    positive: int

    @property
    def label(self) -> str:
        parts = [self.model or "(no model)"]
        if self.variant is not None:
            parts.append(self.variant)
        return " \u00b7 ".join(parts)


@dataclass(frozen=True)
class WeekFigures:
    """Everything the report says about one ISO week (raw numbers; the view formats them)."""

    week_id: str
    questions: int = 0
    answered: int = 0
    failed: int = 0
    unanswered: int = 0
    orphaned: int = 0
    sessions: int = 0
    sessions_exact: bool = True
    match_types: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MATCH_TYPES, 0))
    score_mean: float | None = None
    score_median: float | None = None
    processing_ms: dict[float, float | None] = field(
        default_factory=lambda: dict.fromkeys(PERCENTILES, None)
    )
    timed_responses: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    per_day: list[tuple[date, int]] = field(default_factory=list)
    #: Failed answers per day of the week (Monday first), to show when failures happened.
    failed_per_day: list[int] = field(default_factory=lambda: [0] * 7)
    per_hour: list[int] = field(default_factory=lambda: [0] * 24)
    top_questions: list[QuestionRow] = field(default_factory=list)
    #: Literal wordings (case and punctuation aside) and the clusters they form.
    distinct_questions: int = 0
    clusters: int = 0
    gaps: list[QuestionRow] = field(default_factory=list)
    gap_questions: int = 0
    #: Clusters not asked in the previous weeks compared (``None``: no earlier questions known).
    new_questions: list[QuestionRow] | None = None
    new_question_count: int = 0
    history_weeks: int = 0
    #: Rare questions left out of the clusters to bound memory (see ``QuestionTally``).
    uncounted_questions: int = 0
    unanswered_examples: list[Example] = field(default_factory=list)
    failed_examples: list[Example] = field(default_factory=list)
    feedback: FeedbackFigures = field(default_factory=FeedbackFigures)
    arms: list[ArmFigures] = field(default_factory=list)
    unreadable: int = 0

    @property
    def busiest_hour(self) -> int | None:
        """The UTC hour (0-23) with most questions; the earliest of equally busy hours."""
        if not self.questions:
            return None
        return max(range(24), key=lambda hour: (self.per_hour[hour], -hour))
