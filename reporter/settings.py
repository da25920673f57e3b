"""The reporter's configuration, read from the environment once, at cold start.

A Lambda that is misconfigured should say so on its first invocation, naming the variable, rather
than fail half-way through a report. :func:`load_settings` validates every variable with pydantic and
raises :class:`ConfigurationError` listing each problem by variable name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from email.utils import parseaddr
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

DEFAULT_WEEK_INDEX = "week-index"
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


class ConfigurationError(ValueError):
    """The environment does not configure the reporter; the message names each variable."""


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


class ReportOptions(BaseModel):
    """What shapes the report's content (shared by the Lambda, the preview and the operator CLI)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

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

    def cost(self, input_tokens: int, output_tokens: int) -> Decimal | None:
        """The LLM cost of the given token counts, or ``None`` when no price is configured."""
        if self.price_per_million_input_tokens is None:
            return None
        output_price = self.price_per_million_output_tokens or Decimal(0)
        return (
            Decimal(input_tokens) * self.price_per_million_input_tokens
            + Decimal(output_tokens) * output_price
        ) / Decimal(1_000_000)


class Settings(BaseModel):
    """Everything the Lambda needs: where the records are, who gets the email, report options."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    analytics_table: Annotated[str, Field(min_length=3, max_length=255)] = Field(
        alias="ANALYTICS_TABLE"
    )
    week_index_name: Annotated[str, Field(min_length=3, max_length=255)] = Field(
        default=DEFAULT_WEEK_INDEX, alias="WEEK_INDEX_NAME"
    )
    sender: Sender = Field(alias="REPORT_SENDER")
    recipients: Annotated[
        list[EmailAddress],
        BeforeValidator(_split_recipients),
        AfterValidator(_recipient_count),
    ] = Field(alias="REPORT_RECIPIENTS")
    options: ReportOptions = Field(default_factory=ReportOptions)


def _describe(error: ValidationError) -> list[str]:
    problems = []
    for item in error.errors(include_url=False):
        location = [str(part) for part in item["loc"]]
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "is required but not set"
        if not location:  # a cross-field rule: its message names the variables itself
            problems.append(message)
            continue
        detail = f" (address {int(location[1]) + 1})" if len(location) > 1 else ""
        problems.append(f"{location[0]}{detail}: {message}")
    return problems


def _set_variables(environ: Mapping[str, str]) -> dict[str, str]:
    """Empty variables count as unset (a template may pass ``""`` for "not configured")."""
    return {key: value for key, value in environ.items() if value.strip()}


def load_report_options(environ: Mapping[str, str]) -> ReportOptions:
    """Report options from environment variables; raises :class:`ConfigurationError`."""
    try:
        return ReportOptions.model_validate(_set_variables(environ))
    except ValidationError as exc:
        raise ConfigurationError(
            "invalid report configuration: " + "; ".join(_describe(exc))
        ) from exc


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Validate the Lambda's environment; raises :class:`ConfigurationError` naming each variable."""
    values = _set_variables(environ)
    problems: list[str] = []
    options = ReportOptions()
    try:
        options = ReportOptions.model_validate(values)
    except ValidationError as exc:
        problems.extend(_describe(exc))
    try:
        settings = Settings.model_validate({**values, "options": options})
    except ValidationError as exc:
        problems[:0] = _describe(exc)
    if problems:
        raise ConfigurationError("invalid reporter configuration: " + "; ".join(problems))
    return settings
