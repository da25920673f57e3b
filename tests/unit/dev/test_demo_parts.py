"""Small pieces of the demo: the schedule's event, reading a sent email, progress lines."""

from __future__ import annotations

import io
from email.message import EmailMessage

import pytest

from cv_analytics.dev.demo.email import _from_mime, _from_simple
from cv_analytics.dev.demo.pipeline import scheduled_event
from cv_analytics.dev.demo.progress import Progress
from reporter.trigger import week_for_event


@pytest.mark.parametrize(
    ("week", "fired"),
    [
        ("2026-W47", "2026-11-23T07:00:00Z"),
        ("2026-W53", "2027-01-04T07:00:00Z"),  # the ISO year's last week ends in January
        ("2025-W01", "2025-01-06T07:00:00Z"),  # ...and its first starts in December
    ],
)
def test_the_scheduled_event_is_monday_7am_after_the_week_and_reports_that_week(week, fired):
    event = scheduled_event(week, region="eu-west-2", rule_arn="arn:aws:events:r")
    assert event["time"] == fired
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["resources"] == ["arn:aws:events:r"]
    # The reporter reads it the way it reads the real schedule's event.
    assert week_for_event(event) == week


def test_a_raw_mime_email_gives_both_parts():
    message = EmailMessage()
    message["Subject"] = "Weekly report"
    message["From"] = "reports@example.com"
    message["To"] = "owner@example.com"
    message.set_content("plain body\n")
    message.add_alternative("<p>html body</p>", subtype="html")
    sent = _from_mime("id-1", "reports@example.com", ("owner@example.com",), message.as_string())
    assert sent.subject == "Weekly report"
    assert sent.text == "plain body\n"
    assert sent.html is not None
    assert sent.html.strip() == "<p>html body</p>"


def test_a_simple_email_keeps_the_part_moto_stored():
    html = _from_simple({"id": "1", "source": "a@b.c", "subject": "s", "body": "<html></html>",
                         "destinations": {"ToAddresses": ["x@y.z"]}})  # fmt: skip
    assert (html.html, html.text, html.destinations) == ("<html></html>", None, ("x@y.z",))
    text = _from_simple({"id": "2", "source": "a@b.c", "subject": "s", "body": "just text"})
    assert (text.html, text.text) == (None, "just text")


def test_progress_prints_each_step_of_percent_once():
    stream = io.StringIO()
    counter = Progress(stream).counter("sending", 10, every=50)
    for _ in range(10):
        counter.add()
    lines = stream.getvalue().splitlines()
    assert [line.split("] ")[1] for line in lines] == [
        "sending: 50% (5/10)",
        "sending: 100% (10/10)",
    ]
    quiet = io.StringIO()
    Progress(quiet, enabled=False).say("nothing")
    assert quiet.getvalue() == ""
