"""Data out: the analytics records exported, queried with SQL, and shown as a dashboard.

- :mod:`.columns`: the one definition of the exported columns, derived from the contract's record;
- :mod:`.weeks`: ranges of ISO weeks;
- :mod:`.reader`: a range of weeks read from the analytics table (keys through ``week-index``,
  whole items with ``BatchGetItem``), page by page;
- :mod:`.writers`, :mod:`.export`: records written to Parquet, JSON Lines or CSV, with a progress
  bar (:mod:`.progress`);
- :mod:`.queries`, :mod:`.duckdb_engine`, :mod:`.athena`, :mod:`.results`: named and ad-hoc SQL on
  DuckDB over the exported files, or on Athena over DynamoDB's scheduled export;
- :mod:`.athena_schema`: the Glue table and view over DynamoDB's export, generated from
  :mod:`.columns` for ``export_infra/``;
- :mod:`.costs`: what the Athena/S3 path costs, as data;
- :mod:`.dashboard`: a self-contained HTML dashboard rendered from the reporter's aggregation.

Reading the table and Athena need the base dependencies only (boto3); Parquet, DuckDB and the
progress bar need the ``data`` extra, which :func:`require_data_extra` names when it is missing.
Importing this package is cheap.
"""

from __future__ import annotations

from collections.abc import Iterable

from cv_analytics.extras import ExtraMissingError, extra_missing_message, missing_distributions

#: The modules of the ``data`` extra, and the distribution that provides each.
DATA_MODULES = {
    "pyarrow": "pyarrow",
    "duckdb": "duckdb",
    "rich": "rich",
    "matplotlib": "matplotlib",
    "rapidfuzz": "rapidfuzz",
    "snowballstemmer": "snowballstemmer",
}
INSTALL_HINT = "pip install 'cv-analytics[data]'  (from a checkout: pip install -e '.[data]')"


class DataExtraMissingError(ExtraMissingError):
    """A data command needs a library of the ``data`` extra that is not installed."""


def missing_data_modules(modules: Iterable[str] = tuple(DATA_MODULES)) -> list[str]:
    """The distributions of ``modules`` (keys of :data:`DATA_MODULES`) not importable here."""
    return missing_distributions(DATA_MODULES, modules)


def require_data_extra(what: str, modules: Iterable[str] = tuple(DATA_MODULES)) -> None:
    """Raise :class:`DataExtraMissingError` naming what is missing and how to install it, unless
    every one of ``modules`` can be imported."""
    missing = missing_data_modules(modules)
    if missing:
        raise DataExtraMissingError(extra_missing_message(what, "data", missing, INSTALL_HINT))
