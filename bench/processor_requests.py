"""DynamoDB requests and write units the processor spends per answered question (and per feedback).

Run: ``.venv/bin/python -m bench.processor_requests [--questions N] [--json PATH]``

The real handler (``processor.sqs_batch.EventProcessor`` wired by ``processor.wiring``) drains a
real FIFO queue through the local SQS trigger, on moto in-process. botocore event hooks on the
processor's clients count every request by operation, and size the item before and after each
write (through a second, unhooked client) to price it; the processor's log output (at its default
level, INFO) is captured and measured.

Capacity units are *computed*, not read from moto: moto answers ``ReturnConsumedCapacity`` with a
constant (1.0 per write, whatever the item's size, and nothing for a failed conditional write), so
the bench applies DynamoDB's rules instead: a write costs 1 WCU per started KB of the larger of the
item before and after (a failed conditional write still costs at least 1; deleting nothing costs
1); a strongly consistent read costs 1 RCU per started 4 KB (at least 1). Item sizes follow
DynamoDB's accounting (attribute names + values; numbers ~1 byte per 2 digits + 1).

Index writes are priced from the *projected* item (``week-index``: the table's key, the index's
keys and ``analytics_contract.storage.WEEK_INDEX_ATTRIBUTES``), as DynamoDB prices them: a new
index entry is one write of its size, an update that changes a projected attribute one write of
the larger entry, an update that changes the index key a delete and a put, and an update that
changes no projected attribute nothing.

Mixes, each ending with every question answered:

a. same batch: each question's response follows its query closely (0-3 other events between,
   as when several conversations overlap), so most pairs share a batch;
b. split, query first: a batch of queries, then the responses in later batches;
c. split, response first: every response overtakes its query (rare in production: both events of
   a question share a FIFO group, the session, so SQS keeps their order unless a send is retried);
d. feedback: after (a), one feedback per question, each after its record is complete (figures per
   feedback event).

Seed design, for comparison (computed on the same questions): 4 requests per question (put the
query's interim item, get it, put the record, delete the interim item; 3 writes + 1 read), and the
record's two indexes projecting ALL.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import math
import os
import random
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from moto import mock_aws

from analytics_contract import FeedbackEvent, QueryEvent, ResponseEvent
from analytics_contract.storage import (
    WEEK_INDEX_ATTRIBUTES,
    WEEK_INDEX_KEYS,
    record_to_item,
    to_attribute_values,
)
from cv_analytics.dev.alarms import emf_values
from cv_analytics.dev.emulator import LOCAL_ENV
from cv_analytics.dev.resources import ResourceNames, Resources, create_all
from cv_analytics.dev.sqs_trigger import SqsTrigger
from processor.metrics import create_metrics
from processor.records import complete_record
from processor.settings import ProcessorSettings
from processor.wiring import build_event_processor

WRITES = ("PutItem", "UpdateItem", "DeleteItem")
READS = ("GetItem",)
SEED_INDEXES = 2  # the seed design's week and session indexes, both projecting ALL
SEED_REQUESTS = {"PutItem": 2.0, "GetItem": 1.0, "DeleteItem": 1.0}
WAVE = 50  # messages sent ahead of the consumer (moto's SQS recounts the queue on every call)
START_MS = 1_763_000_000_000
MIXES = ("same batch", "split, query first", "split, response first")
INDEX_PROJECTION = frozenset({"requestId", *WEEK_INDEX_KEYS, *WEEK_INDEX_ATTRIBUTES})
#: Targets of issue 14: write units per answered question including indexes, against the seed.
TARGETS = {"same batch": 0.5, "split, query first": 0.8}


def attribute_size(value: Mapping[str, Any]) -> int:
    """Bytes of one attribute value in DynamoDB's wire form."""
    (kind, inner), *_ = value.items()
    if kind == "S":
        return len(str(inner).encode())
    if kind == "N":
        digits = str(Decimal(str(inner)).normalize()).lstrip("-").replace(".", "")
        return math.ceil(len(digits.strip("0") or "0") / 2) + 1
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + attribute_size(v) + 1 for k, v in inner.items())
    if kind == "L":
        return 3 + sum(attribute_size(v) + 1 for v in inner)
    if kind in ("SS", "NS", "BS"):
        return sum(attribute_size({kind[0]: v}) for v in inner)
    raise ValueError(f"unknown attribute type {kind}")


def item_size(item: Mapping[str, Any] | None) -> int:
    if not item:
        return 0
    return sum(len(name.encode()) + attribute_size(value) for name, value in item.items())


def write_units(size_bytes: int) -> int:
    return max(1, math.ceil(size_bytes / 1024))


def read_units(size_bytes: int) -> int:
    return max(1, math.ceil(size_bytes / 4096))


def index_entry(item: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The ``week-index`` entry of an item (``None``: the item is not in the index)."""
    if not item or any(key not in item for key in WEEK_INDEX_KEYS):
        return None
    return {name: value for name, value in item.items() if name in INDEX_PROJECTION}


def index_write_units(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> int:
    old, new = index_entry(before), index_entry(after)
    if old is None and new is None:
        return 0
    if old is None or new is None:
        return write_units(item_size(new if old is None else old))
    if any(old[key] != new[key] for key in WEEK_INDEX_KEYS):
        return write_units(item_size(old)) + write_units(item_size(new))  # delete + put
    if old == new:
        return 0
    return write_units(max(item_size(old), item_size(new)))


@dataclass
class Figures:
    name: str
    events: int  # questions, or feedback events for the feedback mix
    requests: Counter[str] = field(default_factory=Counter)
    wcu: int = 0
    rcu: int = 0
    index_wcu: int = 0
    log_bytes: int = 0
    invocations: int = 0
    #: Time in the handler, per invocation (``perf_counter``; moto in-process).
    handler_seconds: list[float] = field(default_factory=list)
    #: CloudWatch EMF documents the invocations flushed (when the stack measures metrics).
    emf_bytes: int = 0
    metric_names: set[str] = field(default_factory=set)

    def per(self, value: float) -> float:
        return value / self.events

    @property
    def write_requests(self) -> int:
        return sum(self.requests[name] for name in WRITES)

    @property
    def read_requests(self) -> int:
        return sum(self.requests[name] for name in READS)

    @property
    def write_units(self) -> int:
        return self.wcu + self.index_wcu

    def as_json(self, seed: Figures | None = None) -> dict[str, Any]:
        figures: dict[str, Any] = {
            "events": self.events,
            "requests_per_event": {
                name: round(self.per(count), 4) for name, count in sorted(self.requests.items())
            },
            "write_requests_per_event": round(self.per(self.write_requests), 4),
            "read_requests_per_event": round(self.per(self.read_requests), 4),
            "table_wcu_per_event": round(self.per(self.wcu), 4),
            "index_wcu_per_event": round(self.per(self.index_wcu), 4),
            "write_units_per_event": round(self.per(self.write_units), 4),
            "rcu_per_event": round(self.per(self.rcu), 4),
        }
        if self.invocations:
            figures["log_bytes_per_event"] = round(self.per(self.log_bytes), 1)
            figures["invocations_per_event"] = round(self.per(self.invocations), 4)
        if seed is not None:
            figures["write_units_ratio_to_seed"] = round(
                self.per(self.write_units) / seed.per(seed.write_units), 4
            )
        return figures


def questions(count: int, seed: int) -> Iterator[tuple[QueryEvent, ResponseEvent, str]]:
    rng = random.Random(seed)
    for number in range(count):
        asked = START_MS + number * 4_000
        session = f"session-{number // 3:04d}"
        query = QueryEvent(
            schema_version=1,
            event_type="query",
            request_id=f"req-{number:05d}-{uuid.UUID(int=rng.getrandbits(128)).hex[:8]}",
            timestamp=asked,
            session_id=session,
            query="What did she build with " + rng.choice(["Python", "AWS", "Go", "Kafka"]) + "?",
            metadata={"page": "/cv", "country": "GB"},
        )
        response = ResponseEvent(
            schema_version=1,
            event_type="response",
            request_id=query.request_id,
            timestamp=asked + rng.randint(600, 4_000),
            session_id=session,
            match_type="full",
            match_score=round(rng.uniform(60, 99), 1),
            reasoning="The CV lists it under two roles. " * 3,
            # Answers of 270-1,350 characters: some records cross the 1 KB write unit.
            response="She designed and ran the service end to end. " * rng.randint(6, 30),
            tokens={"input": rng.randint(800, 1_500), "output": rng.randint(60, 300)},
            model="small-llm-2025-10",
            variant=rng.choice(["prompt-a", "prompt-b"]),
        )
        yield query, response, session


def feedback_for(query: QueryEvent, session: str, rng: random.Random) -> FeedbackEvent:
    return FeedbackEvent(
        schema_version=1,
        event_type="feedback",
        request_id=query.request_id,
        timestamp=query.timestamp + 60_000,
        session_id=session,
        thumbs=rng.choice(["up", "up", "up", "down"]),
        comment=rng.choice([None, "Useful, thanks", "Not what I asked"]),
    )


def order(mix: str, count: int, seed: int) -> list[tuple[str, str]]:
    """(body, message group) in the order they reach the queue."""
    items = list(questions(count, seed))
    if mix == "split, query first":
        return [(q.to_json(), s) for q, _, s in items] + [(r.to_json(), s) for _, r, s in items]
    if mix == "split, response first":
        return [(r.to_json(), s) for _, r, s in items] + [(q.to_json(), s) for q, _, s in items]
    # same batch: each response lands 0-3 positions after its query.
    rng = random.Random(seed + 1)
    slots: list[tuple[float, str, str]] = []
    for position, (query, response, session) in enumerate(items):
        slots.append((position, query.to_json(), session))
        slots.append((position + rng.randint(0, 3) / 2 + 0.1, response.to_json(), session))
    return [(body, group) for _, body, group in sorted(slots)]


def seed_design(count: int, seed: int) -> Figures:
    """The seed design priced on the same questions: the query waits in the interim table.

    Per question: put the query's interim item, get it when the response comes, put the record,
    delete the interim item (3 writes + 1 read); the record's two indexes project ALL.
    """
    figures = Figures("seed design (computed)", count)
    for query, response, _ in questions(count, seed):
        interim = to_attribute_values(
            {"requestId": query.request_id, "event": query.to_json(), "expiresAt": 0}
        )
        record = record_to_item(complete_record(query, response, now_ms=0, ttl_days=90))
        figures.wcu += 2 * write_units(item_size(interim)) + write_units(item_size(record))
        figures.rcu += read_units(item_size(interim))
        figures.index_wcu += SEED_INDEXES * write_units(item_size(record))
    figures.requests = Counter({name: int(count * per) for name, per in SEED_REQUESTS.items()})
    return figures


class Meter:
    """Counts requests by operation and prices each write from the item sizes around it."""

    def __init__(self, peek: Any, resources: Resources) -> None:
        self.peek = peek
        self.analytics_table = resources.names.analytics_table
        self.interim_table = resources.names.interim_table
        #: Bytes of the items written to the interim table (what it stores, for at most its TTL).
        self.interim_bytes_written = 0
        self.figures = Figures("", 0)
        self._pending: dict[str, Any] = {}

    def attach(self, dynamodb: Any, sqs: Any) -> None:
        dynamodb.meta.events.register("provide-client-params.dynamodb", self._remember)
        dynamodb.meta.events.register("before-call.dynamodb", self._before)
        dynamodb.meta.events.register("after-call.dynamodb", self._after)
        sqs.meta.events.register("before-call.sqs", self._count_sqs)

    def _remember(self, params: Mapping[str, Any], model: Any, **_: Any) -> None:
        self._pending = {"params": dict(params)}

    def _item_now(self) -> dict[str, Any] | None:
        params = self._pending["params"]
        key = params.get("Key") or {"requestId": params["Item"]["requestId"]}
        item = self.peek.get_item(TableName=params["TableName"], Key=key, ConsistentRead=True)
        found: dict[str, Any] | None = item.get("Item")
        return found

    def _count_sqs(self, model: Any, **_: Any) -> None:
        self.figures.requests[f"sqs:{model.name}"] += 1

    def _before(self, model: Any, **_: Any) -> None:
        self.figures.requests[model.name] += 1
        if model.name in WRITES:
            self._pending["before"] = self._item_now()

    def _after(self, model: Any, parsed: Mapping[str, Any], http_response: Any, **_: Any) -> None:
        if model.name in READS:
            self.figures.rcu += read_units(item_size(parsed.get("Item")))
            return
        if model.name not in WRITES:
            return
        before = self._pending["before"]
        succeeded = http_response.status_code < 300
        after = self._item_now() if succeeded else before
        self.figures.wcu += write_units(max(item_size(before), item_size(after)))
        table = self._pending["params"]["TableName"]
        if succeeded and table == self.analytics_table:
            self.figures.index_wcu += index_write_units(before, after)
        if succeeded and table == self.interim_table and after:
            self.interim_bytes_written += item_size(after) + 100  # DynamoDB's per-item overhead


class _NullMetrics:
    """A :class:`processor.metrics.MetricSink` that keeps nothing (unmeasured stacks)."""

    metadata_set: Mapping[str, Any] = {}

    def add_metric(self, name: str, unit: Any, value: float, resolution: int = 60) -> None:
        return None

    def add_metadata(self, key: str, value: Any) -> None:
        return None


class _Stack:
    """One stack on moto in-process, with a metered processor whose logs are captured."""

    def __init__(self, *, level: str = "INFO", measure_metrics: bool = False) -> None:
        """``measure_metrics``: the processor's own :class:`~processor.metrics.EmfMetrics`, its
        lines measured after each invocation as its ``log_metrics`` flushes them (else metrics
        are dropped)."""
        self.resources = create_all(ResourceNames(f"bench-{uuid.uuid4().hex[:6]}"))
        self.sqs = boto3.client("sqs")  # the trigger's and the sender's: not metered
        self.dynamodb = boto3.client("dynamodb")
        self.meter = Meter(self.dynamodb, self.resources)
        processor_dynamodb, processor_sqs = boto3.client("dynamodb"), boto3.client("sqs")
        self.meter.attach(processor_dynamodb, processor_sqs)
        self.logs = io.StringIO()
        logger = Logger(
            service=f"processor-bench-{uuid.uuid4().hex[:6]}",
            level=level,
            logger_handler=logging.StreamHandler(self.logs),
        )
        emf_lines: list[str] = []
        metrics = create_metrics(write=emf_lines.append) if measure_metrics else None
        processor = build_event_processor(
            ProcessorSettings.from_environment(
                {
                    "QUERY_EVENTS_TABLE": self.resources.names.interim_table,
                    "ANALYTICS_TABLE": self.resources.names.analytics_table,
                    "DEAD_LETTER_QUEUE_URL": self.resources.dead_letter_queue_url,
                }
            ),
            logger=logger,
            metrics=_NullMetrics() if metrics is None else metrics,
            dynamodb=processor_dynamodb,
            sqs=processor_sqs,
        )

        handle = processor.handle if metrics is None else metrics.log_metrics(processor.handle)

        def handler(event: dict[str, Any], context: Any) -> Any:
            figures = self.meter.figures
            figures.invocations += 1
            started = time.perf_counter()
            try:
                return handle(event, context)
            finally:
                figures.handler_seconds.append(time.perf_counter() - started)
                for line in emf_lines:
                    figures.emf_bytes += len(line) + 1
                    figures.metric_names.update(emf_values([line]))
                emf_lines.clear()

        self.trigger = SqsTrigger(self.sqs, self.resources.queue_url, handler)

    def measure(self, name: str, events: int, messages: list[tuple[str, str]]) -> Figures:
        """Send and drain ``messages``; the figures of that alone."""
        self.meter.figures = Figures(name, events)
        logged = len(self.logs.getvalue().encode())
        for start in range(0, len(messages), WAVE):
            _send(self.sqs, self.resources.queue_url, messages[start : start + WAVE], start)
            self.trigger.drain()
        figures = self.meter.figures
        figures.log_bytes = len(self.logs.getvalue().encode()) - logged
        return figures

    def statuses(self) -> Counter[str]:
        items = self.dynamodb.scan(TableName=self.resources.names.analytics_table)["Items"]
        return Counter(item["status"]["S"] for item in items)


def run_mix(mix: str, count: int, seed: int) -> Figures:
    with mock_aws():
        stack = _Stack()
        figures = stack.measure(mix, count, order(mix, count, seed))
        statuses = stack.statuses()
        assert statuses == {"answered": count}, statuses
        return figures


def run_feedback(count: int, seed: int) -> Figures:
    """Feedback on complete records (the common case): the figures per feedback event."""
    with mock_aws():
        stack = _Stack()
        stack.measure("same batch", count, order("same batch", count, seed))
        rng = random.Random(seed + 2)
        feedback = [
            (feedback_for(query, session, rng).to_json(), session)
            for query, _, session in questions(count, seed)
        ]
        figures = stack.measure("feedback (record complete)", count, feedback)
        items = stack.dynamodb.scan(TableName=stack.resources.names.analytics_table)["Items"]
        assert all("feedback" in item for item in items), "every question has its feedback"
        return figures


def _send(sqs: Any, url: str, messages: list[tuple[str, str]], first: int) -> None:
    for start in range(0, len(messages), 10):
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[
                {
                    "Id": str(index),
                    "MessageBody": body,
                    "MessageGroupId": group,
                    "MessageDeduplicationId": f"m{uuid.uuid4().hex}",
                }
                for index, (body, group) in enumerate(messages[start : start + 10])
            ],
        )


def report(mixes: list[Figures], seed: Figures, feedback: Figures) -> str:
    lines = [
        "DynamoDB per answered question (processor, moto in-process)",
        "WCU/RCU computed from item sizes with DynamoDB's rounding rules "
        "(moto's ConsumedCapacity is a constant 1.0); index writes priced from the projected item",
        "",
        f"{'mix':<28}{'Put':>6}{'Update':>8}{'Delete':>8}{'Get':>6}{'writes':>8}{'reads':>7}"
        f"{'WCU':>7}{'GSI WCU':>9}{'write units':>13}{'RCU':>6}{'vs seed':>9}{'log B':>7}",
    ]
    for figures in [*mixes, seed, feedback]:
        per = figures.per
        ratio = per(figures.write_units) / seed.per(seed.write_units)
        log = f"{per(figures.log_bytes):>7.0f}" if figures.invocations else f"{'-':>7}"
        lines.append(
            f"{figures.name:<28}"
            f"{per(figures.requests['PutItem']):>6.2f}"
            f"{per(figures.requests['UpdateItem']):>8.2f}"
            f"{per(figures.requests['DeleteItem']):>8.2f}"
            f"{per(figures.requests['GetItem']):>6.2f}"
            f"{per(figures.write_requests):>8.2f}"
            f"{per(figures.read_requests):>7.2f}"
            f"{per(figures.wcu):>7.2f}"
            f"{per(figures.index_wcu):>9.2f}"
            f"{per(figures.write_units):>13.2f}"
            f"{per(figures.rcu):>6.2f}"
            f"{ratio:>8.2f}x"
            f"{log}"
        )
    lines.append("")
    lines.append(
        "write units = table WCU + GSI WCU (week-index, INCLUDE projection; the seed design's two "
        "indexes project ALL). The feedback row is per feedback event."
    )
    for mix in mixes:
        target = TARGETS.get(mix.name)
        if target is not None:
            ratio = mix.per(mix.write_units) / seed.per(seed.write_units)
            verdict = "met" if ratio <= target else "NOT met"
            lines.append(f"target {mix.name}: <= {target}x the seed: {ratio:.2f}x, {verdict}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--seed", type=int, default=46)
    parser.add_argument("--json", type=Path, help="also write the measured figures as JSON here")
    args = parser.parse_args(argv)
    for name, value in LOCAL_ENV.items():
        os.environ[name] = value  # fake credentials: never a real account
    os.environ.pop("AWS_ENDPOINT_URL", None)  # moto in-process, never a real endpoint
    mixes = [run_mix(mix, args.questions, args.seed) for mix in MIXES]
    seed = seed_design(args.questions, args.seed)
    feedback = run_feedback(args.questions, args.seed)
    print(report(mixes, seed, feedback))
    if args.json:
        document = {
            "generated_by": "python -m bench.processor_requests",
            "questions": args.questions,
            "seed": args.seed,
            "units": "per answered question (feedback: per feedback event)",
            "mixes": {mix.name: mix.as_json(seed) for mix in mixes},
            "seed_design": seed.as_json(),
            "feedback": feedback.as_json(),
        }
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
