"""The dashboard in a real browser (headless Chromium): it loads from a file without a console
error or a single network request, the charts render, and the session explorer finds a session
by its id or its words and shows its questions and answers in order, as text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.sample_week import generate_week
from cv_analytics.data.dashboard import build_dashboard, write_dashboard
from cv_analytics.data.weeks import last_weeks
from reporter.settings import ReportOptions
from tests.support.browser import chromium, missing_browser_reason
from tests.unit.data.records import full_record

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(missing_browser_reason() is not None, reason=str(missing_browser_reason())),
]

WEEKS = last_weeks(6, "2026-W47")
HOSTILE = "<img src=x onerror=alert(1)> do you know Rust?"


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    records = {
        week: list(generate_week(week, questions=250, seed=i)) for i, week in enumerate(WEEKS)
    }
    first = next(r for r in records[WEEKS[-1]] if r.status == "answered")
    session = "sess-browser-test"
    conversation = [
        full_record("req-b1", first.timestamp).model_copy(
            update={"session_id": session, "query": "First: where are you based?", "response": "London."}
        ),
        full_record("req-b2", first.timestamp + 60_000).model_copy(
            update={"session_id": session, "query": HOSTILE, "status": "failed",
                    "error": "LLM request timed out", "response": None}
        ),
    ]  # fmt: skip
    records[WEEKS[-1]] += conversation
    options = ReportOptions.model_validate(
        {"PRICE_PER_MILLION_INPUT_TOKENS": "0.8", "PRICE_PER_MILLION_OUTPUT_TOKENS": "4"}
    )
    data = build_dashboard(WEEKS, ((w, iter(records[w])) for w in WEEKS), options)
    path = tmp_path_factory.mktemp("dashboard") / "dashboard.html"
    write_dashboard(path, data)
    return path, session


@pytest.fixture(scope="module")
def loaded(page_file: tuple[Path, str]) -> Iterator[dict[str, Any]]:
    path, session = page_file
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        problems: list[str] = []
        requests: list[str] = []
        page.on("console", lambda m: problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)  # fmt: skip
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on("dialog", lambda dialog: problems.append(f"dialog: {dialog.message}"))
        page.on("request", lambda request: requests.append(request.url))
        page.goto(path.as_uri())
        page.wait_for_selector("body[data-explorer]", timeout=30_000)
        yield {"page": page, "problems": problems, "requests": requests, "session": session}


def test_the_page_loads_without_errors_or_requests(loaded):
    page = loaded["page"]
    assert page.locator("body").get_attribute("data-explorer") == "ready"
    assert loaded["problems"] == []
    assert [url for url in loaded["requests"] if not url.startswith("file://")] == []


def test_the_charts_render(loaded):
    page = loaded["page"]
    charts = page.locator("svg.chart")
    assert charts.count() == 4
    for index in range(4):
        box = charts.nth(index).bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 100
        # bars and lines were drawn: paths with real geometry
        assert charts.nth(index).locator("path").count() > 10
    names = [charts.nth(i).get_attribute("data-chart") for i in range(4)]
    assert names == ["questions", "rates", "latency", "tokens"]
    assert page.locator("#weekly-table tbody tr").count() == len(WEEKS)
    assert page.locator("#top-questions tbody tr").count() == 10


def test_a_session_is_found_by_its_id_and_read_in_order(loaded):
    page = loaded["page"]
    page.fill("#session-search", loaded["session"])
    results = page.locator("#session-results button")
    results.first.wait_for()
    assert results.count() == 1
    results.first.click()
    turns = page.locator("#conversation .turn")
    assert turns.count() == 2
    assert turns.nth(0).locator(".q").inner_text() == "First: where are you based?"
    assert turns.nth(0).get_attribute("data-status") == "answered"
    assert turns.nth(0).locator(".a").inner_text() == "London."
    assert "match partial" in turns.nth(0).inner_text() and "812 ms" in turns.nth(0).inner_text()
    # what the visitor typed is shown as text, never run
    assert turns.nth(1).locator(".q").inner_text() == HOSTILE
    assert turns.nth(1).get_attribute("data-status") == "failed"
    assert "LLM request timed out" in turns.nth(1).inner_text()
    assert page.locator("#conversation img").count() == 0
    assert loaded["problems"] == []


def test_sessions_are_found_by_the_words_of_their_questions(loaded):
    page = loaded["page"]
    page.fill("#session-search", "salary")
    page.locator("#session-results button").first.wait_for()
    found = page.locator("#session-results button").count()
    assert found > 0
    assert "matching session(s)" in page.locator("#explorer-status").inner_text()
    page.fill("#session-search", "zzzz-no-such-words")
    page.wait_for_function("document.querySelectorAll('#session-results button').length === 0")
    assert page.locator("#explorer-status").inner_text().startswith("0 matching")
