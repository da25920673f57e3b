"""The SQS transport: botocore configuration, error classification, and a round trip (moto)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber
from moto import mock_aws

from cv_analytics.dev.emulator import free_port
from cv_analytics.dev.resources import ResourceNames, create_queues
from edge_client import EdgeClient, Settings
from edge_client.sqs import SqsTransport, default_config
from edge_client.transport import OutgoingMessage, TransportError

QUEUE_URL = "https://sqs.eu-west-2.amazonaws.com/123456789012/q.fifo"
MESSAGE = OutgoingMessage("0", '{"x":1}', "g", "d")


def transport(**config: float) -> SqsTransport:
    return SqsTransport(
        QUEUE_URL,
        region_name="eu-west-2",
        config=default_config(
            connect_timeout=config.get("connect", 1.0), read_timeout=config.get("read", 2.0)
        ),
    )


@pytest.fixture
def stubbed() -> Iterator[tuple[SqsTransport, Stubber]]:
    sqs = transport()
    with Stubber(sqs.client) as stubber:
        yield sqs, stubber


def test_short_timeouts_and_no_botocore_retries() -> None:
    config: Any = transport(connect=0.5, read=1.5).client.meta.config
    assert (config.connect_timeout, config.read_timeout) == (0.5, 1.5)
    assert config.retries == {"mode": "standard", "total_max_attempts": 1}


def test_an_applications_botocore_config_is_merged_over_the_defaults() -> None:
    client = EdgeClient(
        QUEUE_URL,
        region_name="eu-west-2",
        mode="background",
        botocore_config=Config(read_timeout=9.0, proxies={"https": "http://proxy.local:3128"}),
        settings=Settings(connect_timeout=0.7),
    )
    assert isinstance(client._transport, SqsTransport)
    config: Any = client._transport.client.meta.config
    assert (config.connect_timeout, config.read_timeout) == (0.7, 9.0)
    assert config.proxies == {"https": "http://proxy.local:3128"}
    assert config.retries == {"mode": "standard", "total_max_attempts": 1}
    client.close()


@pytest.mark.parametrize(
    ("code", "status", "retryable"),
    [
        ("ThrottlingException", 400, True),
        ("RequestThrottled", 403, True),
        ("KmsThrottled", 400, True),
        ("InternalError", 500, True),
        ("ServiceUnavailable", 503, True),
        ("SomethingNew", 502, True),
        ("AWS.SimpleQueueService.NonExistentQueue", 400, False),
        ("AccessDenied", 403, False),
        ("InvalidParameterValue", 400, False),
    ],
)
def test_request_errors_are_classified(
    stubbed: tuple[SqsTransport, Stubber], code: str, status: int, retryable: bool
) -> None:
    sqs, stubber = stubbed
    stubber.add_client_error("send_message_batch", service_error_code=code, http_status_code=status)
    with pytest.raises(TransportError) as raised:
        sqs.send_batch([MESSAGE])
    assert (raised.value.code, raised.value.retryable) == (code, retryable)


def test_entry_failures_are_classified(stubbed: tuple[SqsTransport, Stubber]) -> None:
    sqs, stubber = stubbed
    stubber.add_response(
        "send_message_batch",
        {
            "Successful": [{"Id": "0", "MessageId": "m", "MD5OfMessageBody": "x"}],
            "Failed": [
                {"Id": "1", "SenderFault": False, "Code": "InternalError"},
                {"Id": "2", "SenderFault": True, "Code": "RequestThrottled"},
                {"Id": "3", "SenderFault": True, "Code": "InvalidParameterValue"},
            ],
        },
    )
    messages = [OutgoingMessage(str(n), "{}", "g", f"d{n}") for n in range(4)]
    result = sqs.send_batch(messages)
    assert {key: failure.retryable for key, failure in result.failed.items()} == {
        "1": True,
        "2": True,
        "3": False,
    }


def test_connection_trouble_is_retryable() -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    sqs = SqsTransport(
        f"{endpoint}/123456789012/q.fifo",
        region_name="eu-west-2",
        endpoint_url=endpoint,
        config=default_config(connect_timeout=1.0, read_timeout=1.0),
    )
    with pytest.raises(TransportError) as raised:
        sqs.send_batch([MESSAGE])
    assert raised.value.retryable
    assert raised.value.code == "EndpointConnectionError"


def test_a_forked_child_builds_its_own_boto3_client() -> None:
    sqs = transport()
    parent_client = sqs.client
    sqs.reset_after_fork()
    assert sqs.client is not parent_client


@mock_aws
def test_round_trip_through_sqs_fifo() -> None:
    url = create_queues(boto3.client("sqs", region_name="eu-west-2"), ResourceNames("unit"))[0]
    client = EdgeClient(url, region_name="eu-west-2", mode="background")
    rid = client.track_query(session_id="visitor", query="q")
    client.track_response(request_id=rid, match_type="full", match_score=75.0)
    assert client.close(timeout=30) is True

    received = boto3.client("sqs", region_name="eu-west-2").receive_message(
        QueueUrl=url,
        MaxNumberOfMessages=10,
        MessageSystemAttributeNames=["MessageGroupId", "MessageDeduplicationId"],
    )["Messages"]
    assert [json.loads(m["Body"])["eventType"] for m in received] == ["query", "response"]
    assert {m["Attributes"]["MessageGroupId"] for m in received} == {"visitor"}
    deduplication_ids = {m["Attributes"]["MessageDeduplicationId"] for m in received}
    assert len(deduplication_ids) == 2
    assert {len(value) for value in deduplication_ids} == {64}
