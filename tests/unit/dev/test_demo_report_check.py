"""The demo's report check: the feedback, the variants' difference and the spike must show in
the report built from the week's records (here built from the simulated events with the
processor's own record functions, without AWS), and a report that loses one is caught."""

from __future__ import annotations

import pytest

from cv_analytics.dev.demo.report_check import check_report
from cv_analytics.dev.traffic import Spike, simulate_week
from processor.records import complete_record, orphan_record, unanswered_record

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
