"""The lake the Spark engine builds from, without Spark: the raw tables written as Parquet by
load date (``orchestration.transform.spark_lake``), only the partitions that changed, and the
quality gate reading that Parquet judges exactly as it judges the DuckDB table."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.quality.sql_engine import run_suite_in_duckdb
from orchestration.resources import EXPECTATIONS_DIR
from orchestration.transform.spark_lake import (
    EMPTY_PARTITION,
    lake_relation,
    main,
    write_lake,
    write_table,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def warehouse(sample_run, tmp_path: Path) -> Path:
    copy = tmp_path / "cjm.duckdb"
    shutil.copy(sample_run.warehouse, copy)
    return copy


def partitions(folder: Path) -> dict[str, int]:
    """Load date -> rows, as the lake holds them."""
    with duckdb.connect() as con:
        return dict(
            con.execute(
                f"select cast(_load_date as varchar), count(*) from read_parquet("
                f"'{folder}/*/*.parquet', hive_partitioning = true) group by 1"
            ).fetchall()
        )


def test_the_lake_holds_every_source_table_and_rewrites_only_changed_days(
    warehouse: Path, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    first = write_lake(warehouse, lake)
    assert {"raw.web_events", "raw.survey_responses", "enrich.comment_scores"} <= set(first)
    with duckdb.connect(str(warehouse)) as con:
        for name, change in first.items():
            assert change.rows == con.execute(f"select count(*) from {name}").fetchone()[0], name
        web = lake / "raw" / "web_events"
        (day,) = partitions(web)  # the sample was loaded on one day
        # Unchanged: nothing written again.
        again = write_table(con, "raw", "web_events", web)
        assert (again.partitions_written, again.partitions_kept) == (0, 1)
        # A file of the next day: one new partition, the old one untouched.
        old_files = sorted(web.glob("*/*.parquet"))
        con.execute(
            "insert into raw.web_events select * replace (_load_id || '-late' as _load_id,"
            " _loaded_at + interval 1 day as _loaded_at)"
            " from raw.web_events where _source_file = (select min(_source_file) from"
            " raw.web_events)"
        )
        late = write_table(con, "raw", "web_events", web)
        assert (late.partitions_written, late.partitions_kept) == (1, 1)
        assert all(path.exists() for path in old_files)
        assert sum(partitions(web).values()) == late.rows
        # The day withdrawn again: its partition goes.
        con.execute("delete from raw.web_events where _load_id like '%-late'")
        gone = write_table(con, "raw", "web_events", web)
        assert gone.partitions_removed == 1 and list(partitions(web)) == [day]
        # Every row withdrawn: one empty file keeps the columns for Spark.
        con.execute("delete from raw.web_events")
        write_table(con, "raw", "web_events", web)
        assert [p.name for p in web.iterdir() if p.is_dir()] == [EMPTY_PARTITION]
        assert con.execute(f"select count(*) from {lake_relation(web)}").fetchone()[0] == 0


def test_the_gate_on_the_lake_finds_what_it_finds_on_the_table(
    warehouse: Path, tmp_path: Path
) -> None:
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "update raw.survey_responses set nps_score = '42' where _source_row in"
            " (select min(_source_row) from raw.survey_responses)"
        )
        folder = tmp_path / "lake" / "raw" / "survey_responses"
        write_table(con, "raw", "survey_responses", folder)
        on_table = run_suite_in_duckdb(con, "survey_responses", EXPECTATIONS_DIR)
        on_lake = run_suite_in_duckdb(
            con, "survey_responses", EXPECTATIONS_DIR, relation=lake_relation(folder)
        )
    assert not on_table.passed and on_table.rows_checked > 0
    assert on_lake == on_table


def test_the_lake_command_says_when_the_warehouse_is_missing(tmp_path: Path, capsys) -> None:
    assert main([str(tmp_path / "nowhere.duckdb"), str(tmp_path / "lake")]) == 2
    assert "no such warehouse file" in capsys.readouterr().err
