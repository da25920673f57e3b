"""The demo, end to end on the shared moto server: its balance and the report's headline numbers
are checked against what the simulator generated."""

from __future__ import annotations

import shutil
from collections import Counter

import pytest

from analytics_contract import week_bounds
from cv_analytics.dev.demo import DemoOptions, run_demo
from cv_analytics.infra import hcl

pytestmark = pytest.mark.integration

#: Enough for the spike to fill the quality alarm's periods (3 x 25 questions, a third of the
#: week) and for the prompt variants' difference to be tested (20 answers a side at least).
QUESTIONS = 225
SEED = 5
#: One earlier week (the demo's default is 4) is enough for the comparison with last week and
#: "new this week", and keeps the test quick.
HISTORY_WEEKS = 1


@pytest.fixture(scope="module")
def demo(local_aws, tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    options = DemoOptions(
        questions=QUESTIONS,
        seed=SEED,
        out_dir=out,
        provisioner="boto3",
        progress=False,
        history_weeks=HISTORY_WEEKS,
    )
    return run_demo(options, aws=local_aws)


def test_every_event_sent_ends_in_exactly_one_place(demo):
    manifest, balance = demo.manifest, demo.balance
    assert demo.ok, demo.problems
    assert (
        balance.sent() == len(manifest.deliveries) == demo.sent.through_edge_client + demo.sent.raw
    )
    assert balance.placed("missing") == 0
    # Per event kind: queries land in their question's record, responses complete one (or become
    # an orphan's), malformed messages are quarantined with their reason.
    queries = manifest.count(kind="query")
    assert sum(balance.placed(p, "query") for p in ("answered", "failed", "unanswered")) == queries
    responses = manifest.count(kind="response")
    assert (
        sum(balance.placed(p, "response") for p in ("answered", "failed", "orphaned")) == responses
    )
    assert balance.placed("quarantined", "malformed") == manifest.count(kind="malformed") >= 1
    assert balance.placed("waiting") == 0  # the TTL stand-in ran
    assert sum(balance.duplicates.values()) == manifest.count(duplicate=True)


def test_each_question_has_the_record_it_should(demo):
    expected = Counter(q.expected_status for q in demo.manifest.questions)
    recorded = Counter(q.recorded for q in demo.balance.questions)
    assert recorded == expected
    assert set(expected) == {"answered", "failed", "unanswered", "orphaned"}
    assert all(q.ok for q in demo.balance.questions)
    assert demo.waiting_before_expiry == expected["orphaned"] == demo.expired.expired


def test_the_report_headline_matches_what_was_generated(demo):
    statuses = Counter(q.expected_status for q in demo.manifest.of_week())
    headline = {h.name: h.reported for h in demo.headlines}
    assert headline == {
        "questions": statuses["answered"] + statuses["failed"] + statuses["unanswered"],
        "answered": statuses["answered"],
        "unanswered": statuses["unanswered"],
        "failed": statuses["failed"],
        "orphaned": statuses["orphaned"],
    }
    assert demo.reporter_response["questions"] == headline["questions"]
    assert demo.reporter_response["weekId"] == demo.week


def test_the_email_sent_through_ses_is_written_out(demo):
    html, text, eml = demo.report_paths
    assert demo.email.message_id == demo.reporter_response["messageId"]
    assert demo.email.subject == demo.reporter_response["subject"]
    assert html.read_text(encoding="utf-8") == demo.email.html
    assert demo.week in demo.email.subject
    body = text.read_text(encoding="utf-8")
    assert demo.week in body and "unanswered" in body
    assert b"multipart/alternative" in eml.read_bytes()
    assert "DEMO OK" in demo.summary
    assert "Balance OK" in (html.parent / "balance.txt").read_text(encoding="utf-8")
    assert (html.parent / "manifest.json").stat().st_size > 0
    # What the functions printed went to the log file, not the terminal.
    logs = (html.parent / "lambda-logs.jsonl").read_text(encoding="utf-8")
    assert '"service":"processor"' in logs.replace(" ", "")


@pytest.mark.infra
@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")
def test_the_demo_on_resources_applied_by_terraform(local_aws, tmp_path):
    result = run_demo(
        DemoOptions(
            questions=30,
            seed=2,
            out_dir=tmp_path / "out",
            provisioner="terraform",
            progress=False,
            terraform_dir=tmp_path / "terraform",
            history_weeks=0,
        ),
        aws=local_aws,
    )
    assert result.resources.provisioner == "terraform"
    assert result.ok, result.problems
    assert result.balance.placed("missing") == 0


def test_the_report_counts_the_tokens_the_chatbot_reported(demo):
    """Every field the report shows must come from a producer: tokens travel from the edge client
    through the processor's record to the email (duplicates counted once, orphans included)."""
    week = {q.request_id for q in demo.manifest.of_week()}
    responses = [
        d.event
        for d in demo.manifest.deliveries
        if d.kind == "response" and not d.duplicate and d.event is not None and d.request_id in week
    ]
    tokens_in = sum(r.tokens.input for r in responses if r.tokens is not None)
    tokens_out = sum(r.tokens.output for r in responses if r.tokens is not None)
    assert tokens_in > 0
    _, text, _ = demo.report_paths
    assert f"{tokens_in:,} in · {tokens_out:,} out" in text.read_text(encoding="utf-8")


def test_the_demo_exports_answers_a_named_query_and_writes_the_dashboard(demo):
    """`make demo` ends with data out: the week's records as Parquet, a named query answered on
    them (the same counts as the report), the dashboard, and where each is."""
    products = demo.data
    assert products is not None
    assert products.export.is_file() and products.records == sum(
        h.generated for h in demo.headlines if h.name in ("questions", "orphaned")
    )
    trend = products.result.records()
    assert [row["week"] for row in trend] == [demo.week]
    headline = {h.name: h.reported for h in demo.headlines}
    assert trend[0]["questions"] == headline["questions"]
    assert trend[0]["unanswered"] == headline["unanswered"]
    html = products.dashboard.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and demo.week in html
    assert f"dashboard  {products.dashboard}" in demo.summary
    assert "query      weekly-trend on DuckDB" in demo.summary


def test_the_report_shows_the_feedback_the_variants_and_the_spike(demo):
    check = demo.report_check
    assert check is not None and check.ok, check.problems if check else None
    lines = "\n".join(check.lines)
    assert "feedback   " in lines and " positive: " in lines
    assert "prompt-b" in lines and "prompt-a" in lines and "(significant, p = " in lines
    assert "spike      Wed " in lines
    text = demo.report_paths[1].read_text(encoding="utf-8")
    assert "WHAT VISITORS THOUGHT" in text and "MODELS AND PROMPT VARIANTS" in text
    assert "prompt-b" in text
    rated = [q for q in demo.manifest.questions if q.feedback is not None]
    assert rated and any(q.feedback_first for q in rated)
    spike_day = [line for line in text.splitlines() if line.startswith("  Wed ")]
    failed = sum(q.in_spike and q.expected_status == "failed" for q in demo.manifest.questions)
    assert failed >= 20 and spike_day and spike_day[0].endswith(" failed")


def test_the_quality_alarm_fires_on_failures_in_the_spike_and_not_in_a_quiet_period(demo):
    check = demo.alarm_check
    assert check is not None
    if hcl.hcl2tojson_binary() is None:
        assert check.lines[0].startswith("not evaluated: hcl2tojson")
        pytest.skip("hcl2tojson (checkov tool venv) is not installed")
    assert check.ok, check.problems
    failure = check.evaluations["answer-quality"]
    spike_start, spike_end = demo.spike.bounds(week_bounds(demo.week)[0])
    alarming = [p.start_ms for p in failure.alarming()]
    assert alarming and spike_start <= alarming[0] < spike_end
    in_spike = [p for p in failure.periods if spike_start <= p.start_ms < spike_end]
    assert any("failure-rate" in p.crossed(failure.alarm) for p in in_spike)
    window = failure.alarm.evaluation_periods * failure.alarm.period_seconds * 1000
    assert all(spike_start <= at < spike_end + window for at in alarming)
    quiet = [p for p in failure.periods if p.start_ms < spike_start - window]
    assert quiet and all(p.state == "OK" for p in quiet)
    assert max(p.inputs["questions"] or 0 for p in quiet) > 0  # there was traffic, calmly
    assert "quiet " in "\n".join(check.lines) and "Quality alarms" in demo.summary


def test_the_weeks_before_go_through_the_pipeline_and_the_report_compares_with_them(demo):
    """The earlier week's events are in the balance (every one accounted for), and the report of
    the week lists the questions new this week and its changes against last week."""
    manifest = demo.manifest
    assert len(manifest.history_weeks) == HISTORY_WEEKS
    earlier = [q for q in manifest.questions if q.week in manifest.history_weeks]
    assert earlier and len(earlier) + len(manifest.of_week()) == len(manifest.questions)
    assert len(demo.balance.questions) == len(manifest.questions) and demo.balance.ok
    check = demo.report_check
    assert check is not None and check.ok, check.problems if check else None
    lines = "\n".join(check.lines)
    assert "new        " in lines and "not judged" not in lines
    last = manifest.history_weeks[-1][5:]
    assert f"changes    against {last}: questions " in lines
    text = demo.report_paths[1].read_text(encoding="utf-8")
    assert "NEW THIS WEEK" in text and f"vs {last}" in text
    assert "identical to the sent one" in demo.summary
