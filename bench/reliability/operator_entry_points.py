"""Two more entry points for the bad-input catalogue: the CLI's ``events send`` and the reporter's
trigger. Each is a column of ``bench/reliability/bad_inputs.py``'s report.

``CLI events send`` (``cv-analytics events send``, strict edge client, on moto in-process): an
entry is expressible when its fields are the command's options (``--query``, ``--request-id``,
``--session-id``, ``--match-type``, ``--match-score``, ``--response``, ``--error``, ``--model``,
``--variant``, ``--processing-time-ms``, ``--thumbs``, ``--rating``, ``--comment``) and its bad
value is text a shell could pass (a command line has no JSON types: ``42`` and ``"42"`` are the
same argument; the timestamp, metadata, reasoning and tokens are not options; the CLI fills the
timestamp in). The answer must be: a rejected entry exits with an error that names the field (as
the contract, as the option, or in snake_case) and sends nothing; a valid one is sent. A field
left out falls back to the command's default (``--match-type full``) or to argparse's "required"
error: either is fine and shown.

``reporter trigger``: every catalogue body given to the reporter's handler as its invocation event
(a body that is not JSON as the raw string). None is a trigger: each must be refused with a message
that says what is wrong, and no email sent.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Iterator, Sequence
from typing import Any

from bench.reliability.bad_inputs import Answer
from tests.support.bad_inputs import BadInput

REGION = "eu-west-2"
QUEUE = "bad-inputs-cli.fifo"
HEALTHY_QUERY = "Hello?"

#: Contract field -> the ``events send`` option that carries it.
OPTIONS = {
    "query": "--query",
    "requestId": "--request-id",
    "sessionId": "--session-id",
    "matchType": "--match-type",
    "matchScore": "--match-score",
    "response": "--response",
    "error": "--error",
    "model": "--model",
    "variant": "--variant",
    "processingTimeMs": "--processing-time-ms",
    "thumbs": "--thumbs",
    "rating": "--rating",
    "comment": "--comment",
}
#: Options whose argparse type parses numbers (any text is a fair value for them).
NUMERIC = {"matchScore", "processingTimeMs", "rating"}
#: Fields the command fills in itself or that are the envelope: ignored unless they are the fault.
FILLED = {"schemaVersion", "eventType", "timestamp"}


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def cli_arguments(entry: BadInput) -> list[str] | str:
    """The ``events send`` arguments for an entry, or why it cannot be given as options."""
    event = entry.event
    if event is None:
        return "n/a: not a JSON object of tracked fields"
    fields = [part.strip().split(".")[0] for part in (entry.field or "").split(",") if part]
    for field in fields:
        if field not in OPTIONS:
            return f"n/a: {field} is not an option"
    kind = event.get("eventType")
    arguments: list[str] = []
    for name, value in event.items():
        if name in FILLED:
            continue
        if name not in OPTIONS:
            if name in fields:
                return f"n/a: {name} is not an option"
            continue  # reasoning, tokens, metadata: the command does not send them
        if value is None or isinstance(value, dict | list):
            return f"n/a: {name} as JSON {type(value).__name__}"
        if isinstance(value, bool) or isinstance(value, str) == (name in NUMERIC):
            return f"n/a: {name} as JSON {type(value).__name__} (a command line passes text)"
        arguments += [OPTIONS[name], str(value)]
    if kind == "query":
        arguments.append("--no-response")
    elif kind in ("response", "feedback"):
        if "query" not in event:
            arguments += ["--query", HEALTHY_QUERY]
        if kind == "feedback":
            arguments.append("--no-response")
    else:
        return "n/a: not a query, response or feedback"
    return arguments


@contextlib.contextmanager
def _queue() -> Iterator[tuple[Any, str]]:
    import boto3
    from moto import mock_aws

    saved = {key: os.environ.get(key) for key in ("AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL")}
    os.environ["AWS_DEFAULT_REGION"] = REGION
    os.environ.pop("AWS_ENDPOINT_URL", None)
    try:
        with mock_aws():
            sqs = boto3.client("sqs", region_name=REGION)
            url = sqs.create_queue(
                QueueName=QUEUE,
                Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "false"},
            )["QueueUrl"]
            yield sqs, url
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    bodies = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def _run_cli(arguments: list[str]) -> tuple[int, str]:
    from cv_analytics.cli import main

    errors = io.StringIO()
    with contextlib.redirect_stderr(errors), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(arguments)
        except SystemExit as exited:
            code = exited.code if isinstance(exited.code, int) else 1
    return code, errors.getvalue().strip().splitlines()[-1] if errors.getvalue().strip() else ""


def _names(message: str, field: str) -> bool:
    return any(form in message for form in (field, _snake(field), OPTIONS.get(field, field)))


def cli_answers(entries: Sequence[BadInput]) -> dict[str, Answer]:
    answers: dict[str, Answer] = {}
    with _queue() as (sqs, url):
        for entry in entries:
            arguments = cli_arguments(entry)
            if isinstance(arguments, str):
                answers[entry.kind] = Answer(arguments)
                continue
            code, message = _run_cli(["events", "send", "--queue-url", url, *arguments])
            sent = _drain(sqs, url)
            shown = f"exit {code}: {message[:60]}" if code else f"sent {len(sent)}"
            answers[entry.kind] = Answer(shown, _cli_problem(entry, code, message, sent))
    return answers


def _cli_problem(
    entry: BadInput, code: int, message: str, sent: list[dict[str, Any]]
) -> str | None:
    event = entry.event or {}
    field = (entry.field or "").split(",")[0].strip()
    if entry.rejected and entry.edge == "same" and field in event:
        if code == 0:
            return f"accepted ({len(sent)} sent); the contract rejects {field}"
        if sent:
            return f"refused but {len(sent)} event(s) sent anyway"
        if not _names(message, field):
            return f"the error does not name {field}: {message}"
        return None
    if entry.rejected and field not in event:  # left out: a default, or argparse's "required"
        if code != 0 and (sent or not _names(message, field)):
            return f"refused without naming {field}, or sent anyway: {message}"
        return None
    if code != 0:
        return f"a valid entry was refused: {message}"
    expected = {"query": 1, "response": 2, "feedback": 2}[str(event.get("eventType"))]
    return None if len(sent) == expected else f"{len(sent)} sent, {expected} expected"


def reporter_trigger_answers(entries: Sequence[BadInput]) -> dict[str, Answer]:
    from bench.reliability.reporter_faults import build, environment, sent_emails

    answers: dict[str, Answer] = {}
    with environment():
        reporter = build()
        for entry in entries:
            try:
                event: Any = json.loads(entry.body)
            except (ValueError, RecursionError):
                event = entry.body
            before = sent_emails()
            try:
                reporter.handle(event)
            except Exception as exc:  # noqa: BLE001 - the message is what is checked
                message = str(exc).replace("\n", " ")
                emailed = sent_emails() - before
                problem = f"{emailed} email(s) sent" if emailed else None
                if ":" not in message:
                    problem = f"the refusal does not say what is wrong: {message}"
                answers[entry.kind] = Answer(f"refused: {message[:60]}", problem)
            else:
                answers[entry.kind] = Answer("accepted", "an event body was taken for a trigger")
    return answers
