"""The SQS handler's work on whole batches: plan, correlate, quarantine, partial failures."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime
from typing import Any

import pytest

from analytics_contract import MAX_QUERY_CHARS
from analytics_contract.dead_letters import MAX_REASON_CHARS
from processor import metrics as names
from processor.correlator import Correlator
from processor.metrics import QualityMetrics
from processor.quarantine import Quarantine
from processor.redrive import QueueRedrive
from processor.repository import Repository
from processor.sqs_batch import EventProcessor
from tests.support.store_doubles import FailingStore, KeptEvidence, SpyStore
from tests.unit.processor.conftest import (
    Aws,
    FakeClock,
    RecordingMetrics,
    failed_ids,
    make_logger,
    query_event,
    response_event,
    sqs_event,
    sqs_record,
)


def processor_with(
    aws: Aws,
    store: Any,
    metrics: RecordingMetrics,
    *,
    dead_letter_queue_url: str | None = None,
    logger: Any = None,
) -> EventProcessor:
    clock = FakeClock()
    return EventProcessor(
        Correlator(
            store,
            correlation_window_seconds=86_400,
            record_ttl_days=90,
            clock=clock,
            quality=QualityMetrics(metrics),
            evidence=KeptEvidence(),
        ),
        Quarantine(
            aws.sqs,
            dead_letter_queue_url or aws.resources.dead_letter_queue_url,
            clock=lambda: datetime(2025, 11, 13, 9, 0, tzinfo=UTC),
        ),
        Repository(
            aws.dynamodb,
            analytics_table=aws.names.analytics_table,
            interim_table=aws.names.interim_table,
        ),
        QueueRedrive(aws.sqs),
        logger=logger or make_logger(),
        metrics=metrics,
        clock=clock,
    )


def test_a_batch_of_pairs_and_singles_is_processed_with_no_failures(
    aws: Aws, event_processor: EventProcessor, metrics: RecordingMetrics
) -> None:
    event = sqs_event(
        sqs_record(query_event("a")),
        sqs_record(response_event("b")),
        sqs_record(response_event("a")),
        sqs_record(query_event("c")),
    )
    assert event_processor.handle(event) == {"batchItemFailures": []}
    records = aws.records()
    assert {key: record.status for key, record in records.items()} == {
        "a": "answered",
        "c": "unanswered",
    }
    assert set(aws.parked()) == {"b"}
    # Published (CloudWatch metrics): quality, once per event first recorded: two questions,
    # one answer (1.5 s).
    assert metrics.counts == {names.QUESTIONS: 2, names.ANSWERS: 1, names.PROCESSING_TIME: 1_500}
    # What processing did: EMF metadata.
    assert metrics.metadata_set == {
        names.EVENTS_RECEIVED: 4,
        names.QUESTIONS_CORRELATED: 1,
        names.RESPONSES_PARKED: 1,
        names.UNANSWERED_RECORDED: 1,
    }


def test_a_same_batch_pair_writes_one_item_and_nothing_in_the_interim_table(
    aws: Aws, store: Repository, metrics: RecordingMetrics
) -> None:
    spy = SpyStore(store)
    handler = processor_with(aws, spy, metrics)
    response = handler.handle(
        sqs_event(sqs_record(response_event("a")), sqs_record(query_event("a")))
    )
    assert response == {"batchItemFailures": []}
    assert spy.calls == ["create"]
    assert aws.records()["a"].status == "answered"


def test_duplicates_in_one_batch_are_counted_and_written_once(
    aws: Aws, store: Repository, metrics: RecordingMetrics
) -> None:
    spy = SpyStore(store)
    handler = processor_with(aws, spy, metrics)
    event = sqs_event(
        sqs_record(query_event("a")),
        sqs_record(query_event("a")),
        sqs_record(response_event("a")),
        sqs_record(response_event("a")),
    )
    assert handler.handle(event) == {"batchItemFailures": []}
    assert spy.calls == ["create"]
    assert metrics.metadata_set[names.DUPLICATE_EVENTS] == 2
    assert metrics.metadata_set[names.QUESTIONS_CORRELATED] == 1


def test_redelivering_a_processed_batch_changes_nothing(
    aws: Aws, event_processor: EventProcessor, metrics: RecordingMetrics
) -> None:
    records = [sqs_record(query_event("a")), sqs_record(response_event("b"))]
    event_processor.handle(sqs_event(*records))
    event_processor.handle(sqs_event(sqs_record(response_event("a"))))
    before = (aws.records(), aws.parked())
    again = [
        sqs_record(record["body"], message_id=record["messageId"], receive_count=2)
        for record in records
    ]
    assert event_processor.handle(sqs_event(*again)) == {"batchItemFailures": []}
    assert (aws.records(), aws.parked()) == before
    assert metrics.metadata_set[names.DUPLICATE_EVENTS] == 2


# -- FIFO: a failure holds up its own group only ----------------------------------------------


def test_a_failing_record_fails_the_rest_of_its_group_only(
    aws: Aws, store: Repository, metrics: RecordingMetrics
) -> None:
    handler = processor_with(aws, FailingStore(store, {"a2"}), metrics)
    records = [
        sqs_record(query_event("a1"), group="A"),
        sqs_record(query_event("b1"), group="B"),
        sqs_record(query_event("a2"), group="A"),  # fails
        sqs_record(query_event("b2"), group="B"),
        sqs_record(query_event("a3"), group="A"),  # skipped: after a failure in its group
        sqs_record("not json", group="A"),  # skipped too, not quarantined yet
        sqs_record(query_event("b3"), group="B"),
    ]
    response = handler.handle(sqs_event(*records))
    assert failed_ids(response) == {records[i]["messageId"] for i in (2, 4, 5)}
    assert set(aws.records()) == {"a1", "b1", "b2", "b3"}
    assert aws.dead_letters() == []


def test_on_its_last_receive_a_failing_record_is_quarantined_so_its_group_moves_on(
    aws: Aws, store: Repository, metrics: RecordingMetrics
) -> None:
    """Every receive of a failing FIFO message counts against the later messages of its group
    that were received with it and skipped: a redrive would carry them to the DLQ as well."""
    handler = processor_with(aws, FailingStore(store, {"a2"}), metrics)
    records = [
        sqs_record(query_event("a2"), group="A", receive_count=3),  # fails on its last receive
        sqs_record(query_event("a3"), group="A", receive_count=3),  # healthy, same session
    ]
    response = handler.handle(sqs_event(*records))
    assert failed_ids(response) == set()
    assert set(aws.records()) == {"a3"}
    [dead] = aws.dead_letters()
    attributes = dead["MessageAttributes"]
    assert attributes["quarantineKind"]["StringValue"] == "failed"
    reason = attributes["quarantineReason"]["StringValue"]
    assert "receive 3 of 3" in reason
    assert "ProvisionedThroughputExceeded for a2" in reason
    assert dead["Body"] == records[0]["body"]
    assert metrics.metadata_set[names.FAILED_EVENTS_QUARANTINED] == 1


def test_before_its_last_chance_a_failing_record_is_retried_not_quarantined(
    aws: Aws, store: Repository, metrics: RecordingMetrics
) -> None:
    handler = processor_with(aws, FailingStore(store, {"a2"}), metrics)
    failing = sqs_record(query_event("a2"), group="A", receive_count=1)
    healthy = sqs_record(query_event("b1"), group="B", receive_count=1)
    assert failed_ids(handler.handle(sqs_event(failing, healthy))) == {failing["messageId"]}
    assert aws.dead_letters() == []


def test_the_last_chance_is_one_receive_before_sqs_s_last_so_a_crash_has_a_spare(
    aws: Aws, store: Repository, metrics: RecordingMetrics
) -> None:
    """maxReceiveCount 3 (the fallback here): receive 2 decides; receive 3 is only reached when
    an invocation died on receive 2, and decides again before SQS's redrive could."""
    handler = processor_with(aws, FailingStore(store, {"a2"}), metrics)
    failing = sqs_record(query_event("a2"), group="A", receive_count=2)
    healthy = sqs_record(query_event("a3"), group="A", receive_count=1)
    assert failed_ids(handler.handle(sqs_event(failing, healthy))) == set()
    [dead] = aws.dead_letters()
    assert "receive 2 of 3" in dead["MessageAttributes"]["quarantineReason"]["StringValue"]
    assert set(aws.records()) == {"a3"}


def test_a_pair_failing_fails_both_of_its_events(
    aws: Aws, store: Repository, metrics: RecordingMetrics
) -> None:
    handler = processor_with(aws, FailingStore(store, {"x"}), metrics)
    records = [
        sqs_record(query_event("x"), group="A"),
        sqs_record(query_event("c"), group="C"),
        sqs_record(response_event("x"), group="B"),
    ]
    response = handler.handle(sqs_event(*records))
    assert failed_ids(response) == {records[0]["messageId"], records[2]["messageId"]}
    assert set(aws.records()) == {"c"}


def test_when_every_record_fails_the_batch_is_reported_failed(
    aws: Aws, store: Repository, metrics: RecordingMetrics
) -> None:
    handler = processor_with(aws, FailingStore(store, {"a"}), metrics)
    with pytest.raises(Exception, match="All records failed"):
        handler.handle(sqs_event(sqs_record(query_event("a"))))


# -- invalid messages ----------------------------------------------------------------------

QUERY = query_event("ok").to_wire()
RESPONSE = response_event("ok").to_wire()

INVALID_BODIES: list[tuple[str, str, str]] = [
    # (case, body, the field the reason must name)
    ("not json", "{'eventType': 'query'", "(body)"),
    ("json array", json.dumps([QUERY]), "(event)"),
    ("json string", json.dumps("query"), "(event)"),
    ("no eventType", json.dumps({k: v for k, v in QUERY.items() if k != "eventType"}), "eventType"),
    ("unknown eventType", json.dumps({**QUERY, "eventType": "click"}), "eventType"),
    ("schemaVersion 2", json.dumps({**QUERY, "schemaVersion": 2}), "schemaVersion"),
    ("no requestId", json.dumps({k: v for k, v in QUERY.items() if k != "requestId"}), "requestId"),
    ("requestId alphabet", json.dumps({**QUERY, "requestId": "a/b c"}), "requestId"),
    ("requestId too long", json.dumps({**QUERY, "requestId": "r" * 129}), "requestId"),
    ("query too long", json.dumps({**QUERY, "query": "q" * (MAX_QUERY_CHARS + 1)}), "query"),
    ("empty query", json.dumps({**QUERY, "query": ""}), "query"),
    ("timestamp as text", json.dumps({**QUERY, "timestamp": "2025-11-13"}), "timestamp"),
    ("negative timestamp", json.dumps({**QUERY, "timestamp": -1}), "timestamp"),
    ("metadata not text", json.dumps({**QUERY, "metadata": {"page": 3}}), "metadata.page"),
    ("matchScore over 100", json.dumps({**RESPONSE, "matchScore": 101}), "matchScore"),
    ("unknown matchType", json.dumps({**RESPONSE, "matchType": "maybe"}), "matchType"),
    (
        "negative tokens",
        json.dumps({**RESPONSE, "tokens": {"input": -1, "output": 2}}),
        "tokens.input",
    ),
    (
        "negative processing time",
        json.dumps({**RESPONSE, "processingTimeMs": -5}),
        "processingTimeMs",
    ),
]


def test_every_kind_of_invalid_message_is_quarantined_with_its_reason(
    aws: Aws, event_processor: EventProcessor, metrics: RecordingMetrics
) -> None:
    records = [
        sqs_record(
            body,
            group=f"g{index % 3}",
            message_attributes={
                "origin": {
                    "stringValue": "chatbot",
                    "dataType": "String",
                    "stringListValues": [],
                    "binaryListValues": [],
                }
            },
        )
        for index, (_, body, _) in enumerate(INVALID_BODIES)
    ]
    valid = sqs_record(query_event("fine"), group="g0")
    response = event_processor.handle(sqs_event(*records, valid))
    assert response == {"batchItemFailures": []}  # acknowledged: never retried
    assert set(aws.records()) == {"fine"}
    assert metrics.metadata_set[names.INVALID_EVENTS_QUARANTINED] == len(INVALID_BODIES)

    letters = {
        m["MessageAttributes"]["sourceMessageId"]["StringValue"]: m for m in aws.dead_letters()
    }
    assert len(letters) == len(INVALID_BODIES)
    for record, (case, body, field) in zip(records, INVALID_BODIES, strict=True):
        letter = letters[record["messageId"]]
        attributes = {
            name: value["StringValue"] for name, value in letter["MessageAttributes"].items()
        }
        assert letter["Body"] == body, case
        assert attributes["quarantineReason"].startswith(field), (case, attributes)
        assert attributes["quarantineKind"] == ("json" if case == "not json" else "schema")
        assert attributes["sourceQueueArn"] == record["eventSourceARN"]
        assert datetime.fromisoformat(attributes["quarantinedAt"]).tzinfo is not None
        assert attributes["origin"] == "chatbot"  # the original attributes travel along
        assert letter["Attributes"]["MessageGroupId"] == record["attributes"]["MessageGroupId"]
        assert letter["Attributes"]["MessageDeduplicationId"] == record["messageId"]


def test_a_quarantined_message_redelivered_is_quarantined_once(
    aws: Aws, store: Repository, metrics: RecordingMetrics
) -> None:
    handler = processor_with(aws, store, metrics)
    record = sqs_record("nope")
    handler.handle(sqs_event(record))
    redelivered = sqs_record("nope", message_id=record["messageId"], receive_count=2)
    assert handler.handle(sqs_event(redelivered)) == {"batchItemFailures": []}
    [letter] = aws.dead_letters()  # FIFO deduplication on the source messageId
    assert letter["MessageAttributes"]["quarantinedAt"]["StringValue"] == (
        "2025-11-13T09:00:00.000+00:00"
    )


def test_a_long_reason_is_capped(aws: Aws, event_processor: EventProcessor) -> None:
    body = json.dumps(
        {**QUERY, "metadata": {f"{i:02d}" + "k" * 60: i for i in range(20)}, "requestId": "x" * 500}
    )
    event_processor.handle(sqs_event(sqs_record(body)))
    [letter] = aws.dead_letters()
    reason = letter["MessageAttributes"]["quarantineReason"]["StringValue"]
    assert len(reason) == MAX_REASON_CHARS
    assert reason.startswith("requestId") and reason.endswith("…")


def test_when_quarantine_fails_the_message_is_retried_and_others_go_on(
    aws: Aws, store: Repository, metrics: RecordingMetrics
) -> None:
    missing = aws.resources.dead_letter_queue_url.replace("-dlq.fifo", "-gone.fifo")
    handler = processor_with(aws, store, metrics, dead_letter_queue_url=missing)
    bad = sqs_record("not json", group="A")
    later_in_group = sqs_record(query_event("a"), group="A")
    other = sqs_record(query_event("b"), group="B")
    response = handler.handle(sqs_event(bad, later_in_group, other))
    assert failed_ids(response) == {bad["messageId"], later_in_group["messageId"]}
    assert set(aws.records()) == {"b"}
    assert names.INVALID_EVENTS_QUARANTINED not in metrics.metadata_set


def test_too_many_original_attributes_keep_the_quarantine_ones(
    aws: Aws, event_processor: EventProcessor
) -> None:
    attributes = {f"a{i}": {"stringValue": str(i), "dataType": "String"} for i in range(8)}
    event_processor.handle(sqs_event(sqs_record("nope", message_attributes=attributes)))
    [letter] = aws.dead_letters()
    kept = set(letter["MessageAttributes"])
    assert len(kept) == 10
    assert {"quarantineReason", "quarantineKind", "sourceMessageId"} <= kept


# -- logs -------------------------------------------------------------------------------------


def run_logged(
    aws: Aws, store: Repository, metrics: RecordingMetrics, level: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    stream = io.StringIO()
    logger = make_logger(level, logging.StreamHandler(stream))
    handler = processor_with(aws, FailingStore(store, {"boom"}), metrics, logger=logger)
    records = [
        sqs_record(query_event("a"), group="A"),
        sqs_record("invalid", group="B"),
        sqs_record(query_event("boom"), group="C"),
    ]
    handler.handle(sqs_event(*records))
    return records, [json.loads(line) for line in stream.getvalue().splitlines()]


def test_every_log_line_of_a_record_names_its_message_and_request(
    aws: Aws, store: Repository, metrics: RecordingMetrics
) -> None:
    records, lines = run_logged(aws, store, metrics, "DEBUG")
    by_message: dict[str, list[dict[str, Any]]] = {record["messageId"]: [] for record in records}
    for line in lines:
        if "messageId" in line:
            by_message[line["messageId"]].append(line)
    assert [line["requestId"] for line in by_message[records[0]["messageId"]]] == ["a"]
    assert by_message[records[1]["messageId"]][0]["level"] == "WARNING"
    failure = by_message[records[2]["messageId"]][0]
    assert (failure["requestId"], failure["level"]) == ("boom", "WARNING")
    assert "ProvisionedThroughputExceeded" in failure["exception"]


def test_at_info_a_batch_logs_one_summary_that_traces_every_request(
    aws: Aws, store: Repository, metrics: RecordingMetrics
) -> None:
    records, lines = run_logged(aws, store, metrics, "INFO")
    assert not [line for line in lines if line["message"] == "message processed"]
    [summary] = [line for line in lines if line["message"] == "batch processed"]
    assert summary["level"] == "INFO"
    assert summary["messages"] == 3
    requests = summary["requests"]
    assert requests["a"] == ["unanswered_recorded"]
    assert requests["boom"] == ["retried: IncompleteError"]
    assert requests[f"(invalid message {records[1]['messageId']})"] == ["quarantined"]
