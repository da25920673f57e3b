"""Helpers for testing an application's analytics against a queue (the local stack, or moto).

:class:`QueueReader` receives and deletes messages in the background while the application sends
them, keeping what it read. Reading while sending matters with moto: its SQS recomputes queue
statistics over every stored message for each message sent, so a queue left to fill up gets
slower with every message. (For tests without a queue, use :class:`~edge_client.InMemorySink`.)
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING

import boto3

from analytics_contract import AnyEvent, parse_event_json

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient


@dataclass(frozen=True, slots=True)
class ReceivedMessage:
    body: str
    group_id: str
    deduplication_id: str

    @property
    def event(self) -> AnyEvent:
        return parse_event_json(self.body)


class QueueReader:
    """Receives and deletes every message of a queue on a thread, in order of arrival.

    ``with QueueReader(queue_url, endpoint_url=...) as reader: ... reader.wait_for(n)``
    """

    def __init__(
        self,
        queue_url: str,
        *,
        endpoint_url: str | None = None,
        session: boto3.session.Session | None = None,
    ) -> None:
        self.queue_url = queue_url
        self._sqs: SQSClient = (session or boto3.session.Session()).client(
            "sqs", endpoint_url=endpoint_url
        )
        self._messages: list[ReceivedMessage] = []
        self._arrived = threading.Condition()
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="queue-reader", daemon=True)

    def start(self) -> QueueReader:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)

    def __enter__(self) -> QueueReader:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def messages(self) -> list[ReceivedMessage]:
        with self._arrived:
            return list(self._messages)

    def wait_for(self, count: int, timeout: float) -> list[ReceivedMessage]:
        """The messages read so far, once there are at least ``count`` (or ``timeout`` passed)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self._messages) < count and self._error is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._arrived.wait(remaining)
            if self._error is not None:
                raise RuntimeError("the queue reader failed") from self._error
            return list(self._messages)

    def settle(self, quiet: float = 1.0, timeout: float = 30.0) -> list[ReceivedMessage]:
        """The messages read once nothing new has arrived for ``quiet`` seconds."""
        deadline = time.monotonic() + timeout
        seen = -1
        while time.monotonic() < deadline:
            current = len(self.messages)
            if current == seen:
                break
            seen = current
            time.sleep(quiet)
        return self.messages

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                response = self._sqs.receive_message(
                    QueueUrl=self.queue_url,
                    MaxNumberOfMessages=10,
                    WaitTimeSeconds=1,
                    MessageSystemAttributeNames=["MessageGroupId", "MessageDeduplicationId"],
                )
                received = response.get("Messages", [])
                if not received:
                    continue
                self._sqs.delete_message_batch(
                    QueueUrl=self.queue_url,
                    Entries=[
                        {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                        for index, message in enumerate(received)
                    ],
                )
                with self._arrived:
                    for message in received:
                        attributes = message.get("Attributes", {})
                        self._messages.append(
                            ReceivedMessage(
                                body=message["Body"],
                                group_id=attributes.get("MessageGroupId", ""),
                                deduplication_id=attributes.get("MessageDeduplicationId", ""),
                            )
                        )
                    self._arrived.notify_all()
        except BaseException as exc:  # noqa: BLE001 - reported to the waiting test
            with self._arrived:
                self._error = exc
                self._arrived.notify_all()
