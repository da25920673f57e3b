"""The simulator: sessions, questions, answers and their deliveries, drawn from a seeded generator.

What it draws from is :mod:`.catalogue` (the topics and the rest, a data file); what it returns is
:mod:`.manifest`'s ground truth; the contract-breaking messages come from :mod:`.malformed`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from analytics_contract import (
    QueryEvent,
    RecordStatus,
    ResponseEvent,
    Tokens,
    iso_week,
    week_bounds,
)
from analytics_contract.weeks import utc_day
from cv_analytics.dev.traffic.catalogue import Catalogue, Topic, load_catalogue
from cv_analytics.dev.traffic.malformed import MALFORMED, malformed_body
from cv_analytics.dev.traffic.manifest import (
    Channel,
    Delivery,
    EventKind,
    Manifest,
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
) -> Manifest:
    """Generate ``questions`` questions asked during ISO ``week``, and their deliveries, from
    ``catalogue`` (default: the one shipped with the package)."""
    if questions < 1:
        raise ValueError("questions must be at least 1")
    chosen = catalogue or load_catalogue()
    return _Simulator(week, seed, rates or Rates(), id_prefix, chosen).run(questions)


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
        day = self.rng.choices(range(7), weights=self.catalogue.day_weights)[0]
        hour = self.rng.choices(range(24), weights=self.catalogue.hour_weights)[0]
        offset = day * DAY_MS + hour * HOUR_MS + self.rng.randrange(HOUR_MS)
        # Keep the whole session (a few minutes) and its answers inside the week.
        return self.start_ms + min(offset, 7 * DAY_MS - 2 * HOUR_MS)

    def _session(self, session_id: str, size: int) -> None:
        at = self._session_start()
        metadata = {
            "page": self.rng.choice(self.catalogue.pages),
            "referrer": self.rng.choice(self.catalogue.referrers),
            "country": self.rng.choice(self.catalogue.countries),
            "userAgent": self.rng.choice(self.catalogue.user_agents),
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
        opener = self.rng.choice(self.catalogue.openers) if self.rng.random() < 0.3 else ""
        if opener.endswith(", "):
            text = text[0].lower() + text[1:]
        elif self.rng.random() < 0.2:
            text = text.lower()
        if self.rng.random() < 0.2:
            return f"{opener}{text.rstrip('?')}"  # no question mark, no pleasantries
        closer = self.rng.choice(self.catalogue.closers) if self.rng.random() < 0.25 else ""
        return f"{opener}{text}{closer}"

    def _question(self, session_id: str, at: int, metadata: dict[str, str]) -> None:
        index = len(self.truths) + 1
        request_id = f"{self.prefix}-q{index:05d}"
        topics = self.catalogue.topics
        topic = self.rng.choices(topics, weights=[t.weight for t in topics])[0]
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
            model=self.rng.choice(self.catalogue.models),
            error=self.rng.choice(self.catalogue.errors) if failed else None,
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
        kind, reason = MALFORMED[index % len(MALFORMED)]
        at = self.start_ms + self.rng.randrange(7 * DAY_MS - HOUR_MS)
        request_id = f"{self.prefix}-bad{index + 1:03d}"
        session_id = f"{self.prefix}-sbad{index + 1:03d}"
        body = malformed_body(kind, request_id=request_id, session_id=session_id, timestamp=at)
        self._plan(at, "malformed", "raw", None, session_id, raw_body=body, reason=reason)
