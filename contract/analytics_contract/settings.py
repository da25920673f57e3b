"""One way to read a Lambda's configuration from its environment, shared by every function.

Each function declares its settings as a subclass of :class:`EnvironmentSettings` (fields aliased
to their variable names) and reads them once, at cold start, with
:meth:`EnvironmentSettings.from_environment`. A misconfigured function then fails its first
invocation with one :class:`ConfigurationError` that names every bad variable, instead of failing
later on the first record that happens to need the value.

Rules, the same for every function: a variable set to an empty or blank string counts as unset (a
template may pass ``""`` for "not configured"); unknown variables are ignored; a missing required
variable reads ``NAME is not set``; a bad value reads ``NAME='value': what is wrong``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, ValidationError


class ConfigurationError(ValueError):
    """The environment does not hold a valid configuration; the message names each variable."""


class EnvironmentSettings(BaseModel):
    """Base of every function's settings: immutable, read from environment variables by alias."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Self:
        """Validate ``environ`` (usually ``os.environ``); raises :class:`ConfigurationError`."""
        try:
            return cls.model_validate(set_variables(environ))
        except ValidationError as exc:
            raise ConfigurationError(
                f"invalid {cls.__name__} from the environment: " + "; ".join(problems(exc))
            ) from exc


def set_variables(environ: Mapping[str, str]) -> dict[str, str]:
    """The variables that are set: an empty or blank value counts as unset."""
    return {name: value for name, value in environ.items() if value.strip()}


def problems(error: ValidationError) -> list[str]:
    """One line per problem, each naming its variable (or the rule, for a cross-field check)."""
    lines = []
    for item in error.errors(include_url=False):
        location = [str(part) for part in item["loc"]]
        message = item["msg"].removeprefix("Value error, ")
        if not location:  # a model-level rule: its message names the variables itself
            lines.append(message)
        elif item["type"] == "missing":
            lines.append(f"{location[0]} is not set")
        else:
            detail = "".join(f"[{part}]" for part in location[1:])
            lines.append(f"{location[0]}{detail}={_shown(item.get('input'))}: {message}")
    return lines


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
