"""A realistic week of chatbot traffic, with the ground truth of what must come out of it.

The simulator is pure: it draws sessions, questions and answers from a seeded random generator and
returns :class:`Traffic`: the deliveries to make, in the order the chatbot's events reach the queue,
and a :class:`Manifest` that says, for every question and every event, what the pipeline must make
of it. The demo sends the deliveries and checks the pipeline's result against the manifest
(:mod:`cv_analytics.accounting`).

What a real week holds, and so what the simulator generates:

- visitors' *sessions* of one to a few questions, more on weekdays and in working hours (UTC);
- *popular questions asked again and again in different words* (a weighted topic catalogue with
  several phrasings each, plus casual variations), and a tail of questions the CV cannot answer;
- *unanswered* questions (the chatbot never sent a response event), *failed* answers (the response
  carries ``error``) and *orphans* (the query event was lost, only the response arrives);
- *duplicates* (an event delivered twice, e.g. a retry after a timeout) and *out-of-order*
  delivery (a response that reaches the queue hours before its query);
- a few *malformed* messages that break the contract (sent raw: the edge client would refuse them).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from analytics_contract import (
    MatchType,
    QueryEvent,
    RecordStatus,
    ResponseEvent,
    Tokens,
    iso_week,
    week_bounds,
)
from analytics_contract.weeks import utc_day

MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS

EventKind = Literal["query", "response", "malformed"]
Channel = Literal["edge", "raw"]


@dataclass(frozen=True)
class Topic:
    """A kind of question visitors ask, how the CV matches it, and the chatbot's answer."""

    key: str
    weight: float
    phrasings: tuple[str, ...]
    match_type: MatchType
    score_range: tuple[float, float]
    answer: str
    reasoning: str


TOPICS: tuple[Topic, ...] = (
    Topic(
        "python",
        14,
        (
            "How many years of Python experience do you have?",
            "How long have you been writing Python?",
            "What's your Python experience?",
            "Are you good at Python?",
            "How strong is your Python?",
        ),
        "full",
        (86, 99),
        "Eight years of production Python: Django and FastAPI services, data pipelines and tooling.",
        "The CV lists Python in every role since 2017.",
    ),
    Topic(
        "aws",
        12,
        (
            "What AWS services have you used?",
            "Do you have AWS experience?",
            "Have you worked with Lambda and DynamoDB?",
            "How much serverless work have you done?",
            "Tell me about your cloud experience",
        ),
        "full",
        (80, 97),
        "Five years on AWS: Lambda, SQS, DynamoDB, EventBridge, Step Functions, CDK and Terraform.",
        "Cloud section and two recent roles mention these services.",
    ),
    Topic(
        "availability",
        10,
        (
            "When can you start?",
            "Are you available for a new role?",
            "What is your notice period?",
            "Are you open to opportunities right now?",
        ),
        "partial",
        (45, 75),
        "Available from next month; the notice period is four weeks.",
        "The CV states availability but not an exact date.",
    ),
    Topic(
        "remote",
        8,
        (
            "Do you work remotely?",
            "Are you open to remote work?",
            "Would you relocate?",
            "Hybrid or remote?",
        ),
        "partial",
        (40, 70),
        "Remote or hybrid in the UK; relocation is possible for the right role.",
        "Location preferences are listed; relocation is not mentioned explicitly.",
    ),
    Topic(
        "leadership",
        7,
        (
            "Have you led a team?",
            "Do you have management experience?",
            "How big was the largest team you managed?",
            "Tell me about your leadership experience",
        ),
        "full",
        (70, 92),
        "Led a team of six engineers for two years, including hiring and mentoring.",
        "The most recent role is a tech lead position.",
    ),
    Topic(
        "kubernetes",
        6,
        (
            "Do you know Kubernetes?",
            "Any experience with k8s?",
            "Have you run containers in production?",
        ),
        "partial",
        (35, 65),
        "Some: ran services on EKS for a year, but most recent work is serverless.",
        "Containers appear in one earlier role only.",
    ),
    Topic(
        "education",
        5,
        (
            "Where did you study?",
            "What degree do you have?",
            "What's your educational background?",
        ),
        "full",
        (90, 100),
        "BSc in Computer Science, University of Manchester.",
        "Education section.",
    ),
    Topic(
        "salary",
        5,
        (
            "What are your salary expectations?",
            "How much do you charge per day?",
            "What's your expected rate?",
        ),
        "none",
        (0, 15),
        "That is best discussed directly; please use the contact form.",
        "The CV does not mention compensation.",
    ),
    Topic(
        "languages",
        4,
        (
            "Which languages do you speak?",
            "Do you speak French?",
            "Are you fluent in German?",
        ),
        "partial",
        (30, 60),
        "English (native) and conversational French.",
        "Languages are listed without levels.",
    ),
    Topic(
        "contact",
        4,
        (
            "How can I contact you?",
            "What's your email?",
            "Can I get your LinkedIn?",
        ),
        "full",
        (85, 100),
        "Use the contact form on this page, or LinkedIn (linked in the footer).",
        "Contact details are on the CV.",
    ),
    Topic(
        "off_topic",
        3,
        (
            "Can you write me a poem about cats?",
            "What's the weather like in London?",
            "Who won the football last night?",
            "Can you juggle?",
        ),
        "none",
        (0, 5),
        "I can only answer questions about this CV.",
        "Not related to the CV.",
    ),
)

_OPENERS = ("Hi! ", "Hello, ", "Quick question: ", "Hey, ", "Sorry, ")
_CLOSERS = (" Thanks!", " thanks", " Cheers.")
_PAGES = ("/", "/", "/cv", "/projects", "/contact")
_REFERRERS = (
    "https://www.linkedin.com/",
    "https://www.google.com/",
    "direct",
    "https://github.com/",
)
_COUNTRIES = ("GB", "GB", "GB", "US", "DE", "FR", "NL", "IE", "IN")
_AGENTS = ("Mozilla/5.0 (Macintosh)", "Mozilla/5.0 (Windows NT 10.0)", "Mozilla/5.0 (iPhone)")
_MODELS = ("claude-3-5-haiku", "claude-3-5-haiku", "claude-sonnet-4")
_ERRORS = (
    "ThrottlingException: rate exceeded",
    "model timeout after 30000 ms",
    "upstream 503 from the model provider",
)
_MALFORMED: tuple[tuple[str, str], ...] = (
    ("not_json", "a body cut off in transit (not JSON)"),
    ("missing_request_id", "a query without requestId"),
    ("score_out_of_range", "a response with matchScore 150"),
    ("unknown_event_type", "an event of an unknown type"),
    ("wrong_schema_version", "a query claiming schemaVersion 2"),
)

# Weights of the days Monday..Sunday and of the hours 00..23 UTC (a UK audience at work).
_DAY_WEIGHTS = (1.0, 1.1, 1.1, 1.0, 0.9, 0.45, 0.4)
_HOUR_WEIGHTS = (
    0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.4, 0.8, 1.4, 2.0, 2.2, 2.1,
    1.8, 2.0, 2.2, 2.0, 1.8, 1.4, 1.1, 1.0, 0.9, 0.7, 0.5, 0.3,
)  # fmt: skip


@dataclass(frozen=True)
class Rates:
    """How often the awkward cases happen (fractions of questions, or of events for duplicates)."""

    unanswered: float = 0.07
    failed: float = 0.05
    orphaned: float = 0.02
    out_of_order: float = 0.10
    duplicate: float = 0.05
    malformed_per_question: float = 1 / 60


class QuestionTruth(BaseModel):
    """What the pipeline must record for one question."""

    model_config = ConfigDict(frozen=True)

    request_id: str
    session_id: str
    topic: str
    week: str
    day: str
    expected_status: RecordStatus
    query_sent: int
    response_sent: int
    out_of_order: bool


class Delivery(BaseModel):
    """One message as it reaches the queue, in order. ``event`` is set unless malformed."""

    model_config = ConfigDict(frozen=True)

    seq: int
    kind: EventKind
    channel: Channel
    request_id: str | None
    session_id: str
    duplicate: bool = False
    event: QueryEvent | ResponseEvent | None = None
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
    deliveries: list[Delivery]

    def count(self, *, kind: EventKind | None = None, duplicate: bool | None = None) -> int:
        return sum(
            1
            for d in self.deliveries
            if (kind is None or d.kind == kind) and (duplicate is None or d.duplicate == duplicate)
        )

    def expected(self, status: RecordStatus) -> int:
        return sum(1 for q in self.questions if q.expected_status == status)


@dataclass(frozen=True)
class _Planned:
    delivered_at: int
    order: int
    delivery: Delivery


def simulate_week(
    week: str,
    questions: int,
    *,
    seed: int = 7,
    rates: Rates | None = None,
    id_prefix: str = "demo",
) -> Manifest:
    """Generate ``questions`` questions asked during ISO ``week``, and their deliveries."""
    if questions < 1:
        raise ValueError("questions must be at least 1")
    return _Simulator(week, seed, rates or Rates(), id_prefix).run(questions)


class _Simulator:
    def __init__(self, week: str, seed: int, rates: Rates, id_prefix: str) -> None:
        self.week = week
        self.seed = seed
        self.rates = rates
        self.prefix = id_prefix
        self.rng = random.Random(seed)
        self.start_ms, self.end_ms = week_bounds(week)
        self.planned: list[_Planned] = []
        self.truths: list[QuestionTruth] = []

    def run(self, questions: int) -> Manifest:
        session_no = 0
        while len(self.truths) < questions:
            session_no += 1
            size = min(self._session_size(), questions - len(self.truths))
            self._session(f"{self.prefix}-s{session_no:04d}", size)
        for index in range(max(1, round(questions * self.rates.malformed_per_question))):
            self._malformed(index)
        self.planned.sort(key=lambda p: (p.delivered_at, p.order))
        deliveries = [p.delivery.model_copy(update={"seq": i}) for i, p in enumerate(self.planned)]
        return Manifest(
            week=self.week, seed=self.seed, questions=self.truths, deliveries=deliveries
        )

    # -- sessions and questions ---------------------------------------------------------------

    def _session_size(self) -> int:
        size = 1
        while size < 6 and self.rng.random() < 0.55:
            size += 1
        return size

    def _session_start(self) -> int:
        day = self.rng.choices(range(7), weights=_DAY_WEIGHTS)[0]
        hour = self.rng.choices(range(24), weights=_HOUR_WEIGHTS)[0]
        offset = day * DAY_MS + hour * HOUR_MS + self.rng.randrange(HOUR_MS)
        # Keep the whole session (a few minutes) and its answers inside the week.
        return self.start_ms + min(offset, 7 * DAY_MS - 2 * HOUR_MS)

    def _session(self, session_id: str, size: int) -> None:
        at = self._session_start()
        metadata = {
            "page": self.rng.choice(_PAGES),
            "referrer": self.rng.choice(_REFERRERS),
            "country": self.rng.choice(_COUNTRIES),
            "userAgent": self.rng.choice(_AGENTS),
        }
        for _ in range(size):
            self._question(session_id, at, metadata)
            at += self.rng.randint(20_000, 4 * MINUTE_MS)

    def _outcome(self) -> RecordStatus:
        r, draw = self.rates, self.rng.random()
        if draw < r.orphaned:
            return "orphaned"
        if draw < r.orphaned + r.unanswered:
            return "unanswered"
        if draw < r.orphaned + r.unanswered + r.failed:
            return "failed"
        return "answered"

    def _wording(self, topic: Topic) -> str:
        """One of the topic's phrasings (the first is the most common), typed the way people
        type: case and a missing question mark vary often, greetings and thanks now and then."""
        weights = [3.0] + [1.0] * (len(topic.phrasings) - 1)
        text = self.rng.choices(topic.phrasings, weights=weights)[0]
        opener = self.rng.choice(_OPENERS) if self.rng.random() < 0.3 else ""
        if opener.endswith(", "):
            text = text[0].lower() + text[1:]
        elif self.rng.random() < 0.2:
            text = text.lower()
        if self.rng.random() < 0.2:
            return f"{opener}{text.rstrip('?')}"  # no question mark, no pleasantries
        closer = self.rng.choice(_CLOSERS) if self.rng.random() < 0.25 else ""
        return f"{opener}{text}{closer}"

    def _question(self, session_id: str, at: int, metadata: dict[str, str]) -> None:
        index = len(self.truths) + 1
        request_id = f"{self.prefix}-q{index:05d}"
        topic = self.rng.choices(TOPICS, weights=[t.weight for t in TOPICS])[0]
        status = self._outcome()
        query = QueryEvent(
            schema_version=1,
            event_type="query",
            request_id=request_id,
            timestamp=at,
            session_id=session_id,
            query=self._wording(topic),
            metadata=metadata,
        )
        latency = int(min(max(self.rng.lognormvariate(7.4, 0.5), 300), 25_000))
        response = self._response(topic, query, latency, failed=status == "failed")

        query_at = at + self.rng.randint(20, 400)
        response_at = response.timestamp + self.rng.randint(20, 400)
        out_of_order = False
        if status in ("answered", "failed") and self.rng.random() < self.rates.out_of_order:
            # The query event was held up (a retry, a cold start): it arrives hours later.
            query_at = response_at + self.rng.randint(2 * HOUR_MS, 12 * HOUR_MS)
            out_of_order = True

        query_sent = response_sent = 0
        if status != "orphaned":
            query_sent = self._deliver(query_at, "query", query)
        if status != "unanswered":
            response_sent = self._deliver(response_at, "response", response)

        week_of = response.timestamp if status == "orphaned" else at
        self.truths.append(
            QuestionTruth(
                request_id=request_id,
                session_id=session_id,
                topic=topic.key,
                week=iso_week(week_of),
                day=utc_day(week_of),
                expected_status=status,
                query_sent=query_sent,
                response_sent=response_sent,
                out_of_order=out_of_order,
            )
        )

    def _response(
        self, topic: Topic, query: QueryEvent, latency: int, *, failed: bool
    ) -> ResponseEvent:
        low, high = topic.score_range
        tokens_in = self.rng.randint(900, 2_400)
        return ResponseEvent(
            schema_version=1,
            event_type="response",
            request_id=query.request_id,
            timestamp=query.timestamp + latency,
            # Some chatbot versions leave these out; the processor copes with both.
            session_id=query.session_id if self.rng.random() < 0.9 else None,
            match_type="none" if failed else topic.match_type,
            match_score=0.0 if failed else round(self.rng.uniform(low, high), 1),
            reasoning=None if failed else topic.reasoning,
            response=None if failed else topic.answer,
            processing_time_ms=float(latency) if self.rng.random() < 0.7 else None,
            tokens=Tokens(input=tokens_in, output=0 if failed else self.rng.randint(40, 320)),
            model=self.rng.choice(_MODELS),
            error=self.rng.choice(_ERRORS) if failed else None,
        )

    def _deliver(self, at: int, kind: EventKind, event: QueryEvent | ResponseEvent) -> int:
        """Plan the delivery of an event, maybe twice; returns how many times it is sent."""
        self._plan(at, kind, "edge", event.request_id, event.session_id or "", event=event)
        if self.rng.random() >= self.rates.duplicate:
            return 1
        # Delivered again later: the chatbot retried after a timeout it took for a failure.
        again = at + self.rng.randint(10 * MINUTE_MS, 3 * HOUR_MS)
        self._plan(
            again, kind, "raw", event.request_id, event.session_id or "", event=event, dup=True
        )
        return 2

    def _plan(
        self,
        at: int,
        kind: EventKind,
        channel: Channel,
        request_id: str | None,
        session_id: str,
        *,
        event: QueryEvent | ResponseEvent | None = None,
        raw_body: str | None = None,
        reason: str | None = None,
        dup: bool = False,
    ) -> None:
        delivery = Delivery(
            seq=-1,
            kind=kind,
            channel=channel,
            request_id=request_id,
            session_id=session_id,
            duplicate=dup,
            event=event,
            raw_body=raw_body,
            malformed_reason=reason,
        )
        self.planned.append(_Planned(at, len(self.planned), delivery))

    # -- malformed messages -------------------------------------------------------------------

    def _malformed(self, index: int) -> None:
        kind, reason = _MALFORMED[index % len(_MALFORMED)]
        at = self.start_ms + self.rng.randrange(7 * DAY_MS - HOUR_MS)
        request_id = f"{self.prefix}-bad{index + 1:03d}"
        session_id = f"{self.prefix}-sbad{index + 1:03d}"
        base: dict[str, object] = {
            "schemaVersion": 1,
            "eventType": "query",
            "requestId": request_id,
            "timestamp": at,
            "sessionId": session_id,
            "query": "What is your experience with Rust?",
        }
        if kind == "not_json":
            body = json.dumps(base)[:37]
        elif kind == "missing_request_id":
            body = json.dumps({k: v for k, v in base.items() if k != "requestId"})
        elif kind == "score_out_of_range":
            body = json.dumps(
                {**base, "eventType": "response", "matchType": "full", "matchScore": 150}
            )
        elif kind == "unknown_event_type":
            body = json.dumps({**base, "eventType": "click", "target": "#contact"})
        else:
            body = json.dumps({**base, "schemaVersion": 2})
        self._plan(at, "malformed", "raw", None, session_id, raw_body=body, reason=reason)
