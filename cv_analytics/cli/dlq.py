"""``cv-analytics dlq list|replay``: the dead-letter queue, looked at and replayed after a fix."""

from __future__ import annotations

import argparse
import json
import time
from typing import TYPE_CHECKING, Any

from cv_analytics.cli import aws
from cv_analytics.cli.common import EXIT_FAILED, EXIT_OK, add_command, add_group, positive

if TYPE_CHECKING:
    from cv_analytics.dlq import DeadLetter

REPLAY_DESCRIPTION = """\
Move dead-letter messages back to the events queue, after a fix.

Each message is sent to the events queue first (same MessageGroupId, a new
MessageDeduplicationId derived from its DLQ message id) and deleted from the DLQ
after: a crash in between can only cause a duplicate delivery, which the processor
absorbs, never a loss."""


def render_letter(letter: DeadLetter, *, show_body: bool) -> list[str]:
    """The lines ``dlq list`` prints for one message."""
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
    if letter.source_message_id:
        lines.append(
            f"    source message: {letter.source_message_id}  quarantined at "
            f"{letter.quarantined_at or '?'}"
        )
    body = letter.body if show_body else shorten(letter.body, 160)
    lines.append(f"    body: {body}")
    return lines


def shorten(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def list_letters(args: argparse.Namespace) -> int:
    from cv_analytics import dlq

    url = aws.required(args.dlq_url, "--dlq-url", aws.ENV_DLQ_URL)
    look = dlq.peek(aws.client(args, "sqs"), url, limit=args.max)
    if args.json:
        print(json.dumps([m.to_dict() for m in look.messages], indent=2))
        return EXIT_OK
    quarantined = sum(1 for m in look.messages if m.quarantined)
    print(
        f"{len(look.messages)} message(s) in {url}: {quarantined} quarantined (rejected by the "
        f"processor), {len(look.messages) - quarantined} redriven by SQS after failed processing"
    )
    for letter in look.messages:
        print("\n".join(render_letter(letter, show_body=args.show_body)))
    if look.not_shown:
        print(
            f"({look.not_shown} more not shown: in flight elsewhere, queued behind a message of "
            "the same FIFO group, or beyond --max)"
        )
    print("Nothing was consumed: the messages were made visible again.")
    return EXIT_OK


def replay(args: argparse.Namespace) -> int:
    from cv_analytics import dlq

    dlq_url = aws.required(args.dlq_url, "--dlq-url", aws.ENV_DLQ_URL)
    queue_url = aws.required(args.queue_url, "--queue-url", aws.ENV_QUEUE_URL)
    result = dlq.replay(
        aws.client(args, "sqs"), dlq_url, queue_url, max_messages=args.max, dry_run=args.dry_run
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


def register(subparsers: Any) -> None:
    commands = add_group(subparsers, "dlq", "inspect and replay the dead-letter queue")
    connection = aws.connection_options()

    listing = add_command(
        commands,
        "list",
        list_letters,
        "show quarantined and failed messages with their reasons, without consuming them",
        parents=[connection],
    )
    aws.add_dlq_url(listing)
    listing.add_argument("--max", type=positive, default=None, help="show at most N messages")
    listing.add_argument("--json", action="store_true", help="print JSON instead of text")
    listing.add_argument(
        "--show-body", action="store_true", help="print whole bodies (default: shortened)"
    )

    replaying = add_command(
        commands,
        "replay",
        replay,
        "move dead-letter messages back to the events queue (after a fix), none lost or duplicated",
        description=REPLAY_DESCRIPTION,
        parents=[connection],
    )
    aws.add_dlq_url(replaying)
    aws.add_queue_url(replaying)
    replaying.add_argument("--max", type=positive, default=None, help="replay at most N messages")
    replaying.add_argument(
        "--dry-run", action="store_true", help="show what would be replayed, move nothing"
    )
