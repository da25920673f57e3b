"""The reporter's use cases, typed against the domain's ports (:mod:`reporter.ports`) only.

* :func:`aggregate`: a week's figures from its records;
* :func:`build_report`: a week (with the week before, for the comparison, and the questions of
  the weeks before that, for "new this week") as the view;
* :func:`report_for_week`: the email (subject, HTML, text) of a week read from a record source;
* :func:`send_weekly_report`: the email of a week, sent once (the delivery log remembers it).

The operator CLI and the preview call the first three; the Lambda handler calls the last.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from datetime import datetime

from analytics_contract.records import AnalyticsRecord
from analytics_contract.weeks import parse_week_id, previous_week
from reporter.aggregate import WeekAggregator
from reporter.deliveries import NoDeliveryLog
from reporter.figures import WeekFigures
from reporter.ports import Delivery, DeliveryLog, Mailer, RecordSource
from reporter.render import RenderedReport, render_report
from reporter.settings import ReportOptions
from reporter.view import ReportView, build_view

__all__ = [
    "HISTORY_WEEKS",
    "RenderedReport",
    "SentReport",
    "aggregate",
    "build_report",
    "earlier_weeks",
    "render_report",
    "report_for_week",
    "send_weekly_report",
]

#: "New this week" compares a week's questions with those of this many weeks before it.
HISTORY_WEEKS = 4
#: What :func:`send_weekly_report` returns (kept under its earlier name for callers).
SentReport = Delivery


def earlier_weeks(week_id: str, count: int = HISTORY_WEEKS) -> list[str]:
    """The ``count`` ISO weeks before ``week_id``, most recent first."""
    weeks = [previous_week(week_id)]
    while len(weeks) < count:
        weeks.append(previous_week(weeks[-1]))
    return weeks


def aggregate(
    week_id: str,
    records: Iterable[AnalyticsRecord],
    options: ReportOptions | None = None,
    *,
    unreadable: int = 0,
    earlier_questions: Iterable[str] | None = None,
    history_weeks: int = 0,
) -> WeekFigures:
    """One streaming pass over ``records``; ``unreadable``: items the source could not read."""
    aggregator = WeekAggregator(week_id, cost=(options or ReportOptions()).cost_function)
    aggregator.add_all(records)
    aggregator.unreadable = unreadable
    return aggregator.figures(earlier_questions, history_weeks=history_weeks)


def build_report(
    records: Iterable[AnalyticsRecord],
    week_id: str,
    previous_week_records: Iterable[AnalyticsRecord],
    options: ReportOptions | None = None,
    *,
    earlier_questions: Iterable[str] | None = None,
    unreadable: int = 0,
    generated_at: datetime | None = None,
) -> ReportView:
    """The report of ``week_id`` from its records and those of the week before (any iterables,
    consumed once: a repository reading, a generator, a list). ``earlier_questions``: the
    questions of the :data:`HISTORY_WEEKS` weeks before, for "new this week" (none given: the
    section is left out)."""
    parse_week_id(week_id)
    options = options or ReportOptions()
    current = aggregate(
        week_id,
        records,
        options,
        unreadable=unreadable,
        earlier_questions=earlier_questions,
        history_weeks=HISTORY_WEEKS,
    )
    previous = aggregate(previous_week(week_id), previous_week_records, options)
    return build_view(current, previous, options, generated_at=generated_at)


def _questions_of(source: RecordSource, weeks: list[str]) -> Iterator[str]:
    return itertools.chain.from_iterable(source.questions(week) for week in weeks)


def report_for_week(
    source: RecordSource,
    week_id: str,
    options: ReportOptions | None = None,
    *,
    generated_at: datetime | None = None,
) -> RenderedReport:
    """Read ``week_id``, the week before and the questions of the weeks before that from
    ``source``, and render the email."""
    parse_week_id(week_id)
    reading = source.week(week_id)
    earlier = earlier_weeks(week_id)
    options = options or ReportOptions()
    aggregator = WeekAggregator(week_id, cost=options.cost_function).add_all(reading)
    aggregator.unreadable = reading.unreadable
    current = aggregator.figures(_questions_of(source, earlier), history_weeks=len(earlier))
    previous = aggregate(earlier[0], source.week(earlier[0]), options)
    return render_report(build_view(current, previous, options, generated_at=generated_at))


def send_weekly_report(
    source: RecordSource,
    mailer: Mailer,
    week_id: str,
    options: ReportOptions | None = None,
    *,
    deliveries: DeliveryLog | None = None,
    force: bool = False,
) -> Delivery:
    """Email the report of ``week_id`` once (also when it had no questions: a short email says
    so). A week already in the delivery log is not sent again (``sent_now`` is ``False``) unless
    ``force``; an uncertain earlier attempt raises
    :class:`~reporter.ports.DeliveryUncertain`."""
    log = deliveries or NoDeliveryLog()
    if force:
        log.forget(week_id)
    else:
        done = log.recorded(week_id)  # a retry after success reads nothing more
        if done is not None:
            return done
    # Rendered before the log marks the week "in progress": that mark then spans the SES call
    # alone, so only a failure around the send itself can leave the outcome unknown.
    report = report_for_week(source, week_id, options)

    def send() -> Delivery:
        message_id = mailer.send(report)
        return Delivery(week_id, message_id, report.subject, report.questions, sent_now=True)

    return log.deliver_once(week_id, send)
