"""Which ISO week an invocation reports, from the invocation's event.

Accepted shapes (fixtures of each: ``tests/unit/reporter/events/``):

* a scheduled event, ``"detail-type": "Scheduled Event"``, in every form AWS produces: the one an
  EventBridge rule sends in production (``version`` ``"0"``, ``detail`` ``{}``), the samples of
  ``sam local generate-event cloudwatch scheduled-event`` and of the Lambda console's test
  templates (no ``version``, ``time`` 1970-01-01), and EventBridge Scheduler's (``source``
  ``aws.scheduler``, ``detail`` the string ``"{}"``). The week reported is the one that ended most
  recently before the event's ``time`` in UTC, so a retried or delayed invocation reports the same
  week as the first attempt. A ``time`` before 2000 (a template's placeholder: the analytics
  contract holds nothing older) stands for "now": the week that ended before the invocation.
* ``{"weekId": "2025-W46"}``: an operator asking for a given week (a re-run, a backfill);
  ``"force": true`` sends it again even if it was already sent.

Anything else is refused with :class:`InvalidTriggerError`, whose message names what is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, field_validator

from analytics_contract.events import MIN_TIMESTAMP_MS
from analytics_contract.weeks import parse_week_id, week_ending_before

SCHEDULED_EVENT = "Scheduled Event"
#: Scheduled times before this are template placeholders (the contract's earliest timestamp).
EARLIEST_REAL_TIME = datetime.fromtimestamp(MIN_TIMESTAMP_MS / 1000, tz=UTC)

Origin = Literal["schedule", "test event", "manual"]


class InvalidTriggerError(ValueError):
    """The invocation's event is neither a scheduled event nor ``{"weekId": ...}``."""


@dataclass(frozen=True)
class ReportRequest:
    week_id: str
    force: bool = False
    origin: Origin = "schedule"


class WeekRequest(BaseModel):
    """A manual invocation: report this ISO week (``force``: even if it was already sent)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    week_id: str = Field(alias="weekId")
    force: StrictBool = False

    @field_validator("week_id")
    @classmethod
    def _iso_week(cls, value: str) -> str:
        parse_week_id(value)
        return value


class ScheduledEvent(BaseModel):
    """What every scheduled-event shape has in common; the other envelope fields (``version``,
    ``id``, ``source``, ``account``, ``region``, ``resources``, ``detail``) vary by tool and are
    not needed."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    detail_type: Literal["Scheduled Event"] = Field(alias="detail-type")
    time: datetime


def _first_error(error: ValidationError) -> str:
    item = error.errors(include_url=False)[0]
    location = ".".join(str(part) for part in item["loc"]) or "(event)"
    return f"{location}: {item['msg'].removeprefix('Value error, ')}"


def _manual(event: Mapping[str, Any]) -> ReportRequest:
    try:
        request = WeekRequest.model_validate(event)
    except ValidationError as exc:
        raise InvalidTriggerError(
            'invalid manual event (expected {"weekId": "YYYY-Www"} and optionally '
            f'"force": true): {_first_error(exc)}'
        ) from exc
    return ReportRequest(request.week_id, force=request.force, origin="manual")


def _scheduled(event: Mapping[str, Any], now: datetime) -> ReportRequest:
    try:
        scheduled = ScheduledEvent.model_validate(event)
    except ValidationError as exc:
        raise InvalidTriggerError(
            'expected a scheduled event ("detail-type": "Scheduled Event" and its "time") or '
            f'{{"weekId": "YYYY-Www"}}: {_first_error(exc)}'
        ) from exc
    when = scheduled.time
    if when.tzinfo is None:  # EventBridge always sends "Z"; a hand-made event may not
        when = when.replace(tzinfo=UTC)
    if when < EARLIEST_REAL_TIME:
        return ReportRequest(week_ending_before(now), origin="test event")
    return ReportRequest(week_ending_before(when))


def parse_trigger(event: Any, *, now: datetime | None = None) -> ReportRequest:
    """What this invocation must report; raises :class:`InvalidTriggerError`."""
    clock = (now or datetime.now(tz=UTC)).astimezone(UTC)
    if not isinstance(event, Mapping):
        raise InvalidTriggerError(f"(event): expected a JSON object, got {type(event).__name__}")
    if not event:
        raise InvalidTriggerError(
            '(event): empty; expected a scheduled event or {"weekId": "YYYY-Www"}'
        )
    if "weekId" in event:
        return _manual(event)
    return _scheduled(event, clock)


def week_for_event(event: Any, *, now: datetime | None = None) -> str:
    """The ISO week id (``YYYY-Www``) this invocation reports; raises :class:`InvalidTriggerError`."""
    return parse_trigger(event, now=now).week_id
