"""The SQS transport: the only module of the edge client that talks to AWS.

botocore's own retries are switched off (one attempt per call) and its socket timeouts are short:
the sender retries by itself, entry by entry, within the event's delivery deadline, and must never
sit for minutes inside one call. The boto3 client is created on first use, on the thread that
sends (boto3 sessions are not thread-safe, and creating a client costs tens of milliseconds that
do not belong on the chatbot's request path), and created afresh in a forked child, which must not
share the parent's connections.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from edge_client.transport import BatchResult, EntryFailure, OutgoingMessage, TransportError

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient

#: Error codes worth another attempt: throttling (botocore's list plus SQS's own) and server-side
#: trouble. Anything else a service returns (access denied, no such queue, invalid parameter) is a
#: configuration problem that retrying will not fix.
RETRYABLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "SlowDown",
        "KmsThrottled",
        "AWS.SimpleQueueService.RequestThrottled",
        "RequestTimeout",
        "RequestTimeoutException",
        "PriorRequestNotComplete",
        "InternalError",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "AWS.SimpleQueueService.ServiceUnavailable",
    }
)
USER_AGENT = "cv-analytics-edge-client"


def default_config(*, connect_timeout: float, read_timeout: float) -> Config:
    return Config(
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"mode": "standard", "total_max_attempts": 1},
        max_pool_connections=2,
        tcp_keepalive=True,
        user_agent_extra=USER_AGENT,
    )


def is_retryable(code: str, status: int | None) -> bool:
    return code in RETRYABLE_CODES or (status is not None and (status >= 500 or status == 429))


class SqsTransport:
    """Sends batches with SendMessageBatch to one queue."""

    def __init__(
        self,
        queue_url: str,
        *,
        session: boto3.session.Session | None = None,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        config: Config,
    ) -> None:
        self.queue_url = queue_url
        self._session = session
        self._region_name = region_name
        self._endpoint_url = endpoint_url
        self._config = config
        self._client: SQSClient | None = None
        self._lock = threading.Lock()

    @property
    def client(self) -> SQSClient:
        """The boto3 SQS client (created on first use)."""
        return self._sqs()

    def _sqs(self) -> SQSClient:
        with self._lock:
            if self._client is None:
                session = self._session or boto3.session.Session()
                self._client = session.client(
                    "sqs",
                    region_name=self._region_name,
                    endpoint_url=self._endpoint_url,
                    config=self._config,
                )
            return self._client

    def reset_after_fork(self) -> None:
        self._lock = threading.Lock()
        self._client = None

    def send_batch(self, messages: Sequence[OutgoingMessage]) -> BatchResult:
        entries: list[Any] = [
            {
                "Id": message.id,
                "MessageBody": message.body,
                "MessageGroupId": message.group_id,
                "MessageDeduplicationId": message.deduplication_id,
            }
            for message in messages
        ]
        try:
            response = self._sqs().send_message_batch(QueueUrl=self.queue_url, Entries=entries)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code") or "Unknown")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            raise TransportError(
                code, str(error.get("Message") or exc), retryable=is_retryable(code, status)
            ) from exc
        except ParamValidationError as exc:
            raise TransportError(type(exc).__name__, str(exc), retryable=False) from exc
        except BotoCoreError as exc:
            # Connection refused or reset, timeouts, DNS, credentials that could not be fetched
            # right now: all may clear up by themselves.
            raise TransportError(type(exc).__name__, str(exc), retryable=True) from exc
        failed = {
            item["Id"]: EntryFailure(
                code=item["Code"],
                message=item.get("Message", ""),
                retryable=not item["SenderFault"] or item["Code"] in RETRYABLE_CODES,
            )
            for item in response.get("Failed", [])
        }
        return BatchResult(failed=failed)
