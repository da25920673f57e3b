"""SQL over exported files on DuckDB, embedded in this process: no server, no account.

The files (Parquet, JSON Lines or CSV, as ``cv-analytics export`` writes them) become one view,
``records``, with the columns and types of :mod:`cv_analytics.data.columns` whatever the format:
JSON Lines and CSV are read with the exact types, not guessed. Two macros give DuckDB the names
Athena's SQL uses for the functions the named queries need, so the same SQL runs on both.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from cv_analytics.data.columns import COLUMN_NAMES, RELATION, duckdb_columns
from cv_analytics.data.results import QueryFailedError, QueryResult
from cv_analytics.data.writers import SUFFIXES, Format

#: Athena (Trino) functions the named queries use, defined in DuckDB's terms.
COMPATIBILITY_MACROS = {
    # Trino: approximate percentile; DuckDB's interpolated quantile (exact) stands in.
    "approx_percentile": "CREATE MACRO approx_percentile(x, q) AS quantile_cont(x, q)",
    # Trino: ISO day of the week, Monday = 1.
    "day_of_week": "CREATE MACRO day_of_week(d) AS isodow(d)",
}


class NoDataError(ValueError):
    """No exported file where the query was told to look."""


def data_files(locations: Iterable[Path]) -> dict[Format, list[Path]]:
    """The exported files at ``locations`` (files, or folders searched for every format's
    endings), by format, each list sorted."""
    found: dict[Format, list[Path]] = {}
    for location in locations:
        candidates = sorted(location.rglob("*")) if location.is_dir() else [location]
        for path in candidates:
            fmt = SUFFIXES.get(path.suffix.lower())
            if fmt is not None and path.is_file() and not path.name.startswith("."):
                found.setdefault(fmt, []).append(path)
    if not found:
        places = ", ".join(str(location) for location in locations)
        raise NoDataError(
            f"no exported records (.parquet, .jsonl, .csv) in {places}: "
            "run `cv-analytics export` first, or point --data at the files"
        )
    return found


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _file_list(paths: list[Path]) -> str:
    return "[" + ", ".join(_literal(str(path)) for path in paths) + "]"


def _struct(columns: dict[str, str]) -> str:
    return (
        "{"
        + ", ".join(f"{_literal(name)}: {_literal(kind)}" for name, kind in columns.items())
        + "}"
    )


def records_view_sql(files: dict[Format, list[Path]]) -> str:
    """``CREATE VIEW records`` over ``files``: every format read with the exported columns."""
    selected = ", ".join(f'"{name}"' for name in COLUMN_NAMES)
    types = _struct(duckdb_columns())
    readers = {
        "parquet": lambda paths: f"read_parquet({_file_list(paths)}, union_by_name = true)",
        "jsonl": lambda paths: (
            f"read_json({_file_list(paths)}, format = 'newline_delimited', columns = {types})"
        ),
        "csv": lambda paths: (
            f"read_csv({_file_list(paths)}, header = true, columns = {types}, "
            "nullstr = '', quote = '\"', escape = '\"')"
        ),
    }
    parts = [
        f"SELECT {selected} FROM {readers[fmt](paths)}" for fmt, paths in sorted(files.items())
    ]
    return f"CREATE VIEW {RELATION} AS " + " UNION ALL ".join(parts)


class DuckDbEngine:
    """One in-memory DuckDB connection with the ``records`` view over the given files."""

    name = "duckdb"

    def __init__(self, files: dict[Format, list[Path]]) -> None:
        import duckdb

        self.files = files
        self._connection: Any = duckdb.connect(":memory:")
        for statement in COMPATIBILITY_MACROS.values():
            self._connection.execute(statement)
        try:
            self._connection.execute(records_view_sql(files))
        except duckdb.Error as exc:
            raise NoDataError(
                f"these files are not records exported by `cv-analytics export`: {exc}"
            ) from exc

    @classmethod
    def over(cls, locations: Iterable[Path]) -> DuckDbEngine:
        return cls(data_files(list(locations)))

    def run(self, sql: str) -> QueryResult:
        import duckdb

        try:
            cursor = self._connection.execute(sql)
        except duckdb.Error as exc:
            raise QueryFailedError(f"DuckDB: {exc}") from exc
        columns = [entry[0] for entry in cursor.description or []]
        return QueryResult(columns=columns, rows=list(cursor.fetchall()), engine=self.name)

    def stream(
        self, sql: str, parameters: Sequence[Any] = (), batch: int = 5_000
    ) -> Iterator[dict[str, Any]]:
        """The rows of ``sql`` as ``{column: value}``, fetched ``batch`` at a time."""
        cursor = self._connection.cursor()
        cursor.execute(sql, list(parameters))
        columns = [entry[0] for entry in cursor.description or []]
        while rows := cursor.fetchmany(batch):
            for row in rows:
                yield dict(zip(columns, row, strict=True))
        cursor.close()

    def close(self) -> None:
        self._connection.close()
