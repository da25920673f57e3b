"""The Athena side of the export path, generated from :mod:`cv_analytics.data.columns`.

DynamoDB's export to S3 writes each item as a line of DynamoDB JSON (``{"Item": {"requestId":
{"S": "..."}, "matchScore": {"N": "72.5"}, ...}}``, gzipped) under
``<prefix>/AWSDynamoDB/<export id>/data/``. ``export_infra`` puts each scheduled export under
``snapshots/<scheduled time>/`` and catalogues:

- the raw table ``analytics_export``: one column ``item`` typed as a struct of the stored
  attributes (:func:`raw_item_type`), read by the OpenX JSON SerDe;
- the view ``records``: the latest snapshot only, flattened to exactly the columns of
  ``cv-analytics export`` (:func:`view_sql`), derived columns computed with their SQL;
- the named queries, the same files as :mod:`cv_analytics.data.queries`.

Terraform reads them from ``export_infra/athena.generated.json``, written by
``python -m cv_analytics.data.athena_schema`` (``make athena-schema``); a test fails while the
committed file differs from what this module generates.

The view is written for two dialects from one definition: ``trino`` (Athena) and ``duckdb``, which
runs the same flattening over an export on this machine (the tests and the bench check it against
the records, since the emulator cannot run Athena's SQL). Only the JSON-text columns and the
relation differ between them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cv_analytics.data.columns import COLUMNS, DERIVED_COLUMNS, RELATION, STORED_COLUMNS, Column
from cv_analytics.data.queries import named_queries

Dialect = Literal["trino", "duckdb"]

#: Where ``export_infra``'s schedule puts each export (``<prefix>/<scheduled time>/AWSDynamoDB``).
EXPORT_PREFIX = "snapshots"
RAW_TABLE = "analytics_export"
GENERATED_FILE = Path(__file__).resolve().parents[2] / "export_infra" / "athena.generated.json"
#: Glue limits a column comment to 255 characters and a named query's description to 1,024.
_COMMENT_CHARS = 255
_DESCRIPTION_CHARS = 1024

_TYPE_TAG = {"string": "S", "int": "N", "float": "N"}


def _attribute_tree() -> dict[str, Any]:
    """The stored attributes as a tree: ``{name: Column | {name: ...}}`` (nested maps)."""
    tree: dict[str, Any] = {}
    for column in STORED_COLUMNS:
        node = tree
        for name in column.stored[:-1]:
            node = node.setdefault(name, {})
        node[column.stored[-1]] = column
    return tree


def _leaf_type(column: Column, dialect: Dialect | Literal["hive"]) -> dict[str, Any]:
    """The DynamoDB JSON shape of one attribute, as ``{tag: type}``."""
    string = {"hive": "string", "duckdb": "VARCHAR", "trino": "varchar"}[dialect]
    if column.container == "map":
        return {"M": ("map", string, {"S": string})}
    if column.container == "list":
        return {"SS": ("array", string), "L": ("array", {"S": string})}
    return {_TYPE_TAG[column.kind]: string}


def _render(shape: Any, dialect: Dialect | Literal["hive"]) -> str:
    if isinstance(shape, str):
        return shape
    if isinstance(shape, tuple):
        if shape[0] == "map":
            key, value = _render(shape[1], dialect), _render(shape[2], dialect)
            return f"map<{key},{value}>" if dialect == "hive" else f"MAP({key}, {value})"
        inner = _render(shape[1], dialect)
        return f"array<{inner}>" if dialect == "hive" else f"{inner}[]"
    if dialect == "hive":
        fields = ",".join(
            f"{name.lower()}:{_render(value, dialect)}" for name, value in shape.items()
        )
        return f"struct<{fields}>"
    fields = ", ".join(f'"{name}" {_render(value, dialect)}' for name, value in shape.items())
    return f"STRUCT({fields})"


def _shape(tree: dict[str, Any], dialect: Dialect | Literal["hive"]) -> dict[str, Any]:
    shape: dict[str, Any] = {}
    for name, node in tree.items():
        if isinstance(node, Column):
            shape[name] = _leaf_type(node, dialect)
        else:
            shape[name] = {"M": _shape(node, dialect)}
    return shape


def raw_item_type(dialect: Dialect | Literal["hive"] = "hive") -> str:
    """The type of the export's ``Item``: a struct with every stored attribute (Hive's spelling
    for Glue, lower-case field names; DuckDB's for reading an export here)."""
    return _render(_shape(_attribute_tree(), dialect), dialect)


def _path(column: Column) -> str:
    """``item.tokens.M.input`` for ``tokens.input``: maps are entered through their ``M``."""
    return ".".join(["item", *(f"{name}.M" for name in column.stored[:-1]), column.stored[-1]])


def _stored_expression(column: Column, dialect: Dialect) -> str:
    path = _path(column)
    if column.container == "map":
        if dialect == "trino":
            return f"json_format(CAST(transform_values({path}.M, (k, v) -> v.S) AS JSON))"
        return (
            f"to_json(map_from_entries(list_sort(list_transform(map_entries({path}.M), "
            "lambda e: struct_pack(key := e.key, value := e.value.S)))))"
        )
    if column.container == "list":
        if dialect == "trino":
            return (
                f"json_format(CAST(coalesce(array_sort({path}.SS), "
                f"transform({path}.L, x -> x.S)) AS JSON))"
            )
        return f"to_json(coalesce(list_sort({path}.SS), list_transform({path}.L, lambda x: x.S)))"
    if column.kind == "string":
        return f"{path}.S"
    number = "BIGINT" if column.kind == "int" else "DOUBLE"
    return f"CAST({path}.N AS {number})"


def _raw_relation(dialect: Dialect, files: Iterable[str]) -> str:
    if dialect == "trino":
        return f'(SELECT item, "$path" AS path FROM {RAW_TABLE})'
    listed = ", ".join("'" + name.replace("'", "''") + "'" for name in files)
    item_type = raw_item_type("duckdb").replace("'", "''")
    return (
        f'(SELECT "Item" AS item, filename AS path FROM read_json([{listed}], '
        f"format = 'newline_delimited', columns = {{'Item': '{item_type}'}}, filename = true))"
    )


def view_sql(dialect: Dialect = "trino", files: Iterable[str] = ()) -> str:
    """The ``records`` view's query: the latest snapshot's items, flattened to the exported
    columns. ``files``: the export's data files, for DuckDB (Athena reads the raw table)."""
    flattened = ",\n    ".join(
        f'{_stored_expression(column, dialect)} AS "{column.name}"' for column in STORED_COLUMNS
    )
    stored = ", ".join(f'"{column.name}"' for column in STORED_COLUMNS)
    derived = ",\n  ".join(f'{column.sql} AS "{column.name}"' for column in DERIVED_COLUMNS)
    return f"""WITH exported AS (
  SELECT item, regexp_extract(path, '/{EXPORT_PREFIX}/([^/]+)/AWSDynamoDB/', 1) AS snapshot
  FROM {_raw_relation(dialect, files)} AS raw
  WHERE item IS NOT NULL AND path LIKE '%/data/%'
),
latest AS (SELECT max(snapshot) AS snapshot FROM exported),
flat AS (
  SELECT
    {flattened}
  FROM exported JOIN latest ON exported.snapshot = latest.snapshot
)
SELECT
  {stored},
  {derived}
FROM flat"""


def _comment(text: str) -> str:
    return text if len(text) <= _COMMENT_CHARS else text[: _COMMENT_CHARS - 3] + "..."


@dataclass(frozen=True)
class Artifacts:
    """What ``export_infra`` builds its catalogue and workgroup from."""

    document: dict[str, Any]

    def text(self) -> str:
        return json.dumps(self.document, indent=2, ensure_ascii=False) + "\n"


def artifacts() -> Artifacts:
    queries = {
        name: {
            "description": (f"{query.title}. {query.description}")[:_DESCRIPTION_CHARS],
            "sql": query.sql,
        }
        for name, query in named_queries().items()
    }
    return Artifacts(
        {
            "generated_by": "python -m cv_analytics.data.athena_schema (make athena-schema); "
            "do not edit",
            "export_prefix": EXPORT_PREFIX,
            "raw_table": {
                "name": RAW_TABLE,
                "columns": [{"name": "item", "type": raw_item_type("hive")}],
            },
            "view": {
                "name": RELATION,
                "sql": view_sql("trino"),
                "columns": [
                    {
                        "name": column.name,
                        "hive_type": column.hive_type,
                        "presto_type": column.presto_type,
                        "comment": _comment(column.description),
                    }
                    for column in COLUMNS
                ],
            },
            "named_queries": queries,
        }
    )


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check``, compare) ``export_infra/athena.generated.json``."""
    args = sys.argv[1:] if argv is None else argv
    text = artifacts().text()
    if "--check" in args:
        current = GENERATED_FILE.read_text(encoding="utf-8") if GENERATED_FILE.exists() else ""
        if current != text:
            print(f"{GENERATED_FILE} is stale: run make athena-schema", file=sys.stderr)
            return 1
        return 0
    GENERATED_FILE.write_text(text, encoding="utf-8")
    print(f"wrote {GENERATED_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
