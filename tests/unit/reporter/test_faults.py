"""The weekly email under faults: sent once, or not at all with a failure the alarm sees."""

from __future__ import annotations

import pytest

from bench.reliability import reporter_faults as faults
from reporter.ports import DeliveryUncertain, SendRejected

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def test_the_reliability_section_finds_no_week_sent_twice() -> None:
    section = faults.run(quick=True)
    assert section.problems == []
    assert section.totals["weeks emailed twice"] == 0
    assert all(row[4] in ("0", "1") for row in section.rows)


def test_a_retry_after_success_sends_nothing_and_says_so() -> None:
    with faults.environment():
        first = faults.build().handle(faults.SCHEDULED)
        again = faults.build().handle(faults.SCHEDULED)
        assert first["sentNow"] is True and again["sentNow"] is False
        assert again["messageId"] == first["messageId"]
        assert faults.sent_emails() == 1


def test_a_lost_answer_from_ses_is_never_sent_again_until_forced() -> None:
    with faults.environment():
        fault = faults.Fault("sesv2", "SendEmail", None, "crash after success", times=1)
        with pytest.raises(DeliveryUncertain, match="force"):
            faults.build(fault).handle(faults.SCHEDULED)
        with pytest.raises(DeliveryUncertain, match='"weekId": "2025-W46", "force": true'):
            faults.build().handle(faults.SCHEDULED)
        assert faults.sent_emails() == 1
        forced = faults.build().handle({"weekId": "2025-W46", "force": True})
        assert forced["sentNow"] is True
        assert faults.sent_emails() == 2
        assert faults.build().handle(faults.SCHEDULED)["sentNow"] is False


def test_a_rejected_send_leaves_no_record_so_the_retry_sends() -> None:
    with faults.environment():
        fault = faults.Fault("sesv2", "SendEmail", None, "persistent", times=None)
        with pytest.raises(SendRejected, match="InternalServerError"):
            faults.build(fault).handle(faults.SCHEDULED)
        assert faults.sent_emails() == 0
        assert faults.build().handle(faults.SCHEDULED)["sentNow"] is True
        assert faults.sent_emails() == 1


def test_ses_throttling_is_retried_inside_the_invocation() -> None:
    with faults.environment():
        fault = faults.Fault("sesv2", "SendEmail", None, "throttling", times=2)
        assert faults.build(fault).handle(faults.SCHEDULED)["sentNow"] is True
        assert fault.seen == 2 and faults.sent_emails() == 1


def test_a_crash_between_sending_and_recording_blocks_resending() -> None:
    with faults.environment():
        fault = faults.Fault("dynamodb", "UpdateItem", faults.IDEMPOTENCY, "persistent", times=None)
        with pytest.raises(Exception, match="success in idempotency store"):
            faults.build(fault).handle(faults.SCHEDULED)
        with pytest.raises(DeliveryUncertain, match="has not recorded the outcome"):
            faults.build().handle(faults.SCHEDULED)
        assert faults.sent_emails() == 1


def test_every_bad_trigger_is_refused_naming_the_problem() -> None:
    for name, message, ok in faults.run_bad_triggers():
        assert ok, (name, message)
