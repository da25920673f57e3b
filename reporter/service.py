"""The reporter's use cases, free of Lambda and SES specifics.

* :func:`build_report`: aggregate a week (and the week before, for the comparison) into the view;
* :func:`render_report`: the view as an email (subject, HTML part, text part);
* :func:`report_for_week`: both, reading the weeks from the analytics table;
* :func:`send_weekly_report`: render and send.

The operator CLI and the preview call the first three; the Lambda handler calls the last.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from analytics_contract.records import AnalyticsRecord
from analytics_contract.weeks import parse_week_id, previous_week
from reporter.aggregate import WeekAggregator, WeekFigures
from reporter.mailer import ReportMailer
from reporter.render import RenderedReport, render_report
from reporter.repository import AnalyticsTable, WeekRecords
from reporter.settings import ReportOptions
from reporter.view import ReportView, build_view

__all__ = [
    "RenderedReport",
    "SentReport",
    "aggregate",
    "build_report",
    "render_report",
    "report_for_week",
    "send_weekly_report",
]


@dataclass(frozen=True)
class SentReport:
    week_id: str
    subject: str
    questions: int
    message_id: str


def aggregate(week_id: str, records: Iterable[AnalyticsRecord]) -> WeekFigures:
    """One streaming pass over ``records``; counts items the repository could not read."""
    aggregator = WeekAggregator(week_id).add_all(records)
    if isinstance(records, WeekRecords):
        aggregator.unreadable = records.unreadable
    return aggregator.figures()


def build_report(
    records: Iterable[AnalyticsRecord],
    week_id: str,
    previous_week_records: Iterable[AnalyticsRecord],
    options: ReportOptions | None = None,
    *,
    generated_at: datetime | None = None,
) -> ReportView:
    """The report of ``week_id`` from its records and those of the week before (any iterables,
    consumed once: a :class:`WeekRecords`, a generator, a list)."""
    parse_week_id(week_id)
    current = aggregate(week_id, records)
    previous = aggregate(previous_week(week_id), previous_week_records)
    return build_view(current, previous, options or ReportOptions(), generated_at=generated_at)


def report_for_week(
    table: AnalyticsTable,
    week_id: str,
    options: ReportOptions | None = None,
    *,
    generated_at: datetime | None = None,
) -> RenderedReport:
    """Read ``week_id`` and the week before from the analytics table and render the email."""
    view = build_report(
        table.week(week_id),
        week_id,
        table.week(previous_week(week_id)),
        options,
        generated_at=generated_at,
    )
    return render_report(view)


def send_weekly_report(
    table: AnalyticsTable,
    mailer: ReportMailer,
    week_id: str,
    options: ReportOptions | None = None,
) -> SentReport:
    """Report ``week_id`` by email (also when it had no questions: a short email says so)."""
    report = report_for_week(table, week_id, options)
    message_id = mailer.send(report)
    return SentReport(week_id, report.subject, report.questions, message_id)
