"""Named queries and ad-hoc SQL on DuckDB over exported files: the same answer whatever the
format, the same counts as the weekly email, SQL Athena's engine can parse, printed as asked."""

from __future__ import annotations

import csv
import io
import json
import statistics
from pathlib import Path

import pytest

from analytics_contract.records import AnalyticsRecord
from cv_analytics.cli import main
from cv_analytics.data.duckdb_engine import DuckDbEngine, NoDataError, data_files
from cv_analytics.data.export import export_records
from cv_analytics.data.queries import NamedQuery, named_queries, parse_named_query
from cv_analytics.data.results import QueryResult, print_result
from cv_analytics.data.writers import FORMATS
from reporter.aggregate import aggregate_week
from tests.unit.data.records import varied_records
from tests.unit.data.test_export import ListSource

WEEKS = ["2026-W45", "2026-W46", "2026-W47"]


@pytest.fixture(scope="module")
def records() -> list[AnalyticsRecord]:
    return [r for i, w in enumerate(WEEKS) for r in varied_records(w, 150 + 40 * i, seed=i + 10)]


@pytest.fixture(scope="module")
def exported(tmp_path_factory, records) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("exported")
    paths = {}
    for fmt in FORMATS:
        paths[fmt] = folder / fmt / f"records.{fmt}"
        export_records(ListSource(records), WEEKS, paths[fmt], fmt)
    return paths


def test_eight_named_queries_are_shipped_with_a_title_and_a_description():
    queries = named_queries()
    assert set(queries) >= {
        "weekly-trend", "slowest-answers", "busiest-sessions", "unanswered-by-weekday",
    }  # fmt: skip
    assert len(queries) == 8
    for query in queries.values():
        assert isinstance(query, NamedQuery)
        assert "FROM records" in query.sql


def test_a_description_continues_on_indented_comment_lines():
    query = parse_named_query(
        "x-y", "-- title: T t\n-- description: one two\n--   three four\nSELECT 1 FROM records\n"
    )
    assert (query.title, query.description) == ("T t", "one two three four")
    with pytest.raises(ValueError, match="title"):
        parse_named_query("x-y", "-- description: no title here\nSELECT 1 FROM records")


@pytest.mark.parametrize("name", sorted(named_queries()))
def test_each_named_query_parses_as_athena_sql(name: str):
    """Athena runs Trino SQL: sqlglot's Trino dialect must read every named query."""
    import sqlglot

    [statement] = sqlglot.parse(named_queries()[name].sql, read="trino")
    assert statement.find(sqlglot.exp.Select) is not None


@pytest.mark.parametrize("name", sorted(named_queries()))
def test_each_named_query_gives_the_same_rows_from_every_format(name, exported):
    sql = named_queries()[name].sql
    results = {fmt: DuckDbEngine.over([path]).run(sql) for fmt, path in exported.items()}
    parquet = results["parquet"]
    assert parquet.rows, f"{name} returned nothing on the sample"
    for fmt, result in results.items():
        assert (result.columns, result.rows) == (parquet.columns, parquet.rows), fmt


def test_weekly_trend_counts_as_the_weekly_email_does(exported, records):
    """The same definitions as the reporter's aggregation (questions = answered + failed +
    unanswered, orphans apart, sessions of questions)."""
    trend = DuckDbEngine.over([exported["parquet"]]).run(named_queries()["weekly-trend"].sql)
    by_week = {row["week"]: row for row in trend.records()}
    assert list(by_week) == WEEKS
    for week in WEEKS:
        figures = aggregate_week(week, [r for r in records if r.week == week])
        row = by_week[week]
        assert (row["questions"], row["answered"], row["failed"], row["unanswered"]) == (
            figures.questions, figures.answered, figures.failed, figures.unanswered,
        )  # fmt: skip
        assert (row["orphaned"], row["sessions"]) == (figures.orphaned, figures.sessions)
        assert row["answer_rate_pct"] == round(100 * figures.answered / figures.questions, 1)
        none = figures.match_types["none"]
        assert row["no_match_pct"] == round(100 * none / figures.answered, 1)


def test_answer_times_are_the_records_elapsed_ms(exported, records):
    """Percentiles of AnalyticsRecord.elapsed_ms over answered and failed records (linear
    interpolation, as DuckDB's quantile_cont)."""
    result = DuckDbEngine.over([exported["parquet"]]).run(
        named_queries()["answer-time-by-week"].sql
    )
    for row in result.records():
        times = [
            r.elapsed_ms
            for r in records
            if r.week == row["week"] and r.status in ("answered", "failed")
            and r.elapsed_ms is not None
        ]  # fmt: skip
        cuts = statistics.quantiles(times, n=100, method="inclusive")
        assert row["timed_responses"] == len(times)
        assert row["p50_ms"] == round(statistics.median(times))
        assert row["p95_ms"] == pytest.approx(round(cuts[94]), abs=1)
        assert row["slowest_ms"] == round(max(times))


def test_a_folder_is_searched_for_every_format_and_mixed_formats_are_one_relation(exported):
    folder = exported["csv"].parent.parent
    assert sorted(data_files([folder])) == sorted(FORMATS)
    engine = DuckDbEngine.over([folder])
    [(count,)] = engine.run("SELECT count(*) FROM records").rows
    single = DuckDbEngine.over([exported["jsonl"]]).run("SELECT count(*) FROM records").rows
    assert count == 3 * single[0][0]


def test_no_data_is_a_clear_error(tmp_path):
    with pytest.raises(NoDataError, match="run `cv-analytics export` first"):
        data_files([tmp_path])


RESULT = QueryResult(columns=["week", "rate", "ok", "note"], rows=[("2026-W47", 81.5, True, None)])


def test_results_print_as_csv_json_and_a_table():
    out = io.StringIO()
    print_result(RESULT, "csv", out)
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["week", "rate", "ok", "note"],
        ["2026-W47", "81.5", "true", ""],
    ]
    out = io.StringIO()
    print_result(RESULT, "json", out)
    assert json.loads(out.getvalue()) == [
        {"week": "2026-W47", "rate": 81.5, "ok": True, "note": None}
    ]
    out = io.StringIO()
    print_result(RESULT, "table", out)
    assert "2026-W47" in out.getvalue() and "(1 row)" in out.getvalue()


def test_the_command_runs_a_named_query_and_ad_hoc_sql(exported, capsys):
    data = str(exported["parquet"])
    assert main(["query", "--named", "weekly-trend", "--data", data, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["week"] for row in rows] == WEEKS
    sql = "SELECT status, count(*) AS n FROM records GROUP BY status ORDER BY status"
    assert main(["query", sql, "--data", data, "--format", "csv"]) == 0
    assert capsys.readouterr().out.startswith("status,n\nanswered,")


def test_the_command_reports_bad_sql_and_unknown_names(exported, capsys):
    data = str(exported["parquet"])
    assert main(["query", "SELECT nope FROM records", "--data", data]) == 1
    assert 'DuckDB: Binder Error: Referenced column "nope" not found' in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        main(["query", "--named", "nothing-like-it", "--data", data])
    assert stop.value.code == 2
    assert "no named query 'nothing-like-it'" in capsys.readouterr().err
    assert main(["query", "--list"]) == 0
    assert "weekly-trend" in capsys.readouterr().out


def test_files_that_are_not_exported_records_are_refused_clearly(tmp_path, capsys):
    (tmp_path / "notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(NoDataError, match="not records exported by `cv-analytics export`"):
        DuckDbEngine.over([tmp_path])
    with pytest.raises(SystemExit) as stop:
        main(["query", "--named", "weekly-trend", "--data", str(tmp_path)])
    assert stop.value.code == 2
    assert "Traceback" not in capsys.readouterr().err
