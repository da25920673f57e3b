"""Put the simulated traffic on the queue: through the edge client, as the chatbot would, and raw
for what the edge client would never send (malformed bodies) or send only once (late duplicates).

Order matters on a FIFO queue, so the two channels are kept in the manifest's order: the edge
client is flushed before each raw send. The caller flushes before it lets the processor run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from analytics_contract import FeedbackEvent, QueryEvent, ResponseEvent
from cv_analytics.dev.traffic import Delivery
from edge_client import ClientStats, EdgeClient

FLUSH_TIMEOUT_SECONDS = 30.0


class DeliveryError(RuntimeError):
    """The edge client could not deliver the simulated traffic (the emulator went away?)."""


@dataclass(frozen=True)
class SendResult:
    through_edge_client: int
    raw: int
    edge_client: ClientStats


def track(client: EdgeClient, event: QueryEvent | ResponseEvent | FeedbackEvent) -> None:
    """What the chatbot calls, with the fields of a simulated event."""
    if isinstance(event, FeedbackEvent):
        client.track_feedback(
            event.request_id,
            thumbs=event.thumbs,
            rating=event.rating,
            comment=event.comment,
            session_id=event.session_id,
            timestamp=event.timestamp,
        )
        return
    if isinstance(event, QueryEvent):
        client.track_query(
            query=event.query,
            session_id=event.session_id,
            request_id=event.request_id,
            timestamp=event.timestamp,
            metadata=event.metadata,
        )
        return
    client.track_response(
        request_id=event.request_id,
        match_type=event.match_type,
        match_score=event.match_score,
        session_id=event.session_id,
        timestamp=event.timestamp,
        reasoning=event.reasoning,
        response=event.response,
        processing_time_ms=event.processing_time_ms,
        tokens=event.tokens,
        model=event.model,
        variant=event.variant,
        error=event.error,
    )


def send_raw(sqs: Any, queue_url: str, delivery: Delivery) -> None:
    """One message straight to the queue, with its own deduplication id (a late duplicate is
    sent after SQS's 5-minute deduplication window in real life; here it gets a new id)."""
    # The edge client's rule: one message group per session, else per question.
    event = delivery.event
    group = (event.session_id or event.request_id) if event is not None else delivery.session_id
    sqs.send_message(
        QueueUrl=queue_url,
        MessageBody=delivery.body(),
        MessageGroupId=group,
        MessageDeduplicationId=f"demo-raw-{delivery.seq}",
    )


class TrafficSender:
    """Sends deliveries in the manifest's order; :meth:`flush` before the processor runs."""

    def __init__(self, *, sqs: Any, queue_url: str, endpoint_url: str | None, region: str) -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.client = EdgeClient(
            queue_url, endpoint_url=endpoint_url, region_name=region, mode="background", strict=True
        )
        self.edge = 0
        self.raw = 0

    def send(self, delivery: Delivery) -> None:
        if delivery.channel == "edge" and delivery.event is not None:
            track(self.client, delivery.event)
            self.edge += 1
            return
        self.flush()  # keep the queue's order: everything tracked before goes first
        send_raw(self.sqs, self.queue_url, delivery)
        self.raw += 1

    def flush(self) -> None:
        if not self.client.flush(FLUSH_TIMEOUT_SECONDS):
            raise DeliveryError(f"the edge client could not deliver: {self.client.stats()}")

    def close(self) -> SendResult:
        """Flush and close the edge client; raises :class:`DeliveryError` if anything was lost."""
        delivered = self.client.close(FLUSH_TIMEOUT_SECONDS)
        stats = self.client.stats()
        if not delivered or stats.sent != self.edge:
            raise DeliveryError(f"the edge client delivered {stats.sent} of {self.edge}: {stats}")
        return SendResult(through_edge_client=self.edge, raw=self.raw, edge_client=stats)
