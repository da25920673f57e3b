"""The columns of exported records: one definition, derived from the contract's record.

Every field of :class:`~analytics_contract.records.AnalyticsRecord` is a column, named as the
model names it (``request_id``, ``match_score``...); a nested model (``tokens``, ``feedback``)
becomes one column per field (``tokens_input``, ``feedback_rating``...), and free-form values
(``metadata``, ``truncated_fields``) are one column of JSON text, so that every format (Parquet,
JSON Lines, CSV) and every SQL engine (DuckDB, Athena) sees the same flat table. Two columns are
derived, with the contract's own definitions: ``elapsed_ms`` (:attr:`AnalyticsRecord.elapsed_ms`)
and ``feedback_positive`` (:attr:`Feedback.positive`); each also carries the SQL that computes it
from the other columns, for the Athena view over DynamoDB's export (a test keeps the two equal).

A field added to the model becomes a column without a change here; a type this module does not
know stops the import (:class:`UnsupportedFieldError`) instead of being exported wrong.

Needs no third-party library: the Arrow schema (:func:`arrow_schema`) imports pyarrow when asked.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Union

from pydantic import BaseModel

from analytics_contract.records import AnalyticsRecord

if TYPE_CHECKING:
    import pyarrow

#: How a column's values are typed. ``json``: text holding a JSON value.
Kind = Literal["string", "int", "float", "bool", "json"]

#: The relation every SQL engine exposes the records as.
RELATION = "records"


class UnsupportedFieldError(TypeError):
    """A field of the record whose type has no column kind here."""


@dataclass(frozen=True)
class Column:
    """One exported column.

    ``path``: the model attributes leading to the value (``("tokens", "input")``); ``stored``:
    the same path as stored in DynamoDB (camelCase aliases). A derived column has no path: its
    value is the record property ``derived_from`` and, in SQL, ``sql``.
    """

    name: str
    kind: Kind
    required: bool
    description: str
    path: tuple[str, ...] = ()
    stored: tuple[str, ...] = ()
    derived_from: str | None = None
    sql: str | None = None
    #: For a ``json`` column: the value is a ``map`` of strings or a ``list`` of strings.
    container: Literal["map", "list"] | None = None

    @property
    def derived(self) -> bool:
        return self.derived_from is not None

    @property
    def duckdb_type(self) -> str:
        return _DUCKDB_TYPES[self.kind]

    @property
    def hive_type(self) -> str:
        """The type as the Glue Data Catalog (Hive) spells it."""
        return _HIVE_TYPES[self.kind]

    @property
    def presto_type(self) -> str:
        """The type as Athena's engine (Trino/Presto) spells it, for a view's definition."""
        return _PRESTO_TYPES[self.kind]


_DUCKDB_TYPES = {
    "string": "VARCHAR",
    "int": "BIGINT",
    "float": "DOUBLE",
    "bool": "BOOLEAN",
    "json": "VARCHAR",
}
_HIVE_TYPES = {"string": "string", "int": "bigint", "float": "double", "bool": "boolean", "json": "string"}  # fmt: skip
_PRESTO_TYPES = {"string": "varchar", "int": "bigint", "float": "double", "bool": "boolean", "json": "varchar"}  # fmt: skip


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """(the type inside ``Optional``/``Annotated``, whether ``None`` is allowed)."""
    optional = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            optional = optional or len(members) < len(typing.get_args(annotation))
            if len(members) != 1:
                raise UnsupportedFieldError(f"a union of {members} has no column kind")
            annotation = members[0]
        else:
            return annotation, optional


def _kind(annotation: Any, where: str) -> Kind:
    origin = typing.get_origin(annotation)
    if origin is Literal:
        values = typing.get_args(annotation)
        if all(isinstance(value, str) for value in values):
            return "string"
    elif origin in (dict, list):
        return "json"
    elif annotation is bool:
        return "bool"
    elif annotation is str:
        return "string"
    elif annotation is int:
        return "int"
    elif annotation is float:
        return "float"
    raise UnsupportedFieldError(f"{where}: no column kind for {annotation!r}")


def _container(annotation: Any, where: str) -> Literal["map", "list"]:
    """A ``json`` field must hold strings only: what DynamoDB's export can be read back as."""
    origin = typing.get_origin(annotation)
    values = typing.get_args(annotation)
    value_type = _unwrap(values[-1])[0] if values else None
    if value_type is not str and typing.get_origin(value_type) is not Literal:
        raise UnsupportedFieldError(f"{where}: only maps and lists of strings are exported")
    return "map" if origin is dict else "list"


def _model_columns(
    model: type[BaseModel], path: tuple[str, ...], stored: tuple[str, ...], required: bool
) -> list[Column]:
    columns: list[Column] = []
    for name, info in model.model_fields.items():
        annotation, optional = _unwrap(info.annotation)
        alias = info.alias or name
        here, stored_here = (*path, name), (*stored, alias)
        field_required = required and not optional and info.is_required()
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            columns += _model_columns(annotation, here, stored_here, field_required)
            continue
        kind = _kind(annotation, ".".join(here))
        container = _container(annotation, ".".join(here)) if kind == "json" else None
        columns.append(
            Column(
                name="_".join(here),
                kind=kind,
                required=field_required,
                description=info.description or "",
                path=here,
                stored=stored_here,
                container=container,
            )
        )
    return columns


#: Derived columns: the record's property and the SQL computing it from the other columns (a
#: second spelling, needed where the export has only the stored attributes; tests keep them equal).
DERIVED_COLUMNS = (
    Column(
        name="elapsed_ms",
        kind="float",
        required=False,
        description="Milliseconds to answer (AnalyticsRecord.elapsed_ms): processingTimeMs, else "
        "the time from the query to the response, never negative; empty without a response",
        derived_from="elapsed_ms",
        sql=(
            "CASE WHEN processing_time_ms IS NOT NULL THEN greatest(processing_time_ms, 0.0) "
            "WHEN response_timestamp IS NULL OR status = 'orphaned' THEN NULL "
            'ELSE CAST(greatest(response_timestamp - "timestamp", 0) AS DOUBLE) END'
        ),
    ),
    Column(
        name="feedback_positive",
        kind="bool",
        required=False,
        description="The visitor's verdict (Feedback.positive): true for thumbs up or a rating "
        "of 4-5, false for thumbs down or 1-2, empty for 3 or no feedback",
        derived_from="feedback.positive",
        sql=(
            "CASE WHEN feedback_thumbs IS NOT NULL THEN feedback_thumbs = 'up' "
            "WHEN feedback_rating IS NULL THEN NULL "
            "WHEN feedback_rating >= 4 THEN TRUE WHEN feedback_rating <= 2 THEN FALSE "
            "ELSE NULL END"
        ),
    ),
)

#: Every column, in order: the record's fields as the model declares them, then the derived ones.
COLUMNS: tuple[Column, ...] = (
    *_model_columns(AnalyticsRecord, (), (), True),
    *DERIVED_COLUMNS,
)
COLUMN_NAMES = tuple(column.name for column in COLUMNS)
STORED_COLUMNS = tuple(column for column in COLUMNS if not column.derived)


def _attribute(value: Any, path: Iterable[str]) -> Any:
    for name in path:
        if value is None:
            return None
        value = getattr(value, name)
    return value


def _json_text(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def record_to_row(record: AnalyticsRecord) -> dict[str, Any]:
    """One record as a row: ``{column name: value}`` for every column, in :data:`COLUMNS` order."""
    row: dict[str, Any] = {}
    for column in COLUMNS:
        path = column.path or tuple(str(column.derived_from).split("."))
        value = _attribute(record, path)
        row[column.name] = _json_text(value) if column.kind == "json" else value
    return row


def row_to_record(row: Mapping[str, Any]) -> AnalyticsRecord:
    """A row (from any export format, or an engine) back to the contract's record; derived
    columns are ignored (the record derives them itself). Raises ``ValidationError`` naming the
    field when the row does not make a valid record."""
    data: dict[str, Any] = {}
    for column in STORED_COLUMNS:
        value = row.get(column.name)
        if value is None:
            continue
        if column.kind == "json" and isinstance(value, str):
            value = json.loads(value)
        target = data
        for name in column.path[:-1]:
            target = target.setdefault(name, {})
        target[column.path[-1]] = value
    return AnalyticsRecord.model_validate(data)


def arrow_schema() -> pyarrow.Schema:
    """The columns as an Arrow schema (Parquet's): required columns are not nullable, each field
    carries its description, and JSON text is marked ``format: json``."""
    import pyarrow as pa

    types_: dict[str, pa.DataType] = {
        "string": pa.string(),
        "int": pa.int64(),
        "float": pa.float64(),
        "bool": pa.bool_(),
        "json": pa.string(),
    }
    fields = []
    for column in COLUMNS:
        metadata = {"description": column.description}
        if column.kind == "json":
            metadata["format"] = "json"
        fields.append(
            pa.field(
                column.name, types_[column.kind], nullable=not column.required, metadata=metadata
            )
        )
    return pa.schema(fields, metadata={"relation": RELATION, "source": "AnalyticsRecord"})


def duckdb_columns() -> dict[str, str]:
    """``{column: DuckDB type}``, for reading JSON Lines and CSV with the exact types."""
    return {column.name: column.duckdb_type for column in COLUMNS}
