"""The measured inputs of ``cv-analytics cost``: what one question costs in requests, units, bytes
and time, for this system and for the seed design, written to ``cv_analytics/cost/measured.json``.

Run: ``.venv/bin/python -m bench.cost_inputs [--questions 200] [--seed 46] [--json PATH]``
(``make cost-inputs``). Deterministic except the timings: with the same ``--questions`` and
``--seed`` every count and byte figure comes out the same (``tests/unit/cost/test_measured.py``
re-runs it and fails when the committed file is stale).

What is measured, and how:

- **Processor** (``bench.processor_requests``'s same-batch mix: the real handler draining a real
  FIFO queue on moto in-process): DynamoDB requests, write units (table + ``week-index``, from item
  sizes with DynamoDB's rounding) and read units per question; SQS requests the processor itself
  makes; invocations per question (batches of up to 10 messages, as the event source mapping
  delivers them from a busy queue); time in the handler per invocation (the median); log bytes
  per question at INFO (one summary line per batch) and, for the seed design, at DEBUG (a line
  per event, as the seed logged); the CloudWatch EMF line each invocation flushes (the
  processor's ``EmfMetrics``): its bytes. The custom metrics priced are
  ``processor.metrics.PUBLISHED_METRICS``, every name that can ever be billed (a quiet run emits
  fewer); the run fails if it emitted a metric outside that set.
  And the split mixes' DynamoDB figures (requests, write and read units, interim bytes): query
  first (a question's query and its response in different invocations, as always with batches of
  one message) and response first (the response overtook its query: rare, the worst case).
- **Storage**: the analytics items and their ``week-index`` entries after the run, sized with
  DynamoDB's accounting plus its 100 bytes of overhead per item and per index entry; the interim
  items written per question (each kept at most 24 hours, its TTL).
- **Edge client**: SendMessageBatch requests per question in serverless mode (one flush per
  invocation: the query and its response in one request), through the real client into an
  in-memory transport.
- **Reporter**: CPU seconds per record of one week's aggregation, clustering and rendering
  (``bench.reporter_aggregate.one_pass``). A lower bound of what Lambda bills (wall time): the
  round trips to DynamoDB (``Query`` pages) and SES are not in it; timing them against moto
  in-process would time moto, not AWS's network.
- **CloudWatch alarms**: counted from the deployment's own files (``template.yaml``'s
  ``AWS::CloudWatch::Alarm`` resources, every ``*_infra`` module's ``aws_cloudwatch_metric_alarm``
  with its ``for_each`` resolved from the module's locals), as AWS bills them: one alarm metric per
  standard alarm, one per metric in a metric-math alarm's expression.
- **Lambda's own log lines**: START, END and REPORT per invocation, sized from a line of each in
  the format AWS documents.

The seed design on the same questions (``bench.processor_requests.seed_design``): its Worker sent
each event with its own SendMessage; its processor put the query in an interim table, read it back
when the response came, put the record (two indexes projecting ALL) and deleted the interim item.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
from pathlib import Path
from typing import Any

from moto import mock_aws

from analytics_contract.storage import record_to_item, to_attribute_values
from bench.processor_requests import (
    SEED_INDEXES,
    Figures,
    _Stack,
    index_entry,
    item_size,
    order,
    questions,
    seed_design,
)
from cv_analytics.dev.emulator import LOCAL_ENV
from cv_analytics.infra.cloudformation import load_template
from edge_client import EdgeClient, InMemorySink
from processor.metrics import PUBLISHED_METRICS
from processor.records import complete_record

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "cv_analytics" / "cost" / "measured.json"
MIX = "same batch"
#: The mixes where each question's query and response reach the processor in different
#: invocations (always so with batches of one message): ``bench.processor_requests``'s.
SPLIT_MIXES = {
    "split_query_first": "split, query first",
    "split_response_first": "split, response first",
}
#: DynamoDB's storage overhead per item, and per index entry (its pricing page).
ITEM_OVERHEAD_BYTES = 100
#: One invocation's platform lines, in the format of AWS's "Lambda function logs" page.
LAMBDA_PLATFORM_LINES = (
    "START RequestId: 6f1c0a52-7f0b-4a8c-9a57-3b3e6e1f2d4c Version: 12\n"
    "END RequestId: 6f1c0a52-7f0b-4a8c-9a57-3b3e6e1f2d4c\n"
    "REPORT RequestId: 6f1c0a52-7f0b-4a8c-9a57-3b3e6e1f2d4c\tDuration: 75.77 ms\t"
    "Billed Duration: 76 ms\tMemory Size: 256 MB\tMax Memory Used: 98 MB\t\n"
)
REPORTER_RECORDS = 10_000


def _per(value: float, count: int, digits: int = 4) -> float:
    return round(value / count, digits)


class UnpublishedMetricsError(RuntimeError):
    """The processor emitted a CloudWatch metric outside ``PUBLISHED_METRICS``."""


def billable_metrics(emitted: set[str]) -> list[str]:
    """The custom metrics to price: every published name, which is what a month can bill (a
    clean run like this one emits fewer). Raises when the run emitted another, or none at all."""
    unpublished = emitted - PUBLISHED_METRICS
    if unpublished or not emitted:
        raise UnpublishedMetricsError(
            f"the run emitted the metrics {sorted(emitted)}: expected some of "
            f"processor.metrics.PUBLISHED_METRICS {sorted(PUBLISHED_METRICS)} and nothing else"
        )
    return sorted(PUBLISHED_METRICS)


def measure_processor(count: int, seed: int) -> dict[str, Any]:
    """The same-batch mix at INFO with metrics measured, and its log bytes at DEBUG."""
    with mock_aws():
        stack = _Stack(measure_metrics=True)
        figures = stack.measure(MIX, count, order(MIX, count, seed))
        assert stack.statuses() == {"answered": count}
        items = stack.dynamodb.scan(TableName=stack.resources.names.analytics_table)["Items"]
        table_bytes = sum(item_size(item) + ITEM_OVERHEAD_BYTES for item in items)
        index_bytes = sum(
            item_size(entry) + ITEM_OVERHEAD_BYTES
            for entry in map(index_entry, items)
            if entry is not None
        )
        interim_bytes = stack.meter.interim_bytes_written
    with mock_aws():
        debug = _Stack(level="DEBUG").measure(MIX, count, order(MIX, count, seed))
    return {
        "invocations_per_question": _per(figures.invocations, count),
        # The median: the machine's other work lengthens some invocations, not the typical one.
        "handler_ms_per_invocation": round(1000 * statistics.median(figures.handler_seconds), 1),
        "dynamodb_requests_per_question": {
            name: _per(value, count)
            for name, value in sorted(figures.requests.items())
            if not name.startswith("sqs:")
        },
        "sqs_requests_per_question": _per(
            sum(value for name, value in figures.requests.items() if name.startswith("sqs:")),
            count,
        ),
        "table_wcu_per_question": _per(figures.wcu, count),
        "index_wcu_per_question": _per(figures.index_wcu, count),
        "write_units_per_question": _per(figures.write_units, count),
        "read_units_per_question": _per(figures.rcu, count),
        "log_bytes_per_question": _per(figures.log_bytes, count, 1),
        "debug_log_bytes_per_question": _per(debug.log_bytes, count, 1),
        "emf_bytes_per_question": _per(figures.emf_bytes, count, 1),
        "metrics": billable_metrics(figures.metric_names),
        "analytics_item_bytes_per_question": _per(table_bytes, count, 1),
        "index_entry_bytes_per_question": _per(index_bytes, count, 1),
        "interim_bytes_written_per_question": _per(interim_bytes, count, 1),
        **{key: measure_split(count, seed, mix) for key, mix in SPLIT_MIXES.items()},
    }


def measure_split(count: int, seed: int, mix: str) -> dict[str, Any]:
    """What a question costs the processor in DynamoDB when its query and its response arrive in
    different invocations (``mix``: which comes first)."""
    with mock_aws():
        stack = _Stack()
        figures = stack.measure(mix, count, order(mix, count, seed))
        assert stack.statuses() == {"answered": count}
        interim_bytes = stack.meter.interim_bytes_written
    return {
        "dynamodb_requests_per_question": {
            name: _per(value, count)
            for name, value in sorted(figures.requests.items())
            if not name.startswith("sqs:")
        },
        "table_wcu_per_question": _per(figures.wcu, count),
        "index_wcu_per_question": _per(figures.index_wcu, count),
        "write_units_per_question": _per(figures.write_units, count),
        "read_units_per_question": _per(figures.rcu, count),
        "interim_bytes_written_per_question": _per(interim_bytes, count, 1),
    }


REPO_ROOT = Path(__file__).resolve().parents[1]


def _template_alarm_metrics(template: Path) -> list[int]:
    """The alarm metrics of each ``AWS::CloudWatch::Alarm`` in a SAM/CloudFormation template (every
    service's stack together: one deployment of each)."""
    document = load_template(template)
    alarms = []
    for resource in document["Resources"].values():
        if resource["Type"] != "AWS::CloudWatch::Alarm":
            continue
        properties = resource["Properties"]
        if "Metrics" in properties:
            alarms.append(sum("MetricStat" in query for query in properties["Metrics"]))
        else:
            alarms.append(1)
    return alarms


def _resolve(reference: Any, locals_: dict[str, Any], what: str) -> Any:
    """``${local.NAME}`` as its value; anything else this counter cannot know fails loudly."""
    [text] = reference if isinstance(reference, list) else [reference]
    if isinstance(text, str) and text.startswith("${local.") and text.endswith("}"):
        [value] = locals_[text[len("${local.") : -1]]
        return value
    raise ValueError(f"cannot count the alarms of {what}: {text!r} (extend bench.cost_inputs)")


def _terraform_alarm_metrics(module_dir: Path) -> list[int]:
    """The alarm metrics of each ``aws_cloudwatch_metric_alarm`` instance of a Terraform module."""
    from cv_analytics.infra.hcl import blocks, load_module, typed_blocks

    module = load_module(module_dir)
    locals_ = {name: value for name, value in blocks(module, "locals")}
    alarms = []
    for kind, name, body in typed_blocks(module, "resource"):
        if kind == "aws_cloudwatch_composite_alarm":
            raise ValueError(f"{module_dir.name}: composite alarm {name}: price it")
        if kind != "aws_cloudwatch_metric_alarm":
            continue
        what = f"{module_dir.name}/{name}"
        if "count" in body:
            raise ValueError(f"cannot count the alarms of {what}: count (extend bench.cost_inputs)")
        instances = _resolve(body["for_each"], locals_, what) if "for_each" in body else {"": {}}
        for instance in instances.values():
            if "metric_query" not in body and "dynamic" not in body:
                alarms.append(1)
                continue
            metrics = sum("metric" in query for query in body.get("metric_query", []))
            for dynamic in body.get("dynamic", []):
                if "metric_query" not in dynamic:
                    continue
                [source] = dynamic["metric_query"]["for_each"]
                if source != "${each.value.metrics}":
                    raise ValueError(f"cannot count the metrics of {what}: {source!r}")
                metrics += len(instance["metrics"])
            alarms.append(metrics)
    return alarms


def measure_alarms(root: Path = REPO_ROOT) -> dict[str, Any]:
    """The CloudWatch alarms the deployment creates, and the alarm metrics AWS bills for them."""
    sources = {"template.yaml": _template_alarm_metrics(root / "template.yaml")}
    for module_dir in sorted(root.glob("*_infra")):
        if any(module_dir.glob("*.tf")):
            sources[module_dir.name] = _terraform_alarm_metrics(module_dir)
    every = [metrics for alarms in sources.values() for metrics in alarms]
    return {
        "alarms": len(every),
        "alarm_metrics": sum(every),
        "alarm_metrics_by_source": {name: sum(alarms) for name, alarms in sources.items()},
    }


def measure_seed(count: int, seed: int) -> dict[str, Any]:
    figures: Figures = seed_design(count, seed)
    record_bytes = interim_bytes = 0
    for query, response, _ in questions(count, seed):
        record = record_to_item(complete_record(query, response, now_ms=0, ttl_days=90))
        record_bytes += item_size(record) + ITEM_OVERHEAD_BYTES
        interim = to_attribute_values(
            {"requestId": query.request_id, "event": query.to_json(), "expiresAt": 0}
        )
        interim_bytes += item_size(interim) + ITEM_OVERHEAD_BYTES
    return {
        "send_requests_per_question": 2.0,  # one SendMessage per event, by design
        "dynamodb_requests_per_question": {
            name: _per(value, count) for name, value in sorted(figures.requests.items())
        },
        "table_wcu_per_question": _per(figures.wcu, count),
        "index_wcu_per_question": _per(figures.index_wcu, count),
        "write_units_per_question": _per(figures.write_units, count),
        "read_units_per_question": _per(figures.rcu, count),
        "indexes": SEED_INDEXES,
        "analytics_item_bytes_per_question": _per(record_bytes, count, 1),
        "index_entry_bytes_per_question": _per(SEED_INDEXES * record_bytes, count, 1),
        "interim_bytes_written_per_question": _per(interim_bytes, count, 1),
    }


def measure_edge_client(count: int, seed: int) -> dict[str, Any]:
    """SendMessageBatch requests per question, one flush per question (serverless mode)."""
    sink = InMemorySink()
    client = EdgeClient(transport=sink, mode="serverless", lambda_extension=False)
    try:
        for query, response, session in questions(count, seed):
            request_id = client.track_query(query=query.query, session_id=session)
            client.track_response(
                request_id=request_id,
                session_id=session,
                match_type=response.match_type,
                match_score=response.match_score,
                response=response.response,
                reasoning=response.reasoning,
            )
            assert client.flush(timeout=10)
    finally:
        client.close(timeout=10)
    assert len(sink.messages) == 2 * count
    return {
        "mode": "serverless (one flush per question)",
        "send_requests_per_question": _per(sink.batches, count),
    }


def measure_reporter(records: int) -> dict[str, Any]:
    from bench.reporter_aggregate import one_pass

    result = one_pass(records)
    return {
        "records": records,
        "cpu_seconds_per_record": round(float(result["cpu_s"]) / records, 7),
    }


def measure(count: int, seed: int, *, reporter_records: int = REPORTER_RECORDS) -> dict[str, Any]:
    for name, value in LOCAL_ENV.items():
        os.environ[name] = value  # fake credentials: never a real account
    os.environ.pop("AWS_ENDPOINT_URL", None)  # moto in-process, never a real endpoint
    return {
        "generated_by": "python -m bench.cost_inputs",
        "questions": count,
        "seed": seed,
        "units": "per answered question (same-batch mix) unless named otherwise",
        "processor": measure_processor(count, seed),
        "edge_client": measure_edge_client(count, seed),
        "seed_design": measure_seed(count, seed),
        "reporter": measure_reporter(reporter_records),
        "lambda_platform_log_bytes_per_invocation": len(LAMBDA_PLATFORM_LINES.encode()),
        "cloudwatch_alarms": measure_alarms(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--seed", type=int, default=46)
    parser.add_argument("--json", type=Path, default=DEFAULT_PATH)
    args = parser.parse_args(argv)
    document = measure(args.questions, args.seed)
    args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(document, indent=2))
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
