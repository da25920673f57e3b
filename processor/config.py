"""The processor's configuration: environment variables, validated once at cold start.

A Lambda whose configuration is wrong must fail at its first cold start with one message that names
every bad variable, not later on the first record that happens to need the value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError

SECONDS_PER_HOUR = 3_600
SECONDS_PER_DAY = 86_400

#: DynamoDB table names: 3-255 characters of a-z, A-Z, 0-9, '_', '-', '.'.
TableName = Annotated[str, Field(min_length=3, max_length=255, pattern=r"^[A-Za-z0-9_.\-]+$")]


class ConfigurationError(RuntimeError):
    """The environment does not hold a valid configuration; the message names each variable."""


class StoreSettings(BaseModel):
    """What both processor functions need: the two tables and the two time windows."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=False)

    query_events_table: Annotated[TableName, Field(alias="QUERY_EVENTS_TABLE")]
    analytics_table: Annotated[TableName, Field(alias="ANALYTICS_TABLE")]
    correlation_window_hours: Annotated[
        int, Field(alias="CORRELATION_WINDOW_HOURS", ge=1, le=14 * 24)
    ] = 24
    record_ttl_days: Annotated[int, Field(alias="RECORD_TTL_DAYS", ge=1, le=3_650)] = 90

    @property
    def correlation_window_seconds(self) -> int:
        return self.correlation_window_hours * SECONDS_PER_HOUR

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Self:
        """Validate ``environ`` (usually ``os.environ``); raises :class:`ConfigurationError`."""
        try:
            return cls.model_validate(dict(environ))
        except ValidationError as exc:
            raise ConfigurationError(_describe(cls, exc)) from exc


class ProcessorSettings(StoreSettings):
    """The SQS-triggered function also quarantines invalid messages in the FIFO dead-letter queue."""

    dead_letter_queue_url: Annotated[
        str,
        Field(
            alias="DEAD_LETTER_QUEUE_URL",
            pattern=r"^https?://\S+\.fifo$",
            description="URL of the FIFO dead-letter queue (ends in .fifo)",
        ),
    ]
    max_receive_count: Annotated[
        int,
        Field(
            alias="MAX_RECEIVE_COUNT",
            ge=1,
            le=1_000,
            description="The queue's redrive maxReceiveCount: on that receive, a message whose "
            "processing fails again is quarantined with the error instead of redriven",
        ),
    ] = 3


def _describe(model: type[BaseModel], error: ValidationError) -> str:
    problems = []
    for item in error.errors(include_url=False):
        name = ".".join(str(part) for part in item["loc"]) or "(environment)"
        if item["type"] == "missing":
            problems.append(f"{name} is not set")
        else:
            problems.append(f"{name}={item.get('input')!r}: {item['msg']}")
    return f"invalid {model.__name__} from the environment: " + "; ".join(problems)
