"""The demo: the whole pipeline, end to end, on an embedded AWS emulator.

1. start the emulator (moto server on a free loopback port) and provision the resources
   (:mod:`cv_analytics.dev.stack`: the Terraform workspaces, or boto3);
2. simulate a realistic week of chatbot traffic for the ISO week that ended most recently
   (:mod:`cv_analytics.dev.traffic`), and a lighter history of the four weeks before it (for the
   report's comparison with last week and "new this week"), and send it all through the edge
   client (plus the raw oddities);
3. drain the queue through ``processor.app.handler`` with the local SQS event source mapping
   (partial batch failures, redrive after 3 receives, the real dead-letter queue);
4. expire the interim table as DynamoDB TTL would once the 24 h correlation window has passed,
   feeding ``processor.expiry_app.handler`` the stream's REMOVE records (orphans get counted);
5. fire ``reporter.app.handler`` with the EventBridge event the weekly schedule sends on the
   following Monday at 07:00 UTC, and read the email it sent back from the emulator's SES;
6. account for every event (:mod:`cv_analytics.dev.accounting`) and check the report's headline
   numbers against the simulator's ground truth;
7. check that the report shows the week's feedback, the prompt variants' difference, the
   failure spike, the new questions and the changes against last week (:mod:`.report_check`), and that reporter_infra's quality alarms, evaluated over
   the processor's metrics period by period, fire during the spike and only then
   (:mod:`.alarm_check`).
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3

from analytics_contract.records import AnalyticsRecord
from analytics_contract.weeks import week_days, week_ending_before
from cv_analytics.dev.accounting import Balance, balance, render_balance
from cv_analytics.dev.demo.alarm_check import (
    AlarmCheck,
    MetricsTap,
    check_alarms,
    load_alarms,
    spike_for,
)
from cv_analytics.dev.demo.data import DataProducts, write_data_products
from cv_analytics.dev.demo.email import SentEmail, find_sent_email
from cv_analytics.dev.demo.observe import observe, scan_items
from cv_analytics.dev.demo.progress import Progress
from cv_analytics.dev.demo.report_check import ReportCheck, check_report
from cv_analytics.dev.demo.send import SendResult, TrafficSender
from cv_analytics.dev.demo.summary import render_summary
from cv_analytics.dev.emulator import LocalAws
from cv_analytics.dev.lambdas import cold_start, lambda_output
from cv_analytics.dev.resources import ResourceNames
from cv_analytics.dev.sqs_trigger import DrainResult, LocalLambdaContext, SqsTrigger
from cv_analytics.dev.stack import StackResources, local_stack, provision
from cv_analytics.dev.traffic import Delivery, Manifest, Spike, simulate_week
from cv_analytics.dev.traffic.history import simulate_history, with_history
from cv_analytics.dev.ttl import ExpiryResult, expire_items

#: The processor's default correlation window; the TTL stand-in runs this long (+1 min) later.
CORRELATION_WINDOW = timedelta(hours=24)
#: Deliveries sent before the processor drains the queue (a few seconds of traffic in real life).
STREAM_CHUNK = 50
SCHEDULE_HOUR_UTC = 7  # reporter_infra: cron(0 7 ? * MON *)
#: The processor's POWERTOOLS_METRICS_NAMESPACE in the demo (the alarms are read with it).
METRICS_NAMESPACE = "CvAnalyticsDemo"
ACCOUNT_ID = "123456789012"  # moto's default account


@dataclass(frozen=True)
class DemoOptions:
    questions: int = 300
    seed: int = 7
    out_dir: Path = Path("out/demo")
    provisioner: str = "auto"
    week: str | None = None
    prefix: str = "cv-demo"
    progress: bool = True
    #: Terraform working copies and state (default: a temporary folder, removed afterwards).
    terraform_dir: Path | None = None
    #: Lighter weeks simulated before the week (0: none; the report then has no "new this week"
    #: and nothing to compare with).
    history_weeks: int = 4


@dataclass(frozen=True)
class Headline:
    """The report's headline numbers: what the reporter computed vs what was generated."""

    name: str
    generated: int
    reported: int

    @property
    def ok(self) -> bool:
        return self.generated == self.reported


@dataclass
class DemoResult:
    week: str
    manifest: Manifest
    resources: StackResources
    sent: SendResult
    drained: DrainResult
    waiting_before_expiry: int
    expired: ExpiryResult
    balance: Balance
    headlines: list[Headline]
    email: SentEmail
    report_paths: list[Path]
    reporter_response: dict[str, Any]
    scheduled_time: str = ""
    #: The week exported, one named query answered and the dashboard (data out).
    data: DataProducts | None = None
    spike: Spike | None = None
    report_check: ReportCheck | None = None
    alarm_check: AlarmCheck | None = None
    summary: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def scheduled_event(week: str, *, region: str, rule_arn: str) -> dict[str, Any]:
    """The event EventBridge sends for the weekly rule on the Monday after ``week``, 07:00 UTC."""
    monday = week_days(week)[-1] + timedelta(days=1)
    fired = datetime(monday.year, monday.month, monday.day, SCHEDULE_HOUR_UTC, tzinfo=UTC)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": fired.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }


def _chunks(deliveries: list[Delivery], tap: MetricsTap | None) -> Iterator[list[Delivery]]:
    """The deliveries in order, :data:`STREAM_CHUNK` at most at a time (and one alarm period at
    most, with a ``tap``)."""
    chunk: list[Delivery] = []
    for delivery in deliveries:
        period_changed = (
            tap is not None and chunk and (tap.period_of(delivery.at) != tap.period_of(chunk[0].at))
        )
        if len(chunk) == STREAM_CHUNK or period_changed:
            yield chunk
            chunk = []
        chunk.append(delivery)
    if chunk:
        yield chunk


def _add(total: DrainResult, part: DrainResult) -> None:
    for name in ("batches", "received", "succeeded", "failed", "handler_errors"):
        setattr(total, name, getattr(total, name) + getattr(part, name))
    total.left_visible, total.left_in_flight = part.left_visible, part.left_in_flight


class _Pipeline:
    def __init__(
        self, options: DemoOptions, aws: LocalAws, resources: StackResources, progress: Progress
    ) -> None:
        self.options = options
        self.aws = aws
        self.resources = resources
        self.progress = progress
        session = boto3.session.Session(region_name=aws.region)
        self.sqs = session.client("sqs", endpoint_url=aws.endpoint_url)
        self.dynamodb = session.client("dynamodb", endpoint_url=aws.endpoint_url)
        self.out = options.out_dir
        self.logs = self.out / "lambda-logs.jsonl"

    def lambda_environment(self, function: str) -> dict[str, str]:
        base = {
            **self.aws.environment(),
            "AWS_LAMBDA_FUNCTION_NAME": f"{self.resources.names.prefix}-{function}",
            "POWERTOOLS_SERVICE_NAME": function,
            "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
        }
        if function == "reporter":
            return {**base, **self.resources.reporter_environment()}
        return {**base, **self.resources.processor_environment()}

    def stream(
        self, manifest: Manifest, handler: Any, tap: MetricsTap | None = None
    ) -> tuple[SendResult, DrainResult]:
        """Send the events of every week and let the processor consume them as they arrive, the
        way the event source mapping does (the queue never holds more than a chunk: moto's SQS
        slows down with every message it holds). With a ``tap``, a chunk of the main week never
        spans two alarm periods, so each invocation's metrics belong to one period (the earlier
        weeks' events go first, in plain chunks: the alarms are evaluated over the main week)."""
        counter = self.progress.counter("sending and processing events", len(manifest.deliveries))
        trigger = SqsTrigger(
            self.sqs,
            self.resources.queue_url,
            handler,
            retry_delay_seconds=0,
            function_name=f"{self.resources.names.prefix}-processor",
        )
        sender = TrafficSender(
            sqs=self.sqs,
            queue_url=self.resources.queue_url,
            endpoint_url=self.aws.endpoint_url,
            region=self.aws.region,
        )
        total = DrainResult()
        try:
            first = manifest.history_deliveries
            chunks = itertools.chain(
                _chunks(manifest.deliveries[:first], None),
                _chunks(manifest.deliveries[first:], tap),
            )
            for chunk in chunks:
                if tap is not None:
                    tap.clock(chunk[0].at)
                for delivery in chunk:
                    sender.send(delivery)
                sender.flush()
                _add(total, trigger.drain())
                counter.add(len(chunk))
        finally:
            sent = sender.close()
        _add(total, trigger.drain())
        return sent, total

    def report(self, week: str) -> tuple[dict[str, Any], datetime, str]:
        rule_arn = self.resources.rule_arn(ACCOUNT_ID)
        event = scheduled_event(week, region=self.aws.region, rule_arn=rule_arn)
        self.progress.say(
            f"firing reporter.app.handler with the schedule's event of {event['time']}"
        )
        with lambda_output(self.logs):
            handler = cold_start("reporter.app", self.lambda_environment("reporter"))
            fired_at = datetime.now(UTC)
            response = handler(
                event, LocalLambdaContext(function_name=f"{self.resources.names.prefix}-reporter")
            )
        self.progress.say(f"report sent: {response.get('subject')!r}")
        return dict(response), fired_at, str(event["time"])


@dataclass(frozen=True)
class _WeekRecords:
    """A week's analytics records, the week before's and the questions of the weeks before
    that ("new this week"), read once through the reporter as its handler reads them."""

    week: str
    current: list[AnalyticsRecord]
    previous: list[AnalyticsRecord]
    earlier_questions: list[str]

    @classmethod
    def read(cls, resources: StackResources, aws: LocalAws, week: str) -> _WeekRecords:
        from reporter.repository import AnalyticsTable
        from reporter.service import earlier_weeks as report_history

        client = boto3.session.Session(region_name=aws.region).client(
            "dynamodb", endpoint_url=aws.endpoint_url
        )
        table = AnalyticsTable(client, resources.analytics_table)
        earlier = report_history(week)
        questions = [text for one in earlier for text in table.questions(one)]
        return cls(week, list(table.week(week)), list(table.week(earlier[0])), questions)

    def figures(self) -> dict[str, int]:
        """The headline figures the reporter computes for the week."""
        from reporter.service import aggregate

        figures = aggregate(self.week, self.current)
        return {
            "questions": figures.questions,
            "answered": figures.answered,
            "unanswered": figures.unanswered,
            "failed": figures.failed,
            "orphaned": figures.orphaned,
        }

    def text_part(self, sent: SentEmail, fired_at: datetime) -> tuple[str, str]:
        """The email's text part, and how it was obtained.

        The reporter sends both parts as SES "simple" content, and moto keeps only the HTML part
        of such a message. The text part is rendered again by the reporter's own functions from
        the same records; that the HTML rendered alongside it equals the HTML that was sent shows
        it is the same email.
        """
        from reporter.render import render_report
        from reporter.service import build_report

        if sent.text is not None:
            return sent.text, "as sent through SES"
        text = ""
        for minute in (0, 1, -1):  # the report shows the minute it was generated
            view = build_report(
                self.current,
                self.week,
                self.previous,
                earlier_questions=self.earlier_questions,
                generated_at=fired_at + timedelta(minutes=minute),
            )
            rendered = render_report(view)
            text = rendered.text
            if rendered.html == sent.html:
                return text, "rendered by the reporter alongside an HTML identical to the sent one"
        return text, "rendered by the reporter; WARNING: its HTML differs from the sent one"


def _write_email(out: Path, week: str, sent: SentEmail, text: str) -> list[Path]:
    from email.message import EmailMessage

    out.mkdir(parents=True, exist_ok=True)
    html_path = out / f"report-{week}.html"
    text_path = out / f"report-{week}.txt"
    eml_path = out / f"report-{week}.eml"
    html_path.write_text(sent.html or "", encoding="utf-8")
    text_path.write_text(text, encoding="utf-8")
    message = EmailMessage()
    message["Subject"] = sent.subject
    message["From"] = sent.source
    message["To"] = ", ".join(sent.destinations)
    message["Message-ID"] = f"<{sent.message_id}@email.amazonses.com>"
    message.set_content(text)
    message.add_alternative(sent.html or "", subtype="html")
    eml_path.write_bytes(bytes(message))
    return [html_path, text_path, eml_path]


def _headlines(manifest: Manifest, week: str, reported: dict[str, int]) -> list[Headline]:
    questions = [q for q in manifest.questions if q.week == week]
    generated = {
        status: sum(1 for q in questions if q.expected_status == status)
        for status in ("answered", "failed", "unanswered", "orphaned")
    }
    generated["questions"] = generated["answered"] + generated["failed"] + generated["unanswered"]
    return [
        Headline(name, generated[name], reported[name])
        for name in ("questions", "answered", "unanswered", "failed", "orphaned")
    ]


def run_pipeline(
    options: DemoOptions, aws: LocalAws, resources: StackResources, progress: Progress
) -> DemoResult:
    """Steps 2-6 against an emulator whose resources exist."""
    pipeline = _Pipeline(options, aws, resources, progress)
    week = options.week or week_ending_before(datetime.now(UTC))
    options.out_dir.mkdir(parents=True, exist_ok=True)
    pipeline.logs.write_text("", encoding="utf-8")

    alarms = load_alarms(METRICS_NAMESPACE)
    spike = spike_for(options.questions, alarms)
    main = simulate_week(week, options.questions, seed=options.seed, spike=spike)
    history = simulate_history(
        week, options.questions, weeks=options.history_weeks, seed=options.seed
    )
    manifest = with_history(main, history)
    progress.say(
        f"simulated {week}: {len(main.questions)} questions ({spike.questions} in a failure "
        f"spike), {len(main.deliveries)} events to send"
        + (
            f"; and the {len(history)} weeks before: {len(manifest.questions) - len(main.questions)}"
            f" questions, {manifest.history_deliveries} events"
            if history
            else ""
        )
    )
    with lambda_output(pipeline.logs):
        processor = cold_start("processor.app", pipeline.lambda_environment("processor"))
        tap = None
        if alarms.alarms:
            period = alarms.alarms[0].period_seconds
            tap = MetricsTap(processor, period_seconds=period, namespace=METRICS_NAMESPACE)
        sent, drained = pipeline.stream(manifest, tap or processor, tap)
    progress.say(
        f"processed {drained.received} messages in {drained.batches} batches "
        f"({drained.failed} failed deliveries retried)"
    )

    waiting = scan_items(pipeline.dynamodb, resources.interim_table, ("requestId",))
    later = datetime.now(UTC) + CORRELATION_WINDOW + timedelta(minutes=1)
    progress.say(
        f"{len(waiting)} responses wait for their query; expiring the interim table as TTL would "
        f"at {later:%Y-%m-%d %H:%M} UTC (after the 24 h correlation window)"
    )
    with lambda_output(pipeline.logs):
        expiry = cold_start("processor.expiry_app", pipeline.lambda_environment("expiry"))
        expired = expire_items(
            pipeline.dynamodb,
            resources.interim_table,
            expiry,
            now=later,
            function_name=f"{resources.names.prefix}-expiry",
        )

    response, fired_at, scheduled_time = pipeline.report(week)
    email = find_sent_email(aws.endpoint_url, str(response.get("messageId")))
    records = _WeekRecords.read(resources, aws, week)
    text, text_note = records.text_part(email, fired_at)
    paths = _write_email(options.out_dir, week, email, text)

    progress.say("exporting the week, answering a named query, writing the dashboard")
    products = write_data_products(aws, resources.analytics_table, week, options.out_dir)

    progress.say("accounting for every event")
    observed = observe(
        dynamodb=pipeline.dynamodb,
        sqs=pipeline.sqs,
        analytics_table=resources.analytics_table,
        interim_table=resources.interim_table,
        dlq_url=resources.dead_letter_queue_url,
    )
    result_balance = balance(manifest, observed)
    headlines = _headlines(manifest, week, records.figures())
    progress.say(
        "checking the report's feedback, variants, spike, new questions and changes against "
        "last week, and the quality alarms"
    )
    report_check = check_report(
        manifest,
        records.current,
        records.previous,
        spike,
        earlier_questions=records.earlier_questions,
    )
    alarm_check = check_alarms(alarms, tap, week=week, spike=spike)
    result = DemoResult(
        week=week,
        manifest=manifest,
        resources=resources,
        sent=sent,
        drained=drained,
        waiting_before_expiry=len(waiting),
        expired=expired,
        balance=result_balance,
        headlines=headlines,
        email=email,
        report_paths=paths,
        reporter_response=response,
        scheduled_time=scheduled_time,
        data=products,
        spike=spike,
        report_check=report_check,
        alarm_check=alarm_check,
    )
    result.problems = _problems(result)
    result.summary = render_summary(result, text_note=text_note)
    (options.out_dir / "manifest.json").write_text(
        manifest.model_dump_json(indent=1), encoding="utf-8"
    )
    (options.out_dir / "balance.txt").write_text(render_balance(result.balance) + "\n", "utf-8")
    (options.out_dir / "summary.txt").write_text(result.summary + "\n", encoding="utf-8")
    return result


def _problems(result: DemoResult) -> list[str]:
    problems = list(result.balance.problems)
    problems += [
        f"report headline {h.name}: generated {h.generated}, reported {h.reported}"
        for h in result.headlines
        if not h.ok
    ]
    reported_questions = result.reporter_response.get("questions")
    expected_questions = next(h.generated for h in result.headlines if h.name == "questions")
    if reported_questions != expected_questions:
        problems.append(
            f"reporter handler said {reported_questions} questions, {expected_questions} were asked"
        )
    if result.expired.failed:
        problems.append(f"{result.expired.failed} expired items failed in the expiry handler")
    if result.report_check is not None:
        problems += result.report_check.problems
    if result.alarm_check is not None:
        problems += result.alarm_check.problems
    return problems


@contextmanager
def _stack(
    options: DemoOptions, aws: LocalAws | None, progress: Progress
) -> Iterator[tuple[LocalAws, StackResources]]:
    if aws is not None:
        # An emulator someone else runs (the tests' shared server): a prefix of our own.
        prefix = f"{options.prefix}-{uuid.uuid4().hex[:8]}"
        resources = provision(
            aws,
            names=ResourceNames(prefix),
            provisioner=options.provisioner,
            workdir=options.terraform_dir,
            log=progress.say,
        )
        yield aws, resources
        return
    with ExitStack() as stack:
        local = stack.enter_context(
            local_stack(
                prefix=options.prefix,
                provisioner=options.provisioner,
                workdir=options.terraform_dir,
                log=progress.say,
            )
        )
        yield local.aws, local.resources


def run_demo(options: DemoOptions, *, aws: LocalAws | None = None) -> DemoResult:
    """Run the demo on a fresh embedded emulator (or on ``aws``, an emulator already running)."""
    progress = Progress(enabled=options.progress)
    started = time.monotonic()
    with _stack(options, aws, progress) as (emulator, resources):
        progress.say(f"resources ready ({resources.provisioner})")
        result = run_pipeline(options, emulator, resources, progress)
    progress.say(f"done in {time.monotonic() - started:.0f}s")
    return result
