"""The Great Expectations suites on small raw tables: what fails, where, and why."""

from __future__ import annotations

import json

import duckdb
import pytest

from orchestration.ingestion import ensure_ops_tables
from orchestration.quality.checks import check_name_for, quarantine_failures
from orchestration.quality.gx_suites import run_suite
from orchestration.resources import EXPECTATIONS_DIR
from tests.conftest import assert_engines_agree, signature

SURVEY_ROWS = [
    # response_id, nps, recorded_at_local, row
    ("R_1", "9", "2026-09-01 10:00:00", 4),
    ("R_2", "42", "2026-09-01 11:00:00", 5),
    ("R_3", "3", "gestern", 6),
    ("R_3", "7", "1899-12-31 00:00:00", 7),
    (None, "10", "2026-09-02 09:00:00", 8),
]


@pytest.fixture
def con(tmp_path):
    connection = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_ops_tables(connection)
    connection.execute("drop table if exists raw.survey_responses")
    connection.execute(
        "create table raw.survey_responses (response_id varchar, nps_score varchar,"
        " csat_score varchar, recorded_at_local varchar, started_at_local varchar,"
        " ended_at_local varchar, source_timezone varchar, _source_file varchar,"
        " _source_row bigint, progress varchar)"
    )
    connection.executemany(
        "insert into raw.survey_responses"
        " values (?, ?, null, ?, ?, ?, 'UTC', 'survey/s.csv', ?, '100')",
        [(r, n, t, t, t, row) for r, n, t, row in SURVEY_ROWS],
    )
    yield connection
    connection.close()


def _failures_by_reason(result) -> dict[str, set[tuple]]:
    return {
        f.reason: {(r["source_file"], r["source_row"]) for r in f.rows} for f in result.failures
    }


def test_every_suite_is_valid_json_with_known_parsers():
    from orchestration.ingestion import RAW_TABLES
    from orchestration.quality.gx_suites import _PARSERS

    for table in RAW_TABLES:
        suite = json.loads((EXPECTATIONS_DIR / f"{table}.json").read_text())
        assert suite["name"] == f"raw.{table}"
        assert set(suite["meta"]["parse"].values()) <= set(_PARSERS)
        assert suite["expectations"]
        # results are matched back to the suite by (type, column): each pair appears once
        signatures = [(e["type"], e["kwargs"].get("column")) for e in suite["expectations"]]
        assert len(signatures) == len(set(signatures)), table


def test_survey_suite_names_file_row_and_column(con):
    result = run_suite(con, "survey_responses", EXPECTATIONS_DIR)

    assert not result.passed
    by_column = {}
    for failure in result.failures:
        for row in failure.rows:
            by_column.setdefault(failure.column, set()).add(row["source_row"])
    assert by_column["nps_score"] == {5}
    assert by_column["response_id"] >= {6, 7, 8}  # duplicate R_3 and the missing id
    assert by_column["recorded_at_local"] == {6, 7}
    unreadable = [
        r
        for f in result.failures
        for r in f.rows
        if f.column == "recorded_at_local" and r["source_row"] == 6
    ]
    assert unreadable[0]["reason"] == "recorded_at_local 'gestern' cannot be read as a timestamp"


def test_failures_are_quarantined_and_replaced_on_the_next_check(con):
    result = run_suite(con, "survey_responses", EXPECTATIONS_DIR)
    first = quarantine_failures(con, result)
    assert first == con.execute("select count(*) from ops.quarantine").fetchone()[0] > 0
    assert quarantine_failures(con, result) == first  # not doubled
    rows = con.execute("select distinct check_name, source_file from ops.quarantine").fetchall()
    assert rows == [(check_name_for("survey_responses"), "survey/s.csv")]

    con.execute("delete from raw.survey_responses where _source_row <> 4")
    clean = run_suite(con, "survey_responses", EXPECTATIONS_DIR)
    assert clean.passed
    assert quarantine_failures(con, clean) == 0
    assert con.execute("select count(*) from ops.quarantine").fetchone()[0] == 0


def test_missing_required_column_fails(con):
    con.execute("alter table raw.survey_responses drop column recorded_at_local")
    result = run_suite(con, "survey_responses", EXPECTATIONS_DIR)
    reasons = {f.reason for f in result.failures}
    assert "column recorded_at_local is missing from the export" in reasons


def test_duckdb_and_gx_engines_agree_on_every_failure(con):
    """Duplicates, a missing id, out-of-range and unreadable values, and an empty table."""
    con.execute("insert into raw.survey_responses values ('R_9', ' 7.0 ', '6', '2026-09-03"
                " 08:00:00', null, '', 'UTC', 'survey/t.csv', 4, '101')")  # fmt: skip
    result = assert_engines_agree(con, "survey_responses")
    assert {f.column for f in result.failures} >= {
        "response_id", "nps_score", "csat_score", "recorded_at_local", "progress",
    }  # fmt: skip
    con.execute("delete from raw.survey_responses where response_id is null or response_id = 'R_3'")
    con.execute("update raw.survey_responses set nps_score = '8', csat_score = null")
    con.execute("update raw.survey_responses set progress = '100'")
    assert assert_engines_agree(con, "survey_responses").passed
    con.execute("alter table raw.survey_responses drop column recorded_at_local")
    missing = assert_engines_agree(con, "survey_responses")
    assert {f.reason for f in missing.failures} == {
        "column recorded_at_local is missing from the export"
    }


def _as_two_loads(con) -> None:  # noqa: ANN001
    """Rows 4-6 from load L1 (survey/s.csv), rows 7-8 as load L2 (survey/t.csv), in the ledger."""
    con.execute("alter table raw.survey_responses add column _load_id varchar")
    con.execute(
        "update raw.survey_responses set _load_id = if(_source_row <= 6, 'L1', 'L2'),"
        " _source_file = if(_source_row <= 6, 'survey/s.csv', 'survey/t.csv')"
    )
    for load_id, source_file in (("L1", "survey/s.csv"), ("L2", "survey/t.csv")):
        con.execute(
            "insert into ops.load_ledger (load_id, raw_table, source_file, status)"
            " values (?, 'survey_responses', ?, 'loaded')",
            [load_id, source_file],
        )


def test_a_check_of_some_loads_fails_the_same_rows_as_a_check_of_the_table(con):
    """Checked load by load, the same rows fail as when the whole table is checked (a
    duplicate id across two loads flags the rows of both); a load that passed is not read
    again, one that failed is, until the suite changes."""
    from orchestration.quality.scope import loads_to_check, record_passes, suite_fingerprint
    from orchestration.quality.sql_engine import run_suite_in_duckdb

    _as_two_loads(con)
    con.execute("update raw.survey_responses set nps_score = '8' where _source_row = 5")
    whole = run_suite(con, "survey_responses", EXPECTATIONS_DIR, engine="duckdb")
    both = run_suite_in_duckdb(con, "survey_responses", EXPECTATIONS_DIR, ["L1", "L2"])
    assert signature(both) == signature(whole)
    assert both.rows_checked == whole.rows_checked == 5
    only_new = run_suite_in_duckdb(con, "survey_responses", EXPECTATIONS_DIR, ["L2"])
    duplicate = next(f for f in only_new.failures if f.expectation.endswith("_unique"))
    # R_3 in row 6 (L1) and row 7 (L2): both fail, though only L2 was checked
    assert {r["source_row"] for r in duplicate.rows} >= {6, 7}
    assert only_new.rows_checked == 2

    name, sha = "gx_survey_responses", suite_fingerprint("survey_responses", EXPECTATIONS_DIR)
    fixed = "'2026-09-01 12:00:00'"
    con.execute(f"update raw.survey_responses set recorded_at_local = {fixed}, started_at_local"
                f" = {fixed}, ended_at_local = {fixed}, response_id = 'R_' || (_source_row * 10)"
                " where _load_id = 'L2'")  # fmt: skip
    assert loads_to_check(con, "survey_responses", name, sha) == ["L1", "L2"]
    result = run_suite_in_duckdb(con, "survey_responses", EXPECTATIONS_DIR, ["L1", "L2"])
    assert {r["source_file"] for f in result.failures for r in f.rows} == {"survey/s.csv"}
    assert record_passes(con, name, sha, ["L1", "L2"], result) == 1
    assert loads_to_check(con, "survey_responses", name, sha) == ["L1"]  # L1 still fails
    assert loads_to_check(con, "survey_responses", name, "another suite") == ["L1", "L2"]
    nothing = run_suite_in_duckdb(con, "survey_responses", EXPECTATIONS_DIR, [])
    assert nothing.passed and nothing.rows_checked == 0
