"""Reliability of the weekly email: faults at every AWS call of the reporter, bad trigger events.

Each scenario runs the real handler path (:class:`reporter.invocation.WeeklyReporter` built by
:func:`reporter.wiring.build_reporter`) against moto in-process, with a fault injected at one
call site, the way AWS would retry it: an asynchronous invocation (the EventBridge schedule) is
tried up to three times, a duplicated delivery runs the whole thing twice. Call sites: SES
``SendEmail``, the analytics table's ``Query`` (the read), and the idempotency table's
``PutItem``/``GetItem``/``UpdateItem``/``DeleteItem`` (the delivery log). Fault kinds:

* ``transient``: the call fails once, with a server error, then works;
* ``persistent``: it fails every time;
* ``crash after success``: the call takes effect, then its answer is lost (a read timeout);
* ``throttling``: throttled twice, then works;
* ``duplicate``: no fault, the invocation is delivered twice (and a third time concurrently with
  an unfinished first one: an in-progress record).

The balance that must hold: exactly one email for the week, or none and a failed invocation (which
the reporter's error alarm sees); never two. Then bad trigger events are fed to the handler: each
must fail with a message naming what is wrong, and send nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.exceptions import ReadTimeoutError
from moto import mock_aws
from moto.backends import get_backend
from moto.core.models import DEFAULT_ACCOUNT_ID, botocore_stubber

from bench.reliability import Section
from reporter.deliveries import table_definition

REGION = "eu-west-2"
TABLE = "faults-analytics"
IDEMPOTENCY = "faults-reporter-idempotency"
SENDER = "reports@example.com"
RECIPIENTS = ["owner@example.com"]
WEEK = "2025-W46"
SCHEDULED = {
    "version": "0",
    "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2025-11-17T07:00:00Z",
    "region": REGION,
    "resources": ["arn:aws:events:eu-west-2:123456789012:rule/cv-analytics-weekly-report"],
    "detail": {},
}
#: Lambda's asynchronous invocation: the first attempt and two retries.
ATTEMPTS = 3

SITES: dict[str, tuple[str, str, str | None]] = {
    # name: (service, operation, table the call must name, if any)
    "SES SendEmail": ("sesv2", "SendEmail", None),
    "analytics Query": ("dynamodb", "Query", TABLE),
    "log PutItem": ("dynamodb", "PutItem", IDEMPOTENCY),
    "log GetItem": ("dynamodb", "GetItem", IDEMPOTENCY),
    "log UpdateItem": ("dynamodb", "UpdateItem", IDEMPOTENCY),
    "log DeleteItem (SES refuses once)": ("dynamodb", "DeleteItem", IDEMPOTENCY),
}
KINDS = ("transient", "persistent", "crash after success", "throttling")


def sent_emails() -> int:
    return len(get_backend("ses")[DEFAULT_ACCOUNT_ID][REGION].sent_messages)


@dataclass
class Fault:
    """Fails calls of one operation (on one table) ``times`` times (``None``: always)."""

    service: str
    operation: str
    table: str | None
    kind: str
    times: int | None
    seen: int = 0

    def matches(self, params: dict[str, Any]) -> bool:
        return self.table is None or params.get("TableName") == self.table

    def due(self) -> bool:
        return self.times is None or self.seen < self.times


def _error_response(code: str, status: int, service: str) -> AWSResponse:
    body = (
        f'{{"__type": "{code}", "message": "injected {code}"}}'
        if service == "dynamodb"
        else f'{{"message": "injected {code}"}}'
    )
    headers = HTTPHeaders()
    headers["x-amzn-ErrorType"] = code
    headers["Content-Type"] = "application/json"
    response = AWSResponse(
        url="https://injected.invalid", status_code=status, headers=headers, raw=None
    )
    response._content = body.encode()  # type: ignore[attr-defined]
    return response


class Injector:
    """Puts the fault in front of moto on one client, on the wire: a failure is answered instead
    of moto (the call never takes effect, botocore's retries see it as AWS's answer); a crash
    after success lets moto answer, then loses the answer (a read timeout)."""

    def __init__(self, fault: Fault) -> None:
        self.fault = fault
        self._params: dict[str, Any] = {}

    def attach(self, client: Any) -> None:
        fault = self.fault
        events = client.meta.events
        events.register(f"provide-client-params.{fault.service}.{fault.operation}", self._remember)
        if fault.kind == "crash after success":
            events.register(f"after-call.{fault.service}.{fault.operation}", self._after)
            return
        # moto answers every call from a "before-send" handler; ours must decide first, and
        # call it only when the fault lets the call through.
        events.unregister("before-send", botocore_stubber)
        events.register("before-send", self._before)

    def _remember(self, params: dict[str, Any], **_: Any) -> None:
        self._params = params

    def _before(self, event_name: str, request: Any, **kwargs: Any) -> AWSResponse | None:
        fault = self.fault
        hit = event_name == f"before-send.{fault.service}.{fault.operation}"
        if not (hit and fault.matches(self._params) and fault.due()):
            answer: AWSResponse | None = botocore_stubber(event_name, request, **kwargs)
            return answer
        fault.seen += 1
        if fault.kind == "rejected":
            return _error_response("MessageRejected", 400, fault.service)
        if fault.kind == "throttling":
            code = (
                "ThrottlingException" if fault.service == "dynamodb" else "TooManyRequestsException"
            )
            return _error_response(code, 400 if fault.service == "dynamodb" else 429, fault.service)
        return _error_response("InternalServerError", 500, fault.service)

    def _after(self, **_: Any) -> None:
        fault = self.fault
        if fault.matches(self._params) and fault.due():
            fault.seen += 1
            raise ReadTimeoutError(endpoint_url=f"https://{fault.service}.invalid")


@dataclass
class Outcome:
    emails: int
    failures: list[str] = field(default_factory=list)
    invocations: int = 0

    @property
    def holds(self) -> bool:
        return self.emails == 1 or (self.emails == 0 and bool(self.failures))


@contextmanager
def environment() -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in ("AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL")}
    os.environ["AWS_DEFAULT_REGION"] = REGION
    os.environ.pop("AWS_ENDPOINT_URL", None)
    try:
        with mock_aws():
            dynamodb = boto3.client("dynamodb", region_name=REGION)
            from cv_analytics.dev.resources import analytics_table_definition

            dynamodb.create_table(**analytics_table_definition(TABLE))
            dynamodb.create_table(**table_definition(IDEMPOTENCY))
            boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity=SENDER)
            yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def build(fault: Fault | None = None, *also: Fault) -> Any:
    """The reporter as the Lambda builds it, with its clients' faults attached."""
    from aws_lambda_powertools import Logger, Metrics

    from reporter.settings import ReporterSettings
    from reporter.wiring import DYNAMODB_CONFIG, SES_CONFIG, build_reporter

    dynamodb = boto3.client("dynamodb", region_name=REGION, config=DYNAMODB_CONFIG)
    ses = boto3.client("sesv2", region_name=REGION, config=SES_CONFIG)
    for each in (fault, *also):
        if each is not None:
            Injector(each).attach(ses if each.service == "sesv2" else dynamodb)
    settings = ReporterSettings.from_environment(
        {
            "ANALYTICS_TABLE": TABLE,
            "REPORT_SENDER": SENDER,
            "REPORT_RECIPIENTS": ",".join(RECIPIENTS),
            "IDEMPOTENCY_TABLE": IDEMPOTENCY,
        }
    )
    reporter = build_reporter(
        settings,
        logger=Logger(service="reporter-faults", level="CRITICAL"),
        metrics=Metrics(namespace="CvAnalyticsFaults", service="reporter"),
        dynamodb=dynamodb,
        ses=ses,
    )
    reporter.mailer._sleep = lambda _seconds: None  # type: ignore[attr-defined]
    return reporter


def invoke_async(reporter: Any, outcome: Outcome, event: dict[str, Any]) -> None:
    """Lambda's asynchronous invocation: retried on error, up to :data:`ATTEMPTS` times."""
    for _ in range(ATTEMPTS):
        outcome.invocations += 1
        try:
            reporter.handle(event)
        except Exception as exc:  # noqa: BLE001 - every failure is an error the alarm counts
            outcome.failures.append(f"{type(exc).__name__}: {exc}"[:160])
            continue
        return


def run_fault(site: str, kind: str) -> Outcome:
    service, operation, table = SITES[site]
    times = None if kind == "persistent" else 2 if kind == "throttling" else 1
    with environment():
        fault = Fault(service, operation, table, kind, times)
        # The log deletes a week's record only when the send was refused: make SES refuse once.
        refused = (
            [Fault("sesv2", "SendEmail", None, "rejected", 1)] if operation == "DeleteItem" else []
        )
        reporter = build(fault, *refused)
        outcome = Outcome(emails=0)
        invoke_async(reporter, outcome, SCHEDULED)
        outcome.emails = sent_emails()
        return outcome


def run_duplicates() -> list[tuple[str, Outcome]]:
    results = []
    with environment():
        outcome = Outcome(emails=0)
        invoke_async(build(), outcome, SCHEDULED)
        invoke_async(build(), outcome, SCHEDULED)  # EventBridge delivered it twice
        invoke_async(build(), outcome, {"weekId": WEEK})  # and an operator re-ran it
        outcome.emails = sent_emails()
        results.append(("duplicated invocation (3 deliveries, one after another)", outcome))
    with environment():
        # A second delivery arrives while the first is between SES and recording the outcome.
        first = build()
        outcome = Outcome(emails=0)
        original = first.mailer.send

        def send_then_duplicate(report: Any) -> str:
            message_id: str = original(report)
            invoke_async(build(), outcome, SCHEDULED)
            return message_id

        first.mailer.send = send_then_duplicate
        invoke_async(first, outcome, SCHEDULED)
        outcome.emails = sent_emails()
        results.append(("duplicated invocation, concurrent with the first", outcome))
    with environment():
        outcome = Outcome(emails=0)
        invoke_async(build(), outcome, SCHEDULED)
        invoke_async(build(), outcome, {"weekId": WEEK, "force": True})
        outcome.emails = sent_emails()
        # A forced resend is the one case with two emails, asked for by the operator.
        outcome.emails -= 1
        results.append(("forced resend after a sent week (counted: the resend)", outcome))
    return results


BAD_TRIGGERS: tuple[tuple[str, Any, str], ...] = (
    ("not an object", ["weekId", "2025-W46"], "expected a JSON object"),
    ("empty object", {}, "empty"),
    ("Lambda console hello-world template", {"key1": "value1", "key2": "value2"}, "detail-type"),
    ("weekId without W", {"weekId": "2025-46"}, "weekId"),
    ("weekId that does not exist", {"weekId": "2025-W53"}, "no week 53"),
    ("weekId as a number", {"weekId": 202546}, "weekId"),
    ("force as a string", {"weekId": "2025-W46", "force": "yes"}, "force"),
    ("unknown field beside weekId", {"weekId": "2025-W46", "resend": True}, "resend"),
    ("another event type", {**SCHEDULED, "detail-type": "Object Created"}, "detail-type"),
    ("time not a date", {**SCHEDULED, "time": "yesterday"}, "time"),
    ("time missing", {k: v for k, v in SCHEDULED.items() if k != "time"}, "time"),
    ("null event", None, "expected a JSON object"),
)


def run_bad_triggers() -> list[tuple[str, str, bool]]:
    rows = []
    with environment():
        reporter = build()
        for name, event, expected in BAD_TRIGGERS:
            try:
                reporter.handle(event)
            except Exception as exc:  # noqa: BLE001 - the message is what is checked
                message = str(exc)
                rows.append((name, message, expected in message and sent_emails() == 0))
            else:
                rows.append((name, "accepted", False))
    return rows


def run(*, quick: bool = False) -> Section:
    rows: list[list[str]] = []
    problems: list[str] = []
    kinds = KINDS[:2] if quick else KINDS
    scenarios = 0
    for site in SITES:
        for kind in kinds:
            outcome = run_fault(site, kind)
            scenarios += 1
            verdict = "holds" if outcome.holds else "BROKEN"
            if not outcome.holds:
                problems.append(f"{site}, {kind}: {outcome.emails} emails, {outcome.failures}")
            rows.append(
                [
                    site,
                    kind,
                    str(outcome.invocations),
                    str(len(outcome.failures)),
                    str(outcome.emails),
                    verdict,
                ]
            )
    for name, outcome in run_duplicates():
        scenarios += 1
        if not outcome.holds:
            problems.append(f"{name}: {outcome.emails} emails, {outcome.failures}")
        rows.append(
            [
                "(none)",
                name,
                str(outcome.invocations),
                str(len(outcome.failures)),
                str(outcome.emails),
                "holds" if outcome.holds else "BROKEN",
            ]
        )
    bad = run_bad_triggers()
    for name, message, ok in bad:
        if not ok:
            problems.append(f"bad trigger {name!r}: {message}")
        rows.append(["handler", f"bad trigger: {name}", "1", "1", "0", message[:90]])
    return Section(
        title="Reporter: one email per week",
        intro=(
            "Faults injected at each AWS call of the reporter (moto in-process), with Lambda's "
            "asynchronous retries (3 attempts). The balance: exactly one email for the week, or "
            "none and a failed invocation the error alarm sees; never two. Then bad trigger "
            "events: each must fail naming what is wrong, and send nothing."
        ),
        headers=["call site", "fault", "invocations", "failed", "emails", "balance / answer"],
        rows=rows,
        totals={
            "fault scenarios": scenarios,
            "weeks emailed twice": sum(1 for r in rows if r[4] not in ("0", "1")),
            "bad trigger kinds": len(bad),
        },
        problems=problems,
    )


def main() -> int:
    section = run()
    print(section.markdown())
    return 1 if section.problems else 0


Runner = Callable[..., Section]

if __name__ == "__main__":
    raise SystemExit(main())
