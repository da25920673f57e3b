"""Latency a Lambda-hosted chatbot's caller sees, with the edge client delivering after the
response (its Lambda internal extension) or before the handler returns (the fallback).

Three processes, as in Lambda: the Runtime and Extensions APIs (a local stand-in that follows
their protocol, ``tests/support/lambda_api.py``) in this process, which also drives the
invocations; the function in a child process (a runtime loop like ``awslambdaric``'s, the handler
module's client created during Init); the queue in a moto server of its own. Per invocation the
handler tracks a question, waits for its "LLM" (``--llm-ms``, 5 ms: a real call takes hundreds),
tracks the answer and returns. (The wait matters: the extension receives its INVOKE event at the
same moment as the runtime, and reads it while the handler waits. With ``--llm-ms 0`` that reading
competes with the handler for the GIL, which a handler with any real work never sees.)

Three functions, one execution environment each, invoked in turn (so that the machine's other
work weighs on the three alike):

- ``no analytics``: the handler without the client (the reference);
- ``before return``: ``EdgeClient(..., lambda_extension=False)``: the events are sent before the
  handler returns (one SendMessageBatch round trip in the caller's latency);
- ``after response``: the client's internal extension sends them after the runtime has posted
  the response, before the environment may freeze.

Printed: the response latency (the runtime receiving the invocation to the stand-in receiving its
response) per function at p50 and p99, the latency each adds to the reference, how long the
environment stays up after the response, and whether every event was accepted by SQS before its
invocation's environment froze (from the time each SendMessageBatch returned, recorded in the
function's process, against the stand-in's freeze time; ``time.monotonic`` is system-wide).

    .venv/bin/python -m bench.edge_lambda [--invocations 500] [--pace-ms 20]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import boto3

from bench.edge_latency import moto_process, summarize
from cv_analytics.dev.emulator import LOCAL_ENV
from cv_analytics.dev.resources import ResourceNames, create_queues
from edge_client import BatchResult, EdgeClient, OutgoingMessage
from edge_client.lambda_extension import RUNTIME_API_ENV
from edge_client.sqs import SqsTransport, default_config
from tests.support.lambda_api import InvocationRecord, LambdaApiStandIn, run_runtime

TARGET_ADDED_P99_MS = 1.0
MODES = {"none": "no analytics", "sync": "before return", "extension": "after response"}


class RecordingTransport:
    """SqsTransport that notes when SQS accepted each event (time.monotonic())."""

    def __init__(self, inner: SqsTransport) -> None:
        self.inner = inner
        self.accepted: dict[str, float] = {}

    def send_batch(self, messages: Sequence[OutgoingMessage]) -> BatchResult:
        result = self.inner.send_batch(messages)
        now = time.monotonic()
        for message in messages:
            if message.id not in result.failed:
                body = json.loads(message.body)
                self.accepted[f"{body['eventType']}:{body['requestId']}"] = now
        return result

    def reset_after_fork(self) -> None:
        self.inner.reset_after_fork()


def function_process(mode: str, queue_url: str, endpoint_url: str, llm_s: float) -> None:
    """The Lambda function's process: Init creates the client, then the runtime loop."""
    transport = RecordingTransport(
        SqsTransport(
            queue_url,
            endpoint_url=endpoint_url,
            config=default_config(connect_timeout=1.0, read_timeout=5.0),
        )
    )
    clients: list[EdgeClient] = []

    def init() -> Callable[[Any, Any], Any]:
        if mode == "none":

            def bare(event: dict[str, Any], context: Any) -> dict[str, Any]:
                time.sleep(llm_s)  # the chatbot's LLM call
                return {"answer": "yes"}

            return bare
        client = EdgeClient(
            transport=transport, mode="serverless", lambda_extension=mode == "extension"
        )
        clients.append(client)

        @client.lambda_handler
        def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
            request_id = client.track_query(session_id="visitor", query=event["question"])
            time.sleep(llm_s)  # the chatbot's LLM call
            client.track_response(
                request_id=request_id,
                match_type="full",
                match_score=90.0,
                response="Yes: the worker's queue and the three Terraform roots.",
                model="claude-haiku",
            )
            return {"requestId": request_id, "answer": "yes"}

        return handler

    run_runtime(os.environ[RUNTIME_API_ENV], init)
    client = clients[0] if clients else None
    print(
        json.dumps(
            {
                "accepted": transport.accepted,
                "extension": bool(client and client.lambda_extension_active),
                "sent": client.stats().sent if client else 0,
            }
        )
    )


class Environment:
    """One execution environment: a stand-in API and the function's process, started (Init)."""

    def __init__(self, mode: str, queue_url: str, endpoint_url: str, llm_s: float) -> None:
        self.mode = mode
        self.api = LambdaApiStandIn().__enter__()
        self.records: list[InvocationRecord] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.edge_lambda", "--function", mode],
            env={
                **os.environ,
                RUNTIME_API_ENV: self.api.address,
                "AWS_LAMBDA_FUNCTION_NAME": "chatbot",
                "PYTHONPATH": os.pathsep.join(sys.path),
                "BENCH_QUEUE_URL": queue_url,
                "BENCH_ENDPOINT_URL": endpoint_url,
                "BENCH_LLM_SECONDS": str(llm_s),
            },
            stdout=subprocess.PIPE,
            text=True,
        )

    def invoke(self, *, measured: bool) -> None:
        record = self.api.invoke(timeout_ms=30_000)
        if measured:
            self.records.append(record)

    def finish(self) -> dict[str, Any]:
        try:
            self.api.finish()
            output, _ = self.process.communicate(timeout=120)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            self.api.__exit__()
        report: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
        return report


def run(
    queue_url: str, endpoint_url: str, invocations: int, pace_s: float, llm_s: float
) -> dict[str, tuple[list[InvocationRecord], dict[str, Any]]]:
    """The three functions side by side, invoked in turn: whatever else the machine is doing
    weighs on the three alike."""
    environments = [Environment(mode, queue_url, endpoint_url, llm_s) for mode in MODES]
    try:
        for round_number in range(20 + invocations):  # 20 warm-up rounds: imports, connections
            for environment in environments:
                environment.invoke(measured=round_number >= 20)
                time.sleep(pace_s)
    finally:
        reports = [environment.finish() for environment in environments]
    return {
        environment.mode: (environment.records, report)
        for environment, report in zip(environments, reports, strict=True)
    }


def _delivered_before_freeze(record: InvocationRecord, accepted: dict[str, float]) -> bool:
    """Both events of the invocation (its requestId is in the handler's response) were accepted
    by SQS before the stand-in saw the environment free to freeze."""
    request_id = json.loads(record.response)["requestId"]
    times = [accepted.get(f"{kind}:{request_id}") for kind in ("query", "response")]
    return record.frozen_at is not None and all(
        at is not None and at <= record.frozen_at for at in times
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--invocations", type=int, default=500)
    parser.add_argument("--pace-ms", type=float, default=20.0, help="pause between invocations")
    parser.add_argument(
        "--llm-ms",
        type=float,
        default=5.0,
        help="the handler's wait for its LLM between the two track calls (0: no wait)",
    )
    parser.add_argument("--function", choices=sorted(MODES), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ.update(LOCAL_ENV)
    if args.function:
        function_process(
            args.function,
            os.environ["BENCH_QUEUE_URL"],
            os.environ["BENCH_ENDPOINT_URL"],
            float(os.environ["BENCH_LLM_SECONDS"]),
        )
        return 0

    with moto_process() as endpoint:
        sqs = boto3.session.Session().client("sqs", endpoint_url=endpoint)
        queue_url = create_queues(sqs, ResourceNames(prefix=f"bench-{uuid.uuid4().hex[:8]}"))[0]
        results = run(queue_url, endpoint, args.invocations, args.pace_ms / 1e3, args.llm_ms / 1e3)

    print(
        f"handler: track_query, {args.llm_ms:g} ms LLM wait, track_response; {args.invocations} invocations each"
    )
    print(f"{'function':<34}{'invocations':>12}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    latency = {}
    for mode, (records, _) in results.items():
        figures = summarize(MODES[mode], [int(r.response_latency * 1e9) for r in records])
        latency[mode] = figures
        print(
            f"{figures.name + ', response latency':<34}{figures.samples:>12}"
            f"{figures.p50_us / 1e3:>10.3f}{figures.p99_us / 1e3:>10.3f}{figures.max_us / 1e3:>10.3f}"
        )
    base = latency["none"]
    for mode in ("sync", "extension"):
        added_p50 = (latency[mode].p50_us - base.p50_us) / 1e3
        added_p99 = (latency[mode].p99_us - base.p99_us) / 1e3
        print(
            f"added by the client, {MODES[mode]}: {added_p50:.3f} ms at p50, {added_p99:.3f} ms at p99"
        )
    records, report = results["extension"]
    after = summarize(
        "up after the response",
        [int(((r.frozen_at or 0) - (r.response_at or 0)) * 1e9) for r in records],
    )
    print(
        f"after response: environment up {after.p50_us / 1e3:.2f} ms (p50), "
        f"{after.p99_us / 1e3:.2f} ms (p99) after the response, delivering; extension registered: "
        f"{report['extension']}"
    )
    before_freeze = 0
    for mode in ("sync", "extension"):
        mode_records, mode_report = results[mode]
        ok = sum(
            _delivered_before_freeze(record, mode_report["accepted"]) for record in mode_records
        )
        print(
            f"{MODES[mode]}: {ok} of {len(mode_records)} invocations had both events accepted by "
            "SQS before the environment froze"
        )
        before_freeze = ok
    added_p99 = (latency["extension"].p99_us - base.p99_us) / 1e3
    met = added_p99 < TARGET_ADDED_P99_MS and before_freeze == len(records) and report["extension"]
    print(
        f"target (after response: latency added at p99 < {TARGET_ADDED_P99_MS:g} ms, every event "
        f"delivered before the freeze): {'met' if met else 'NOT met'}"
    )
    print(f"load average (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
