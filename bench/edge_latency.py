"""Latency the edge client adds to the chatbot's thread, beside a blocking ``send_message``.

One run, one local SQS endpoint: a moto server in its own process (as a real queue would be: its
request handling must not compete with the chatbot's process for the GIL or be timed with it).

- ``edge burst``: ``track_query`` + ``track_response`` back to back, 10,000 pairs (20,000 calls)
  as fast as the loop goes, while the sender thread delivers everything to the queue: the
  measurement the target is set on, and the worst case for contention with the sender thread;
- ``edge paced``: the same pairs with a short sleep between them (the chatbot waiting for its
  LLM), so each pair runs with cold CPU caches, the way a chatbot really calls it (informational);
- ``edge paced, no sender thread``: the paced calls again in serverless mode, where nothing is
  sent until the end: how much of the paced figures is the calls' own cost, and how much the
  sender thread delivering at the same time;
- ``blocking``: what the chatbot would do without the edge client: one ``send_message`` per event
  on its own thread, the query's and the response's (1,000 pairs).

Figures per call and per pair (query + response). Every tracked event is checked to have been
accepted by the queue.

    .venv/bin/python -m bench.edge_latency [--pairs 10000] [--blocking 1000] [--pace-us 200]
"""

from __future__ import annotations

import argparse
import gc
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import boto3

from cv_analytics.dev.emulator import LOCAL_ENV, free_port
from cv_analytics.dev.resources import ResourceNames, create_queues
from edge_client import EdgeClient, Settings
from edge_client.sqs import default_config

TARGET_P99_US = 50.0
TARGET_RATIO = 100.0
QUESTION = "What did she build with Terraform, and did she run it in production?"
ANSWER = "She wrote the worker's Terraform module: an SQS FIFO queue with its dead-letter queue."
QUERY_BODY = (
    '{"schemaVersion":1,"eventType":"query","requestId":"%s","timestamp":1763112600000,'
    '"sessionId":"s","query":"%s","metadata":{"page":"/cv","country":"GB"}}'
)
RESPONSE_BODY = (
    '{"schemaVersion":1,"eventType":"response","requestId":"%s","timestamp":1763112601000,'
    '"sessionId":"s","matchType":"partial","matchScore":72.5,"response":"%s",'
    '"reasoning":"The CV lists the worker module.","tokens":{"input":812,"output":64},'
    '"model":"claude-haiku"}'
)

#: The moto server, minus its per-message bookkeeping: moto 5.2.1 rebuilds a queue's attribute
#: dict (27 camelCase conversions and three scans of every stored message) several times per message
#: accepted, so a queue holding the bench's 42,000 events would take many minutes to fill. Real SQS
#: does not slow down as a queue grows; this keeps moto closer to that. It also makes the blocking
#: call faster (about 2.6 ms instead of several), which only narrows the gap the bench reports.
LEAN_MOTO = """
import functools, sys
import moto.sqs.models as models
models.camelcase_to_underscores = functools.lru_cache(maxsize=512)(
    models.camelcase_to_underscores
)
for name in ("approximate_number_of_messages", "approximate_number_of_messages_delayed",
             "approximate_number_of_messages_not_visible"):
    setattr(models.Queue, name, property(lambda queue: 0))
from moto.server import main
main(sys.argv[1:])
"""


@dataclass(frozen=True)
class Figures:
    name: str
    samples: int
    p50_us: float
    p99_us: float
    max_us: float


def summarize(name: str, nanoseconds: list[int]) -> Figures:
    ordered = sorted(nanoseconds)
    count = len(ordered)
    return Figures(
        name=name,
        samples=count,
        p50_us=ordered[count // 2] / 1000,
        p99_us=ordered[min(count - 1, int(count * 0.99))] / 1000,
        max_us=ordered[-1] / 1000,
    )


@dataclass
class Samples:
    calls: list[int]
    pairs: list[int]

    def figures(self, name: str) -> tuple[Figures, Figures]:
        return summarize(f"{name}, per call", self.calls), summarize(
            f"{name}, per pair", self.pairs
        )


@contextmanager
def moto_process() -> Iterator[str]:
    """A moto server in a child process on a free loopback port; yields its endpoint URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", LEAN_MOTO, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **LOCAL_ENV},
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the moto server did not start") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def measure_edge(client: EdgeClient, pairs: int, pace_s: float, tag: str) -> Samples:
    calls: list[int] = []
    totals: list[int] = []
    clock = time.perf_counter_ns
    for index in range(pairs):
        session = f"{tag}-session-{index % 500}"
        started = clock()
        request_id = client.track_query(
            session_id=session, query=QUESTION, metadata={"page": "/cv", "country": "GB"}
        )
        middle = clock()
        client.track_response(
            request_id=request_id,
            session_id=session,
            match_type="partial",
            match_score=72.5,
            response=ANSWER,
            reasoning="The CV lists the worker module.",
            tokens={"input": 812, "output": 64},
            model="claude-haiku",
        )
        ended = clock()
        calls += (middle - started, ended - middle)
        totals.append(ended - started)
        if pace_s:
            time.sleep(pace_s)
    return Samples(calls, totals)


def measure_blocking(send: Callable[[str, int], object], pairs: int) -> Samples:
    calls: list[int] = []
    totals: list[int] = []
    clock = time.perf_counter_ns
    for index in range(pairs):
        started = clock()
        send(QUERY_BODY % (f"b{index}", QUESTION), index)
        middle = clock()
        send(RESPONSE_BODY % (f"b{index}", ANSWER), index)
        ended = clock()
        calls += (middle - started, ended - middle)
        totals.append(ended - started)
    return Samples(calls, totals)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pairs", type=int, default=10_000, help="pairs per edge measurement")
    parser.add_argument("--blocking", type=int, default=1_000, help="blocking pairs")
    parser.add_argument("--pace-us", type=float, default=200.0, help="sleep between paced pairs")
    args = parser.parse_args(argv)
    os.environ.update(LOCAL_ENV)

    with moto_process() as endpoint:
        sqs = boto3.session.Session().client(
            "sqs",
            endpoint_url=endpoint,
            config=default_config(connect_timeout=1.0, read_timeout=5.0),
        )
        prefix = f"bench-{uuid.uuid4().hex[:8]}"
        queue_url = create_queues(sqs, ResourceNames(prefix=f"{prefix}-edge"))[0]
        blocking_queue_url = create_queues(sqs, ResourceNames(prefix=f"{prefix}-blocking"))[0]
        client = EdgeClient(
            queue_url,
            endpoint_url=endpoint,
            mode="background",
            settings=Settings(max_queue_size=4 * args.pairs + 4_000, give_up_after=240),
        )
        measure_edge(client, 1_000, 0.0, "warmup")  # imports, first boto3 client, caches
        delivered = client.flush(120)
        sqs.purge_queue(QueueUrl=queue_url)  # keeps moto's duplicate check (a list scan) short
        gc.collect()

        burst = measure_edge(client, args.pairs, 0.0, "burst").figures("edge burst")
        delivered = client.flush(230) and delivered
        sqs.purge_queue(QueueUrl=queue_url)
        paced = measure_edge(client, args.pairs, args.pace_us / 1e6, "paced").figures("edge paced")
        delivered = client.flush(230) and delivered
        stats = client.stats()
        client.close()
        sqs.purge_queue(QueueUrl=queue_url)

        # Reference: the same paced calls with no sender thread at all (serverless mode keeps
        # the events until its flush). What is left is the calls' own cost with cold caches.
        quiet = EdgeClient(
            queue_url,
            endpoint_url=endpoint,
            mode="serverless",
            settings=Settings(max_queue_size=2 * args.pairs, give_up_after=240),
        )
        reference = measure_edge(quiet, args.pairs, args.pace_us / 1e6, "quiet").figures(
            "edge paced, no sender thread"
        )
        delivered = quiet.close(230) and delivered
        stats_quiet = quiet.stats()

        def send(body: str, index: int) -> object:
            return sqs.send_message(
                QueueUrl=blocking_queue_url,
                MessageBody=body,
                MessageGroupId=f"blocking-{index % 500}",
                MessageDeduplicationId=f"{body[30:60]}-{index}",
            )

        measure_blocking(send, 50)  # warm-up
        blocking = measure_blocking(send, args.blocking).figures("blocking send_message")

    print(f"{'measurement':<34}{'samples':>9}{'p50 µs':>11}{'p99 µs':>11}{'max µs':>11}")
    for figures in (*burst, *paced, *reference, *blocking):
        print(
            f"{figures.name:<34}{figures.samples:>9}{figures.p50_us:>11.1f}"
            f"{figures.p99_us:>11.1f}{figures.max_us:>11.1f}"
        )
    events = 2 * (1_000 + 2 * args.pairs)
    print(
        f"\nevents tracked {stats.enqueued} (expected {events}), accepted by SQS {stats.sent}, "
        f"dropped {stats.dropped}, failed {stats.failed}; without a sender thread: "
        f"{stats_quiet.enqueued} tracked, {stats_quiet.sent} accepted at close"
    )
    edge_pair, blocking_pair = burst[1], blocking[1]
    ratio_p50 = blocking_pair.p50_us / edge_pair.p50_us
    ratio_p99 = blocking_pair.p99_us / edge_pair.p99_us
    print(
        f"blocking pair / edge pair (burst): {ratio_p50:.0f}x at p50, {ratio_p99:.0f}x at p99; "
        f"paced: {blocking_pair.p50_us / paced[1].p50_us:.0f}x at p50, "
        f"{blocking_pair.p99_us / paced[1].p99_us:.0f}x at p99"
    )
    ok = (
        delivered
        and stats.sent == events
        and stats_quiet.sent == 2 * args.pairs
        and edge_pair.p99_us < TARGET_P99_US
        and min(ratio_p50, ratio_p99) >= TARGET_RATIO
    )
    print(
        f"target (edge burst pair p99 < {TARGET_P99_US:.0f} µs, >= {TARGET_RATIO:.0f}x below "
        f"the blocking pair, every event delivered): {'met' if ok else 'NOT met'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
