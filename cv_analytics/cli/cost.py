"""``cv-analytics cost``: what the pipeline costs a month, service by service, against the seed
design on the same prices (:mod:`cv_analytics.cost`). Base dependencies only; calls no AWS API."""

from __future__ import annotations

import argparse
from decimal import Decimal, DecimalException, localcontext
from typing import Any

from cv_analytics.cli.common import EXIT_OK, add_command

DESCRIPTION = """\
What processing N questions a month costs in $ and £ at AWS list prices, per service (SQS, Lambda
requests and arm64 GB-seconds, DynamoDB writes, reads, storage and backups, CloudWatch Logs and
metrics, SES, EventBridge), with and without the always-free tier, next to the seed design (the
system this one replaces) on the same price table, with the ratio.

Prices: one dated table with each source (cv_analytics/cost/prices.py). Requests, units, bytes
and durations per question: measured by `python -m bench.cost_inputs` (`make cost-inputs`),
committed in cv_analytics/cost/measured.json. Not included: the chatbot's own hosting and LLM,
the data-out paths (README: "Costs"), and the event source mapping's empty polls of an idle
queue (the same for both designs)."""

EXAMPLES = """\
examples:
  cv-analytics cost                               # 10k, 100k, 1M and 10M questions a month
  cv-analytics cost --questions 250k --currency gbp --no-free-tier
  cv-analytics cost --questions 1M --json
  cv-analytics cost --markdown                    # the README's cost table
"""

SUFFIXES = {"k": 1_000, "m": 1_000_000}


def questions_count(text: str) -> int:
    """A positive count, optionally with a k or M suffix (``250k``, ``4.1M``) or commas; at most
    :data:`~cv_analytics.cost.model.MAX_QUESTIONS` a month. Parsed as a decimal, not a float:
    ``4.1M`` is 4,100,000 exactly, and a long integer keeps every digit."""
    from cv_analytics.cost.model import MAX_QUESTIONS

    cleaned = text.strip().replace(",", "").replace("_", "")
    multiplier = SUFFIXES.get(cleaned[-1:].lower(), 1)
    number = cleaned[:-1] if multiplier != 1 else cleaned
    try:
        with localcontext() as exact:  # every digit typed, never rounded to 28
            exact.prec = max(exact.prec, len(number) + 8)
            value = Decimal(number) * multiplier
    except (DecimalException, ValueError):
        raise argparse.ArgumentTypeError(f"not a number of questions: {text!r}") from None
    if not value.is_finite():
        raise argparse.ArgumentTypeError(f"not a finite number of questions: {text!r}")
    if value > MAX_QUESTIONS:
        raise argparse.ArgumentTypeError(
            f"at most {MAX_QUESTIONS:,.0f} questions a month, not {text!r}"
        )
    if value <= 0 or value != value.to_integral_value():
        raise argparse.ArgumentTypeError(f"need a positive whole number of questions: {text!r}")
    return int(value)


def recipients_count(text: str) -> int:
    """Addresses the weekly email goes to: 1 to :data:`~cv_analytics.cost.model.MAX_RECIPIENTS`."""
    from cv_analytics.cost.model import MAX_RECIPIENTS

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of recipients: {text!r}") from None
    if not 1 <= value <= MAX_RECIPIENTS:
        raise argparse.ArgumentTypeError(f"recipients: 1 to {MAX_RECIPIENTS:,}, not {text!r}")
    return value


def batch_fill(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of messages per batch: {text!r}") from None
    if not 1 <= value <= 10:  # also rejects nan
        raise argparse.ArgumentTypeError(
            f"messages per batch: a FIFO batch holds 1 to 10 messages, not {text!r}"
        )
    return value


def run(args: argparse.Namespace) -> int:
    from cv_analytics.cost.model import DEFAULT_QUESTIONS
    from cv_analytics.cost.render import (
        CostReport,
        render_json,
        render_markdown,
        render_text,
    )

    report = CostReport(
        volumes=tuple(args.questions or DEFAULT_QUESTIONS),
        free_tier=(False, True) if args.free_tier is None else (args.free_tier,),
        currencies=("usd", "gbp") if args.currency == "both" else (args.currency,),
        recipients=args.recipients,
        messages_per_batch=args.messages_per_batch,
    )
    if args.json:
        print(render_json(report))
    elif args.markdown:
        print(render_markdown(report))
    else:
        print(render_text(report))
    return EXIT_OK


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers,
        "cost",
        run,
        "what the pipeline costs a month at 10k-10M questions, against the seed design",
        description=DESCRIPTION,
        epilog=EXAMPLES,
    )
    parser.add_argument(
        "--questions",
        action="append",
        type=questions_count,
        metavar="N",
        help="questions a month (at most 1e12), repeatable; k and M suffixes "
        "(default: 10k 100k 1M 10M)",
    )
    parser.add_argument(
        "--currency",
        choices=("usd", "gbp", "both"),
        default="both",
        help="(default: both, $ then £)",
    )
    parser.add_argument(
        "--free-tier",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="with (or without) AWS's always-free allowances (default: both)",
    )
    parser.add_argument(
        "--recipients",
        type=recipients_count,
        default=1,
        help="addresses the weekly email goes to, 1 to 10,000 (default: 1)",
    )
    parser.add_argument(
        "--messages-per-batch",
        type=batch_fill,
        metavar="M",
        help="messages per processor batch, 1-10 (default: as measured, full batches of a busy "
        "queue; a trickle of traffic gives smaller ones). At 1, every question's query and "
        "response arrive in different invocations: DynamoDB is priced at the measured split "
        "query-first mix (linearly towards the same-batch mix at 10). The time per batch stays "
        "as measured: an upper bound for smaller batches",
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print JSON")
    output.add_argument("--markdown", action="store_true", help="print Markdown tables")
