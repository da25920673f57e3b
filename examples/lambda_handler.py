"""The chatbot as an AWS Lambda function (API Gateway HTTP API), reporting to cv-analytics.

Inside Lambda the client runs in serverless mode by itself (``AWS_LAMBDA_FUNCTION_NAME`` is set):
no background thread, which the runtime would freeze between invocations, possibly halfway
through a request. Created at import, during the function's Init, the client registers a Lambda
internal extension; ``@analytics.lambda_handler`` then returns the handler's response at once and
the extension sends the invocation's events after it, before the execution environment may
freeze (the equivalent of Cloudflare's ``ctx.waitUntil``), within a deadline that ends
``lambda_deadline_margin`` before the function's own timeout. Where there is no Extensions API
(run locally as below), the events are sent before the handler returns instead. Events that miss
the deadline stay buffered for the next invocation of the same execution environment.

The client is created once per execution environment, outside the handler, like any SDK client.

Run one invocation locally against the local stack::

    # terminal 1: the local stack; it writes the variables to export to the file
    .venv/bin/cv-analytics stack up --env-file /tmp/cv-analytics.env

    # terminal 2: AWS_LAMBDA_FUNCTION_NAME makes it behave as inside Lambda
    set -a; . /tmp/cv-analytics.env; set +a
    AWS_LAMBDA_FUNCTION_NAME=chatbot-local .venv/bin/python -m examples.lambda_handler \\
        "Has she used Terraform?"

It prints the HTTP response and the client's counters: run outside Lambda there is no Extensions
API, so both events were sent before the handler returned (``sent=2, pending=0``).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

from edge_client import EdgeClient, redact_pii
from examples.chatbot import MODEL, PROMPT_VARIANT, answer

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def build_handler(analytics: EdgeClient) -> Handler:
    @analytics.lambda_handler
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        body = json.loads(event.get("body") or "{}")
        session_id = str(body.get("sessionId") or event["requestContext"]["requestId"])
        question = str(body.get("question", ""))
        started = time.perf_counter()
        request_id = analytics.track_query(
            session_id=session_id,
            query=question,
            metadata={"userAgent": event.get("headers", {}).get("user-agent", "")[:1024]},
        )
        result = answer(question)
        analytics.track_response(
            request_id=request_id,
            session_id=session_id,
            match_type=result.match_type,
            match_score=result.match_score,
            reasoning=result.reasoning,
            response=result.text,
            processing_time_ms=(time.perf_counter() - started) * 1000,
            tokens={"input": result.input_tokens, "output": result.output_tokens},
            model=MODEL,
            variant=PROMPT_VARIANT,
        )
        return {
            "statusCode": 200,
            "headers": {"content-type": "application/json"},
            "body": json.dumps({"requestId": request_id, "answer": result.text}),
        }

    return handler


analytics = EdgeClient.from_env(redactor=redact_pii)
handler = build_handler(analytics)


class LocalContext:
    """What the Lambda runtime passes as ``context``, as far as the client uses it."""

    def __init__(self, timeout_s: float = 10.0) -> None:
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return int((self._deadline - time.monotonic()) * 1000)


if __name__ == "__main__":
    question = " ".join(sys.argv[1:]) or "Has she used Terraform?"
    event = {
        "body": json.dumps({"sessionId": "local-visitor", "question": question}),
        "headers": {"user-agent": "examples.lambda_handler"},
        "requestContext": {"requestId": "local-invocation"},
    }
    print(json.dumps(handler(event, LocalContext()), indent=2))
    print(
        f"mode={analytics.mode} lambda_extension={analytics.lambda_extension_active}",
        analytics.stats(),
    )
