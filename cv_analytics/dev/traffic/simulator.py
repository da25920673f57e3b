"""The simulator: sessions, questions, answers and their deliveries, drawn from a seeded generator.

What it draws from is :mod:`.catalogue` (the topics and the rest, a data file); what it returns is
:mod:`.manifest`'s ground truth; the contract-breaking messages come from :mod:`.malformed`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from analytics_contract import (
    FeedbackEvent,
    QueryEvent,
    RecordStatus,
    ResponseEvent,
    Tokens,
    iso_week,
    week_bounds,
)
from analytics_contract.weeks import utc_day
from cv_analytics.dev.traffic.catalogue import Catalogue, Topic, Variant, load_catalogue
from cv_analytics.dev.traffic.malformed import MALFORMED, malformed_body
from cv_analytics.dev.traffic.manifest import (
    Channel,
    Delivery,
    EventKind,
    Manifest,
    Opinion,
    QuestionTruth,
)

MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS


@dataclass(frozen=True)
class Rates:
    """How often the awkward cases happen (fractions of questions, or of events for duplicates)."""

    unanswered: float = 0.07
    failed: float = 0.05
    orphaned: float = 0.02
    out_of_order: float = 0.10
    duplicate: float = 0.05
    malformed_per_question: float = 1 / 60
    #: Answered or failed questions whose visitor rates the answer (when the catalogue says how).
    feedback: float = 0.45
    #: Feedbacks that reach the queue before the response (whose delivery was held up).
    feedback_first: float = 0.1


@dataclass(frozen=True)
class Spike:
    """A failure spike: ``questions`` of the week asked during ``minutes`` from ``start_minute``
    (UTC minute of the day) of day ``day`` (0 = Monday), evenly spread (a burst of visitors, one
    question each), of which ``failed_share`` fail with the catalogue's first error (the model
    provider throttles); the others are answered."""

    questions: int
    day: int = 2
    start_minute: int = 14 * 60
    minutes: int = 45
    failed_share: float = 0.6

    def __post_init__(self) -> None:
        if not (0 <= self.day <= 6 and self.start_minute >= 0 and self.minutes >= 1):
            raise ValueError("a spike needs a day 0-6, a start minute and a duration")
        if self.start_minute + self.minutes > 22 * 60:
            raise ValueError("a spike must end by 22:00 UTC (its answers stay inside the week)")
        if not 0 <= self.failed_share <= 1 or self.questions < 0:
            raise ValueError("a spike needs questions >= 0 and a failed share within 0-1")

    def bounds(self, week_start_ms: int) -> tuple[int, int]:
        """Start and end of the spike, epoch milliseconds."""
        start = week_start_ms + self.day * DAY_MS + self.start_minute * MINUTE_MS
        return start, start + self.minutes * MINUTE_MS


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
    catalogue: Catalogue | None = None,
    spike: Spike | None = None,
) -> Manifest:
    """Generate ``questions`` questions asked during ISO ``week``, and their deliveries, from
    ``catalogue`` (default: the one shipped with the package); ``spike``: a failure spike, whose
    questions are part of ``questions``."""
    if questions < 1:
        raise ValueError("questions must be at least 1")
    if spike is not None and spike.questions > questions:
        raise ValueError("the spike cannot have more questions than the week")
    chosen = catalogue or load_catalogue()
    return _Simulator(week, seed, rates or Rates(), id_prefix, chosen).run(questions, spike)


class _Simulator:
    def __init__(
        self, week: str, seed: int, rates: Rates, id_prefix: str, catalogue: Catalogue
    ) -> None:
        self.catalogue = catalogue
        self.week = week
        self.seed = seed
        self.rates = rates
        self.prefix = id_prefix
        self.rng = random.Random(seed)
        self.start_ms, self.end_ms = week_bounds(week)
        self.planned: list[_Planned] = []
        self.truths: list[QuestionTruth] = []

    def run(self, questions: int, spike: Spike | None = None) -> Manifest:
        session_no = 0
        usual = questions - (spike.questions if spike else 0)
        while len(self.truths) < usual:
            session_no += 1
            size = min(self._session_size(), usual - len(self.truths))
            self._session(f"{self.prefix}-s{session_no:04d}", size)
        if spike is not None:
            start, end = spike.bounds(self.start_ms)
            for index in range(spike.questions):
                slot = (end - start) // spike.questions
                at = start + index * slot + self.rng.randrange(max(1, slot - 1_000))
                session_no += 1
                self._question(
                    f"{self.prefix}-s{session_no:04d}",
                    at,
                    self._metadata(),
                    self._variant(),
                    spike=spike,
                )
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
        day = self.rng.choices(range(7), weights=self.catalogue.day_weights)[0]
        hour = self.rng.choices(range(24), weights=self.catalogue.hour_weights)[0]
        offset = day * DAY_MS + hour * HOUR_MS + self.rng.randrange(HOUR_MS)
        # Keep the whole session (a few minutes) and its answers inside the week.
        return self.start_ms + min(offset, 7 * DAY_MS - 2 * HOUR_MS)

    def _metadata(self) -> dict[str, str]:
        return {
            "page": self.rng.choice(self.catalogue.pages),
            "referrer": self.rng.choice(self.catalogue.referrers),
            "country": self.rng.choice(self.catalogue.countries),
            "userAgent": self.rng.choice(self.catalogue.user_agents),
        }

    def _variant(self) -> Variant | None:
        """The session's prompt variant (A/B assignment is per visitor)."""
        variants = self.catalogue.variants
        if not variants:
            return None
        return self.rng.choices(variants, weights=[v.weight for v in variants])[0]

    def _session(self, session_id: str, size: int) -> None:
        at = self._session_start()
        metadata = self._metadata()
        variant = self._variant()
        for _ in range(size):
            self._question(session_id, at, metadata, variant)
            at += self.rng.randint(20_000, 4 * MINUTE_MS)

    def _outcome(self, spike: Spike | None) -> RecordStatus:
        if spike is not None:
            return "failed" if self.rng.random() < spike.failed_share else "answered"
        r, draw = self.rates, self.rng.random()
        if draw < r.orphaned:
            return "orphaned"
        if draw < r.orphaned + r.unanswered:
            return "unanswered"
        if draw < r.orphaned + r.unanswered + r.failed:
            return "failed"
        return "answered"

    def _wording(self, topic: Topic) -> tuple[int, str]:
        """One of the topic's phrasings (the first is the most common; its index returned too),
        typed the way people type: case and a missing question mark vary often, greetings and
        thanks now and then."""
        weights = [3.0] + [1.0] * (len(topic.phrasings) - 1)
        phrasing = self.rng.choices(range(len(topic.phrasings)), weights=weights)[0]
        return phrasing, self._typed(topic.phrasings[phrasing])

    def _typed(self, text: str) -> str:
        opener = self.rng.choice(self.catalogue.openers) if self.rng.random() < 0.3 else ""
        if opener.endswith(", "):
            text = text[0].lower() + text[1:]
        elif self.rng.random() < 0.2:
            text = text.lower()
        if self.rng.random() < 0.2:
            return f"{opener}{text.rstrip('?')}"  # no question mark, no pleasantries
        closer = self.rng.choice(self.catalogue.closers) if self.rng.random() < 0.25 else ""
        return f"{opener}{text}{closer}"

    def _question(
        self,
        session_id: str,
        at: int,
        metadata: dict[str, str],
        variant: Variant | None,
        *,
        spike: Spike | None = None,
    ) -> None:
        index = len(self.truths) + 1
        request_id = f"{self.prefix}-q{index:05d}"
        topics = self.catalogue.topics
        topic = self.rng.choices(topics, weights=[t.weight for t in topics])[0]
        status = self._outcome(spike)
        phrasing, wording = self._wording(topic)
        query = QueryEvent(
            schema_version=1,
            event_type="query",
            request_id=request_id,
            timestamp=at,
            session_id=session_id,
            query=wording,
            metadata=metadata,
        )
        latency = int(min(max(self.rng.lognormvariate(7.4, 0.5), 300), 25_000))
        error = None
        if status == "failed":
            errors = self.catalogue.errors
            error = errors[0] if spike is not None else self.rng.choice(errors)
        response = self._response(topic, query, latency, variant, error=error)

        query_at = at + self.rng.randint(20, 400)
        response_at = response.timestamp + self.rng.randint(20, 400)
        rated = status in ("answered", "failed")
        feedback = self._feedback(response, variant) if rated else None
        feedback_at = feedback[0].timestamp + self.rng.randint(20, 400) if feedback else 0
        feedback_first = False
        if feedback and self.rng.random() < self.rates.feedback_first:
            # The response's delivery was held up: the visitor's rating overtakes it.
            response_at = feedback_at + self.rng.randint(MINUTE_MS, 10 * MINUTE_MS)
            feedback_first = True
        out_of_order = False
        late = spike is None and self.rng.random() < self.rates.out_of_order
        if status in ("answered", "failed") and late:
            # The query event was held up (a retry, a cold start): it arrives hours later.
            query_at = response_at + self.rng.randint(2 * HOUR_MS, 12 * HOUR_MS)
            out_of_order = True

        query_sent = response_sent = 0
        if status != "orphaned":
            query_sent = self._deliver(query_at, "query", query)
        if status != "unanswered":
            response_sent = self._deliver(response_at, "response", response)
        feedback_sent = self._deliver(feedback_at, "feedback", feedback[0]) if feedback else 0

        week_of = response.timestamp if status == "orphaned" else at
        self.truths.append(
            QuestionTruth(
                request_id=request_id,
                session_id=session_id,
                topic=topic.key,
                phrasing=phrasing,
                week=iso_week(week_of),
                day=utc_day(week_of),
                expected_status=status,
                query_sent=query_sent,
                response_sent=response_sent,
                out_of_order=out_of_order,
                variant=variant.name if variant and status != "unanswered" else None,
                feedback=feedback[1] if feedback else None,
                feedback_sent=feedback_sent,
                feedback_first=feedback_first,
                in_spike=spike is not None,
            )
        )

    def _feedback(
        self, response: ResponseEvent, variant: Variant | None
    ) -> tuple[FeedbackEvent, Opinion] | None:
        """Maybe the visitor's rating of ``response``, a few seconds to minutes after it."""
        habits = self.catalogue.feedback
        if habits is None or self.rng.random() >= self.rates.feedback:
            return None
        kind = "failed" if response.error is not None else response.match_type
        liked = variant.liked if variant is not None else 1.0
        positive = self.rng.random() < habits.positive[kind] * liked
        thumbs = rating = None
        if self.rng.random() < habits.rating_share:
            rating = self.rng.choice((4, 5, 5)) if positive else self.rng.choice((1, 2, 2, 3))
            opinion: Opinion = (
                "positive" if rating >= 4 else "negative" if rating <= 2 else "neutral"
            )
        else:
            thumbs = "up" if positive else "down"
            opinion = "positive" if positive else "negative"
        comment = None
        if self.rng.random() < habits.comment_share:
            comments = habits.positive_comments if positive else habits.negative_comments
            comment = self.rng.choice(comments)
        event = FeedbackEvent(
            schema_version=1,
            event_type="feedback",
            request_id=response.request_id,
            timestamp=response.timestamp + self.rng.randint(5_000, 3 * MINUTE_MS),
            session_id=response.session_id,
            thumbs=thumbs,
            rating=rating,
            comment=comment,
        )
        return event, opinion

    def _response(
        self,
        topic: Topic,
        query: QueryEvent,
        latency: int,
        variant: Variant | None,
        *,
        error: str | None,
    ) -> ResponseEvent:
        failed = error is not None
        low, high = topic.score_range
        match_type, answer, reasoning = topic.match_type, topic.answer, topic.reasoning
        strict = variant is not None and self.rng.random() < variant.no_match_share
        if strict and match_type != "none":
            # This variant's prompt is stricter: it refuses what the CV partly answers.
            assert variant is not None
            match_type, answer, reasoning = (
                "none",
                variant.no_match_answer,
                variant.no_match_reasoning,
            )
            low, high = 0.0, 12.0
        tokens_in = self.rng.randint(900, 2_400)
        return ResponseEvent(
            schema_version=1,
            event_type="response",
            request_id=query.request_id,
            timestamp=query.timestamp + latency,
            # Some chatbot versions leave these out; the processor copes with both.
            session_id=query.session_id if self.rng.random() < 0.9 else None,
            match_type="none" if failed else match_type,
            match_score=0.0 if failed else round(self.rng.uniform(low, high), 1),
            reasoning=None if failed else reasoning,
            response=None if failed else answer,
            processing_time_ms=float(latency) if self.rng.random() < 0.7 else None,
            tokens=Tokens(input=tokens_in, output=0 if failed else self.rng.randint(40, 320)),
            model=self.rng.choice(self.catalogue.models),
            variant=variant.name if variant else None,
            error=error,
        )

    def _deliver(
        self, at: int, kind: EventKind, event: QueryEvent | ResponseEvent | FeedbackEvent
    ) -> int:
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
        event: QueryEvent | ResponseEvent | FeedbackEvent | None = None,
        raw_body: str | None = None,
        reason: str | None = None,
        dup: bool = False,
    ) -> None:
        delivery = Delivery(
            seq=-1,
            at=at,
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
        kind, reason = MALFORMED[index % len(MALFORMED)]
        at = self.start_ms + self.rng.randrange(7 * DAY_MS - HOUR_MS)
        request_id = f"{self.prefix}-bad{index + 1:03d}"
        session_id = f"{self.prefix}-sbad{index + 1:03d}"
        body = malformed_body(kind, request_id=request_id, session_id=session_id, timestamp=at)
        self._plan(at, "malformed", "raw", None, session_id, raw_body=body, reason=reason)
