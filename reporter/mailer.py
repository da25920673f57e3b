"""Sending the report through Amazon SES (v2 API, ``SendEmail`` with simple content).

One message, both parts (``Html`` and ``Text``, UTF-8), to every recipient. Errors are not caught:
a rejected or throttled send fails the invocation, so EventBridge's retry policy and the Lambda's
error metric see it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reporter.render import RenderedReport

if TYPE_CHECKING:
    from mypy_boto3_sesv2 import SESV2Client

CHARSET = "UTF-8"


class ReportMailer:
    def __init__(self, client: SESV2Client, sender: str, recipients: list[str]) -> None:
        self._client = client
        self.sender = sender
        self.recipients = list(recipients)

    def send(self, report: RenderedReport) -> str:
        """Send ``report``; returns SES's message id."""
        response = self._client.send_email(
            FromEmailAddress=self.sender,
            Destination={"ToAddresses": self.recipients},
            Content={
                "Simple": {
                    "Subject": {"Data": report.subject, "Charset": CHARSET},
                    "Body": {
                        "Html": {"Data": report.html, "Charset": CHARSET},
                        "Text": {"Data": report.text, "Charset": CHARSET},
                    },
                }
            },
        )
        return response["MessageId"]
