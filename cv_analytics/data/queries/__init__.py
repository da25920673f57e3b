"""The named queries: SQL files shipped with the package, one question an owner asks each.

Each file ``<name>.sql`` starts with ``-- title:`` and ``-- description:`` comment lines (a
description continues on ``--   `` lines) and is one ``SELECT`` over the relation ``records`` (the
columns of :mod:`cv_analytics.data.columns`). They are written in Athena's SQL (Trino), which
DuckDB runs too once the engine adds two functions DuckDB spells differently
(:data:`cv_analytics.data.duckdb_engine.COMPATIBILITY_MACROS`); ``export_infra`` saves the same
files as the Athena workgroup's named queries.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field

_HEADER = re.compile(r"^--\s*(?P<key>title|description):\s*(?P<value>.*)$")
_CONTINUATION = re.compile(r"^--\s{2,}(?P<value>\S.*)$")
NAME_PATTERN = r"^[a-z][a-z0-9-]{1,62}$"


class NamedQuery(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str = Field(pattern=NAME_PATTERN)
    title: str = Field(min_length=3)
    description: str = Field(min_length=10)
    sql: str = Field(min_length=10)


def parse_named_query(name: str, text: str) -> NamedQuery:
    """A named query from its file's text; ``ValidationError`` names what is missing."""
    header: dict[str, str] = {}
    last: str | None = None
    for line in text.splitlines():
        if match := _HEADER.match(line):
            last = match["key"]
            header[last] = match["value"].strip()
        elif last is not None and (match := _CONTINUATION.match(line)):
            header[last] = f"{header[last]} {match['value'].strip()}"
        elif line.startswith("--"):
            last = None
        else:
            break
    return NamedQuery(name=name, sql=text.strip(), **header)


@cache
def named_queries() -> dict[str, NamedQuery]:
    """Every named query shipped, by name, in name order."""
    files = sorted(
        (entry for entry in resources.files(__package__).iterdir() if entry.name.endswith(".sql")),
        key=lambda entry: entry.name,
    )
    return {
        entry.name[: -len(".sql")]: parse_named_query(
            entry.name[: -len(".sql")], entry.read_text(encoding="utf-8")
        )
        for entry in files
    }


def describe_named_queries() -> str:
    """``name  title`` lines, for ``cv-analytics query --list``."""
    queries = named_queries()
    width = max(len(name) for name in queries)
    return "\n".join(
        f"{name:<{width}}  {query.title}\n{'':<{width}}  {query.description}"
        for name, query in queries.items()
    )
