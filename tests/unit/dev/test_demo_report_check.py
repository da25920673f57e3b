"""The demo's report check: the feedback, the variants' difference and the spike must show in
the report built from the week's records (here built from the simulated events with the
processor's own record functions, without AWS), and a report that loses one is caught."""

from __future__ import annotations

import pytest

from cv_analytics.dev.demo.report_check import check_report
from cv_analytics.dev.traffic import Spike, simulate_week
from cv_analytics.dev.traffic.history import new_topics, simulate_history, with_history
from processor.records import complete_record, orphan_record, unanswered_record
from reporter.service import earlier_weeks

WEEK = "2026-W48"
SPIKE = Spike(questions=75, minutes=45)


@pytest.fixture(scope="module")
def week():
    manifest = simulate_week(WEEK, 300, seed=7, spike=SPIKE)
    firsts = {}
    for delivery in manifest.deliveries:
        if delivery.event is not None:
            firsts.setdefault((delivery.kind, delivery.request_id), delivery.event)
    records = []
    for truth in manifest.questions:
        query = firsts.get(("query", truth.request_id))
        response = firsts.get(("response", truth.request_id))
        feedback = firsts.get(("feedback", truth.request_id))
        now = {"now_ms": 0, "ttl_days": 400}
        if truth.expected_status == "orphaned":
            records.append(orphan_record(response, **now))
        elif truth.expected_status == "unanswered":
            records.append(unanswered_record(query, **now))
        else:
            records.append(complete_record(query, response, feedback=feedback, **now))
    return manifest, records


def test_the_report_of_a_simulated_week_shows_all_three(week):
    manifest, records = week
    check = check_report(manifest, records, [], SPIKE)
    assert check.ok, check.problems
    text = "\n".join(check.lines)
    assert text.startswith("feedback   ")
    assert "prompt-b" in text and "(significant, p = " in text
    assert "spike      Wed 25 Nov: " in text


def test_a_report_without_the_feedback_is_caught(week):
    manifest, records = week
    stripped = [r.model_copy(update={"feedback": None}) for r in records]
    check = check_report(manifest, stripped, [], SPIKE)
    assert any(p.startswith("feedback: the report counts 0 rated") for p in check.problems)


def test_a_report_without_the_variants_is_caught(week):
    manifest, records = week
    one_arm = [r.model_copy(update={"variant": None, "model": "m"}) for r in records]
    check = check_report(manifest, one_arm, [], SPIKE)
    assert any(p.startswith("variants: ") for p in check.problems)


def test_a_report_that_loses_the_spike_is_caught(week):
    manifest, records = week
    # The spike's failures recorded as answers: the day no longer stands out.
    spiked = {q.request_id for q in manifest.questions if q.in_spike}
    calm = [
        r.model_copy(update={"status": "answered", "error": None})
        if r.request_id in spiked and r.status == "failed"
        else r
        for r in records
    ]
    check = check_report(manifest, calm, [], SPIKE)
    assert any(p.startswith("spike: ") for p in check.problems)


def _records(manifest):
    """Each week's records, built by the processor's own functions."""
    firsts = {}
    for delivery in manifest.deliveries:
        if delivery.event is not None:
            firsts.setdefault((delivery.kind, delivery.request_id), delivery.event)
    weeks = {}
    now = {"now_ms": 0, "ttl_days": 400}
    for truth in manifest.questions:
        query = firsts.get(("query", truth.request_id))
        response = firsts.get(("response", truth.request_id))
        feedback = firsts.get(("feedback", truth.request_id))
        if truth.expected_status == "orphaned":
            record = orphan_record(response, **now)
        elif truth.expected_status == "unanswered":
            record = unanswered_record(query, **now)
        else:
            record = complete_record(query, response, feedback=feedback, **now)
        weeks.setdefault(truth.week, []).append(record)
    return weeks


@pytest.fixture(scope="module")
def with_weeks_before():
    main = simulate_week(WEEK, 300, seed=7, spike=SPIKE)
    manifest = with_history(main, simulate_history(WEEK, 300, weeks=4, seed=7))
    return manifest, _records(manifest)


def _earlier(weeks, skip=()):
    return [
        r.query
        for week in earlier_weeks(WEEK)
        if week not in skip
        for r in weeks.get(week, [])
        if r.query
    ]


def test_new_this_week_lists_questions_generated_this_week_only(with_weeks_before):
    manifest, weeks = with_weeks_before
    last = earlier_weeks(WEEK)[0]
    check = check_report(
        manifest, weeks[WEEK], weeks[last], SPIKE, earlier_questions=_earlier(weeks)
    )
    assert check.ok, check.problems
    lines = "\n".join(check.lines)
    new = next(line for line in check.lines if line.startswith("new        "))
    # The topics the earlier weeks never asked, derived from the seed, not written here.
    assert all(topic in new for topic in new_topics(7))
    assert " listed traced to questions generated this week only" in new
    assert f"changes    against {last[5:]}: questions " in lines


def test_a_report_that_calls_an_old_question_new_is_caught(with_weeks_before):
    manifest, weeks = with_weeks_before
    # The reporter forgot the earliest three weeks: what only they asked looks new.
    forgetful = _earlier(weeks, skip=earlier_weeks(WEEK)[1:])
    check = check_report(
        manifest, weeks[WEEK], weeks[earlier_weeks(WEEK)[0]], SPIKE, earlier_questions=forgetful
    )
    assert any("is listed as new but was asked in 2026-W4" in p for p in check.problems)


def test_a_report_without_new_this_week_is_caught(with_weeks_before):
    manifest, weeks = with_weeks_before
    last = earlier_weeks(WEEK)[0]
    check = check_report(manifest, weeks[WEEK], weeks[last], SPIKE)
    assert any(p.startswith("new: the report has no 'new this week'") for p in check.problems)


def test_a_report_that_misses_last_weeks_records_is_caught(with_weeks_before):
    manifest, weeks = with_weeks_before
    check = check_report(manifest, weeks[WEEK], [], SPIKE, earlier_questions=_earlier(weeks))
    assert any(p.startswith("changes: 2026-W47 has 0 questions") for p in check.problems)


def test_without_earlier_weeks_both_are_not_judged(week):
    manifest, records = week
    check = check_report(manifest, records, [], SPIKE)
    assert check.ok, check.problems
    assert "new        no earlier weeks simulated: not judged" in check.lines
    assert "changes    2026-W47 not simulated: not judged" in check.lines
