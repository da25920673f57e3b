"""``cv-analytics``: the operator command line (one entry point, ``--help`` on every command).

Every command that talks to AWS takes the endpoint, region and resource names from options or, when
an option is not given, from the environment (``cv-analytics stack up`` prints the variables to
export), so the same commands work against the local stack and a real account.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any, NoReturn

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from analytics_contract import InvalidEventError, weeks
from cv_analytics import dlq
from cv_analytics.deploy.command import register as register_deploy
from cv_analytics.stack import (
    ENV_ANALYTICS_TABLE,
    ENV_DLQ_URL,
    ENV_QUEUE_URL,
    PROVISIONER_CHOICES,
    LocalStack,
    local_stack,
)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

Handler = Callable[[argparse.Namespace], int]


class CommandError(Exception):
    """A problem the operator can fix (a missing option, an unreachable endpoint)."""


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- AWS access -------------------------------------------------------------------------------


def _aws_options() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("AWS connection")
    group.add_argument(
        "--endpoint-url",
        default=os.environ.get("AWS_ENDPOINT_URL"),
        help="AWS endpoint, e.g. the local stack's http://127.0.0.1:PORT "
        "(default: $AWS_ENDPOINT_URL; unset means real AWS)",
    )
    group.add_argument(
        "--region",
        default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"),
        help="AWS region (default: $AWS_REGION or $AWS_DEFAULT_REGION)",
    )
    group.add_argument(
        "--profile",
        default=None,
        help="AWS profile for credentials (default: the usual boto3 credential chain)",
    )
    return parent


def _session(args: argparse.Namespace) -> boto3.session.Session:
    return boto3.session.Session(profile_name=args.profile, region_name=args.region)


def _client(args: argparse.Namespace, service: str) -> Any:
    return _session(args).client(service, endpoint_url=args.endpoint_url)  # type: ignore[call-overload]


def _required(value: str | None, option: str, variable: str) -> str:
    if not value:
        raise CommandError(f"{option} is required (or set {variable})")
    return value


# -- demo ---------------------------------------------------------------------------------------


def _cmd_demo(args: argparse.Namespace) -> int:
    from cv_analytics.demo import DemoOptions, run_demo

    options = DemoOptions(
        questions=args.questions,
        seed=args.seed,
        out_dir=Path(args.out),
        provisioner=args.provisioner,
        week=args.week,
    )
    result = run_demo(options)
    print(result.summary)
    return EXIT_OK if result.ok else EXIT_FAILED


# -- stack --------------------------------------------------------------------------------------


def _describe_stack(stack: LocalStack, args: argparse.Namespace) -> str:
    resources = stack.resources
    lines = [
        f"Local stack running (provisioned with {resources.provisioner}).",
        "",
        f"  endpoint             {stack.aws.endpoint_url}   (region {stack.aws.region})",
        f"  events queue         {resources.queue_url}",
        f"  dead-letter queue    {resources.dead_letter_queue_url}",
        f"  analytics table      {resources.analytics_table}",
        f"  interim table        {resources.interim_table}",
        f"  report sender (SES)  {resources.sender}  (verified)",
    ]
    if resources.schedule_rule_arn:
        lines.append(
            f"  weekly schedule      {resources.schedule_rule_arn} -> {resources.schedule_target_arn}"
        )
    if args.no_functions:
        lines.append(
            "  functions            not running (--no-functions): nothing consumes the queue"
        )
    else:
        lines.append(
            "  functions            processor.app on the queue, processor.expiry_app on TTL "
            f"(logs: {args.lambda_logs})"
        )
    lines += [
        "",
        "Export these in another shell to use it (cv-analytics, boto3, the AWS CLI, Terraform):",
        "",
    ]
    lines += [f"export {key}={_shell_quote(value)}" for key, value in stack.environment().items()]
    lines += ["", "Press Ctrl-C to stop (everything in the emulator is lost)."]
    return "\n".join(lines)


def _shell_quote(value: str) -> str:
    import shlex

    return shlex.quote(value)


def _cmd_stack_up(args: argparse.Namespace) -> int:
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        return _run_stack(args, stop)  # signals reach the main thread only
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        return _run_stack(args, stop)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run_stack(args: argparse.Namespace, stop: threading.Event) -> int:
    from cv_analytics.lambdas import LocalFunctions, lambda_output

    with local_stack(
        prefix=args.prefix,
        provisioner=args.provisioner,
        port=args.port,
        workdir=Path(args.workdir) if args.workdir else None,
        log=_stderr,
    ) as stack:
        print(_describe_stack(stack, args), flush=True)
        if args.env_file:
            lines = [f"export {k}={_shell_quote(v)}" for k, v in stack.environment().items()]
            Path(args.env_file).write_text("\n".join(lines) + "\n", encoding="utf-8")
            _stderr(f"wrote {args.env_file} (source it to use the stack)")
        functions: LocalFunctions | None = None
        logs = nullcontext() if args.no_functions else lambda_output(Path(args.lambda_logs))
        with logs:
            if not args.no_functions:
                session = boto3.session.Session(region_name=stack.aws.region)
                functions = LocalFunctions(
                    sqs=session.client("sqs", endpoint_url=stack.aws.endpoint_url),
                    dynamodb=session.client("dynamodb", endpoint_url=stack.aws.endpoint_url),
                    queue_url=stack.resources.queue_url,
                    interim_table=stack.resources.interim_table,
                    environment={
                        **stack.aws.environment(),
                        **stack.resources.processor_environment(),
                    },
                )
                functions.start()
            try:
                if args.stop_after is not None:
                    stop.wait(args.stop_after)
                else:
                    while not stop.wait(3600):
                        pass
            except KeyboardInterrupt:
                pass
            finally:
                if functions is not None:
                    functions.stop()
        if functions is not None:
            done = functions.processed
            _stderr(
                f"processor: {done.received} messages in {done.batches} batches "
                f"({done.failed} failed); expiry: {functions.expired} items expired"
                + (f"; {len(functions.errors)} errors" if functions.errors else "")
            )
        _stderr("stopping the local stack")
    return EXIT_OK


# -- report -------------------------------------------------------------------------------------


def _cmd_report_preview(args: argparse.Namespace) -> int:
    """Delegates to the reporter's own preview: same aggregation, same templates as the email."""
    from reporter.preview import write_report
    from reporter.repository import AnalyticsTable
    from reporter.service import report_for_week
    from reporter.settings import ConfigurationError, load_report_options

    table_name = _required(args.analytics_table, "--analytics-table", ENV_ANALYTICS_TABLE)
    try:
        options = load_report_options(os.environ)
    except ConfigurationError as exc:
        raise CommandError(str(exc)) from exc
    table = AnalyticsTable(_client(args, "dynamodb"), table_name, args.week_index)
    report = report_for_week(table, args.week, options)
    html, text = write_report(report, Path(args.out))
    print(report.subject)
    print(f"wrote {html}")
    print(f"wrote {text}")
    return EXIT_OK


# -- dlq ----------------------------------------------------------------------------------------


def _render_letter(letter: dlq.DeadLetter, *, show_body: bool) -> list[str]:
    sent = (
        time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(letter.sent_timestamp / 1000))
        if letter.sent_timestamp
        else "?"
    )
    lines = [
        f"- {letter.message_id}  [{letter.kind}]  group={letter.group_id or '-'}  "
        f"receives {letter.receive_count}  sent {sent}",
        f"    reason: {letter.reason}",
    ]
    source = letter.attributes.get("sourceMessageId")
    if source:
        lines.append(
            f"    source message: {source}  quarantined at "
            f"{letter.attributes.get('quarantinedAt', '?')}"
        )
    body = letter.body if show_body else _shorten(letter.body, 160)
    lines.append(f"    body: {body}")
    return lines


def _shorten(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _cmd_dlq_list(args: argparse.Namespace) -> int:
    url = _required(args.dlq_url, "--dlq-url", ENV_DLQ_URL)
    look = dlq.peek(_client(args, "sqs"), url, limit=args.max)
    if args.json:
        print(json.dumps([m.to_dict() for m in look.messages], indent=2))
        return EXIT_OK
    quarantined = sum(1 for m in look.messages if m.quarantined)
    print(
        f"{len(look.messages)} message(s) in {url}: {quarantined} quarantined (rejected by the "
        f"processor), {len(look.messages) - quarantined} redriven by SQS after failed processing"
    )
    for letter in look.messages:
        print("\n".join(_render_letter(letter, show_body=args.show_body)))
    if look.not_shown:
        print(
            f"({look.not_shown} more not shown: in flight elsewhere, queued behind a message of "
            "the same FIFO group, or beyond --max)"
        )
    print("Nothing was consumed: the messages were made visible again.")
    return EXIT_OK


def _cmd_dlq_replay(args: argparse.Namespace) -> int:
    dlq_url = _required(args.dlq_url, "--dlq-url", ENV_DLQ_URL)
    queue_url = _required(args.queue_url, "--queue-url", ENV_QUEUE_URL)
    result = dlq.replay(
        _client(args, "sqs"), dlq_url, queue_url, max_messages=args.max, dry_run=args.dry_run
    )
    if result.dry_run:
        print(f"dry run: would replay {len(result.messages)} message(s) to {queue_url}:")
        for letter in result.messages:
            print(f"- {letter.message_id}  [{letter.kind}]  {letter.reason}")
        if result.not_shown:
            print(
                f"...and about {result.not_shown} more that a look cannot see (queued behind "
                "these in their FIFO group); a replay moves them too."
            )
        print("Nothing was moved.")
        return EXIT_OK
    print(
        f"replayed {result.replayed} message(s) from the DLQ to {queue_url}; "
        f"{result.failed} refused by SQS; about {result.left_in_dlq} left in the DLQ"
    )
    for error in result.errors:
        print(f"  error: {error}")
    return EXIT_OK if result.failed == 0 else EXIT_FAILED


# -- events -------------------------------------------------------------------------------------


def _cmd_events_send(args: argparse.Namespace) -> int:
    from edge_client import EdgeClient

    queue_url = _required(args.queue_url, "--queue-url", ENV_QUEUE_URL)
    request_id = args.request_id or f"manual-{uuid.uuid4().hex[:12]}"
    session_id = args.session_id or f"manual-{uuid.uuid4().hex[:8]}"
    client = EdgeClient(
        queue_url,
        session=_session(args),
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
            )
    except InvalidEventError as exc:
        client.close(0)
        raise CommandError(f"invalid event: {exc.reason}") from exc
    delivered = client.close(args.timeout)  # flushes first
    stats = client.stats()
    if not delivered:
        _stderr(f"not delivered: {stats.failed} failed, {stats.pending} pending")
        return EXIT_FAILED
    kinds = "query" if args.no_response else "query + response"
    print(f"sent {stats.sent} event(s) ({kinds}) for requestId {request_id}, session {session_id}")
    return EXIT_OK


# -- parser -------------------------------------------------------------------------------------


def _add(
    subparsers: Any, name: str, handler: Handler, help_text: str, **kwargs: Any
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name,
        help=help_text,
        description=kwargs.pop("description", help_text),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        **kwargs,
    )
    parser.set_defaults(handler=handler)
    return parser


def _group(subparsers: Any, name: str, help_text: str) -> Any:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name, help=help_text, description=help_text
    )
    parser.set_defaults(handler=lambda _: _usage(parser))
    return parser.add_subparsers(title="commands", metavar="COMMAND")


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _week(text: str) -> str:
    try:
        weeks.parse_week_id(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return text


def _score(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"must be between 0 and 100, got {value}")
    return value


ENVIRONMENT_HELP = f"""
environment variables (used when the matching option is not given):
  AWS_ENDPOINT_URL            --endpoint-url (the local stack's emulator; unset = real AWS)
  AWS_REGION                  --region
  {ENV_QUEUE_URL:<27} --queue-url (the events queue)
  {ENV_DLQ_URL:<27} --dlq-url (its dead-letter queue)
  {ENV_ANALYTICS_TABLE:<27} --analytics-table

`cv-analytics stack up` prints the values of a local stack, ready to export.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cv-analytics",
        description="Operate cv-analytics: run the demo, a local stack, report previews, "
        "the dead-letter queue and test events.",
        epilog=ENVIRONMENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(handler=lambda _: _usage(parser))
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    aws = _aws_options()

    demo = _add(
        commands,
        "demo",
        _cmd_demo,
        "run the whole pipeline on an embedded AWS emulator and write the weekly report email",
        description=(
            "Start an embedded AWS emulator, provision the resources, simulate a realistic week of\n"
            "chatbot traffic through the edge client, drain the queue through the processor (with\n"
            "real redrive and dead-letter behaviour), expire orphaned responses, fire the reporter\n"
            "with the weekly schedule's EventBridge event, save the email it sent, and check that\n"
            "every event sent is accounted for. Exits 1 if the balance does not add up."
        ),
    )
    demo.add_argument(
        "--questions", type=_positive, default=300, help="questions to simulate (default: 300)"
    )
    demo.add_argument(
        "--seed", type=int, default=7, help="random seed, for a reproducible week (default: 7)"
    )
    demo.add_argument(
        "--out",
        default="out/demo",
        help="output folder for the email and the balance (default: out/demo)",
    )
    demo.add_argument(
        "--provisioner",
        choices=PROVISIONER_CHOICES,
        default="auto",
        help="create the resources with the Terraform workspaces or with boto3; auto: "
        "terraform when it is installed (default: auto)",
    )
    demo.add_argument(
        "--week",
        type=_week,
        default=None,
        help="ISO week to simulate, e.g. 2025-W46 (default: the week that ended most recently)",
    )

    stack = _group(
        commands, "stack", "run a local stack (embedded AWS emulator with the resources)"
    )
    up = _add(
        stack,
        "up",
        _cmd_stack_up,
        "start a local stack, print its endpoint, names and env vars, and keep it running until Ctrl-C",
    )
    up.add_argument(
        "--port", type=int, default=None, help="emulator port on 127.0.0.1 (default: a free port)"
    )
    up.add_argument(
        "--prefix", default="cv-analytics", help="resource name prefix (default: cv-analytics)"
    )
    up.add_argument(
        "--provisioner",
        choices=PROVISIONER_CHOICES,
        default="auto",
        help="terraform, boto3 or auto (default: auto)",
    )
    up.add_argument(
        "--workdir",
        default=None,
        help="keep the Terraform working copies and state here (default: a temporary folder)",
    )
    up.add_argument("--env-file", default=None, help="also write the export lines to this file")
    up.add_argument(
        "--no-functions",
        action="store_true",
        help="do not run the processor on the queue (resources only)",
    )
    up.add_argument(
        "--lambda-logs",
        default="out/stack/lambda-logs.jsonl",
        help="where the functions' logs go (default: out/stack/lambda-logs.jsonl)",
    )
    up.add_argument("--stop-after", type=float, default=None, help=argparse.SUPPRESS)

    report = _group(commands, "report", "weekly report tools")
    preview = _add(
        report,
        "preview",
        _cmd_report_preview,
        "render a week's report (HTML and text) from the analytics table, without sending it",
        parents=[aws],
    )
    preview.add_argument("--week", type=_week, required=True, help="ISO week, e.g. 2025-W46")
    preview.add_argument(
        "--analytics-table",
        default=os.environ.get(ENV_ANALYTICS_TABLE),
        help=f"analytics table name (default: ${ENV_ANALYTICS_TABLE})",
    )
    preview.add_argument(
        "--week-index",
        default=os.environ.get("WEEK_INDEX_NAME", "week-index"),
        help="the table's week index (default: $WEEK_INDEX_NAME or week-index)",
    )
    preview.add_argument(
        "--out", default="out/preview", help="output folder (default: out/preview)"
    )

    dead = _group(commands, "dlq", "inspect and replay the dead-letter queue")
    listing = _add(
        dead,
        "list",
        _cmd_dlq_list,
        "show quarantined and failed messages with their reasons, without consuming them",
        parents=[aws],
    )
    listing.add_argument(
        "--dlq-url",
        default=os.environ.get(ENV_DLQ_URL),
        help=f"dead-letter queue URL (default: ${ENV_DLQ_URL})",
    )
    listing.add_argument("--max", type=_positive, default=None, help="show at most N messages")
    listing.add_argument("--json", action="store_true", help="print JSON instead of text")
    listing.add_argument(
        "--show-body", action="store_true", help="print whole bodies (default: shortened)"
    )

    replay = _add(
        dead,
        "replay",
        _cmd_dlq_replay,
        "move dead-letter messages back to the events queue (after a fix), none lost or duplicated",
        description=(
            "Move dead-letter messages back to the events queue, after a fix.\n\n"
            "Each message is sent to the events queue first (same MessageGroupId, a new\n"
            "MessageDeduplicationId derived from its DLQ message id) and deleted from the DLQ\n"
            "after: a crash in between can only cause a duplicate delivery, which the processor\n"
            "absorbs, never a loss."
        ),
        parents=[aws],
    )
    replay.add_argument(
        "--dlq-url",
        default=os.environ.get(ENV_DLQ_URL),
        help=f"dead-letter queue URL (default: ${ENV_DLQ_URL})",
    )
    replay.add_argument(
        "--queue-url",
        default=os.environ.get(ENV_QUEUE_URL),
        help=f"events queue URL (default: ${ENV_QUEUE_URL})",
    )
    replay.add_argument("--max", type=_positive, default=None, help="replay at most N messages")
    replay.add_argument(
        "--dry-run", action="store_true", help="show what would be replayed, move nothing"
    )

    events = _group(commands, "events", "send test events")
    send = _add(
        events,
        "send",
        _cmd_events_send,
        "send one query/response pair through the edge client (for trying things by hand)",
        parents=[aws],
    )
    send.add_argument(
        "--queue-url",
        default=os.environ.get(ENV_QUEUE_URL),
        help=f"events queue URL (default: ${ENV_QUEUE_URL})",
    )
    send.add_argument("--query", required=True, help="the question")
    send.add_argument(
        "--response", default="(a test answer)", help="the answer text (default: a placeholder)"
    )
    send.add_argument(
        "--no-response", action="store_true", help="send the query only (an unanswered question)"
    )
    send.add_argument("--request-id", default=None, help="requestId (default: a new one)")
    send.add_argument("--session-id", default=None, help="sessionId (default: a new one)")
    send.add_argument(
        "--match-type", choices=("full", "partial", "none"), default="full", help="default: full"
    )
    send.add_argument("--match-score", type=_score, default=90.0, help="0-100 (default: 90)")
    send.add_argument("--error", default=None, help="mark the answer as failed with this error")
    send.add_argument("--model", default=None, help="the model that answered")
    send.add_argument(
        "--timeout", type=float, default=10.0, help="seconds to wait for delivery (default: 10)"
    )
    register_deploy(commands)
    return parser


def _fail(message: str, code: int) -> NoReturn:
    _stderr(f"cv-analytics: error: {message}")
    raise SystemExit(code)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except CommandError as exc:
        _fail(str(exc), EXIT_USAGE)
    except (ClientError, BotoCoreError) as exc:
        _fail(f"AWS: {exc}", EXIT_FAILED)
    except KeyboardInterrupt:
        _fail("interrupted", 130)


if __name__ == "__main__":
    sys.exit(main())
