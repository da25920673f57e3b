"""Sending the report through Amazon SES (v2 API, ``SendEmail`` with simple content).

One message, both parts (``Html`` and ``Text``, UTF-8), to every recipient.

An email must never go out twice, so this adapter tells the two kinds of failure apart:

* SES answered with an error (throttled, rejected, a 5xx) or could not be reached at all: the
  email was not sent (:class:`~reporter.ports.SendRejected`). Throttling and server errors are
  tried again here, a few times with a growing pause; anything else fails at once.
* the request went out and its answer was lost (a read timeout, a dropped connection) or anything
  unexpected happened: SES may have accepted it (:class:`~reporter.ports.SendUncertain`). It is
  never retried, and the delivery log keeps the week marked so no later retry sends it either.

The SES client must therefore be built with botocore's own retries off (``max_attempts`` 1, see
:mod:`reporter.wiring`): botocore retries read timeouts too, which could send the email twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError

from reporter.ports import SendRejected, SendUncertain
from reporter.render import RenderedReport

if TYPE_CHECKING:
    from mypy_boto3_sesv2 import SESV2Client

CHARSET = "UTF-8"
#: Attempts at one send when SES throttles or fails on its side (the first included).
ATTEMPTS = 3
#: Pause before the second attempt, doubled before each next one (seconds).
FIRST_PAUSE_SECONDS = 1.0
#: SES error codes worth another attempt: the email was not taken, and may be later.
RETRYABLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "LimitExceededException",
        "InternalFailure",
        "InternalServerError",
        "ServiceUnavailable",
    }
)


class ReportMailer:
    def __init__(
        self,
        client: SESV2Client,
        sender: str,
        recipients: list[str],
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self.sender = sender
        self.recipients = list(recipients)
        self._sleep = sleep

    def send(self, report: RenderedReport) -> str:
        """Send ``report``; returns SES's message id."""
        pause = FIRST_PAUSE_SECONDS
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return self._send_once(report)
            except SendRejected as rejected:
                if not rejected.retryable or attempt == ATTEMPTS:
                    raise
            self._sleep(pause)
            pause *= 2
        raise AssertionError("unreachable")  # pragma: no cover

    def _send_once(self, report: RenderedReport) -> str:
        try:
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
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            raise SendRejected(
                f"SES did not send the email: {exc}",
                retryable=code in RETRYABLE_CODES or status >= 500,
            ) from exc
        except (EndpointConnectionError, ConnectTimeoutError) as exc:
            # The connection was never made: nothing reached SES.
            raise SendRejected(f"SES could not be reached: {exc}", retryable=True) from exc
        except Exception as exc:
            raise SendUncertain(
                f"the answer to SendEmail was lost ({type(exc).__name__}: {exc}); "
                "SES may have sent the email"
            ) from exc
        return response["MessageId"]
