"""The dashboard's content: the reporter's figures week by week, top questions over time by the
reporter's clustering, every session in order; a page that loads nothing from anywhere."""

from __future__ import annotations

import base64
import gzip
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from analytics_contract.records import AnalyticsRecord
from bench.sample_week import generate_week
from cv_analytics.cli import main
from cv_analytics.data.dashboard import build_dashboard, render_dashboard, write_dashboard
from cv_analytics.data.dashboard.model import SESSION_FIELDS, DashboardData
from cv_analytics.data.export import export_records
from cv_analytics.data.weeks import last_weeks
from reporter.aggregate import WeekAggregator
from reporter.settings import ReportOptions
from tests.unit.data.records import full_record
from tests.unit.data.test_export import ListSource

WEEKS = last_weeks(4, "2026-W47")
OPTIONS = ReportOptions.model_validate(
    {"PRICE_PER_MILLION_INPUT_TOKENS": "0.8", "PRICE_PER_MILLION_OUTPUT_TOKENS": "4"}
)
HOSTILE = "<script>alert('x')</script> what is your notice period?"


def _records() -> dict[str, list[AnalyticsRecord]]:
    weeks = {
        week: list(generate_week(week, questions=150 + 25 * i, seed=i))
        for i, week in enumerate(WEEKS)
    }
    last = weeks[WEEKS[-1]]
    first = last[0]
    extra = full_record("req-hostile", first.timestamp + 1).model_copy(
        update={"query": HOSTILE, "session_id": first.session_id, "response": "x" * 1_000}
    )
    last.insert(1, extra)
    return weeks


@pytest.fixture(scope="module")
def records() -> dict[str, list[AnalyticsRecord]]:
    return _records()


@pytest.fixture(scope="module")
def data(records) -> DashboardData:
    return build_dashboard(
        WEEKS, ((week, iter(records[week])) for week in WEEKS), OPTIONS, answer_chars=120
    )


def test_each_weeks_trend_is_the_reporters_figures(data, records):
    for week, trend in zip(WEEKS, data.trends, strict=True):
        expected = WeekAggregator(week, cost=OPTIONS.cost_function).add_all(records[week]).figures()
        assert trend.figures == expected
        assert trend.answer_rate == expected.answered / expected.questions
        assert trend.no_match_rate == expected.match_types["none"] / expected.answered
        assert trend.cost == OPTIONS.cost(expected.input_tokens, expected.output_tokens)
    assert data.records == sum(len(r) for r in records.values())


def test_top_questions_over_time_count_each_week_into_the_periods_clusters(data, records):
    top = data.top_questions
    assert len(top) == 10
    assert [q.total for q in top] == sorted((q.total for q in top), reverse=True)
    for question in top:
        assert len(question.per_week) == len(WEEKS)
        assert sum(question.per_week) == question.total
    # the sample's most popular question, asked in many wordings, leads
    assert top[0].text.lower().startswith("what is your experience with python")
    asked = sum(1 for r in records[WEEKS[0]] if r.query and "python" in r.query.lower()
                and "experience" in r.query.lower())  # fmt: skip
    assert top[0].per_week[0] == pytest.approx(asked, abs=3)


def test_every_session_is_kept_in_time_order_with_answers_cut(data, records):
    hostile_session = records[WEEKS[-1]][0].session_id
    questions = [r for week in WEEKS for r in records[week] if r.status != "orphaned"]
    assert sum(len(lines) for lines in data.sessions.values()) == len(questions)
    for lines in data.sessions.values():
        assert [line.timestamp for line in lines] == sorted(line.timestamp for line in lines)
    hostile = next(line for line in data.sessions[hostile_session] if line.question == HOSTILE)
    assert hostile.answer is not None and len(hostile.answer) <= 121  # 120 and an ellipsis
    assert hostile.feedback == "2/5: too short"
    assert hostile.elapsed_ms == 812.25


def test_the_page_is_self_contained_and_escapes_what_visitors_typed(data):
    html = render_dashboard(data, datetime(2026, 11, 23, 7, tzinfo=UTC))
    assert "default-src 'none'" in html  # the page may load nothing
    without_namespaces = re.sub(r'xmlns(:\w+)?="http://www\.w3\.org/[^"]*"', "", html)
    assert "http://" not in without_namespaces and "https://" not in without_namespaces
    assert not re.search(r"<(script|img|link|iframe)[^>]+(src|href)=", html)
    assert "@import" not in html and not re.search(r"url\((?!#)", html)  # url(#id) stays inside
    assert html.count("<svg") == 4
    assert "<script>alert(" not in html  # what a visitor typed is text, never markup


def test_the_sessions_travel_packed_in_the_page(data):
    html = render_dashboard(data)
    packed = re.search(
        r'<script id="sessions-data" type="application/octet-stream">([^<]*)</script>', html
    )
    assert packed
    document = json.loads(gzip.decompress(base64.b64decode(packed.group(1))))
    sessions = dict(document["sessions"])
    assert sessions.keys() == data.sessions.keys()
    some_id, lines = next(iter(data.sessions.items()))
    assert sessions[some_id] == [line.compact() for line in lines]
    assert len(sessions[some_id][0]) == len(SESSION_FIELDS)


def test_the_command_renders_from_exported_files(tmp_path: Path, records, capsys):
    every = [r for week in WEEKS for r in records[week]]
    exported = tmp_path / "records.parquet"
    export_records(ListSource(every), WEEKS, exported, "parquet")
    out = tmp_path / "dash.html"
    code = main(["dashboard", "--weeks", "4", "--to", WEEKS[-1], "--data", str(exported),
                 "--out", str(out)])  # fmt: skip
    assert code == 0
    assert f"wrote {out}" in capsys.readouterr().out
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and WEEKS[0] in html and WEEKS[-1] in html


def test_write_is_complete_or_nothing(tmp_path: Path, data):
    path = tmp_path / "d" / "dashboard.html"
    size = write_dashboard(path, data)
    assert path.stat().st_size == size
    assert [p.name for p in path.parent.iterdir()] == ["dashboard.html"]
