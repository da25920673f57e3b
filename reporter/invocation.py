"""One invocation of the reporter: which week, send it once, say what happened.

Kept apart from :mod:`reporter.app` (the Lambda entry point) and :mod:`reporter.wiring` (which
builds this with real clients), so tests and the fault bench drive it with clients of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import MetricUnit

from reporter.metrics import QUESTIONS_REPORTED, REPORTS_ALREADY_SENT, REPORTS_SENT
from reporter.ports import DeliveryLog, Mailer, RecordSource
from reporter.service import send_weekly_report
from reporter.settings import ReportOptions
from reporter.trigger import parse_trigger


class MetricSink(Protocol):
    def add_metric(self, name: str, unit: MetricUnit, value: float) -> None: ...


@dataclass
class WeeklyReporter:
    source: RecordSource
    mailer: Mailer
    deliveries: DeliveryLog
    options: ReportOptions
    logger: Logger
    metrics: MetricSink

    def handle(self, event: Any, *, now: datetime | None = None) -> dict[str, Any]:
        request = parse_trigger(event, now=now or datetime.now(tz=UTC))
        self.logger.append_keys(week_id=request.week_id)
        delivery = send_weekly_report(
            self.source,
            self.mailer,
            request.week_id,
            self.options,
            deliveries=self.deliveries,
            force=request.force,
        )
        if delivery.sent_now:
            self.metrics.add_metric(name=REPORTS_SENT, unit=MetricUnit.Count, value=1)
            self.metrics.add_metric(
                name=QUESTIONS_REPORTED, unit=MetricUnit.Count, value=delivery.questions
            )
        else:
            self.metrics.add_metric(name=REPORTS_ALREADY_SENT, unit=MetricUnit.Count, value=1)
        self.logger.info(
            "weekly report sent" if delivery.sent_now else "weekly report already sent",
            extra={
                "subject": delivery.subject,
                "message_id": delivery.message_id,
                "recipients": len(self.mailer.recipients),
                "trigger": request.origin,
                "forced": request.force,
            },
        )
        return {
            "weekId": delivery.week_id,
            "subject": delivery.subject,
            "questions": delivery.questions,
            "messageId": delivery.message_id,
            "sentNow": delivery.sent_now,
        }
