"""Development only: the pipeline on this machine, on an embedded AWS emulator.

Nothing here is needed to operate a real deployment (that is :mod:`cv_analytics.cli` and
:mod:`cv_analytics.dlq`, which need the base dependencies only). The modules of this package need
the ``dev`` extra: moto's server for the emulator, and the Lambda extra for the handlers they run
in-process.

- :mod:`.emulator`: moto's threaded server on a free loopback port (moto imported when started);
- :mod:`.resources`: the queues and tables created with boto3 (a test keeps them identical to
  Terraform's);
- :mod:`.stack`: an emulator with the resources, provisioned with Terraform or boto3;
- :mod:`.sqs_trigger`, :mod:`.ttl`, :mod:`.lambdas`: Lambda's SQS trigger, DynamoDB TTL and its
  stream, and the handlers cold-started in this process;
- :mod:`.traffic`: a realistic week of chatbot traffic with its ground truth;
- :mod:`.accounting`: where every event sent ended (the demo's balance);
- :mod:`.demo`: all of it end to end.

Importing this package itself is cheap and needs nothing beyond the base dependencies: the
command line reads :data:`PROVISIONER_CHOICES` from it to build its options, and calls
:func:`require_dev_extra` before it loads anything else from here.
"""

from __future__ import annotations

from collections.abc import Iterable

from cv_analytics.extras import ExtraMissingError, missing_distributions

#: How the local stack creates its resources; ``auto``: Terraform when it can run here.
PROVISIONER_CHOICES = ("auto", "terraform", "boto3")

#: The modules the development part imports, and the distribution that provides each.
DEV_MODULES = {
    "moto": "moto[server]",
    "aws_lambda_powertools": "aws-lambda-powertools",
}
INSTALL_HINT = "pip install 'cv-analytics[dev]'  (from a checkout: pip install -e '.[dev]')"


class DevExtraMissingError(ExtraMissingError):
    """A development-only command was run where the ``dev`` extra is not installed."""


def missing_dev_modules(modules: Iterable[str] = tuple(DEV_MODULES)) -> list[str]:
    """The distributions of ``modules`` (keys of :data:`DEV_MODULES`) not importable here."""
    return missing_distributions(DEV_MODULES, modules)


def require_dev_extra(what: str, modules: Iterable[str] = tuple(DEV_MODULES)) -> None:
    """Raise :class:`DevExtraMissingError` naming what is missing and how to install it, unless every
    one of ``modules`` can be imported."""
    missing = missing_dev_modules(modules)
    if missing:
        raise DevExtraMissingError(
            f"{what} is a development tool and needs the dev extra (missing: "
            f"{', '.join(missing)}). Install it with: {INSTALL_HINT}"
        )
