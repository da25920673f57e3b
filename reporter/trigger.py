"""Which ISO week an invocation reports.

Two shapes are accepted:

* the EventBridge scheduled event (``detail-type: Scheduled Event``): the week that ended most
  recently before the event's ``time``, in UTC. Using the event's time rather than the clock means
  a retried or delayed invocation reports the same week as the first attempt;
* ``{"weekId": "2025-W46"}``: an operator asking for a given week (a re-run, a backfill).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC
from typing import Any

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from analytics_contract.weeks import parse_week_id, week_ending_before

SCHEDULED_EVENT = "Scheduled Event"


class InvalidTriggerError(ValueError):
    """The invocation's event is neither a scheduled event nor ``{"weekId": ...}``."""


class WeekRequest(BaseModel):
    """A manual invocation: report this ISO week."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    week_id: str = Field(alias="weekId")

    @field_validator("week_id")
    @classmethod
    def _iso_week(cls, value: str) -> str:
        parse_week_id(value)
        return value


def _first_error(error: ValidationError) -> str:
    item = error.errors(include_url=False)[0]
    location = ".".join(str(part) for part in item["loc"]) or "(event)"
    return f"{location}: {item['msg'].removeprefix('Value error, ')}"


def week_for_event(event: Mapping[str, Any]) -> str:
    """The ISO week id (``YYYY-Www``) this invocation reports; raises :class:`InvalidTriggerError`."""
    if not isinstance(event, Mapping):
        raise InvalidTriggerError(f"expected a JSON object event, got {type(event).__name__}")
    if "weekId" in event:
        try:
            return WeekRequest.model_validate(event).week_id
        except ValidationError as exc:
            raise InvalidTriggerError(
                f'invalid manual event (expected {{"weekId": "YYYY-Www"}}): {_first_error(exc)}'
            ) from exc
    try:
        scheduled = EventBridgeModel.model_validate(event)
    except ValidationError as exc:
        raise InvalidTriggerError(
            "expected an EventBridge scheduled event or "
            f'{{"weekId": "YYYY-Www"}}: {_first_error(exc)}'
        ) from exc
    if scheduled.detail_type != SCHEDULED_EVENT:
        raise InvalidTriggerError(
            f"expected detail-type {SCHEDULED_EVENT!r}, got {scheduled.detail_type!r}"
        )
    when = scheduled.time
    if when.tzinfo is None:  # EventBridge always sends "Z"; a hand-made event may not
        when = when.replace(tzinfo=UTC)
    return week_ending_before(when)
