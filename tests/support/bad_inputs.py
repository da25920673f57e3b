"""The bad-input catalogue: every kind of malformed or awkward event, with the contract's answer.

Fed through every entry point (the edge client, raw SQS messages to the processor, the CLI's
``events send``) by the tests of each, and counted by ``python -m bench.faults``. Each entry is a
message body as it could reach the queue, and the contract's verdict on it:

* ``field`` set: the event is invalid and the error must name that field first (``(body)`` for a
  body that is not JSON, ``(event)`` for JSON that is not an object);
* ``field`` ``None``: the event is valid (``note`` says how it is handled: rounded, ignored,
  stored as sent and escaped when shown).

``edge`` says what the edge client does with the same input given as ``track_*`` arguments, where
it differs from the contract's verdict: it fills in ids and timestamps, shortens over-long text, and
cannot be handed what is not a Python value (``n/a``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

QUERY: dict[str, Any] = {
    "schemaVersion": 1,
    "eventType": "query",
    "requestId": "bad-req-1",
    "timestamp": 1_763_000_000_000,
    "sessionId": "bad-sess-1",
    "query": "What languages does she know?",
    "metadata": {"page": "/cv"},
}
RESPONSE: dict[str, Any] = {
    "schemaVersion": 1,
    "eventType": "response",
    "requestId": "bad-req-1",
    "timestamp": 1_763_000_000_900,
    "sessionId": "bad-sess-1",
    "matchType": "full",
    "matchScore": 92.5,
    "response": "Python, Go and TypeScript.",
    "processingTimeMs": 850.0,
    "tokens": {"input": 120, "output": 80},
    "model": "model-a",
    "variant": "prompt-v1",
}
FEEDBACK: dict[str, Any] = {
    "schemaVersion": 1,
    "eventType": "feedback",
    "requestId": "bad-req-1",
    "timestamp": 1_763_000_060_000,
    "sessionId": "bad-sess-1",
    "thumbs": "up",
    "comment": "Helpful",
}

#: What the edge client does with the same input given as ``track_*`` arguments:
#: ``same`` (the contract's verdict), ``truncated`` (shortened to the limit, then accepted),
#: ``filled`` (the client fills the field in: accepted), ``n/a`` (cannot be expressed as arguments).
EdgeAnswer = Literal["same", "truncated", "filled", "n/a"]


@dataclass(frozen=True)
class BadInput:
    kind: str
    description: str
    body: str
    field: str | None
    note: str = ""
    edge: EdgeAnswer = "same"

    @property
    def rejected(self) -> bool:
        return self.field is not None

    @property
    def event(self) -> dict[str, Any] | None:
        """The body as a dict when it is a JSON object the edge client could be given."""
        if self.edge == "n/a":
            return None
        try:
            value = json.loads(self.body)
        except (ValueError, RecursionError):
            return None
        return value if isinstance(value, dict) else None


def _with(base: dict[str, Any], **changes: Any) -> str:
    return json.dumps({**base, **changes})


def _without(base: dict[str, Any], *names: str) -> str:
    return json.dumps({key: value for key, value in base.items() if key not in names})


def _rated(rating: Any) -> str:
    return _with({key: value for key, value in FEEDBACK.items() if key != "thumbs"}, rating=rating)


_NESTED = {"a": {"b": {"c": {"d": "e"}}}}

CATALOGUE: tuple[BadInput, ...] = (
    # -- not an event at all ------------------------------------------------------------------
    BadInput("not-json", "a body cut off in transit", json.dumps(QUERY)[:40], "(body)", edge="n/a"),
    BadInput("empty-body", "an empty body", "", "(body)", edge="n/a"),
    BadInput("json-array", "a JSON array", "[1, 2]", "(event)", edge="n/a"),
    BadInput("json-string", "a JSON string", '"hello"', "(event)", edge="n/a"),
    BadInput("json-null", "JSON null", "null", "(event)", edge="n/a"),
    BadInput(
        "deeply-nested-json",
        "100,000 nested arrays (Python's parser recursion limit)",
        '{"metadata": ' + "[" * 100_000 + "]" * 100_000 + "}",
        "(body)",
        edge="n/a",
    ),
    BadInput(
        "nan-constant",
        "NaN, a Python extension of JSON",
        _with(RESPONSE).replace('"matchScore": 92.5', '"matchScore": NaN'),
        "(body)",
        edge="same",
    ),
    BadInput(
        "infinity-constant",
        "Infinity, a Python extension of JSON",
        _with(RESPONSE).replace('"matchScore": 92.5', '"matchScore": Infinity'),
        "(body)",
        edge="same",
    ),
    # -- envelope -----------------------------------------------------------------------------
    BadInput(
        "event-type-missing", "no eventType", _without(QUERY, "eventType"), "eventType", edge="n/a"
    ),
    BadInput(
        "event-type-unknown",
        "eventType click",
        _with(QUERY, eventType="click"),
        "eventType",
        edge="n/a",
    ),
    BadInput(
        "event-type-case",
        "eventType Query",
        _with(QUERY, eventType="Query"),
        "eventType",
        edge="n/a",
    ),
    BadInput(
        "schema-version-missing",
        "no schemaVersion",
        _without(QUERY, "schemaVersion"),
        "schemaVersion",
        edge="n/a",
    ),
    BadInput(
        "schema-version-bool",
        "schemaVersion true",
        _with(QUERY, schemaVersion=True),
        "schemaVersion",
        edge="n/a",
    ),
    BadInput(
        "schema-version-float",
        "schemaVersion 1.0",
        _with(QUERY, schemaVersion=1.0),
        "schemaVersion",
        edge="n/a",
    ),
    BadInput(
        "schema-version-2",
        "schemaVersion 2",
        _with(QUERY, schemaVersion=2),
        "schemaVersion",
        edge="n/a",
    ),
    BadInput(
        "schema-version-string",
        'schemaVersion "1"',
        _with(QUERY, schemaVersion="1"),
        "schemaVersion",
        edge="n/a",
    ),
    # -- identifiers --------------------------------------------------------------------------
    BadInput(
        "request-id-missing",
        "a query without requestId",
        _without(QUERY, "requestId"),
        "requestId",
        edge="filled",
    ),
    BadInput("request-id-empty", 'requestId ""', _with(QUERY, requestId=""), "requestId"),
    BadInput(
        "request-id-characters",
        "requestId with a space and a slash",
        _with(QUERY, requestId="a b/c"),
        "requestId",
    ),
    BadInput(
        "request-id-too-long",
        "requestId of 129 characters",
        _with(QUERY, requestId="r" * 129),
        "requestId",
    ),
    BadInput("request-id-number", "requestId 123", _with(QUERY, requestId=123), "requestId"),
    BadInput(
        "session-id-missing", "a query without sessionId", _without(QUERY, "sessionId"), "sessionId"
    ),
    BadInput(
        "session-id-characters",
        "sessionId with an emoji",
        _with(QUERY, sessionId="visitor-\U0001f600"),
        "sessionId",
    ),
    # -- timestamps ---------------------------------------------------------------------------
    BadInput(
        "timestamp-missing",
        "no timestamp",
        _without(QUERY, "timestamp"),
        "timestamp",
        edge="filled",
    ),
    BadInput(
        "timestamp-seconds",
        "seconds instead of milliseconds",
        _with(QUERY, timestamp=1_763_000_000),
        "timestamp",
    ),
    BadInput(
        "timestamp-string",
        "an ISO 8601 string",
        _with(QUERY, timestamp="2025-11-13T10:00:00Z"),
        "timestamp",
    ),
    BadInput(
        "timestamp-float",
        "a fractional millisecond",
        _with(QUERY, timestamp=1_763_000_000_000.5),
        "timestamp",
    ),
    BadInput("timestamp-bool", "timestamp true", _with(QUERY, timestamp=True), "timestamp"),
    BadInput(
        "timestamp-far-past", "1999-12-31", _with(QUERY, timestamp=946_684_799_999), "timestamp"
    ),
    BadInput(
        "timestamp-far-future", "2100-01-01", _with(QUERY, timestamp=4_102_444_800_000), "timestamp"
    ),
    BadInput("timestamp-negative", "before 1970", _with(QUERY, timestamp=-1), "timestamp"),
    # -- question text ------------------------------------------------------------------------
    BadInput("query-missing", "no query", _without(QUERY, "query"), "query"),
    BadInput("query-empty", 'query ""', _with(QUERY, query=""), "query"),
    BadInput(
        "query-whitespace",
        "a query of spaces, tabs and newlines",
        _with(QUERY, query=" \t\n "),
        "query",
    ),
    BadInput("query-number", "query 42", _with(QUERY, query=42), "query"),
    BadInput(
        "query-too-long",
        "4,001 characters",
        _with(QUERY, query="q" * 4_001),
        "query",
        edge="truncated",
    ),
    BadInput(
        "query-250kb",
        "a 250,000-character question (fits in an SQS message)",
        _with(QUERY, query="q" * 250_000),
        "query",
        edge="truncated",
    ),
    BadInput(
        "query-lone-surrogate",
        "a lone UTF-16 surrogate (not encodable as UTF-8)",
        _with(QUERY, query="caf\ud800"),
        "query",
    ),
    BadInput(
        "query-control-characters",
        "NUL, bell and a terminal escape",
        _with(QUERY, query="hi\x00\x07\x1b[31m red"),
        None,
        note="valid: stored as sent; the report removes control characters when it shows it",
    ),
    BadInput(
        "query-bidi-override",
        "a right-to-left override",
        _with(QUERY, query="abc\u202edcba"),
        None,
        note="valid: stored as sent; the report removes bidi controls when it shows it",
    ),
    # -- metadata -----------------------------------------------------------------------------
    BadInput(
        "metadata-not-object", "metadata as a string", _with(QUERY, metadata="page=/cv"), "metadata"
    ),
    BadInput(
        "metadata-nested",
        "metadata nested four levels",
        _with(QUERY, metadata=_NESTED),
        "metadata.a",
    ),
    BadInput(
        "metadata-1000-keys",
        "1,000 metadata keys",
        _with(QUERY, metadata={f"k{i}": "v" for i in range(1_000)}),
        "metadata",
    ),
    BadInput(
        "metadata-number",
        "a metadata value that is a number",
        _with(QUERY, metadata={"page": 3}),
        "metadata.page",
    ),
    BadInput(
        "metadata-empty-key", "an empty metadata key", _with(QUERY, metadata={"": "x"}), "metadata"
    ),
    BadInput(
        "metadata-long-value",
        "a metadata value of 1,025 characters",
        _with(QUERY, metadata={"page": "p" * 1_025}),
        "metadata.page",
    ),
    # -- response figures ---------------------------------------------------------------------
    BadInput("match-type-missing", "no matchType", _without(RESPONSE, "matchType"), "matchType"),
    BadInput(
        "match-type-unknown", "matchType great", _with(RESPONSE, matchType="great"), "matchType"
    ),
    BadInput(
        "match-score-over-100", "matchScore 150", _with(RESPONSE, matchScore=150), "matchScore"
    ),
    BadInput("match-score-negative", "matchScore -1", _with(RESPONSE, matchScore=-1), "matchScore"),
    BadInput(
        "match-score-string", 'matchScore "50"', _with(RESPONSE, matchScore="50"), "matchScore"
    ),
    BadInput("match-score-bool", "matchScore true", _with(RESPONSE, matchScore=True), "matchScore"),
    BadInput(
        "match-score-tiny",
        "matchScore 1e-200 (below DynamoDB's smallest number)",
        _with(RESPONSE, matchScore=1e-200),
        None,
        note="valid: rounded to 0.0",
    ),
    BadInput(
        "processing-time-huge",
        "processingTimeMs 1e300",
        _with(RESPONSE, processingTimeMs=1e300),
        "processingTimeMs",
    ),
    BadInput(
        "processing-time-negative",
        "processingTimeMs -3",
        _with(RESPONSE, processingTimeMs=-3),
        "processingTimeMs",
    ),
    BadInput(
        "tokens-huge",
        "tokens.input 10**40",
        _with(RESPONSE, tokens={"input": 10**40, "output": 1}),
        "tokens.input",
    ),
    BadInput(
        "tokens-fraction",
        "tokens.input 1.5",
        _with(RESPONSE, tokens={"input": 1.5, "output": 1}),
        "tokens.input",
    ),
    BadInput(
        "tokens-negative",
        "tokens.output -1",
        _with(RESPONSE, tokens={"input": 1, "output": -1}),
        "tokens.output",
    ),
    BadInput("tokens-not-object", "tokens as a list", _with(RESPONSE, tokens=[1, 2]), "tokens"),
    BadInput("variant-empty", 'variant ""', _with(RESPONSE, variant=""), "variant"),
    BadInput(
        "variant-too-long", "variant of 65 characters", _with(RESPONSE, variant="v" * 65), "variant"
    ),
    # -- feedback -----------------------------------------------------------------------------
    BadInput(
        "feedback-thumbs-and-rating",
        "both thumbs and rating",
        _with(FEEDBACK, rating=5),
        "thumbs, rating",
    ),
    BadInput(
        "feedback-no-score",
        "neither thumbs nor rating",
        _without(FEEDBACK, "thumbs"),
        "thumbs, rating",
    ),
    BadInput("feedback-rating-6", "rating 6", _rated(6), "rating"),
    BadInput("feedback-rating-fraction", "rating 4.5", _rated(4.5), "rating"),
    BadInput(
        "feedback-thumbs-unknown", "thumbs sideways", _with(FEEDBACK, thumbs="sideways"), "thumbs"
    ),
    BadInput(
        "feedback-comment-too-long",
        "a comment of 2,001 characters",
        _with(FEEDBACK, comment="c" * 2_001),
        "comment",
        edge="truncated",
    ),
    # -- valid oddities -----------------------------------------------------------------------
    BadInput(
        "duplicate-keys",
        "requestId given twice (the last one counts)",
        json.dumps(QUERY)[:-1] + ', "requestId": "bad-req-2"}',
        None,
        note="valid: the last value wins, as in every JSON parser",
        edge="n/a",
    ),
    BadInput(
        "unknown-fields",
        "fields the contract does not know",
        _with(QUERY, colour="blue"),
        None,
        note="valid: unknown fields are ignored",
        edge="n/a",
    ),
    BadInput(
        "unknown-field-200kb",
        "a 200,000-character unknown field",
        _with(QUERY, blob="b" * 200_000),
        None,
        note="valid: unknown fields are ignored",
        edge="n/a",
    ),
)


def by_kind(kind: str) -> BadInput:
    return next(entry for entry in CATALOGUE if entry.kind == kind)
