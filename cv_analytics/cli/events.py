"""``cv-analytics events send``: one question's events through the edge client, by hand.

The query, then (unless ``--no-response``) its response, then (with ``--thumbs`` or ``--rating``)
the visitor's feedback. The client is strict: an argument the contract refuses stops the command
with the contract's error, naming the field, and nothing is sent.
"""

from __future__ import annotations

import argparse
import uuid
from typing import Any

from cv_analytics.cli import aws
from cv_analytics.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    CommandError,
    add_command,
    add_group,
    say,
    score,
)


def send(args: argparse.Namespace) -> int:
    from analytics_contract import InvalidEventError
    from edge_client import EdgeClient

    queue_url = aws.required(args.queue_url, "--queue-url", aws.ENV_QUEUE_URL)
    # Only an option left out gets a new id: an empty one given on purpose is the contract's to refuse.
    request_id = f"manual-{uuid.uuid4().hex[:12]}" if args.request_id is None else args.request_id
    session_id = f"manual-{uuid.uuid4().hex[:8]}" if args.session_id is None else args.session_id
    client = EdgeClient(
        queue_url,
        session=aws.session(args),
        endpoint_url=args.endpoint_url,
        mode="background",
        strict=True,
    )
    try:
        client.track_query(query=args.query, session_id=session_id, request_id=request_id)
        if not args.no_response:
            client.track_response(
                request_id=request_id,
                session_id=session_id,
                match_type=args.match_type,
                match_score=args.match_score,
                response=None if args.error else args.response,
                error=args.error,
                model=args.model,
                variant=args.variant,
                processing_time_ms=args.processing_time_ms,
            )
        if args.thumbs is not None or args.rating is not None:
            client.track_feedback(
                request_id,
                thumbs=args.thumbs,
                rating=args.rating,
                comment=args.comment,
                session_id=session_id,
            )
    except InvalidEventError as exc:
        client.close(0)
        raise CommandError(f"invalid event: {exc.reason}") from exc
    delivered = client.close(args.timeout)  # flushes first
    stats = client.stats()
    if not delivered:
        say(f"not delivered: {stats.failed} failed, {stats.pending} pending")
        return EXIT_FAILED
    kinds = " + ".join(
        kind
        for kind, sent in (
            ("query", True),
            ("response", not args.no_response),
            ("feedback", args.thumbs is not None or args.rating is not None),
        )
        if sent
    )
    print(f"sent {stats.sent} event(s) ({kinds}) for requestId {request_id}, session {session_id}")
    return EXIT_OK


def register(subparsers: Any) -> None:
    commands = add_group(subparsers, "events", "send test events")
    parser = add_command(
        commands,
        "send",
        send,
        "send one question's events (query, response, feedback) through the edge client "
        "(for trying things by hand)",
        parents=[aws.connection_options()],
    )
    aws.add_queue_url(parser)
    parser.add_argument("--query", required=True, help="the question")
    parser.add_argument(
        "--response", default="(a test answer)", help="the answer text (default: a placeholder)"
    )
    parser.add_argument(
        "--no-response", action="store_true", help="send the query only (an unanswered question)"
    )
    parser.add_argument("--request-id", default=None, help="requestId (default: a new one)")
    parser.add_argument("--session-id", default=None, help="sessionId (default: a new one)")
    parser.add_argument(
        "--match-type", choices=("full", "partial", "none"), default="full", help="default: full"
    )
    parser.add_argument("--match-score", type=score, default=90.0, help="0-100 (default: 90)")
    parser.add_argument("--error", default=None, help="mark the answer as failed with this error")
    parser.add_argument("--model", default=None, help="the model that answered")
    parser.add_argument("--variant", default=None, help="the prompt or A/B arm that answered")
    parser.add_argument(
        "--processing-time-ms", type=float, default=None, help="how long answering took"
    )
    feedback = parser.add_argument_group("the visitor's feedback (sent after the response)")
    feedback.add_argument("--thumbs", choices=("up", "down"), default=None)
    feedback.add_argument("--rating", type=int, default=None, help="1-5")
    feedback.add_argument("--comment", default=None, help="with --thumbs or --rating")
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds to wait for delivery (default: 10)"
    )
