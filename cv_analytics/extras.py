"""Optional extras: which modules a command needs, and a clear error when they are missing.

The base install carries the operator commands; ``dev`` (:mod:`cv_analytics.dev`) and ``data``
(:mod:`cv_analytics.data`) add libraries that only some commands import, when they run.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Mapping


class ExtraMissingError(RuntimeError):
    """A command needs a library of an extra that is not installed."""


def missing_distributions(provided_by: Mapping[str, str], modules: Iterable[str]) -> list[str]:
    """The distributions (``provided_by[module]``) of the ``modules`` not importable here."""
    return [provided_by[module] for module in modules if importlib.util.find_spec(module) is None]


def extra_missing_message(what: str, extra: str, missing: list[str], hint: str) -> str:
    return (
        f"{what} needs the {extra} extra (missing: {', '.join(missing)}). Install it with: {hint}"
    )
