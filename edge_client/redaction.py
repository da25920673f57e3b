"""Redaction hooks: remove personal data before an event leaves the process.

A redactor takes a contract event and returns the event to send. Where it runs, and why: on the
sender thread, as a step of turning a tracked event into the message for the queue
(:mod:`edge_client.preparation`), after the contract check and before serialization. The regular
expressions (which can take a while on a 32,000-character answer) stay off the chatbot's request
path, and nothing reaches the queue, the transport or the ``on_error`` callback before it has been
redacted. The result is checked against the contract and shortened to its limits again, so a
redactor may lengthen text. A redactor that raises stops that event from being sent at all (counted
as failed, reported without its text): personal data is never sent by accident.
"""

from __future__ import annotations

from collections.abc import Callable

from analytics_contract import AnyEvent, QueryEvent
from edge_client.building import text_fields
from edge_client.pii import CONTACT_DETAILS, PLACEHOLDERS, redact_personal_data

Event = AnyEvent
Redactor = Callable[[Event], Event]

EMAIL_PLACEHOLDER = PLACEHOLDERS["email"]
PHONE_PLACEHOLDER = PLACEHOLDERS["phone"]


def redact_contact_details(text: str) -> str:
    """Replace email addresses with ``[EMAIL]`` and phone numbers with ``[PHONE]``, only.

    Phone numbers: 7 to 15 digits written with spaces, dashes, dots or parentheses, or starting
    with "+". ISO dates, IPv4 addresses, versions, ranges and decimal numbers are left alone.
    :func:`redact_pii` covers every kind of :mod:`edge_client.pii`.
    """
    return redact_personal_data(text, CONTACT_DETAILS)


def text_redactor(redact: Callable[[str], str]) -> Redactor:
    """A redactor that applies ``redact`` to every free-text field of an event.

    Free text: ``query`` and ``metadata`` values (query events); ``response``, ``reasoning`` and
    ``error`` (response events); ``comment`` (feedback events). Identifiers, scores, the model and
    the variant are left as they are.
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


#: Ready-made redactor: every kind of personal data :mod:`edge_client.pii` finds (email
#: addresses, phone numbers, payment cards, IBANs, IP addresses, national identifiers, postcodes,
#: labelled dates of birth) in every free-text field, replaced by ``[EMAIL]``, ``[PHONE]``, ...
redact_pii: Redactor = text_redactor(redact_personal_data)
