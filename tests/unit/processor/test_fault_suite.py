"""The fault suite (``bench.reliability.processor_faults``) on a sample, as a test: faults at every
DynamoDB and SQS call of the processor and its expiry path, SQS redelivery and redrive, DLQ replay,
and every interleaving of a query and its response; every event must end in exactly one place."""

from __future__ import annotations

from bench.reliability.processor_faults import QUICK_KINDS, Site, collect


def test_every_fault_at_every_call_leaves_every_event_in_exactly_one_place() -> None:
    report = collect(quick=True)
    assert report.problems == []
    total = report.total
    assert total.scenarios > 0 and total.reached == total.scenarios  # every fault hit its call
    assert total.once == total.events
    assert total.twice == total.lost == total.reasonless == total.healthy_redriven == 0
    assert total.replay_failures == 0
    assert {
        Site("processor", "PutItem", "analytics"),
        Site("processor", "UpdateItem", "analytics"),
        Site("processor", "UpdateItem", "interim"),
        Site("processor", "GetItem", "interim"),
        Site("processor", "DeleteItem", "interim"),
        Site("processor", "SendMessage", "dlq"),
        Site("processor", "GetQueueAttributes", "queue"),
        Site("expiry", "UpdateItem", "analytics"),
        Site("expiry", "PutItem", "analytics"),
    } <= set(report.by_site)
    assert all(set(by_kind) <= set(QUICK_KINDS) for by_kind in report.by_site.values())
    assert report.interleavings["query + response"] == 70
