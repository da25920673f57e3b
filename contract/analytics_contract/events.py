"""The two events the chatbot emits per question (contract v1), as pydantic models.

Wire format: JSON, camelCase field names, integer millisecond UTC timestamps. Unknown extra fields
are ignored; a missing or malformed required field makes the event invalid, and
:class:`InvalidEventError` names the field.

Length limits are part of the contract: they keep every event well inside SQS's 256 KB message
limit and every analytics record inside DynamoDB's 400 KB item limit. The edge client shortens
over-long text to these limits before sending (and lists what it shortened in ``truncatedFields``);
the processor rejects anything longer.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)
from pydantic.alias_generators import to_camel

SCHEMA_VERSION = 1

MAX_ID_CHARS = 128
MAX_QUERY_CHARS = 4_000
MAX_RESPONSE_CHARS = 32_000
MAX_REASONING_CHARS = 8_000
MAX_ERROR_CHARS = 2_000
MAX_MODEL_CHARS = 128
MAX_METADATA_ENTRIES = 20
MAX_METADATA_KEY_CHARS = 64
MAX_METADATA_VALUE_CHARS = 1_024

#: Text fields the edge client may shorten, with their limits.
TEXT_LIMITS: dict[str, int] = {
    "query": MAX_QUERY_CHARS,
    "response": MAX_RESPONSE_CHARS,
    "reasoning": MAX_REASONING_CHARS,
    "error": MAX_ERROR_CHARS,
}

Identifier = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_ID_CHARS, pattern=r"^[A-Za-z0-9\-_.:]+$"),
]
#: Plausible timestamps: from 2000-01-01 to before 2100-01-01 UTC, in milliseconds. A timestamp in
#: seconds (about 1.7e9) falls below the range and is rejected instead of landing in a 1970 week
#: with a TTL already past; a far-future one would never expire and breaks week arithmetic.
MIN_TIMESTAMP_MS = 946_684_800_000
MAX_TIMESTAMP_MS = 4_102_444_799_999
TimestampMs = Annotated[
    StrictInt,
    Field(
        ge=MIN_TIMESTAMP_MS,
        le=MAX_TIMESTAMP_MS,
        description="Milliseconds since the Unix epoch, UTC (2000-01-01 to 2099-12-31)",
    ),
]
MatchType = Literal["full", "partial", "none"]
MetadataKey = Annotated[str, StringConstraints(min_length=1, max_length=MAX_METADATA_KEY_CHARS)]
MetadataValue = Annotated[str, StringConstraints(max_length=MAX_METADATA_VALUE_CHARS)]
Metadata = Annotated[dict[MetadataKey, MetadataValue], Field(max_length=MAX_METADATA_ENTRIES)]
TruncatedFields = list[Literal["query", "response", "reasoning", "error"]]


class _ContractModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
        frozen=True,
        str_strip_whitespace=False,
    )

    def to_wire(self) -> dict[str, Any]:
        """The JSON-ready dict as sent on the queue (camelCase, no nulls)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True, exclude_none=True)


class Tokens(_ContractModel):
    """LLM token usage of one answer."""

    input: Annotated[StrictInt, Field(ge=0)]
    output: Annotated[StrictInt, Field(ge=0)]


class QueryEvent(_ContractModel):
    """Sent when a question arrives."""

    schema_version: Literal[1]
    event_type: Literal["query"]
    request_id: Identifier
    timestamp: TimestampMs
    session_id: Identifier
    query: Annotated[str, StringConstraints(min_length=1, max_length=MAX_QUERY_CHARS)]
    metadata: Metadata | None = None
    truncated_fields: TruncatedFields | None = Field(
        default=None, description="Text fields the edge client shortened to the contract's limits"
    )


class ResponseEvent(_ContractModel):
    """Sent when the answer is ready, or answering failed (then ``error`` is set)."""

    schema_version: Literal[1]
    event_type: Literal["response"]
    request_id: Identifier
    timestamp: TimestampMs
    session_id: Identifier | None = None
    match_type: MatchType
    match_score: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]
    reasoning: Annotated[str, StringConstraints(max_length=MAX_REASONING_CHARS)] | None = None
    response: Annotated[str, StringConstraints(max_length=MAX_RESPONSE_CHARS)] | None = None
    processing_time_ms: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    tokens: Tokens | None = None
    model: Annotated[str, StringConstraints(max_length=MAX_MODEL_CHARS)] | None = None
    error: Annotated[str, StringConstraints(max_length=MAX_ERROR_CHARS)] | None = None
    truncated_fields: TruncatedFields | None = Field(
        default=None, description="Text fields the edge client shortened to the contract's limits"
    )


Event = Annotated[QueryEvent | ResponseEvent, Field(discriminator="event_type")]
EVENT_ADAPTER: TypeAdapter[QueryEvent | ResponseEvent] = TypeAdapter(Event)


class InvalidEventError(ValueError):
    """An event that breaks the contract. ``reason`` names the offending field(s)."""

    def __init__(self, reason: str, *, kind: str = "schema") -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind  # "json" (not parseable), "schema" (breaks the contract)


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors(include_url=False):
        loc = list(item["loc"])
        if item["type"] == "union_tag_invalid":
            tag = (item.get("ctx") or {}).get("tag")
            parts.append(f"eventType: unknown value {tag!r} (expected 'query' or 'response')")
            continue
        if len(loc) > 1 and loc[0] in ("query", "response"):
            loc = loc[1:]  # drop the discriminator's tag pydantic puts first
        location = ".".join(str(p) for p in loc) or "(event)"
        parts.append(f"{location}: {item['msg']}")
    return "; ".join(parts)


def parse_event(data: Any) -> QueryEvent | ResponseEvent:
    """Validate an already-decoded event (a dict)."""
    if not isinstance(data, dict):
        raise InvalidEventError(f"(event): expected a JSON object, got {type(data).__name__}")
    if "eventType" not in data and "event_type" not in data:
        raise InvalidEventError("eventType: field required ('query' or 'response')")
    try:
        return EVENT_ADAPTER.validate_python(data)
    except ValidationError as exc:
        raise InvalidEventError(_describe(exc)) from exc


def parse_event_json(body: str | bytes) -> QueryEvent | ResponseEvent:
    """Validate an event as it arrives on the queue (a JSON document)."""
    import json

    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidEventError(f"(body): not valid JSON: {exc}", kind="json") from exc
    return parse_event(data)
