"""The processor's settings: environment variables, validated once at cold start.

Both functions read them through :class:`analytics_contract.settings.EnvironmentSettings` (the one
convention every function follows: a wrong setting fails the first invocation with one
:class:`~analytics_contract.settings.ConfigurationError` naming every bad variable; an empty value
counts as unset).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from analytics_contract.settings import EnvironmentSettings

SECONDS_PER_HOUR = 3_600

#: DynamoDB table names: 3-255 characters of a-z, A-Z, 0-9, '_', '-', '.'.
TableName = Annotated[str, Field(min_length=3, max_length=255, pattern=r"^[A-Za-z0-9_.\-]+$")]


class StoreSettings(EnvironmentSettings):
    """The two tables and the two time windows."""

    query_events_table: Annotated[TableName, Field(alias="QUERY_EVENTS_TABLE")]
    analytics_table: Annotated[TableName, Field(alias="ANALYTICS_TABLE")]
    correlation_window_hours: Annotated[
        int, Field(alias="CORRELATION_WINDOW_HOURS", ge=1, le=14 * 24)
    ] = 24
    record_ttl_days: Annotated[int, Field(alias="RECORD_TTL_DAYS", ge=1, le=3_650)] = 90

    @property
    def correlation_window_seconds(self) -> int:
        return self.correlation_window_hours * SECONDS_PER_HOUR


class ProcessorSettings(StoreSettings):
    """Both functions also write to the FIFO dead-letter queue: the SQS-triggered one quarantines
    messages there, and either keeps there an event found to conflict with its record."""

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
            description="Used only when the events queue's redrive policy cannot be read (the "
            "processor reads maxReceiveCount from the queue, and logs when it falls back)",
        ),
    ] = 3
