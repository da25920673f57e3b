"""The report email exactly as it was sent through SES, read back from the emulator.

SES has no API to read a sent message. moto keeps every message it accepted in its SES backend:
``RawMessage`` for ``SendEmail`` with ``Content.Raw`` / ``SendRawEmail`` (the whole MIME document),
``Message`` for ``Content.Simple`` (moto keeps only one body part there: the HTML one when both are
given). Two ways to read them:

- over HTTP, from any moto server: ``GET /moto-api/data.json`` (moto's inspection API) lists every
  model instance, SES messages included. It answers 500 once the emulator holds a Lambda function
  (serialising one asks Docker for its state), which the Terraform-provisioned stack does;
- in this process, from moto's SES backends, when the server runs here (the demo's and the tests'
  ``ThreadedMotoServer`` do): always works.

:func:`find_sent_email` tries the second, then the first.
"""

from __future__ import annotations

import email
import email.policy
import json
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any


@dataclass(frozen=True)
class SentEmail:
    """One message the emulator's SES accepted."""

    message_id: str
    source: str
    destinations: tuple[str, ...]
    subject: str
    html: str | None
    text: str | None
    raw: str | None  # the MIME document, for raw sends


def _flatten(destinations: Any) -> tuple[str, ...]:
    if isinstance(destinations, dict):
        return tuple(
            a
            for key in ("ToAddresses", "CcAddresses", "BccAddresses")
            for a in destinations.get(key, [])
        )
    if isinstance(destinations, list):
        return tuple(str(a) for a in destinations)
    return ()


def _from_mime(message_id: str, source: str, destinations: tuple[str, ...], raw: str) -> SentEmail:
    parsed = email.message_from_string(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    html_part = parsed.get_body(preferencelist=("html",))
    text_part = parsed.get_body(preferencelist=("plain",))
    return SentEmail(
        message_id=message_id,
        source=source or str(parsed.get("From", "")),
        destinations=destinations or tuple(str(parsed.get("To", "")).split(",")),
        subject=str(parsed.get("Subject", "")),
        html=html_part.get_content() if html_part is not None else None,
        text=text_part.get_content() if text_part is not None else None,
        raw=raw,
    )


def _from_simple(item: dict[str, Any]) -> SentEmail:
    body = str(item.get("body", ""))
    is_html = "<html" in body.lower() or "</" in body
    return SentEmail(
        message_id=str(item.get("id", "")),
        source=str(item.get("source", "")),
        destinations=_flatten(item.get("destinations")),
        subject=str(item.get("subject", "")),
        html=body if is_html else None,
        text=None if is_html else body,
        raw=None,
    )


def _from_model(message: Any) -> SentEmail:
    raw = getattr(message, "raw_data", None)
    if raw is not None:
        return _from_mime(
            str(message.id), str(message.source), _flatten(message.destinations), str(raw)
        )
    return _from_simple(
        {
            "id": message.id,
            "source": getattr(message, "source", ""),
            "destinations": getattr(message, "destinations", {}),
            "subject": getattr(message, "subject", ""),
            "body": getattr(message, "body", ""),
        }
    )


def sent_emails_in_process() -> list[SentEmail]:
    """Every message the SES backends of a moto server running in this process accepted."""
    from moto.ses.models import ses_backends

    found: list[SentEmail] = []
    for regions in ses_backends.values():
        for backend in regions.values():
            found.extend(
                _from_model(message)
                for message in backend.sent_messages
                if hasattr(message, "raw_data") or hasattr(message, "body")
            )
    return found


def find_sent_email(endpoint_url: str, message_id: str) -> SentEmail:
    """The message SES accepted with ``message_id``: from this process's moto, else over HTTP."""
    for sent in sent_emails_in_process():
        if sent.message_id == message_id:
            return sent
    for sent in sent_emails(endpoint_url):
        if sent.message_id == message_id:
            return sent
    raise LookupError(f"SES message {message_id} is not in the emulator at {endpoint_url}")


def sent_emails(endpoint_url: str, *, timeout: float = 10.0) -> list[SentEmail]:
    """Every message SES accepted in the moto server at ``endpoint_url`` (oldest first)."""
    url = endpoint_url.rstrip("/") + "/moto-api/data.json"
    if not url.startswith(("http://127.0.0.1", "http://localhost")):
        raise ValueError(f"refusing to read emulator state from a non-local endpoint: {url}")
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback only
        data: dict[str, Any] = json.load(response)
    ses = data.get("ses", {})
    found = [_from_simple(item) for item in ses.get("Message", [])]
    found += [
        _from_mime(
            str(item.get("id", "")),
            str(item.get("source", "")),
            _flatten(item.get("destinations")),
            str(item.get("raw_data", "")),
        )
        for item in ses.get("RawMessage", [])
    ]
    return found
