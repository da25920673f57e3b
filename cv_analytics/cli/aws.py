"""How the operator commands reach AWS: connection options, resource names, the boto3 session.

Defined once here and shared by every command that talks to AWS. Options fall back to environment
variables (``cv-analytics stack up`` prints them ready to export), so the same commands work
against the local stack and a real account.

The region: ``--region``, else ``$AWS_REGION``, else what botocore finds itself
(``$AWS_DEFAULT_REGION``, then the profile's ``region``). botocore alone never reads
``AWS_REGION`` (the variable Lambda and many CI systems set), so it is read here; with none of
them the command stops and says so, instead of failing later inside botocore.
"""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING, Any

from cv_analytics.cli.common import CommandError

if TYPE_CHECKING:
    import boto3

#: The events queue. The edge client reads the same variable (``edge_client.ENV_QUEUE_URL``).
ENV_QUEUE_URL = "CV_ANALYTICS_QUEUE_URL"
#: The events queue's dead-letter queue.
ENV_DLQ_URL = "CV_ANALYTICS_DLQ_URL"
#: The analytics table (one record per question).
ENV_ANALYTICS_TABLE = "CV_ANALYTICS_ANALYTICS_TABLE"
#: The interim table (exported by ``stack up``; no command needs it yet).
ENV_INTERIM_TABLE = "CV_ANALYTICS_INTERIM_TABLE"

NO_REGION = (
    "no AWS region: pass --region, or set AWS_REGION or AWS_DEFAULT_REGION, "
    "or give the profile a region"
)

ENVIRONMENT_HELP = f"""
environment variables (used when the matching option is not given):
  AWS_ENDPOINT_URL            --endpoint-url (the local stack's emulator; unset = real AWS)
  AWS_REGION                  --region (then AWS_DEFAULT_REGION, then the profile's region)
  AWS_PROFILE                 --profile
  {ENV_QUEUE_URL:<27} --queue-url (the events queue)
  {ENV_DLQ_URL:<27} --dlq-url (its dead-letter queue)
  {ENV_ANALYTICS_TABLE:<27} --analytics-table

`cv-analytics stack up` prints the values of a local stack, ready to export.
"""


def environment(name: str) -> str | None:
    """A variable's value; set to an empty or blank string counts as unset."""
    value = os.environ.get(name, "").strip()
    return value or None


def connection_options() -> argparse.ArgumentParser:
    """A parent parser with ``--endpoint-url``, ``--region`` and ``--profile``."""
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("AWS connection")
    group.add_argument(
        "--endpoint-url",
        default=environment("AWS_ENDPOINT_URL"),
        help="AWS endpoint, e.g. the local stack's http://127.0.0.1:PORT "
        "(default: $AWS_ENDPOINT_URL; unset means real AWS)",
    )
    group.add_argument(
        "--region",
        default=None,
        help="AWS region (default: $AWS_REGION, then $AWS_DEFAULT_REGION, then the profile's)",
    )
    group.add_argument(
        "--profile",
        default=None,
        help="AWS profile for credentials and region (default: $AWS_PROFILE, else the usual "
        "boto3 credential chain)",
    )
    return parent


def add_queue_url(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--queue-url",
        default=environment(ENV_QUEUE_URL),
        help=f"events queue URL (default: ${ENV_QUEUE_URL})",
    )


def add_dlq_url(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dlq-url",
        default=environment(ENV_DLQ_URL),
        help=f"dead-letter queue URL (default: ${ENV_DLQ_URL})",
    )


def add_analytics_table(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--analytics-table",
        default=environment(ENV_ANALYTICS_TABLE),
        help=f"analytics table name (default: ${ENV_ANALYTICS_TABLE})",
    )


def required(value: str | None, option: str, variable: str) -> str:
    """``value``, or a :class:`CommandError` naming the option and its variable."""
    if not value:
        raise CommandError(f"{option} is required (or set {variable})")
    return value


def session(args: argparse.Namespace) -> boto3.session.Session:
    """A boto3 session for the command's profile and region; stops when there is no region."""
    import boto3
    from botocore.exceptions import ProfileNotFound

    region = args.region or environment("AWS_REGION")
    try:
        chosen = boto3.session.Session(profile_name=args.profile, region_name=region)
    except ProfileNotFound as exc:
        raise CommandError(str(exc)) from exc
    if not chosen.region_name:
        raise CommandError(NO_REGION)
    return chosen


def client(args: argparse.Namespace, service: str) -> Any:
    """A client of ``service`` at the command's endpoint (real AWS when there is none)."""
    return session(args).client(service, endpoint_url=args.endpoint_url)  # type: ignore[call-overload]
