"""The project's one price table: AWS list prices, dated, each with the page it comes from.

US East (N. Virginia), USD, as AWS publishes them; other regions differ by a few percent (London
is about 5-10% dearer). ``free_per_month`` is the *always-free* allowance (the part of the AWS
Free Tier that does not expire after 12 months): the figures "with the free tier" assume the
account spends it on this system alone. Both the processing model (:mod:`cv_analytics.cost.model`)
and the data-out paths (:mod:`cv_analytics.data.costs`) price from here. Nothing here calls AWS.

The pound figures convert dollars at :data:`GBP_PER_USD` (dated, with its source); AWS bills in
dollars, so a British card statement differs by the bank's rate and fees.
"""

from __future__ import annotations

from dataclasses import dataclass

PRICES_AS_OF = "2026-12"
PRICES_REGION = "us-east-1"

#: Pounds per US dollar, the Bank of England's spot rate around :data:`PRICES_AS_OF`
#: (https://www.bankofengland.co.uk/boeapps/database/ , series XUDLUSS is dollars per pound).
GBP_PER_USD = 0.79
GBP_PER_USD_SOURCE = "https://www.bankofengland.co.uk/boeapps/database/"


@dataclass(frozen=True)
class Price:
    usd: float
    unit: str
    source: str
    #: What the always-free tier covers each month, in ``unit`` (0: nothing).
    free_per_month: float = 0.0


_SQS = "https://aws.amazon.com/sqs/pricing/"
_LAMBDA = "https://aws.amazon.com/lambda/pricing/"
_DYNAMODB = "https://aws.amazon.com/dynamodb/pricing/on-demand/"
_CLOUDWATCH = "https://aws.amazon.com/cloudwatch/pricing/"
_SES = "https://aws.amazon.com/ses/pricing/"
_EVENTBRIDGE = "https://aws.amazon.com/eventbridge/pricing/"
_S3 = "https://aws.amazon.com/s3/pricing/"
_ATHENA = "https://aws.amazon.com/athena/pricing/"
_GLUE = "https://aws.amazon.com/glue/pricing/"

PRICES: dict[str, Price] = {
    # -- the pipeline: queue, functions, tables, logs, metrics, email, schedule --
    "sqs.fifo_request": Price(
        0.50 / 1e6, "FIFO request (each 64 KB of a request's payload counts as one)", _SQS,
        1_000_000,
    ),
    "lambda.request": Price(0.20 / 1e6, "Lambda request", _LAMBDA, 1_000_000),
    "lambda.arm64_gb_second": Price(0.0000133334, "GB-second, arm64", _LAMBDA, 400_000),
    "dynamodb.write_request": Price(0.625 / 1e6, "write request unit (on demand)", _DYNAMODB),
    "dynamodb.read_request": Price(0.125 / 1e6, "read request unit (on demand)", _DYNAMODB),
    "dynamodb.storage": Price(0.25, "GB-month of table and index storage", _DYNAMODB, 25),
    "dynamodb.pitr": Price(0.20, "GB-month of continuous backup (point-in-time recovery)", _DYNAMODB),
    "logs.ingested": Price(0.50, "GB of CloudWatch Logs ingested (standard class)", _CLOUDWATCH, 5),
    # The free 5 GB covers ingestion and archive together: counted against ingestion only.
    "logs.stored": Price(0.03, "GB-month of CloudWatch Logs archived", _CLOUDWATCH),
    "cloudwatch.metric": Price(0.30, "custom metric-month (EMF included, first 10,000)", _CLOUDWATCH, 10),
    "cloudwatch.alarm_metric": Price(
        0.10, "standard-resolution alarm metric-month (a metric-math alarm: each metric in it)",
        _CLOUDWATCH, 10,
    ),
    "ses.email": Price(0.10 / 1000, "email sent (SES outbound)", _SES),
    "eventbridge.event": Price(1.00 / 1e6, "event matched by a rule (at most the custom-event price)", _EVENTBRIDGE),
    # -- the data-out paths (cv_analytics.data.costs) --
    "dynamodb.export_full": Price(0.10, "GB of table exported (full export to S3)", _DYNAMODB),
    "s3.storage": Price(0.023, "GB-month (S3 Standard, first 50 TB)", _S3),
    "s3.put": Price(0.005 / 1000, "PUT, COPY, POST or LIST request", _S3),
    "s3.get": Price(0.0004 / 1000, "GET or SELECT request", _S3),
    "athena.scanned": Price(5.00, "TB scanned (rounded up to 1 MB, at least 10 MB a query)", _ATHENA),
    "glue.objects": Price(1.00 / 100_000, "Data Catalog object-month", _GLUE, 1_000_000),
    "glue.requests": Price(1.00 / 1e6, "Data Catalog request", _GLUE, 1_000_000),
    "scheduler.invocations": Price(1.00 / 1e6, "Scheduler invocation", _EVENTBRIDGE, 14_000_000),
}  # fmt: skip


def charge(name: str, quantity: float, *, free_tier: bool) -> float:
    """Dollars for ``quantity`` of ``PRICES[name]`` in a month (less its free allowance)."""
    price = PRICES[name]
    billable = max(0.0, quantity - price.free_per_month) if free_tier else quantity
    return billable * price.usd
