"""The events the chatbot emits per question (contract v1), as pydantic models.

Two per question (``query`` when it arrives, ``response`` when the answer is ready or failed) and,
when the visitor rates the answer, a ``feedback`` event (additive: ``schemaVersion`` stays 1).

Wire format: JSON, camelCase field names, integer millisecond UTC timestamps. Unknown extra fields
are ignored; a missing or malformed required field makes the event invalid, and
:class:`InvalidEventError` names the field.

Length limits are part of the contract: they keep every event well inside SQS's 256 KB message
limit and every analytics record inside DynamoDB's 400 KB item limit. The edge client shortens
over-long text to these limits before sending (and lists what it shortened in ``truncatedFields``);
the processor rejects anything longer.

Numbers are bounded to what makes sense and what DynamoDB can store (38 significant digits,
magnitudes from 1e-130 to 1e126): a score is 0 to 100, a processing time at most a day, a token
count at most :data:`MAX_TOKENS`; fractional values are rounded to :data:`DECIMAL_PLACES` places
(a score of ``1e-200`` is ``0.0``). Numbers are strict: ``true`` or ``"50"`` is not a number, and
``schemaVersion`` must be the integer 1 (not ``true``, not ``1.0``). Text must not be blank where it
is required, and must be valid Unicode (no lone surrogates, which no UTF-8 encoder can write).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StrictInt,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    model_validator,
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
MAX_VARIANT_CHARS = 64
MAX_COMMENT_CHARS = 2_000
#: Largest token count of one answer: far above any model's context, far below DynamoDB's limits.
MAX_TOKENS = 100_000_000
#: Longest processing time of one answer: a day, in milliseconds.
MAX_PROCESSING_TIME_MS = 86_400_000
MAX_MATCH_SCORE = 100
#: Fractional numbers (score, processing time) are rounded to this many decimal places.
DECIMAL_PLACES = 3

#: Text fields the edge client may shorten, with their limits.
TEXT_LIMITS: dict[str, int] = {
    "query": MAX_QUERY_CHARS,
    "response": MAX_RESPONSE_CHARS,
    "reasoning": MAX_REASONING_CHARS,
    "error": MAX_ERROR_CHARS,
    "comment": MAX_COMMENT_CHARS,
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
Thumbs = Literal["up", "down"]
MetadataKey = Annotated[str, StringConstraints(min_length=1, max_length=MAX_METADATA_KEY_CHARS)]
MetadataValue = Annotated[str, StringConstraints(max_length=MAX_METADATA_VALUE_CHARS)]
Metadata = Annotated[dict[MetadataKey, MetadataValue], Field(max_length=MAX_METADATA_ENTRIES)]
TruncatedFields = list[Literal["query", "response", "reasoning", "error", "comment"]]


def _exactly_one(value: object) -> object:
    """``schemaVersion`` is the integer 1: ``true`` and ``1.0`` compare equal to 1 in Python."""
    if type(value) is not int:
        raise ValueError(f"must be the integer 1, got {type(value).__name__} {value!r}")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must contain a character other than white space")
    return value


def _rounded(value: float) -> float:
    return round(value, DECIMAL_PLACES) + 0.0  # + 0.0: no negative zero


SchemaVersion = Annotated[Literal[1], BeforeValidator(_exactly_one)]
Score = Annotated[
    float,
    Strict(),
    Field(ge=0, le=MAX_MATCH_SCORE, allow_inf_nan=False),
    AfterValidator(_rounded),
]
ProcessingTime = Annotated[
    float,
    Strict(),
    Field(ge=0, le=MAX_PROCESSING_TIME_MS, allow_inf_nan=False),
    AfterValidator(_rounded),
]
TokenCount = Annotated[StrictInt, Field(ge=0, le=MAX_TOKENS)]


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

    input: TokenCount
    output: TokenCount


class QueryEvent(_ContractModel):
    """Sent when a question arrives."""

    schema_version: SchemaVersion
    event_type: Literal["query"]
    request_id: Identifier
    timestamp: TimestampMs
    session_id: Identifier
    query: Annotated[
        str, StringConstraints(min_length=1, max_length=MAX_QUERY_CHARS), AfterValidator(_not_blank)
    ]
    metadata: Metadata | None = None
    truncated_fields: TruncatedFields | None = Field(
        default=None, description="Text fields the edge client shortened to the contract's limits"
    )


class ResponseEvent(_ContractModel):
    """Sent when the answer is ready, or answering failed (then ``error`` is set)."""

    schema_version: SchemaVersion
    event_type: Literal["response"]
    request_id: Identifier
    timestamp: TimestampMs
    session_id: Identifier | None = None
    match_type: MatchType
    match_score: Score
    reasoning: Annotated[str, StringConstraints(max_length=MAX_REASONING_CHARS)] | None = None
    response: Annotated[str, StringConstraints(max_length=MAX_RESPONSE_CHARS)] | None = None
    processing_time_ms: ProcessingTime | None = None
    tokens: Tokens | None = None
    model: Annotated[str, StringConstraints(max_length=MAX_MODEL_CHARS)] | None = None
    variant: (
        Annotated[
            str,
            StringConstraints(min_length=1, max_length=MAX_VARIANT_CHARS),
            AfterValidator(_not_blank),
        ]
        | None
    ) = Field(default=None, description="The prompt version or A/B arm that produced the answer")
    error: Annotated[str, StringConstraints(max_length=MAX_ERROR_CHARS)] | None = None
    truncated_fields: TruncatedFields | None = Field(
        default=None, description="Text fields the edge client shortened to the contract's limits"
    )


def _thumbs_or_rating(thumbs: str | None, rating: int | None) -> None:
    if (thumbs is None) == (rating is None):
        raise ValueError("thumbs, rating: give exactly one of them")


Rating = Annotated[StrictInt, Field(ge=1, le=5)]
Comment = Annotated[str, StringConstraints(max_length=MAX_COMMENT_CHARS)]


class FeedbackEvent(_ContractModel):
    """Sent when the visitor rates an answer: ``thumbs`` or a 1-5 ``rating``, and a comment."""

    schema_version: SchemaVersion
    event_type: Literal["feedback"]
    request_id: Identifier
    timestamp: TimestampMs
    session_id: Identifier | None = None
    thumbs: Thumbs | None = None
    rating: Rating | None = None
    comment: Comment | None = None
    truncated_fields: TruncatedFields | None = Field(
        default=None, description="Text fields the edge client shortened to the contract's limits"
    )

    @model_validator(mode="after")
    def _one_score(self) -> FeedbackEvent:
        _thumbs_or_rating(self.thumbs, self.rating)
        return self

    def feedback(self) -> Feedback:
        """The part the analytics record keeps."""
        return Feedback(
            timestamp=self.timestamp, thumbs=self.thumbs, rating=self.rating, comment=self.comment
        )


class Feedback(_ContractModel):
    """The ``feedback`` attribute of an analytics record: the latest feedback by timestamp."""

    timestamp: TimestampMs
    thumbs: Thumbs | None = None
    rating: Rating | None = None
    comment: Comment | None = None

    @model_validator(mode="after")
    def _one_score(self) -> Feedback:
        _thumbs_or_rating(self.thumbs, self.rating)
        return self

    @property
    def positive(self) -> bool | None:
        """``True`` for thumbs up or a rating of 4-5, ``False`` for thumbs down or 1-2, ``None``
        for a rating of 3 (neutral): the one definition every reader uses."""
        if self.thumbs is not None:
            return self.thumbs == "up"
        rating = self.rating or 3
        return True if rating >= 4 else False if rating <= 2 else None


AnyEvent = QueryEvent | ResponseEvent | FeedbackEvent
Event = Annotated[AnyEvent, Field(discriminator="event_type")]
EVENT_ADAPTER: TypeAdapter[AnyEvent] = TypeAdapter(Event)


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
            parts.append(
                f"eventType: unknown value {tag!r} (expected 'query', 'response' or 'feedback')"
            )
            continue
        if loc and loc[0] in ("query", "response", "feedback"):
            loc = loc[1:]  # drop the discriminator's tag pydantic puts first
        location = ".".join(str(p) for p in loc) or "(event)"
        message = item["msg"].removeprefix("Value error, ")
        if location == "(event)" and ": " in message:  # a cross-field rule names its fields
            parts.append(message)
        else:
            parts.append(f"{location}: {message}")
    return "; ".join(parts)


def parse_event(data: Any) -> AnyEvent:
    """Validate an already-decoded event (a dict)."""
    if not isinstance(data, dict):
        raise InvalidEventError(f"(event): expected a JSON object, got {type(data).__name__}")
    if "eventType" not in data and "event_type" not in data:
        raise InvalidEventError("eventType: field required ('query', 'response' or 'feedback')")
    try:
        return EVENT_ADAPTER.validate_python(data)
    except ValidationError as exc:
        raise InvalidEventError(_describe(exc)) from exc


def parse_event_json(body: str | bytes) -> AnyEvent:
    """Validate an event as it arrives on the queue (a JSON document)."""
    try:
        data = json.loads(body, parse_constant=_reject_constant)
    except RecursionError as exc:
        raise InvalidEventError("(body): not valid JSON: nested too deeply", kind="json") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidEventError(f"(body): not valid JSON: {exc}", kind="json") from exc
    return parse_event(data)


def _reject_constant(name: str) -> Any:
    """``NaN``, ``Infinity`` and ``-Infinity`` are Python's extensions, not JSON."""
    raise ValueError(f"{name} is not a JSON value")
