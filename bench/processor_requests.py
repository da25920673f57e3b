"""DynamoDB requests and capacity units the processor spends per answered question.

Run: ``.venv/bin/python -m bench.processor_requests [--questions N]``

The real handler (``processor.sqs_batch.EventProcessor`` wired by ``processor.wiring``) drains a
real FIFO queue through the local SQS trigger, on moto in-process. botocore event hooks on the
processor's DynamoDB client count every request by operation, and size the item before and after
each write (through a second, unhooked client) to price it.

Capacity units are *computed*, not read from moto: moto answers ``ReturnConsumedCapacity`` with a
constant (1.0 per write, whatever the item's size, and nothing for a failed conditional write), so
the bench applies DynamoDB's rules instead: a write costs 1 WCU per started KB of the larger of the
item before and after (a failed conditional write still costs at least 1; deleting nothing costs
1); a strongly consistent read costs 1 RCU per started 4 KB (at least 1). Item sizes follow
DynamoDB's accounting (attribute names + values; numbers ~1 byte per 2 digits + 1). Writes to the
analytics table's two global secondary indexes (ALL projection) are priced separately.

Mixes, each ending with every question answered:

a. same batch: each question's response follows its query closely (0-3 other events between,
   as when several conversations overlap), so most pairs share a batch;
b. split, query first: a batch of queries, then the responses in later batches;
c. split, response first: every response overtakes its query (rare in production: both events of
   a question share a FIFO group, the session, so SQS keeps their order unless a send is retried).

Seed design, for comparison: 4 requests per question (put interim, get, put record, delete
interim): 3 writes + 1 read.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from moto import mock_aws

from analytics_contract import QueryEvent, ResponseEvent
from analytics_contract.storage import record_to_item, to_attribute_values
from cv_analytics.dev.emulator import LOCAL_ENV
from cv_analytics.dev.resources import ResourceNames, Resources, create_all
from cv_analytics.dev.sqs_trigger import SqsTrigger
from processor.config import ProcessorSettings
from processor.records import complete_record
from processor.wiring import build_event_processor

WRITES = ("PutItem", "UpdateItem", "DeleteItem")
READS = ("GetItem",)
INDEXES_PER_ANALYTICS_WRITE = 2  # week-index and session-index, both projecting ALL
SEED_REQUESTS = {"PutItem": 2.0, "GetItem": 1.0, "DeleteItem": 1.0}
WAVE = 50  # messages sent ahead of the consumer (moto's SQS recounts the queue on every call)
START_MS = 1_763_000_000_000


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


@dataclass(frozen=True)
class Figures:
    name: str
    questions: int
    requests: Counter[str]
    wcu: int
    rcu: int
    index_wcu: int

    def per_question(self, value: float) -> float:
        return value / self.questions

    @property
    def write_requests(self) -> int:
        return sum(self.requests[name] for name in WRITES)

    @property
    def read_requests(self) -> int:
        return sum(self.requests[name] for name in READS)


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
        )
        yield query, response, session


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
    delete the interim item (3 writes + 1 read).
    """
    wcu = rcu = index_wcu = 0
    for query, response, _ in questions(count, seed):
        interim = to_attribute_values(
            {"requestId": query.request_id, "event": query.to_json(), "expiresAt": 0}
        )
        record = record_to_item(complete_record(query, response, now_ms=0, ttl_days=90))
        wcu += 2 * write_units(item_size(interim)) + write_units(item_size(record))
        rcu += read_units(item_size(interim))
        index_wcu += INDEXES_PER_ANALYTICS_WRITE * write_units(item_size(record))
    requests = Counter({name: int(count * per) for name, per in SEED_REQUESTS.items()})
    return Figures("seed design (computed)", count, requests, wcu, rcu, index_wcu)


def run_mix(mix: str, count: int, seed: int) -> Figures:
    with mock_aws():
        resources = create_all(ResourceNames(f"bench-{uuid.uuid4().hex[:6]}"))
        sqs = boto3.client("sqs")
        dynamodb = boto3.client("dynamodb")
        meter = Meter(boto3.client("dynamodb"), resources)
        meter.attach(dynamodb)
        processor = build_event_processor(
            settings(resources),
            logger=Logger(service="processor-bench", level="ERROR"),
            metrics=_NullMetrics(),
            dynamodb=dynamodb,
            sqs=sqs,
        )
        trigger = SqsTrigger(sqs, resources.queue_url, processor.handle)
        messages = order(mix, count, seed)
        for start in range(0, len(messages), WAVE):
            _send(sqs, resources.queue_url, messages[start : start + WAVE], start)
            trigger.drain()
        statuses = Counter(
            item["status"]["S"]
            for item in dynamodb.scan(TableName=resources.names.analytics_table)["Items"]
        )
        assert statuses == {"answered": count}, statuses
        return Figures(mix, count, meter.requests, meter.wcu, meter.rcu, meter.index_wcu)


class Meter:
    """Counts requests by operation and prices each one from the item sizes around it."""

    def __init__(self, peek: Any, resources: Resources) -> None:
        self.peek = peek
        self.analytics_table = resources.names.analytics_table
        self.requests: Counter[str] = Counter()
        self.wcu = self.rcu = self.index_wcu = 0
        self._pending: dict[str, Any] = {}

    def attach(self, client: Any) -> None:
        client.meta.events.register("provide-client-params.dynamodb", self._remember)
        client.meta.events.register("before-call.dynamodb", self._before)
        client.meta.events.register("after-call.dynamodb", self._after)

    def _remember(self, params: Mapping[str, Any], model: Any, **_: Any) -> None:
        self._pending = {"params": dict(params)}

    def _size_now(self) -> int:
        params = self._pending["params"]
        key = params.get("Key") or {"requestId": params["Item"]["requestId"]}
        item = self.peek.get_item(TableName=params["TableName"], Key=key, ConsistentRead=True)
        return item_size(item.get("Item"))

    def _before(self, model: Any, **_: Any) -> None:
        self.requests[model.name] += 1
        if model.name in WRITES:
            self._pending["before"] = self._size_now()

    def _after(self, model: Any, parsed: Mapping[str, Any], http_response: Any, **_: Any) -> None:
        if model.name in READS:
            self.rcu += read_units(item_size(parsed.get("Item")))
            return
        if model.name not in WRITES:
            return
        before = self._pending["before"]
        succeeded = http_response.status_code < 300
        after = self._size_now() if succeeded else before
        units = write_units(max(before, after))
        self.wcu += units
        table = self._pending["params"]["TableName"]
        if succeeded and table == self.analytics_table and model.name != "DeleteItem":
            self.index_wcu += INDEXES_PER_ANALYTICS_WRITE * units


class _NullMetrics:
    def add_metric(self, name: str, unit: Any, value: float, resolution: int = 60) -> None:
        return None


def settings(resources: Resources) -> ProcessorSettings:
    return ProcessorSettings.from_environment(
        {
            "QUERY_EVENTS_TABLE": resources.names.interim_table,
            "ANALYTICS_TABLE": resources.names.analytics_table,
            "DEAD_LETTER_QUEUE_URL": resources.dead_letter_queue_url,
        }
    )


def _send(sqs: Any, url: str, messages: list[tuple[str, str]], first: int) -> None:
    for start in range(0, len(messages), 10):
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[
                {
                    "Id": str(index),
                    "MessageBody": body,
                    "MessageGroupId": group,
                    "MessageDeduplicationId": f"m{first + start + index}",
                }
                for index, (body, group) in enumerate(messages[start : start + 10])
            ],
        )


def report(all_figures: list[Figures]) -> str:
    lines = [
        "DynamoDB requests per answered question (processor, moto in-process)",
        "WCU/RCU computed from item sizes with DynamoDB's rounding rules "
        "(moto's ConsumedCapacity is a constant 1.0)",
        "",
        f"{'mix':<26}{'Put':>6}{'Update':>8}{'Delete':>8}{'Get':>6}{'writes':>8}{'reads':>7}"
        f"{'total':>7}{'WCU':>7}{'RCU':>6}{'GSI WCU':>9}",
    ]
    for figures in all_figures:
        per = figures.per_question
        lines.append(
            f"{figures.name:<26}"
            f"{per(figures.requests['PutItem']):>6.2f}"
            f"{per(figures.requests['UpdateItem']):>8.2f}"
            f"{per(figures.requests['DeleteItem']):>8.2f}"
            f"{per(figures.requests['GetItem']):>6.2f}"
            f"{per(figures.write_requests):>8.2f}"
            f"{per(figures.read_requests):>7.2f}"
            f"{per(figures.write_requests + figures.read_requests):>7.2f}"
            f"{per(figures.wcu):>7.2f}"
            f"{per(figures.rcu):>6.2f}"
            f"{per(figures.index_wcu):>9.2f}"
        )
    lines.append("")
    lines.append(
        "writes/reads/total: requests; WCU/RCU: base tables; GSI WCU: each successful analytics "
        "write also writes both indexes (ALL projection)."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--seed", type=int, default=46)
    args = parser.parse_args(argv)
    for name, value in LOCAL_ENV.items():
        os.environ[name] = value  # fake credentials: never a real account
    os.environ.pop("AWS_ENDPOINT_URL", None)  # moto in-process, never a real endpoint
    mixes = ("same batch", "split, query first", "split, response first")
    figures = [run_mix(mix, args.questions, args.seed) for mix in mixes]
    print(report([*figures, seed_design(args.questions, args.seed)]))


if __name__ == "__main__":
    main()
