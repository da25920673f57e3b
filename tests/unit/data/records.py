"""Analytics records with every field the contract has, for the data tests and benches."""

from __future__ import annotations

import random
from collections.abc import Iterator

from analytics_contract.events import Feedback, Tokens
from analytics_contract.records import AnalyticsRecord, RecordStatus
from analytics_contract.weeks import iso_week, utc_day, week_bounds

DAY_MS = 86_400_000
QUESTIONS = (
    "What is your experience with Python?",
    "Are you open to remote work?",
    "What are your salary expectations?",
    "Tell me about your AWS experience",
    "Do you speak German?",
)


def full_record(
    request_id: str = "req-full", timestamp: int = 1_763_370_000_000
) -> AnalyticsRecord:
    """One answered record with every optional field set (nested models, JSON-ish fields)."""
    return AnalyticsRecord(
        request_id=request_id,
        timestamp=timestamp,
        week=iso_week(timestamp),
        day=utc_day(timestamp),
        status="answered",
        session_id="sess-1",
        query='Does she know Go? \u00e9t\u00e9 \U0001f600, "quoted"\nnew line',
        metadata={"page": "/cv", "country": "GB"},
        match_type="partial",
        match_score=72.5,
        reasoning="Go is listed under side projects.",
        response="Yes, a little: two side projects.",
        processing_time_ms=812.25,
        tokens=Tokens(input=812, output=64),
        model="claude-haiku",
        variant="prompt-v2",
        response_timestamp=timestamp + 900,
        feedback=Feedback(timestamp=timestamp + 60_000, rating=2, comment="too short"),
        truncated_fields=["response"],
        recorded_at=timestamp + 1_000,
        expires_at=timestamp // 1000 + 90 * 86_400,
    )


def varied_records(week_id: str, count: int, *, seed: int = 1) -> Iterator[AnalyticsRecord]:
    """``count`` records of ``week_id`` covering every status and the fields' absence."""
    rng = random.Random(seed)
    start, _ = week_bounds(week_id)
    statuses: tuple[RecordStatus, ...] = (
        "answered",
        "answered",
        "answered",
        "failed",
        "unanswered",
        "orphaned",
    )
    for serial in range(count):
        timestamp = start + rng.randrange(0, 7 * DAY_MS)
        status = rng.choice(statuses)
        record = AnalyticsRecord(
            request_id=f"req-{seed}-{serial:06d}",
            timestamp=timestamp,
            week=week_id,
            day=utc_day(timestamp),
            status=status,
            session_id=f"sess-{rng.randrange(count // 3 + 1)}",
            query=None if status == "orphaned" else rng.choice(QUESTIONS),
            recorded_at=timestamp + 1_000,
            expires_at=timestamp // 1000 + 90 * 86_400,
        )
        if status in ("answered", "failed", "orphaned"):
            responded = timestamp + rng.randrange(-200, 5_000)  # a clock may be behind
            update = {
                "match_type": rng.choice(("full", "partial", "none")),
                "match_score": round(rng.uniform(0, 100), 3),
                "response_timestamp": responded,
                "processing_time_ms": rng.choice((None, round(rng.uniform(10, 9_000), 3))),
                "tokens": rng.choice(
                    (None, Tokens(input=rng.randrange(3000), output=rng.randrange(400)))
                ),
                "model": rng.choice((None, "claude-haiku", "claude-sonnet")),
                "variant": rng.choice((None, "prompt-v1", "prompt-v2")),
                "response": rng.choice(("Yes.", "It depends " * rng.randrange(1, 40))),
            }
            if status == "failed":
                update["error"] = "LLM request timed out"
            feedback = rng.random()
            if feedback < 0.2:
                update["feedback"] = Feedback(
                    timestamp=responded + 10, thumbs=rng.choice(("up", "down"))
                )
            elif feedback < 0.4:
                update["feedback"] = Feedback(
                    timestamp=responded + 10,
                    rating=rng.randrange(1, 6),
                    comment=rng.choice((None, "ok")),
                )
            if rng.random() < 0.1:
                update["metadata"] = {"page": "/cv", "referrer": "linkedin"}
            record = record.model_copy(update=update)
        yield record
