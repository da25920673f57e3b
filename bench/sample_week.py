"""A realistic week of CV-chatbot analytics records, generated lazily and reproducibly.

The chatbot answers questions about one person's CV (a fictional senior backend engineer). Visitors
(recruiters, hiring managers, the curious) come in sessions of one to a few questions, mostly on
weekdays and in European working hours. Popular questions repeat with varied casing, punctuation
and spacing, and now and then with politeness, filler or a typo ("Hi! what is your notice
period? thanks", "waht are your salary expectations"); some questions hit gaps in the CV (salary,
languages, licences) and get ``none`` matches; a few fail (LLM timeouts, rate limits) or are still
unanswered; a handful of responses are orphans. Scores, latencies and token counts follow
plausible distributions. Two prompt variants answer (``prompt-v2`` matches the CV noticeably
better than ``prompt-v1``), and about one answer in six is rated by the visitor (thumbs or
stars, sometimes with a comment), more favourably when the answer matched.

Used by the report's screenshot, the aggregation benchmark, tests and the demo::

    from bench.sample_week import generate_week, to_item
    records = list(generate_week("2025-W46", questions=1_200, seed=46))
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from analytics_contract.events import Feedback, Tokens
from analytics_contract.records import AnalyticsRecord, RecordStatus
from analytics_contract.weeks import iso_week, utc_day, week_bounds

MatchKind = Literal["full", "partial", "none"]
DAY_MS = 86_400_000
TTL_SECONDS = 90 * 86_400


@dataclass(frozen=True)
class Question:
    """A question people ask, how often (relative weight) and how well the CV answers it."""

    text: str
    weight: float
    match: MatchKind
    score: tuple[float, float]  # typical match-score range


def _q(text: str, weight: float, match: MatchKind, low: float, high: float) -> Question:
    return Question(text, weight, match, (low, high))


#: The popular questions: these make up most of the traffic.
POPULAR: tuple[Question, ...] = (
    _q("What is your experience with Python?", 9.0, "full", 86, 98),
    _q("What programming languages do you know?", 7.0, "full", 84, 97),
    _q("Are you open to remote work?", 6.5, "partial", 58, 78),
    _q("Tell me about your AWS experience", 6.0, "full", 82, 96),
    _q("What was your most recent role?", 5.5, "full", 88, 99),
    _q("What is your notice period?", 5.0, "partial", 45, 70),
    _q("Where are you based?", 4.5, "full", 80, 95),
    _q("Have you led a team?", 4.2, "full", 78, 94),
    _q("What are your salary expectations?", 4.0, "none", 2, 18),
    _q("Do you have experience with Kubernetes?", 3.8, "full", 75, 92),
    _q("What is your education background?", 3.5, "full", 85, 97),
    _q("How can I contact you?", 3.2, "full", 90, 99),
    _q("Why are you looking for a new job?", 2.8, "partial", 35, 62),
    _q("What projects are you most proud of?", 2.6, "partial", 55, 80),
    _q("Do you need visa sponsorship?", 2.4, "none", 8, 30),
    _q("Can I download your CV?", 2.2, "partial", 40, 65),
    _q("Are you available for contract work?", 2.0, "partial", 38, 60),
    _q("Do you have any certifications?", 1.9, "partial", 50, 72),
    _q("Do you speak German?", 1.7, "none", 3, 20),
    _q("What's your experience with machine learning?", 1.6, "partial", 42, 68),
    _q("Tell me about a time you handled a production incident", 1.5, "partial", 60, 82),
    _q("Do you have a driving licence?", 1.3, "none", 1, 12),
    _q("When could you start?", 1.3, "none", 10, 32),
    _q("What are your hobbies?", 1.1, "none", 5, 25),
    _q("Would you relocate to Berlin?", 1.0, "none", 12, 35),
    _q("Have you worked in fintech?", 1.0, "full", 80, 94),
    _q("What is your availability for an interview next week?", 0.9, "none", 4, 22),
    _q("hello", 0.9, "none", 0, 8),
    _q("Are you a good fit for a senior backend role?", 0.8, "partial", 55, 75),
    _q("Have you used SAP?", 0.5, "none", 0, 10),
)

#: "Have you used X?": technologies in the CV (full/partial) and not (none): the long tail.
IN_CV = (
    "Terraform", "Docker", "PostgreSQL", "Redis", "Kafka", "FastAPI", "Django", "gRPC",
    "GitHub Actions", "DynamoDB", "AWS Lambda", "Go", "TypeScript", "GraphQL", "Prometheus",
)  # fmt: skip
NOT_IN_CV = (
    "Rust", "Scala", "Elixir", "Salesforce", "Unity", "Swift", "PHP", "Oracle", "Azure", "COBOL",
    "Kotlin", "SAP HANA", "Snowflake", "Tableau",
)  # fmt: skip
TAIL_TEMPLATES = ("Have you used {}?", "Do you know {}?", "Any experience with {}?")

#: A recruiter pasting a job advert: long, and shortened in the report.
LONG_QUESTION = (
    "We are hiring a Senior Platform Engineer to own our AWS infrastructure (EKS, Terraform, "
    "observability with Prometheus and Grafana) and to mentor a team of four engineers across two "
    "time zones; do you think you would be a good match for this role, and what would you need "
    "from us to be successful in the first six months?"
)

ERRORS = (
    "LLM request timed out after 30000 ms",
    "Rate limit exceeded (HTTP 429) from the model provider",
    "Context length exceeded: CV and question are 9,214 tokens (limit 8,192)",
)

# Relative traffic by weekday (Mon..Sun) and by UTC hour: working hours in Europe, an evening tail.
DAY_WEIGHTS = (1.0, 1.15, 1.1, 1.0, 0.85, 0.45, 0.4)
HOUR_WEIGHTS = (
    0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.2, 2.4, 3.4, 3.6, 3.1,
    2.6, 3.0, 3.4, 3.2, 2.7, 2.0, 1.5, 1.3, 1.1, 0.9, 0.6, 0.4,
)  # fmt: skip


OPENERS = ("Hi! ", "Hello, ", "Hey, ", "Quick question: ", "Sorry, ", "Hi there, ")
CLOSERS = (" thanks", " Thanks!", " please", " Cheers.", " thank you")
VARIANTS = ("prompt-v1", "prompt-v2")
COMMENTS_BAD = (
    "Didn't answer my question",
    "Too vague, I wanted a number",
    "Wrong, the CV says otherwise",
    "That's not what I asked",
    "Not helpful",
)
COMMENTS_GOOD = ("Great, thanks!", "Exactly what I needed", "Very clear")


def _polish(text: str, rng: random.Random) -> str:
    """Politeness, filler and small typos, as visitors add them (drawn from ``rng``)."""
    roll = rng.random()
    if roll < 0.12:
        text = rng.choice(OPENERS) + text
    elif roll < 0.2:
        text = text + rng.choice(CLOSERS)
    if rng.random() < 0.03:
        words = text.split()
        index = max(range(len(words)), key=lambda i: len(words[i]))
        word = words[index]
        if len(word) > 4:
            at = rng.randrange(1, len(word) - 3)
            words[index] = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
            text = " ".join(words)
    return text


def _vary(text: str, rng: random.Random) -> str:
    """How people actually type it: casing, trailing punctuation, stray spaces."""
    roll = rng.random()
    if roll < 0.28:
        text = text.lower()
    elif roll < 0.31:
        text = text.upper()
    body = text.rstrip("?")
    roll = rng.random()
    if roll < 0.30:
        text = body
    elif roll < 0.35:
        text = body + "??"
    elif roll < 0.39:
        text = body + " ?"
    elif roll < 0.42:
        text = body + "."
    if rng.random() < 0.05:
        text = f" {text}  "
    return text


class _Sampler:
    def __init__(self, rng: random.Random, extra: random.Random | None = None) -> None:
        self.rng = rng
        #: Politeness, variants and feedback come from their own generator, so the rest of a
        #: seeded week (sessions, questions, scores) stays what it was before they were added.
        self.extra = extra
        tail = [
            _q(template.format(tech), 0.08, "full" if tech in IN_CV else "none", 0, 0)
            for tech in (*IN_CV, *NOT_IN_CV)
            for template in TAIL_TEMPLATES
        ]
        tail = [
            Question(q.text, q.weight, q.match, (62, 90) if q.match == "full" else (0, 15))
            for q in tail
        ]
        self.questions = [*POPULAR, *tail, _q(LONG_QUESTION, 0.15, "partial", 48, 66)]
        self.weights = [q.weight for q in self.questions]

    def question(self) -> Question:
        return self.rng.choices(self.questions, self.weights)[0]

    def match(self, question: Question) -> tuple[MatchKind, float]:
        """Mostly the question's usual match; sometimes the LLM does better or worse."""
        low, high = question.score
        kind: MatchKind = question.match
        roll = self.rng.random()
        if roll < 0.06 and kind != "none":
            kind, low, high = "partial" if kind == "full" else "none", low * 0.5, low * 0.8
        elif roll < 0.09 and kind == "none":
            kind, low, high = "partial", 35, 55
        return kind, round(self.rng.uniform(low, high), 1)

    def latency_ms(self, kind: MatchKind) -> float:
        median = {"full": 1_650.0, "partial": 1_900.0, "none": 1_300.0}[kind]
        return round(min(29_000.0, self.rng.lognormvariate(math.log(median), 0.42)), 1)

    def tokens(self, kind: MatchKind) -> Tokens:
        output = {"full": (140, 380), "partial": (90, 260), "none": (35, 120)}[kind]
        return Tokens(input=self.rng.randint(1_900, 3_300), output=self.rng.randint(*output))


def _record(
    rng: random.Random,
    sampler: _Sampler,
    serial: int,
    session: str,
    timestamp: int,
    *,
    orphan: bool = False,
) -> AnalyticsRecord:
    question = sampler.question()
    kind, score = sampler.match(question)
    roll = rng.random()
    status: RecordStatus = "answered"
    if orphan:
        status = "orphaned"
    elif roll < 0.015:
        status = "unanswered"
    elif roll < 0.035:
        status = "failed"
    base: dict[str, Any] = {
        "request_id": f"req-{serial:08d}-{rng.getrandbits(32):08x}",
        "timestamp": timestamp,
        "week": iso_week(timestamp),
        "day": utc_day(timestamp),
        "status": status,
        "session_id": session,
        "recorded_at": timestamp + 2_000,
        "expires_at": timestamp // 1000 + TTL_SECONDS,
    }
    extra = sampler.extra
    if status != "orphaned":
        base["query"] = _vary(question.text, rng)
        if extra is not None:
            base["query"] = _polish(base["query"], extra)
    variant = extra.choice(VARIANTS) if extra is not None else None
    if variant == "prompt-v2" and extra is not None and kind == "none" and extra.random() < 0.3:
        kind, score = "partial", round(extra.uniform(40, 62), 1)  # v2 finds more in the CV
    elif variant == "prompt-v2" and extra is not None:
        score = round(min(100.0, score + extra.uniform(0, 8)), 1)
    if status == "unanswered":
        return AnalyticsRecord(**base)
    if status == "failed":
        error = rng.choice(ERRORS)
        elapsed = (
            30_000.0 if error.startswith("LLM request timed out") else sampler.latency_ms(kind)
        )
        return AnalyticsRecord(
            **base,
            match_type="none",
            match_score=0.0,
            error=error,
            processing_time_ms=elapsed,
            response_timestamp=timestamp + int(elapsed),
            tokens=None if error.startswith("Rate limit") else sampler.tokens("none"),
            model="claude-haiku-4-5" if extra is not None else None,
            variant=variant,
        )
    elapsed = sampler.latency_ms(kind)
    old_record = rng.random() < 0.05  # written before the processor stored processingTimeMs
    return AnalyticsRecord(
        **base,
        match_type=kind,
        match_score=score,
        processing_time_ms=None if old_record else elapsed,
        response_timestamp=timestamp + int(elapsed),
        tokens=sampler.tokens(kind),
        model="claude-haiku-4-5",
        variant=variant,
        feedback=_feedback(extra, kind, variant, timestamp + int(elapsed)) if extra else None,
    )


def _feedback(
    rng: random.Random, kind: MatchKind, variant: str | None, answered_at: int
) -> Feedback | None:
    """About one answer in six is rated; matched answers (and prompt-v2's) more favourably."""
    if rng.random() >= 0.17:
        return None
    liked = {"full": 0.86, "partial": 0.6, "none": 0.18}[kind] + (
        0.06 if variant == "prompt-v2" else 0.0
    )
    positive = rng.random() < liked
    when = answered_at + rng.randrange(5_000, 120_000)
    comment = None
    if rng.random() < (0.45 if not positive else 0.12):
        comment = rng.choice(COMMENTS_GOOD if positive else COMMENTS_BAD)
    if rng.random() < 0.6:
        return Feedback(timestamp=when, thumbs="up" if positive else "down", comment=comment)
    stars = rng.choice((4, 5) if positive else (1, 2, 3))
    return Feedback(timestamp=when, rating=stars, comment=comment)


def generate_week(
    week_id: str,
    *,
    questions: int,
    seed: int = 0,
    orphan_rate: float = 0.003,
    variety: bool = True,
) -> Iterator[AnalyticsRecord]:
    """Yield about ``questions`` question records (exactly that many) plus a few orphans for
    ``week_id``, session by session; nothing is held in memory. ``variety=False``: questions
    vary in case and punctuation only, with no variants and no feedback (the earlier sample)."""
    rng = random.Random(seed)
    sampler = _Sampler(rng, random.Random(seed + 1_000_003) if variety else None)
    start, _ = week_bounds(week_id)
    produced = serial = 0
    session_number = 0
    while produced < questions:
        session_number += 1
        session = f"s-{seed}-{session_number:07d}-{rng.getrandbits(24):06x}"
        day = rng.choices(range(7), DAY_WEIGHTS)[0]
        hour = rng.choices(range(24), HOUR_WEIGHTS)[0]
        # Start within the hour's first 40 minutes: a session (at most 8 questions, 90 s apart)
        # then stays on its day, and in its week.
        timestamp = start + day * DAY_MS + hour * 3_600_000 + rng.randrange(0, 2_400_000)
        size = min(questions - produced, 1 + min(int(rng.expovariate(0.75)), 7))
        for _ in range(size):
            serial += 1
            produced += 1
            yield _record(rng, sampler, serial, session, timestamp)
            if rng.random() < orphan_rate:
                serial += 1
                yield _record(rng, sampler, serial, session, timestamp + 500, orphan=True)
            timestamp += rng.randrange(15_000, 90_000)


def to_item(record: AnalyticsRecord) -> dict[str, Any]:
    """The record as the processor stores it (camelCase, no nulls, floats as ``Decimal``), ready
    for a boto3 resource ``put_item`` / ``batch_writer``."""

    def decimals(value: Any) -> Any:
        if isinstance(value, float):
            return Decimal(str(value))
        if isinstance(value, dict):
            return {key: decimals(item) for key, item in value.items()}
        if isinstance(value, list):
            return [decimals(item) for item in value]
        return value

    return {
        key: decimals(value)
        for key, value in record.model_dump(by_alias=True, exclude_none=True, mode="json").items()
    }
