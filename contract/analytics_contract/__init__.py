"""Event contract v1: the one definition shared by the edge client, the processor and the reporter.

Specified by the product owner in ``shared/EVENT_CONTRACT.md``. The processor and the reporter get this
package through the SAM layer built from ``contract/``; the edge client through the project's package.
"""

from analytics_contract.events import (
    MAX_COMMENT_CHARS,
    MAX_ERROR_CHARS,
    MAX_METADATA_ENTRIES,
    MAX_METADATA_KEY_CHARS,
    MAX_METADATA_VALUE_CHARS,
    MAX_MODEL_CHARS,
    MAX_QUERY_CHARS,
    MAX_REASONING_CHARS,
    MAX_RESPONSE_CHARS,
    MAX_VARIANT_CHARS,
    SCHEMA_VERSION,
    AnyEvent,
    Event,
    Feedback,
    FeedbackEvent,
    InvalidEventError,
    MatchType,
    QueryEvent,
    ResponseEvent,
    Tokens,
    parse_event,
    parse_event_json,
)
from analytics_contract.records import AnalyticsRecord, RecordStatus
from analytics_contract.weeks import iso_week, utc_day, week_bounds, week_days

__all__ = [
    "MAX_COMMENT_CHARS",
    "MAX_ERROR_CHARS",
    "MAX_METADATA_ENTRIES",
    "MAX_METADATA_KEY_CHARS",
    "MAX_METADATA_VALUE_CHARS",
    "MAX_MODEL_CHARS",
    "MAX_QUERY_CHARS",
    "MAX_REASONING_CHARS",
    "MAX_RESPONSE_CHARS",
    "MAX_VARIANT_CHARS",
    "SCHEMA_VERSION",
    "AnalyticsRecord",
    "AnyEvent",
    "Event",
    "Feedback",
    "FeedbackEvent",
    "InvalidEventError",
    "MatchType",
    "QueryEvent",
    "RecordStatus",
    "ResponseEvent",
    "Tokens",
    "iso_week",
    "parse_event",
    "parse_event_json",
    "utc_day",
    "week_bounds",
    "week_days",
]
