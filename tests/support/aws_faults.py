"""Faults injected at the AWS call, through botocore's event hooks on a client.

A :class:`Fault` picks calls (operation, resource, and optionally the request's parameters) and
makes them fail, either *before* the call (nothing happened on the server) or *after* it took
effect (the server applied it, the caller sees an error: a lost connection, a Lambda that died).
:class:`FaultInjector` attaches to any number of boto3 clients and applies the faults it holds;
a fault can be limited to a number of hits, or last until :meth:`FaultInjector.heal` is called.

Used by the processor's fault tests and by ``python -m bench.faults``; nothing here is specific to
the processor except the helpers that read a request id out of a call's parameters.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

When = Literal["before", "after"]


class InvocationDied(BaseException):
    """The Lambda invocation died here (timeout, out of memory): nothing after it runs.

    A ``BaseException``, so that no ``except Exception`` of the code under test absorbs it; the
    harness that invokes the handler turns it into a failed invocation, as Lambda does.
    """


def connection_lost(operation: str) -> Exception:
    """The request never reached the service (before) or its answer never came back (after)."""
    return EndpointConnectionError(endpoint_url=f"https://injected/{operation}")


def read_timeout(operation: str) -> Exception:
    return ReadTimeoutError(endpoint_url=f"https://injected/{operation}")


def throttled(operation: str) -> Exception:
    code = "ProvisionedThroughputExceededException"
    if operation in ("SendMessage", "SendMessageBatch", "GetQueueAttributes"):
        code = "RequestThrottled"
    return ClientError({"Error": {"Code": code, "Message": "Rate exceeded"}}, operation)


def queue_missing(operation: str) -> Exception:
    return ClientError(
        {
            "Error": {
                "Code": "AWS.SimpleQueueService.NonExistentQueue",
                "Message": "The specified queue does not exist.",
            }
        },
        operation,
    )


def died(operation: str) -> BaseException:
    return InvocationDied(f"the invocation died after {operation}")


def request_ids(params: Mapping[str, Any]) -> set[str]:
    """The request ids a DynamoDB or SQS call is about (keys, items, message bodies)."""
    found: set[str] = set()
    for container in (params.get("Key"), params.get("Item")):
        if isinstance(container, Mapping):
            value = container.get("requestId")
            if isinstance(value, Mapping) and "S" in value:
                found.add(str(value["S"]))
    body = params.get("MessageBody")
    if isinstance(body, str):
        try:
            decoded = json.loads(body)
        except ValueError:
            decoded = None
        if isinstance(decoded, dict) and isinstance(decoded.get("requestId"), str):
            found.add(decoded["requestId"])
    return found


def resource_of(params: Mapping[str, Any]) -> str:
    return str(params.get("TableName") or params.get("QueueUrl") or "")


@dataclass
class Fault:
    """Fail the calls to ``operation`` on a resource whose name or URL contains ``resource``.

    ``request_id``: only calls about that request. ``times``: how many calls fail (``None``: until
    healed). ``when="after"``: the call is made and takes effect, then the error is raised (only
    for calls that succeeded: a conditional write that failed its condition changed nothing).
    """

    operation: str
    resource: str = ""
    error: Callable[[str], BaseException] = connection_lost
    when: When = "before"
    request_id: str | None = None
    times: int | None = None
    hits: int = 0
    healed: bool = False
    label: str = ""
    #: A further condition, checked at call time (e.g. "only once the response is parked").
    only_if: Callable[[], bool] | None = None

    def matches(self, operation: str, params: Mapping[str, Any]) -> bool:
        if self.healed or operation != self.operation:
            return False
        if self.times is not None and self.hits >= self.times:
            return False
        if self.resource and self.resource not in resource_of(params):
            return False
        if self.request_id is not None and self.request_id not in request_ids(params):
            return False
        return self.only_if is None or self.only_if()


@dataclass
class FaultInjector:
    faults: list[Fault] = field(default_factory=list)
    #: Every call seen: (operation, resource, request ids), in order.
    calls: list[tuple[str, str, frozenset[str]]] = field(default_factory=list)
    #: The calls that took effect (the service answered with success), in order.
    effective: list[tuple[str, str, frozenset[str]]] = field(default_factory=list)

    def add(self, fault: Fault) -> Fault:
        self.faults.append(fault)
        return fault

    def heal(self) -> None:
        for fault in self.faults:
            fault.healed = True

    @property
    def hits(self) -> int:
        return sum(fault.hits for fault in self.faults)

    def attach(self, client: Any) -> Any:
        service = client.meta.service_model.service_name
        client.meta.events.register_first(f"before-parameter-build.{service}", self._before)
        client.meta.events.register_first(f"after-call.{service}", self._after)
        return client

    def _before(
        self, params: Mapping[str, Any], model: Any, context: dict[str, Any], **_: Any
    ) -> None:
        context["injected_params"] = dict(params)
        self.calls.append((model.name, resource_of(params), frozenset(request_ids(params))))
        for fault in self.faults:
            if fault.when == "before" and fault.matches(model.name, params):
                fault.hits += 1
                raise fault.error(model.name)

    def _after(self, http_response: Any, model: Any, context: Mapping[str, Any], **_: Any) -> None:
        if http_response.status_code >= 300:
            return
        params = context.get("injected_params", {})
        self.effective.append((model.name, resource_of(params), frozenset(request_ids(params))))
        for fault in self.faults:
            if fault.when == "after" and fault.matches(model.name, params):
                fault.hits += 1
                raise fault.error(model.name)
