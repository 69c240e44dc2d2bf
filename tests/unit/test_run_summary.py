"""The summary `cjm run` prints never assumes a row exists: empty marts, no NPS answers, an empty
funnel, a published file without marts, a warehouse without a ledger."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from orchestration.cli import print_summary
from orchestration.ingestion import ensure_ops_tables

EMPTY_MARTS = """
create schema marts;
create table marts.agg_nps (period_grain varchar, scope_type varchar, scope_id varchar,
    responses bigint, nps double, nps_ci_low double, nps_ci_high double);
create table marts.dim_touchpoints (touchpoint_id varchar, phase_id varchar);
create table marts.dim_phases (phase_id varchar, phase_order integer);
create table marts.agg_phase_funnel (journey_id varchar, phase_id varchar,
    customers_entered bigint, customers_reached_next bigint, conversion_to_next double,
    conversion_from_first double, median_hours_to_next double, p90_hours_to_next double);
"""
STARTED = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)


def _warehouse(path: Path) -> Path:
    with duckdb.connect(str(path)) as con:
        ensure_ops_tables(con)
    return path


def test_empty_marts_say_what_is_missing(tmp_path: Path, capsys) -> None:
    published = tmp_path / "w_marts.duckdb"
    with duckdb.connect(str(published)) as con:
        con.execute(EMPTY_MARTS)
        con.execute(
            "create schema meta; create table meta.publication (table_name varchar,"
            " row_count bigint, published_at timestamp, run_id varchar)"
        )
        # a funnel whose phases exist but that nobody entered
        con.execute("insert into marts.dim_phases values ('awareness', 1)")
        con.execute(
            "insert into marts.agg_phase_funnel values"
            " ('j', 'awareness', 0, 0, null, null, null, null)"
        )

    problems = print_summary(_warehouse(tmp_path / "w.duckdb"), published, STARTED)

    out = capsys.readouterr().out
    assert problems == []
    assert "NPS: no survey responses with an NPS answer yet." in out
    assert "Phase funnel: no customer has entered a journey phase yet." in out
    assert "published time unknown" in out  # meta.publication has no row


def test_a_published_file_without_marts_or_meta_and_a_warehouse_without_ledger(
    tmp_path: Path, capsys
) -> None:
    warehouse = tmp_path / "w.duckdb"
    duckdb.connect(str(warehouse)).close()
    published = tmp_path / "w_marts.duckdb"
    duckdb.connect(str(published)).close()

    assert print_summary(warehouse, published, STARTED) == []

    out = capsys.readouterr().out
    assert "not replaced by this run" in out
    assert "NPS per touchpoint" not in out and "Traceback" not in out


def test_no_warehouse_and_no_published_file(tmp_path: Path, capsys) -> None:
    assert print_summary(tmp_path / "none.duckdb", tmp_path / "none_marts.duckdb", STARTED) == []
    assert capsys.readouterr().out == ""
