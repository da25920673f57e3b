from __future__ import annotations

from typing import Annotated, Self

import pytest
from pydantic import Field, model_validator

from analytics_contract.settings import ConfigurationError, EnvironmentSettings


class Example(EnvironmentSettings):
    table: Annotated[str, Field(alias="TABLE", min_length=3)]
    hours: Annotated[int, Field(alias="HOURS", ge=1)] = 24
    first: Annotated[str | None, Field(alias="FIRST")] = None
    second: Annotated[str | None, Field(alias="SECOND")] = None

    @model_validator(mode="after")
    def _both_or_neither(self) -> Self:
        if (self.first is None) != (self.second is None):
            raise ValueError("FIRST and SECOND go together")
        return self


def test_reads_aliases_applies_defaults_and_ignores_other_variables() -> None:
    settings = Example.from_environment({"TABLE": "events", "PATH": "/usr/bin"})
    assert (settings.table, settings.hours, settings.first) == ("events", 24, None)


def test_values_are_parsed_from_strings_and_settings_are_immutable() -> None:
    settings = Example.from_environment({"TABLE": "events", "HOURS": "6"})
    assert settings.hours == 6
    with pytest.raises(ValueError, match="frozen"):
        settings.hours = 7  # type: ignore[misc]


def test_every_problem_is_named_in_one_error() -> None:
    with pytest.raises(ConfigurationError) as raised:
        Example.from_environment({"HOURS": "0"})
    message = str(raised.value)
    assert message.startswith("invalid Example from the environment: ")
    assert "TABLE is not set" in message
    assert "HOURS='0': Input should be greater than or equal to 1" in message


def test_a_blank_variable_counts_as_unset() -> None:
    with pytest.raises(ConfigurationError, match="TABLE is not set"):
        Example.from_environment({"TABLE": "   "})
    assert Example.from_environment({"TABLE": "events", "HOURS": ""}).hours == 24


def test_a_cross_field_rule_keeps_its_own_message() -> None:
    with pytest.raises(ConfigurationError, match="FIRST and SECOND go together"):
        Example.from_environment({"TABLE": "events", "FIRST": "x"})


def test_configuration_error_is_a_value_error() -> None:
    assert issubclass(ConfigurationError, ValueError)
