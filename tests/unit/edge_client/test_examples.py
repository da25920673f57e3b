"""The examples work: the FastAPI app and the Lambda handler report what they answer."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from analytics_contract import FeedbackEvent, QueryEvent, ResponseEvent
from edge_client import EdgeClient, InMemorySink, redact_pii


def test_the_fastapi_app_tracks_each_question_and_answer() -> None:
    sink = InMemorySink()
    analytics = EdgeClient(transport=sink, redactor=redact_pii, mode="background")
    from examples.fastapi_app import create_app

    with TestClient(create_app(analytics)) as http:
        first = http.post("/chat", json={"sessionId": "v-1", "question": "Terraform? a@b.io"})
        second = http.post("/chat", json={"sessionId": "v-1", "question": "Gardening?"})
        assert first.status_code == second.status_code == 200
        request_ids = [first.json()["requestId"], second.json()["requestId"]]
        rated = http.post(
            "/feedback",
            json={"requestId": request_ids[1], "thumbs": "down", "comment": "call 07700 900123"},
        )
        assert rated.status_code == 204
    # Leaving the app ran its shutdown: the client flushed and closed.
    assert analytics.stats().sent == 5
    events = sink.events
    queries = [e for e in events if isinstance(e, QueryEvent)]
    responses = [e for e in events if isinstance(e, ResponseEvent)]
    feedback = [e for e in events if isinstance(e, FeedbackEvent)]
    assert [q.request_id for q in queries] == [r.request_id for r in responses] == request_ids
    assert queries[0].query == "Terraform? [EMAIL]"
    assert [r.match_type for r in responses] == ["full", "none"]
    assert all(r.processing_time_ms is not None and r.tokens for r in responses)
    assert {r.variant for r in responses} == {"keywords-v1"}
    assert [(f.request_id, f.thumbs, f.comment, f.session_id) for f in feedback] == [
        (request_ids[1], "down", "call [PHONE]", "v-1")
    ]


def test_the_lambda_handler_delivers_before_returning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CV_ANALYTICS_DISABLED", "1")  # the module-level client, unused here
    module = importlib.import_module("examples.lambda_handler")
    sink = InMemorySink()
    analytics = EdgeClient(transport=sink, mode="serverless")
    handler = module.build_handler(analytics)
    event: dict[str, Any] = {
        "body": json.dumps({"sessionId": "v-2", "question": "Python?"}),
        "requestContext": {"requestId": "api-1"},
    }

    response = handler(event, module.LocalContext())

    assert response["statusCode"] == 200
    request_id = json.loads(response["body"])["requestId"]
    assert [(e.event_type, e.request_id) for e in sink.events] == [
        ("query", request_id),
        ("response", request_id),
    ]
    assert analytics.stats().pending == 0
