"""The reporter's configuration, read from the environment once, at cold start.

Declared on the contract's :class:`~analytics_contract.settings.EnvironmentSettings`, like every
function's: a misconfigured reporter fails its first invocation with one
:class:`ConfigurationError` naming every bad variable, rather than half-way through a report.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from email.utils import parseaddr
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from analytics_contract.settings import ConfigurationError, EnvironmentSettings
from analytics_contract.storage import WEEK_INDEX

__all__ = [
    "DEFAULT_WEEK_INDEX",
    "ConfigurationError",
    "ReportOptions",
    "ReporterSettings",
    "load_report_options",
    "load_settings",
]

# The contract names the index (processor_infra creates it, analytics_contract.storage defines it).
DEFAULT_WEEK_INDEX = WEEK_INDEX
DEFAULT_CURRENCY = "USD"
#: SES accepts at most 50 recipients per message.
MAX_RECIPIENTS = 50

# Deliberately plain: local part without spaces, angle brackets, quotes or separators; a domain of
# at least two dot-separated labels. SES does the authoritative check; this catches typos and
# mangled lists (a missing comma, a stray quote) at deploy time instead of on Monday morning.
_EMAIL = re.compile(
    r"^[^@\s<>\",;()\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)


def _email_address(value: str) -> str:
    value = value.strip()
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an email address")
    return value


def _sender(value: str) -> str:
    """An address, or ``Display Name <address>`` (SES accepts both as ``FromEmailAddress``)."""
    value = value.strip()
    name, address = parseaddr(value)
    if not address or (not name and address != value):
        raise ValueError(f"{value!r} is not an email address or 'Name <address>'")
    _email_address(address)
    return value


def _split_recipients(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _recipient_count(addresses: list[str]) -> list[str]:
    if not addresses:
        raise ValueError("no address: give one or more, separated by commas")
    if len(addresses) > MAX_RECIPIENTS:
        raise ValueError(
            f"{len(addresses)} addresses; SES sends one message to at most {MAX_RECIPIENTS}"
        )
    return addresses


EmailAddress = Annotated[str, AfterValidator(_email_address)]
Sender = Annotated[str, AfterValidator(_sender)]
Price = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]
TableName = Annotated[str, Field(min_length=3, max_length=255, pattern=r"^[A-Za-z0-9_.\-]+$")]


class ReportOptions(EnvironmentSettings):
    """What shapes the report's content (shared by the Lambda, the preview and the operator CLI)."""

    price_per_million_input_tokens: Price | None = Field(
        default=None, alias="PRICE_PER_MILLION_INPUT_TOKENS"
    )
    price_per_million_output_tokens: Price | None = Field(
        default=None, alias="PRICE_PER_MILLION_OUTPUT_TOKENS"
    )
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = Field(
        default=DEFAULT_CURRENCY, alias="PRICE_CURRENCY"
    )

    @model_validator(mode="after")
    def _prices_come_in_pairs(self) -> Self:
        given = (self.price_per_million_input_tokens, self.price_per_million_output_tokens)
        if (given[0] is None) != (given[1] is None):
            missing = (
                "PRICE_PER_MILLION_INPUT_TOKENS"
                if given[0] is None
                else "PRICE_PER_MILLION_OUTPUT_TOKENS"
            )
            raise ValueError(
                f"{missing} must be set too: the LLM cost needs both token prices (0 is allowed)"
            )
        return self

    @property
    def shows_cost(self) -> bool:
        return self.price_per_million_input_tokens is not None

    @property
    def cost_function(self) -> Callable[[int, int], Decimal | None] | None:
        """:meth:`cost`, when prices are configured."""
        return self.cost if self.shows_cost else None

    def cost(self, input_tokens: int, output_tokens: int) -> Decimal | None:
        """The LLM cost of the given token counts, or ``None`` when no price is configured."""
        if self.price_per_million_input_tokens is None:
            return None
        output_price = self.price_per_million_output_tokens or Decimal(0)
        return (
            Decimal(input_tokens) * self.price_per_million_input_tokens
            + Decimal(output_tokens) * output_price
        ) / Decimal(1_000_000)


class ReporterSettings(ReportOptions):
    """Everything the Lambda needs: where the records are, who gets the email, report options,
    and where it remembers which weeks were sent."""

    analytics_table: TableName = Field(alias="ANALYTICS_TABLE")
    week_index_name: Annotated[str, Field(min_length=3, max_length=255)] = Field(
        default=DEFAULT_WEEK_INDEX, alias="WEEK_INDEX_NAME"
    )
    sender: Sender = Field(alias="REPORT_SENDER")
    recipients: Annotated[
        list[EmailAddress],
        BeforeValidator(_split_recipients),
        AfterValidator(_recipient_count),
    ] = Field(alias="REPORT_RECIPIENTS")
    #: The table where each week's delivery is recorded (powertools idempotency layout: ``id``
    #: key, ``expiration`` TTL). Unset: no record is kept and a repeated invocation sends again;
    #: the SAM template always sets it.
    idempotency_table: TableName | None = Field(default=None, alias="IDEMPOTENCY_TABLE")

    @property
    def options(self) -> ReportOptions:
        """The report options alone (what the preview and the CLI take)."""
        return ReportOptions.model_validate(
            {
                "PRICE_PER_MILLION_INPUT_TOKENS": self.price_per_million_input_tokens,
                "PRICE_PER_MILLION_OUTPUT_TOKENS": self.price_per_million_output_tokens,
                "PRICE_CURRENCY": self.currency,
            }
        )


def load_report_options(environ: Mapping[str, str]) -> ReportOptions:
    """Report options from environment variables; raises :class:`ConfigurationError`."""
    return ReportOptions.from_environment(environ)


def load_settings(environ: Mapping[str, str]) -> ReporterSettings:
    """The Lambda's settings; raises :class:`ConfigurationError` naming each bad variable."""
    return ReporterSettings.from_environment(environ)
