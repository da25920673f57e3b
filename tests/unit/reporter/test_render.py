"""The rendered email: escaping, shortening, empty weeks, subject, both parts."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from html.parser import HTMLParser

import pytest

from analytics_contract.records import AnalyticsRecord
from reporter.render import RenderedReport, render_report
from reporter.service import build_report
from reporter.settings import ReportOptions
from tests.unit.reporter.helpers import make_record, ms

WEEK, PREVIOUS = "2025-W46", "2025-W45"
GENERATED = datetime(2025, 11, 17, 7, 0, tzinfo=UTC)
HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "{{#x}}boom{{/x}}",
    "{{subject}}",
    "{{{triple}}} {{&amp}} {{> partial}} {{! comment}}",
    "{{=<% %>=}} <%subject%>",
    "</td></tr></table><script>alert('x')</script>",
    "Quotes \" and ' & ampersands &amp; stay",
]
ALLOWED_TAGS = {
    "html",
    "head",
    "meta",
    "title",
    "body",
    "div",
    "table",
    "tr",
    "td",
    "p",
    "h2",
    "strong",
    "span",
    "br",
}


class Page(HTMLParser):
    """Collects tags, attributes and text as a browser would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


def render(
    records: list[AnalyticsRecord],
    previous: list[AnalyticsRecord] | None = None,
    options: ReportOptions | None = None,
) -> RenderedReport:
    return render_report(
        build_report(records, WEEK, previous or [], options, generated_at=GENERATED)
    )


def hostile_week() -> list[AnalyticsRecord]:
    tuesday = ms(2025, 11, 11, 10)
    records = []
    for i, text in enumerate(HOSTILE):
        records += [make_record(tuesday + i, query=text, session_id=f"s-{i}") for _ in range(2)]
        records.append(make_record(tuesday + i, query=text, match_type="none", match_score=5.0))
        records.append(make_record(tuesday + i, "unanswered", query=text))
        records.append(make_record(tuesday + i, "failed", query=text, error=f"error: {text}"))
    return records


def test_hostile_text_shows_literally_in_the_html_part() -> None:
    report = render(hostile_week())
    page = parse(report.html)
    assert page.tags <= ALLOWED_TAGS, page.tags - ALLOWED_TAGS
    assert not {a for a in page.attributes if a.startswith("on") or a in ("src", "href")}
    visible = "\n".join(page.text)
    for text in HOSTILE:
        assert text in visible, text
    for text in HOSTILE[-5:]:  # the failures listed: the five latest
        assert f"error: {text}" in visible
    assert "<script" not in report.html and "<img" not in report.html
    assert "boom" in visible and "{{#x}}boom{{/x}}" in visible


def test_hostile_text_shows_literally_in_the_text_part() -> None:
    report = render(hostile_week())
    for text in HOSTILE:
        assert text in report.text, text
    for text in HOSTILE[-5:]:
        assert f"error: {text}" in report.text
    assert "&lt;" not in report.text and "&quot;" not in report.text
    assert (
        report.subject in report.text.splitlines()[0] or "2025-W46" in report.text.splitlines()[0]
    )


def test_data_is_never_rendered_as_a_template() -> None:
    report = render([make_record(ms(2025, 11, 12), query="{{subject}}")])
    assert report.html.count(report.subject) == 1  # only in <title>
    assert "{{subject}}" in report.html and "{{subject}}" in report.text


def test_long_questions_are_shortened_in_both_parts() -> None:
    long = "Could you tell me " + "really " * 60 + "everything?"
    report = render([make_record(ms(2025, 11, 12), query=long)])
    html_text = " ".join(" ".join(parse(report.html).text).split())
    for part in (html_text, " ".join(report.text.split())):
        assert long not in part
        shown = re.search(r"Could you tell me [^\u2026]*\u2026", part)
        assert shown is not None
        assert len(shown.group()) <= 141
        assert long.startswith(shown.group()[:-1])
    assert long not in report.html


def test_questions_at_the_limit_are_not_shortened() -> None:
    exact = "x" * 140
    report = render([make_record(ms(2025, 11, 12), query=exact)])
    html_text = "".join(parse(report.html).text)
    text = "".join(report.text.split())  # the text part wraps long lines
    for part in (html_text, text):
        assert exact in part and exact + "x" not in part and exact + "\u2026" not in part


def test_control_characters_do_not_reach_the_text_part() -> None:
    report = render([make_record(ms(2025, 11, 12), query="hi\x1b[2J\x1b[31m there\u202e")])
    assert "\x1b" not in report.text and "\u202e" not in report.text
    assert "hi [2J [31m there" in report.text


def test_an_empty_week_still_makes_a_short_email() -> None:
    previous = [make_record(ms(2025, 11, 4)) for _ in range(3)]
    report = render([], previous)
    assert report.subject == "Chatbot analytics 2025-W46: no questions"
    assert report.questions == 0
    for part in (report.text, "".join(parse(report.html).text)):
        assert "No questions this week." in part
        assert "2025-W45 had 3 questions." in part
        assert "Top questions" not in part and "TOP QUESTIONS" not in part


@pytest.mark.parametrize(
    ("current", "previous", "subject"),
    [
        (1234, 1102, "Chatbot analytics 2025-W46: 1,234 questions (+12%)"),
        (95, 100, "Chatbot analytics 2025-W46: 95 questions (-5%)"),
        (100, 100, "Chatbot analytics 2025-W46: 100 questions (\u00b10%)"),
        (1, 0, "Chatbot analytics 2025-W46: 1 question"),
    ],
)
def test_the_subject_names_the_week_and_the_headline_number(
    current: int, previous: int, subject: str
) -> None:
    this_week = [make_record(ms(2025, 11, 12) + i) for i in range(current)]
    last_week = [make_record(ms(2025, 11, 5) + i) for i in range(previous)]
    assert render(this_week, last_week).subject == subject


def test_the_report_shows_the_figures_in_both_parts() -> None:
    wednesday = ms(2025, 11, 12, 14)
    records = [
        make_record(
            wednesday,
            session_id="a",
            match_type="full",
            match_score=90.0,
            processing_time_ms=800.0,
            tokens={"input": 1_500_000, "output": 100_000},
        ),
        make_record(
            wednesday + 1,
            session_id="a",
            match_type="partial",
            match_score=60.0,
            processing_time_ms=2_000.0,
        ),
        make_record(
            wednesday + 2,
            session_id="b",
            query="Salary?",
            match_type="none",
            match_score=3.0,
            processing_time_ms=1_200.0,
        ),
        make_record(wednesday + 3, "unanswered", session_id="c", query="Still waiting?"),
        make_record(wednesday + 4, "orphaned"),
    ]
    previous = [make_record(ms(2025, 11, 5), session_id="z", match_score=80.0)]
    options = ReportOptions(
        price_per_million_input_tokens=Decimal("0.80"),
        price_per_million_output_tokens=Decimal("4"),
        currency="EUR",
    )
    report = render(records, previous, options)
    html_text = " ".join(" ".join(parse(report.html).text).split())
    for part in (html_text, report.text):
        assert "Wed 12 Nov" in part
        assert "14:00\u201315:00 UTC" in part
        assert "33.3%" in part  # each match type: one of three answered
        assert "+300% vs W45 (1)" in part  # questions 4 against 1
        assert "+200% vs W45 (1)" in part  # sessions 3 against 1
        assert "51.0" in part  # mean score (90 + 60 + 3) / 3
        assert "-29.0 pts vs W45 (80.0)" in part
        assert "1.60 EUR" in part  # 1.5M input tokens at 0.80/M (1.20) + 100k output at 4/M (0.40)
        assert "Salary?" in part and "Still waiting?" in part
        assert "1 orphaned response" in part
    assert "LLM cost" not in render(records, previous).text


def test_the_html_part_is_email_safe() -> None:
    html = render(hostile_week()).html
    assert "<style" not in html.lower() and "<script" not in html.lower()
    assert "http://" not in html and "https://" not in html  # no external images or fonts
    assert 'name="viewport"' in html


@pytest.mark.parametrize(
    ("week", "shown"),
    [
        ("2025-W46", "10\u201316 November 2025"),
        ("2025-W40", "29 Sep \u2013 5 Oct 2025"),
        ("2026-W01", "29 Dec 2025 \u2013 4 Jan 2026"),
        ("2026-W53", "28 Dec 2026 \u2013 3 Jan 2027"),
    ],
)
def test_the_week_is_named_with_its_dates(week: str, shown: str) -> None:
    report = render_report(build_report([], week, [], generated_at=GENERATED))
    assert shown in report.text.splitlines()[0]
    assert f"Week {week}" in report.html and shown in report.html


def quality_week() -> list[AnalyticsRecord]:
    """Two prompt variants, 60 answers each: v2 rarely finds nothing, v1 often; some ratings."""
    monday = ms(2025, 11, 10, 9)
    records = []
    for i in range(60):
        for variant, none_every in (("prompt-v1", 2), ("prompt-v2", 12)):
            none = i % none_every == 0
            records.append(
                make_record(
                    monday + i * 60_000,
                    model="model-a",
                    variant=variant,
                    query=f"Hi, where are you based? {'thanks' if i % 2 else ''}",
                    match_type="none" if none else "full",
                    match_score=5.0 if none else 90.0,
                    feedback=(
                        {
                            "timestamp": monday + i * 60_000 + 5_000,
                            "thumbs": "down",
                            "comment": "<b>Useless</b> & wrong",
                        }
                        if none and i % 4 == 0
                        else {"timestamp": monday + i * 60_000 + 5_000, "rating": 5}
                        if i % 3 == 0
                        else None
                    ),
                )
            )
    return records


def test_feedback_comparison_and_clusters_show_in_both_parts() -> None:
    report = render(quality_week())
    page = parse(report.html)
    visible = "\n".join(page.text)
    for part in (visible, report.text):
        assert "positive" in part and "Lowest rated" in part
        assert "<b>Useless</b> & wrong" in part  # shown literally, escaped in the HTML
        assert "model-a" in part and "prompt-v1" in part and "prompt-v2" in part
        assert "significant" in part
        assert "2 wordings" in part  # "where are you based" with and without "thanks"
    assert "<b>" not in report.html
    no_match = next(
        line for line in report.text.splitlines() if "No match" in line and "pts" in line
    )
    assert "* significant" in no_match


def test_new_this_week_lists_clusters_not_asked_before() -> None:
    records = [
        make_record(ms(2025, 11, 11), query="Where are you based?"),
        make_record(ms(2025, 11, 11), query="Do you speak German?"),
    ]
    view = build_report(
        records,
        WEEK,
        [],
        earlier_questions=iter(["Hi, where are you based? thanks"]),
        generated_at=GENERATED,
    )
    assert view.has_new_questions
    assert [row.text for row in view.new_questions] == ["Do you speak German?"]
    report = render_report(view)
    assert "NEW THIS WEEK" in report.text and "New this week" in report.html
    without_history = build_report(records, WEEK, [], generated_at=GENERATED)
    assert not without_history.has_new_questions


def test_the_days_show_when_answers_failed_in_both_parts() -> None:
    monday, wednesday = ms(2025, 11, 10, 9), ms(2025, 11, 12, 14)
    records = [make_record(monday + i) for i in range(5)]
    records += [make_record(monday + 10, "failed")]
    records += [make_record(wednesday + i, "failed") for i in range(7)]
    records += [make_record(wednesday + 100 + i) for i in range(3)]
    report = render(records)
    days = [line for line in report.text.splitlines() if re.match(r"\s+(Mon|Tue|Wed) ", line)]
    assert days[0].startswith("  Mon 10 Nov") and days[0].endswith("1 failed")
    assert days[1].startswith("  Tue 11 Nov") and "failed" not in days[1]
    assert days[2].startswith("  Wed 12 Nov") and days[2].endswith("7 failed")
    # The note starts in one column whatever the bar's length.
    assert days[0].index("1 failed") == days[2].index("7 failed")
    page = " ".join(parse(report.html).text)
    assert "\u00b7 7 failed" in page and "\u00b7 1 failed" in page
