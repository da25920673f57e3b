"""A FastAPI chatbot that reports every question and answer to cv-analytics, without waiting.

``POST /chat`` tracks the question, answers it, tracks the answer (or the failure) and returns:
the two ``track_*`` calls cost microseconds on the request path; a background thread checks,
redacts and delivers the events to the SQS FIFO queue. ``POST /feedback`` records the visitor's
thumbs up or down (and comment) on an answer. ``GET /analytics`` shows the client's counters. On
shutdown the client flushes what is left, with a deadline.

Run it against the local stack (an emulated queue, and the processor consuming it)::

    # terminal 1: the local stack; it writes the variables to export to the file
    .venv/bin/cv-analytics stack up --env-file /tmp/cv-analytics.env

    # terminal 2: the chatbot (CV_ANALYTICS_QUEUE_URL and AWS_ENDPOINT_URL from that file)
    set -a; . /tmp/cv-analytics.env; set +a
    .venv/bin/uvicorn examples.fastapi_app:app --port 8000

    # terminal 3: ask it something, rate the answer, then look at the counters
    curl -s localhost:8000/chat -H 'content-type: application/json' \\
         -d '{"sessionId": "visitor-1", "question": "Has she used Terraform?"}'
    curl -s localhost:8000/feedback -H 'content-type: application/json' \\
         -d '{"requestId": "<the requestId /chat returned>", "thumbs": "up"}'
    curl -s localhost:8000/analytics

Any SQS FIFO queue works the same way: set ``CV_ANALYTICS_QUEUE_URL`` (and the usual AWS
credentials and region; ``AWS_ENDPOINT_URL`` only for an emulator). ``CV_ANALYTICS_DISABLED=1``
runs the app with analytics switched off. Under gunicorn with ``--preload``, each forked worker
gets its own buffer and sender thread automatically.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel, Field

from edge_client import EdgeClient, redact_pii
from examples.chatbot import MODEL, PROMPT_VARIANT, answer


class ChatRequest(BaseModel):
    session_id: str = Field(alias="sessionId", min_length=1, max_length=128)
    question: str = Field(min_length=1)


class ChatResponse(BaseModel):
    request_id: str = Field(serialization_alias="requestId")
    answer: str


class FeedbackRequest(BaseModel):
    request_id: str = Field(alias="requestId", min_length=1, max_length=128)
    thumbs: Literal["up", "down"]
    comment: str | None = None


def create_app(analytics: EdgeClient | None = None) -> FastAPI:
    """The app; ``analytics`` defaults to a client configured from the environment."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client = analytics or EdgeClient.from_env(redactor=redact_pii)
        app.state.analytics = client
        yield
        await client.aclose(timeout=5.0)  # flush with a deadline, off the event loop

    app = FastAPI(title="cv-analytics example chatbot", lifespan=lifespan)

    @app.post("/chat", response_model=ChatResponse, response_model_by_alias=True)
    async def chat(body: ChatRequest, request: Request) -> ChatResponse:
        client: EdgeClient = request.app.state.analytics
        started = time.perf_counter()
        request_id = client.track_query(
            session_id=body.session_id,
            query=body.question,
            metadata={
                "page": request.headers.get("referer", ""),
                "userAgent": request.headers.get("user-agent", "")[:1024],
            },
        )
        try:
            result = answer(body.question)
        except Exception as exc:
            client.track_response(
                request_id=request_id,
                match_type="none",
                match_score=0,
                error=f"{type(exc).__name__}: {exc}",
            )
            raise HTTPException(status_code=500, detail="the chatbot failed") from exc
        client.track_response(
            request_id=request_id,
            match_type=result.match_type,
            match_score=result.match_score,
            reasoning=result.reasoning,
            response=result.text,
            processing_time_ms=(time.perf_counter() - started) * 1000,
            tokens={"input": result.input_tokens, "output": result.output_tokens},
            model=MODEL,
            variant=PROMPT_VARIANT,
        )
        return ChatResponse(request_id=request_id, answer=result.text)

    @app.post("/feedback", status_code=204)
    async def feedback(body: FeedbackRequest, request: Request) -> None:
        client: EdgeClient = request.app.state.analytics
        # Joins its question's session (remembered by the client); the comment is redacted.
        client.track_feedback(body.request_id, thumbs=body.thumbs, comment=body.comment)

    @app.get("/analytics")
    async def analytics_stats(request: Request) -> dict[str, int]:
        client: EdgeClient = request.app.state.analytics
        return dataclasses.asdict(client.stats())

    return app


app = create_app()
