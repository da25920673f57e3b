"""The traffic simulator: a realistic, reproducible week, and a manifest that tells the truth."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from pydantic import ValidationError

from analytics_contract import InvalidEventError, parse_event_json, week_bounds
from cv_analytics.dev.traffic import Catalogue, Rates, Spike, load_catalogue, simulate_week
from cv_analytics.dev.traffic.malformed import MALFORMED, malformed_body

WEEK = "2026-W47"


@pytest.fixture(scope="module")
def manifest():
    return simulate_week(WEEK, 400, seed=11)


def test_same_seed_same_week_and_other_seed_other_week(manifest):
    again = simulate_week(WEEK, 400, seed=11)
    other = simulate_week(WEEK, 400, seed=12)
    assert again.model_dump() == manifest.model_dump()
    assert other.model_dump() != manifest.model_dump()


def test_every_question_is_in_the_week_and_has_its_events(manifest):
    start, end = week_bounds(WEEK)
    assert len(manifest.questions) == 400
    for delivery in manifest.deliveries:
        if delivery.event is not None:
            assert start <= delivery.event.timestamp < end
    sent = Counter((d.kind, d.request_id) for d in manifest.deliveries if d.kind != "malformed")
    for truth in manifest.questions:
        assert truth.week == WEEK
        assert sent[("query", truth.request_id)] == truth.query_sent
        assert sent[("response", truth.request_id)] == truth.response_sent
        if truth.expected_status == "unanswered":
            assert (truth.query_sent, truth.response_sent) != (0, 0)
            assert truth.response_sent == 0
        if truth.expected_status == "orphaned":
            assert truth.query_sent == 0
            assert truth.response_sent >= 1


def test_outcomes_match_the_events(manifest):
    responses = {
        d.request_id: d.event
        for d in manifest.deliveries
        if d.kind == "response" and d.event is not None
    }
    for truth in manifest.questions:
        response = responses.get(truth.request_id)
        if truth.expected_status == "failed":
            assert response is not None and response.error
        if truth.expected_status == "answered":
            assert response is not None and not response.error


def test_the_awkward_cases_all_happen(manifest):
    statuses = Counter(q.expected_status for q in manifest.questions)
    assert set(statuses) == {"answered", "failed", "unanswered", "orphaned"}
    assert statuses["answered"] > len(manifest.questions) / 2
    assert any(q.out_of_order for q in manifest.questions)
    assert manifest.count(duplicate=True) > 0
    assert manifest.count(kind="malformed") >= 5
    # Popular questions come back in different words, and sessions have several questions.
    per_topic = Counter(q.topic for q in manifest.questions)
    assert per_topic.most_common(1)[0][1] > 30
    wordings = {d.event.query for d in manifest.deliveries if d.kind == "query" and d.event}
    python_wordings = {w for w in wordings if "python" in w.lower()}
    assert len(python_wordings) > 5
    sessions = Counter(q.session_id for q in manifest.questions)
    assert max(sessions.values()) > 1 and len(sessions) < len(manifest.questions)


def test_out_of_order_questions_deliver_the_response_first(manifest):
    first_seen: dict[tuple[str, str | None], int] = {}
    for d in manifest.deliveries:
        first_seen.setdefault((d.kind, d.request_id), d.seq)
    late = [q for q in manifest.questions if q.out_of_order]
    for truth in late:
        assert first_seen[("response", truth.request_id)] < first_seen[("query", truth.request_id)]


def test_deliveries_are_numbered_in_order_and_valid_except_the_malformed(manifest):
    assert [d.seq for d in manifest.deliveries] == list(range(len(manifest.deliveries)))
    for d in manifest.deliveries:
        if d.kind == "malformed":
            assert d.channel == "raw" and d.malformed_reason
            with pytest.raises(InvalidEventError):
                parse_event_json(d.body())
        else:
            parsed = parse_event_json(d.body())
            assert parsed.request_id == d.request_id


def test_duplicates_are_exact_copies_sent_raw(manifest):
    bodies = Counter(d.body() for d in manifest.deliveries if d.kind != "malformed")
    for d in manifest.deliveries:
        if d.duplicate:
            assert d.channel == "raw"
            assert bodies[d.body()] == 2
            json.loads(d.body())


def test_rates_can_switch_the_awkward_cases_off():
    clean = simulate_week(
        WEEK,
        50,
        seed=1,
        rates=Rates(
            unanswered=0, failed=0, orphaned=0, out_of_order=0, duplicate=0,
            malformed_per_question=0, feedback=0,
        ),
    )  # fmt: skip
    assert {q.expected_status for q in clean.questions} == {"answered"}
    assert clean.count(duplicate=True) == 0
    # At least one malformed message always goes in: the quarantine path is part of the demo.
    assert clean.count(kind="malformed") == 1
    assert clean.count(kind="feedback") == 0
    assert clean.count() == 101


def test_at_least_one_question():
    with pytest.raises(ValueError, match="at least 1"):
        simulate_week(WEEK, 0)


# -- the catalogue (data shipped with the package) ---------------------------------------------


def catalogue_data() -> dict:
    return load_catalogue().model_dump(mode="json")


def test_the_shipped_catalogue_is_what_the_weeks_are_drawn_from(manifest):
    catalogue = load_catalogue()
    keys = [topic.key for topic in catalogue.topics]
    assert len(keys) == len(set(keys)) > 5
    assert {q.topic for q in manifest.questions} == set(keys)  # every topic comes up in 400
    queries = {d.event.query for d in manifest.deliveries if d.kind == "query" and d.event}
    phrasings = {p for topic in catalogue.topics for p in topic.phrasings}
    assert any(query in phrasings for query in queries)
    models = {d.event.model for d in manifest.deliveries if d.kind == "response" and d.event}
    assert models == set(catalogue.models)


def test_a_week_can_be_drawn_from_another_catalogue():
    data = catalogue_data()
    data["topics"] = [
        {**data["topics"][0], "key": "rust", "phrasings": ["Do you write Rust?"], "weight": 1}
    ]
    week = simulate_week(WEEK, 30, seed=3, catalogue=Catalogue.model_validate(data))
    assert {q.topic for q in week.questions} == {"rust"}
    assert all(
        "rust" in d.event.query.lower() for d in week.deliveries if d.kind == "query" and d.event
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["topics"][0].update(match_type="maybe"), "topics.0.match_type"),
        (lambda d: d["topics"][1].update(score_range=[90, 10]), "topics.1"),
        (lambda d: d.update(hour_weights=[1.0] * 23), "hour_weights"),
        (lambda d: d.update(openers=[]), "openers"),
        (lambda d: d.update(colours=["red"]), "colours"),
    ],
    ids=["match type", "score range", "hours", "empty list", "unknown key"],
)
def test_a_bad_catalogue_is_refused_naming_the_field(change, field):
    data = catalogue_data()
    change(data)
    with pytest.raises(ValidationError) as refused:
        Catalogue.model_validate(data)
    assert field in str(refused.value)


@pytest.mark.parametrize("kind", [kind for kind, _ in MALFORMED])
def test_every_malformed_kind_breaks_the_contract(kind):
    body = malformed_body(kind, request_id="r-1", session_id="s-1", timestamp=1_790_000_000_000)
    with pytest.raises(InvalidEventError):
        parse_event_json(body)


def _rated(manifest):
    return {
        d.request_id: d.event
        for d in manifest.deliveries
        if d.kind == "feedback" and d.event is not None and not d.duplicate
    }


def test_visitors_rate_some_answers_after_seeing_them(manifest):
    firsts = [d for d in manifest.deliveries if not d.duplicate]
    responses = {d.request_id: d for d in firsts if d.kind == "response"}
    feedback = {d.request_id: d for d in firsts if d.kind == "feedback"}
    rated = [q for q in manifest.questions if q.feedback is not None]
    assert 0.2 < len(rated) / len(manifest.questions) < 0.5
    assert {q.expected_status for q in rated} == {"answered", "failed"}
    assert {q.feedback for q in rated} == {"positive", "negative", "neutral"}
    events = list(_rated(manifest).values())
    assert any(e.thumbs for e in events) and any(e.rating for e in events)
    assert any(e.comment for e in events)
    for truth in rated:
        event = feedback[truth.request_id].event
        assert event.timestamp > responses[truth.request_id].event.timestamp
        assert truth.feedback_sent >= 1
        # Some feedbacks overtake their response on the way to the queue.
        before = feedback[truth.request_id].seq < responses[truth.request_id].seq
        assert before == truth.feedback_first
    assert any(q.feedback_first for q in rated)


def test_two_prompt_variants_and_one_is_clearly_worse(manifest):
    responses = [d.event for d in manifest.deliveries if d.kind == "response" and not d.duplicate]
    by_variant = {
        name: [r for r in responses if r.variant == name and r.error is None]
        for name in ("prompt-a", "prompt-b")
    }
    no_match = {
        name: sum(r.match_type == "none" for r in answers) / len(answers)
        for name, answers in by_variant.items()
    }
    assert no_match["prompt-b"] > no_match["prompt-a"] + 0.15
    opinions = {
        name: [q.feedback for q in manifest.questions if q.variant == name and q.feedback]
        for name in ("prompt-a", "prompt-b")
    }
    positive = {
        name: sum(o == "positive" for o in got) / len(got) for name, got in opinions.items()
    }
    assert positive["prompt-b"] < positive["prompt-a"] - 0.1
    # A visitor stays on one variant for the whole session.
    sessions = {}
    for q in manifest.questions:
        if q.variant:
            assert sessions.setdefault(q.session_id, q.variant) == q.variant


def test_a_failure_spike_is_a_burst_of_mostly_failed_questions():
    spike = Spike(questions=60, day=2, start_minute=14 * 60, minutes=45, failed_share=0.6)
    week = simulate_week(WEEK, 200, seed=4, spike=spike)
    start, end = spike.bounds(week_bounds(WEEK)[0])
    spiked = [q for q in week.questions if q.in_spike]
    assert len(spiked) == 60 and len(week.questions) == 200
    queries = {d.request_id: d.event for d in week.deliveries if d.kind == "query"}
    assert all(start <= queries[q.request_id].timestamp < end for q in spiked)
    failed = sum(q.expected_status == "failed" for q in spiked) / len(spiked)
    assert failed > 0.4
    outside = [q for q in week.questions if not q.in_spike and q.expected_status != "orphaned"]
    assert sum(q.expected_status == "failed" for q in outside) / len(outside) < 0.15
    # Evenly spread: every quarter of an hour of the spike holds a third of its questions.
    quarters = Counter((queries[q.request_id].timestamp - start) // 900_000 for q in spiked)
    assert quarters == {0: 20, 1: 20, 2: 20}


def test_a_spike_must_fit_the_day_and_the_week():
    with pytest.raises(ValueError, match="22:00"):
        Spike(questions=10, start_minute=21 * 60 + 30, minutes=45)
    with pytest.raises(ValueError, match="more questions"):
        simulate_week(WEEK, 10, spike=Spike(questions=11))
