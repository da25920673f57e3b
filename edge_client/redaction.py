"""Redaction hooks: remove personal data before an event leaves the process.

A redactor takes a contract event and returns the event to send. Where it runs, and why: on the
sender thread, as the first step of turning a buffered event into the message for the queue. The
regular expressions (which can take a while on a 32,000-character answer) stay off the chatbot's
request path, and nothing reaches the queue, the transport or the ``on_error`` callback before it
has been redacted. (``track_*`` keeps the validated event as compact JSON in memory, for the
garbage collector's sake; the sender parses it back, redacts, validates again and only then
serializes the message it sends.) The result is shortened to the contract's limits again, so a
redactor may lengthen text. A redactor that raises stops that event from being sent at all
(counted as failed, reported without its text): personal data is never sent by accident.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from analytics_contract import AnyEvent, QueryEvent
from edge_client.building import text_fields

Event = AnyEvent
Redactor = Callable[[Event], Event]

EMAIL_PLACEHOLDER = "[EMAIL]"
PHONE_PLACEHOLDER = "[PHONE]"

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# Candidates: an optional "+", then digits with the separators people type in phone numbers.
_PHONE_CANDIDATE = re.compile(r"(?<![\w+])(?:\+|\(\+?)?\d[\d ()\-.]{4,}\d(?![\w])")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_GROUP_SPLIT = re.compile(r"[ ()\-.]+")
MIN_PHONE_DIGITS = 7
MAX_PHONE_DIGITS = 15  # E.164


def _looks_like_phone(candidate: str) -> bool:
    digits = sum(char.isdigit() for char in candidate)
    if not MIN_PHONE_DIGITS <= digits <= MAX_PHONE_DIGITS:
        return False
    if _ISO_DATE.fullmatch(candidate) or _IPV4.fullmatch(candidate):
        return False
    if candidate.startswith("+") or "(" in candidate:
        return True
    groups = [group for group in _GROUP_SPLIT.split(candidate) if group]
    if len(groups) == 1:
        return digits >= 10  # a bare run of digits: only national or international lengths
    if len(groups) == 2:
        # "555-1234" or "020 79460000", but not a decimal number such as "3.14159265".
        return "." not in candidate
    return True


def _replace_phone(match: re.Match[str]) -> str:
    text = match.group(0)
    return PHONE_PLACEHOLDER if _looks_like_phone(text) else text


def redact_contact_details(text: str) -> str:
    """Replace email addresses with ``[EMAIL]`` and phone numbers with ``[PHONE]``.

    Phone numbers: 7 to 15 digits written with spaces, dashes, dots or parentheses, or starting
    with "+". ISO dates, IPv4 addresses and decimal numbers are left alone. It errs on the side of
    redacting: a long digit group such as an order number may be replaced too.
    """
    if "@" in text:
        text = _EMAIL.sub(EMAIL_PLACEHOLDER, text)
    return _PHONE_CANDIDATE.sub(_replace_phone, text)


def text_redactor(redact: Callable[[str], str]) -> Redactor:
    """A redactor that applies ``redact`` to every free-text field of an event.

    Free text: ``query`` and ``metadata`` values (query events); ``response``, ``reasoning`` and
    ``error`` (response events). Identifiers, scores and the model name are left as they are.
    """

    def redactor(event: Event) -> Event:
        update: dict[str, object] = {}
        for name in text_fields(event):
            value = getattr(event, name)
            if value:
                redacted = redact(value)
                if redacted != value:
                    update[name] = redacted
        if isinstance(event, QueryEvent) and event.metadata:
            metadata = {key: redact(value) for key, value in event.metadata.items()}
            if metadata != event.metadata:
                update["metadata"] = metadata
        return event.model_copy(update=update) if update else event

    return redactor


#: Ready-made redactor: email addresses and phone numbers in every free-text field.
redact_pii: Redactor = text_redactor(redact_contact_details)
