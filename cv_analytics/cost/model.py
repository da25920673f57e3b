"""What processing N questions a month costs, service by service, for this system and for the
seed design, on the same price table (:mod:`.prices`) and the same measured questions (:mod:`.inputs`).

Each service is a list of (price, quantity a month); its dollars are the sum of their charges,
less the always-free allowance when asked. The quantities, per question unless named otherwise:

- **SQS requests** (FIFO): the edge client's sends (this system: one SendMessageBatch per question,
  measured; the seed's Worker: one SendMessage per event, two), plus one ReceiveMessage and one
  DeleteMessageBatch per processor batch, plus the processor's own requests.
- **Lambda requests, duration**: one invocation per batch (measured: batches of up to 10 messages
  from a busy queue; ``Usage.messages_per_batch`` sets another fill)
  at the processor's memory, billed per started millisecond of the measured time in the handler;
  and the weekly reporter at its memory for the measured CPU time per record, over two weeks
  of records (the week and the week before). That is a lower bound: Lambda bills wall time,
  which also holds the reporter's waits on DynamoDB ``Query`` pages and on SES, not measured
  (``bench.reporter_aggregate`` times the work on the records only). At 1M questions a month
  the reporter's duration is a fraction of a cent, so even several times as long moves the total
  by cents.
- **DynamoDB writes and reads**: the measured write units (table and every index) and read units
  per question: at the measured batches (10 messages), the same-batch mix (a question's query and
  response mostly in one invocation); with batches of 1 message, the split query-first mix (its
  query and response always in different invocations: an interim item, more writes); between,
  linearly between the two (:func:`same_batch_share`); the reporter's weekly ``Query`` of six weeks of index entries (eventually
  consistent: half a unit per 4 KB).
- **DynamoDB storage**: the analytics items and every index entry for the records' TTL (90 days,
  plus DynamoDB's 100 bytes per item), and the interim items for at most their TTL (24 hours);
  **backups**: point-in-time recovery of the analytics table (processor_infra enables it).
- **CloudWatch Logs**: the processor's measured bytes per question at INFO (the seed logged each
  event: its bytes are the lines this system logs per event at DEBUG, without the INFO batch
  summary), the EMF
  documents, Lambda's START/END/REPORT lines per invocation; archived for the log groups'
  retention (an upper bound: CloudWatch bills the compressed size).
- **CloudWatch metrics**: each metric the processor can publish (``processor.metrics.
  PUBLISHED_METRICS``, the answer-quality alarm's five; its other counts are EMF properties,
  not metrics), billed every hour as at 1,000,000 questions a month (an upper bound below).
- **CloudWatch alarms**: this system's alarm metrics, counted from template.yaml and the
  Terraform modules (a metric-math alarm bills each metric in its expression); the seed design
  had none of these alarms: 0 (which raises this system's ratio, never lowers it).
- **SES**: one email a week per recipient; **EventBridge**: the weekly schedule's event.

Where the seed design is not known in detail, it gets this system's figure (the time per batch,
the metrics, the backups, the reporter's pattern): that keeps the ratio conservative, never in
this system's favour. The alarms are the exception, for the same reason: the seed had none of
ours, so it gets none.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from cv_analytics.cost.inputs import (
    CORRELATION_WINDOW_HOURS,
    LOG_RETENTION_DAYS,
    PROCESSOR_MEMORY_MB,
    RECORD_TTL_DAYS,
    REPORTER_MEMORY_MB,
    REPORTER_WEEKS_AGGREGATED,
    REPORTER_WEEKS_READ,
    MeasuredInputs,
    measured_inputs,
)
from cv_analytics.cost.prices import GBP_PER_USD, charge

Design = Literal["ours", "seed"]
DESIGNS: tuple[Design, ...] = ("ours", "seed")
DESIGN_NAMES: dict[Design, str] = {"ours": "this system", "seed": "seed design"}

SERVICES = (
    "SQS requests",
    "Lambda requests",
    "Lambda duration (arm64)",
    "DynamoDB writes",
    "DynamoDB reads",
    "DynamoDB storage",
    "DynamoDB backups (PITR)",
    "CloudWatch Logs",
    "CloudWatch metrics",
    "CloudWatch alarms",
    "SES",
    "EventBridge",
)
#: The volumes ``cv-analytics cost`` shows unless asked for others.
DEFAULT_QUESTIONS = (10_000, 100_000, 1_000_000, 10_000_000)
#: Issue 14's target at 1M questions a month, list prices, no free tier.
TARGET_RATIO = 0.4
TARGET_QUESTIONS = 1_000_000

GB = 1024**3
DAYS_PER_MONTH = 365 / 12
WEEKS_PER_MONTH = 52 / 12
#: DynamoDB's storage overhead per item and per index entry (bytes).
ITEM_OVERHEAD_BYTES = 100

Quantities = dict[str, float]


#: The most questions a month the model prices (a thousand times any chatbot's traffic: the bound
#: keeps every quantity a finite float), and the most recipients of the weekly email.
MAX_QUESTIONS = 10**12
MAX_RECIPIENTS = 10_000
#: Events per answered question (its query and its response).
EVENTS_PER_QUESTION = 2
#: The most messages Lambda's event source mapping hands one invocation from a FIFO queue.
MAX_BATCH = 10


@dataclass(frozen=True)
class Usage:
    questions_per_month: float
    #: Addresses the weekly email goes to (SES bills each).
    recipients: int = 1
    #: Messages per processor batch (1-10); ``None``: as measured (the bench's busy queue fills
    #: them). A trickle of traffic gives smaller batches: more invocations, receives and deletes,
    #: for both designs alike.
    messages_per_batch: float | None = None

    def __post_init__(self) -> None:
        q = self.questions_per_month
        if not (math.isfinite(q) and 0 < q <= MAX_QUESTIONS):
            raise ValueError(f"questions per month: above 0, at most {MAX_QUESTIONS:g}, not {q}")
        if not 1 <= self.recipients <= MAX_RECIPIENTS:
            raise ValueError(f"recipients: 1 to {MAX_RECIPIENTS}, not {self.recipients}")
        if self.messages_per_batch is not None and not 1 <= self.messages_per_batch <= MAX_BATCH:
            raise ValueError(f"messages per batch: 1 to {MAX_BATCH}, not {self.messages_per_batch}")

    def invocations_per_question(self, measured: float) -> float:
        if self.messages_per_batch is None:
            return measured
        return EVENTS_PER_QUESTION / self.messages_per_batch

    def same_batch_share(self, measured_invocations_per_question: float) -> float:
        """How much of the same-batch mix's figures apply, the rest the split query-first mix's:
        1 at the measured fill (or as measured), 0 with one message per batch (no question's query
        and response can share an invocation), linear between: the chance a response shares its
        query's batch grows with the batch, and a straight line is the plainest assumption between
        the two measured ends (neither end is extrapolated)."""
        measured_fill = EVENTS_PER_QUESTION / measured_invocations_per_question
        if self.messages_per_batch is None or measured_fill <= 1:
            return 1.0
        return min(1.0, (self.messages_per_batch - 1) / (measured_fill - 1))

    @property
    def records_in_table(self) -> float:
        return self.questions_per_month * RECORD_TTL_DAYS / DAYS_PER_MONTH

    @property
    def questions_per_week(self) -> float:
        return self.questions_per_month / WEEKS_PER_MONTH


def quantities(
    design: Design, usage: Usage, inputs: MeasuredInputs | None = None
) -> dict[str, Quantities]:
    """Each service's quantities a month, by price name."""
    inputs = inputs or measured_inputs()
    processor, seed = inputs.processor, inputs.seed_design
    q = usage.questions_per_month
    batches = q * usage.invocations_per_question(processor.invocations_per_question)
    gb_seconds_per_batch = (
        PROCESSOR_MEMORY_MB / 1024 * math.ceil(processor.handler_ms_per_invocation) / 1000
    )
    reporter_seconds = (
        inputs.reporter.cpu_seconds_per_record
        * usage.questions_per_week
        * REPORTER_WEEKS_AGGREGATED
    )
    reporter_gb_seconds = WEEKS_PER_MONTH * REPORTER_MEMORY_MB / 1024 * reporter_seconds

    if design == "ours":
        sends = inputs.edge_client.send_requests_per_question
        share, split = (
            usage.same_batch_share(processor.invocations_per_question),
            processor.split_query_first,
        )

        def mixed(same_batch: float, split_query_first: float) -> float:
            return share * same_batch + (1 - share) * split_query_first

        write_units = mixed(processor.write_units_per_question, split.write_units_per_question)
        read_units = mixed(processor.read_units_per_question, split.read_units_per_question)
        item_bytes = processor.analytics_item_bytes_per_question
        index_bytes = processor.index_entry_bytes_per_question
        interim_bytes = mixed(
            processor.interim_bytes_written_per_question,
            split.interim_bytes_written_per_question,
        )
        log_bytes = processor.log_bytes_per_question
        # Every index entry the reporter reads is what week-index projects.
        entry_read_bytes = max(0.0, index_bytes - ITEM_OVERHEAD_BYTES)
    else:
        sends = seed.send_requests_per_question
        write_units, read_units = seed.write_units_per_question, seed.read_units_per_question
        item_bytes = seed.analytics_item_bytes_per_question
        index_bytes = seed.index_entry_bytes_per_question
        interim_bytes = seed.interim_bytes_written_per_question
        # Its per-event lines: the processor's at DEBUG less its INFO summary (this system's).
        log_bytes = processor.debug_log_bytes_per_question - processor.log_bytes_per_question
        # Its week index projects ALL: each entry read is the whole record.
        entry_read_bytes = item_bytes - ITEM_OVERHEAD_BYTES

    reporter_read_units = REPORTER_WEEKS_READ * q * entry_read_bytes / 4096 / 2
    storage_gb = (
        usage.records_in_table * (item_bytes + index_bytes)
        + q * interim_bytes * (CORRELATION_WINDOW_HOURS / 24) / DAYS_PER_MONTH
    ) / GB
    ingested_gb = (
        q * (log_bytes + processor.emf_bytes_per_question)
        + batches * inputs.lambda_platform_log_bytes_per_invocation
    ) / GB
    return {
        "SQS requests": {
            "sqs.fifo_request": q * sends + 2 * batches + q * processor.sqs_requests_per_question
        },
        "Lambda requests": {"lambda.request": batches + WEEKS_PER_MONTH},
        "Lambda duration (arm64)": {
            "lambda.arm64_gb_second": batches * gb_seconds_per_batch + reporter_gb_seconds
        },
        "DynamoDB writes": {"dynamodb.write_request": q * write_units},
        "DynamoDB reads": {"dynamodb.read_request": q * read_units + reporter_read_units},
        "DynamoDB storage": {"dynamodb.storage": storage_gb},
        "DynamoDB backups (PITR)": {"dynamodb.pitr": usage.records_in_table * item_bytes / GB},
        "CloudWatch Logs": {
            "logs.ingested": ingested_gb,
            "logs.stored": ingested_gb * LOG_RETENTION_DAYS / DAYS_PER_MONTH,
        },
        "CloudWatch metrics": {"cloudwatch.metric": float(len(processor.metrics))},
        "CloudWatch alarms": {
            "cloudwatch.alarm_metric": (
                float(inputs.cloudwatch_alarms.alarm_metrics) if design == "ours" else 0.0
            )
        },
        "SES": {"ses.email": WEEKS_PER_MONTH * usage.recipients},
        "EventBridge": {"eventbridge.event": WEEKS_PER_MONTH},
    }


@dataclass(frozen=True)
class Estimate:
    """One design's dollars a month by service, at one volume."""

    design: Design
    usage: Usage
    free_tier: bool
    usd: Mapping[str, float]
    quantities: Mapping[str, Quantities]

    @property
    def total_usd(self) -> float:
        return sum(self.usd.values())

    @property
    def total_gbp(self) -> float:
        return self.total_usd * GBP_PER_USD


def estimate(
    design: Design, usage: Usage, *, free_tier: bool, inputs: MeasuredInputs | None = None
) -> Estimate:
    services = quantities(design, usage, inputs)
    usd = {
        service: sum(
            charge(price, quantity, free_tier=free_tier) for price, quantity in amounts.items()
        )
        for service, amounts in services.items()
    }
    return Estimate(design, usage, free_tier, usd, services)


#: What watches and protects the pipeline rather than carrying its events: a custom metric or an
#: alarm metric costs the same whatever the traffic, and point-in-time recovery follows the table.
MONITORING_AND_BACKUPS = ("CloudWatch metrics", "CloudWatch alarms", "DynamoDB backups (PITR)")


@dataclass(frozen=True)
class Comparison:
    """This system and the seed design at one volume, on the same prices."""

    ours: Estimate
    seed: Estimate

    @property
    def ratio(self) -> float:
        return self.ours.total_usd / self.seed.total_usd

    def without(self, services: Iterable[str]) -> tuple[float, float]:
        """Both designs' totals in dollars, leaving the named services out."""
        left_out = set(services)

        def total(estimate: Estimate) -> float:
            return sum(usd for service, usd in estimate.usd.items() if service not in left_out)

        return total(self.ours), total(self.seed)


def compare(
    questions_per_month: float,
    *,
    free_tier: bool,
    recipients: int = 1,
    messages_per_batch: float | None = None,
    inputs: MeasuredInputs | None = None,
) -> Comparison:
    usage = Usage(questions_per_month, recipients, messages_per_batch)
    return Comparison(
        estimate("ours", usage, free_tier=free_tier, inputs=inputs),
        estimate("seed", usage, free_tier=free_tier, inputs=inputs),
    )
