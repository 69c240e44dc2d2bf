"""Publishing swaps the BI file atomically; a reader holding the old file keeps its data."""

from __future__ import annotations

import duckdb
import pytest

from orchestration.publish import publish_marts


def _warehouse(path, nps: float) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        con.execute("create or replace table marts.agg_nps as select ? as nps", [nps])
        con.execute("create or replace view marts.not_published as select 1 as x")


def test_publish_copies_tables_and_records_the_publication(tmp_path):
    warehouse, published = tmp_path / "cjm.duckdb", tmp_path / "cjm_marts.duckdb"
    _warehouse(warehouse, 42.0)

    rows = publish_marts(warehouse, published, run_id="r1")

    assert rows == {"agg_nps": 1}
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("select nps from marts.agg_nps").fetchall() == [(42.0,)]
        assert con.execute("select run_id from meta.publication").fetchall() == [("r1",)]
    assert not list(tmp_path.glob(".*.tmp"))


def test_reader_keeps_last_version_while_a_new_one_is_published(tmp_path):
    warehouse, published = tmp_path / "cjm.duckdb", tmp_path / "cjm_marts.duckdb"
    _warehouse(warehouse, 10.0)
    publish_marts(warehouse, published)
    reader = duckdb.connect(str(published), read_only=True)
    try:
        _warehouse(warehouse, 20.0)
        publish_marts(warehouse, published)  # must not be blocked by the open reader
        assert reader.execute("select nps from marts.agg_nps").fetchall() == [(10.0,)]
    finally:
        reader.close()
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("select nps from marts.agg_nps").fetchall() == [(20.0,)]


def test_failed_publish_leaves_the_old_file(tmp_path):
    warehouse, published = tmp_path / "cjm.duckdb", tmp_path / "cjm_marts.duckdb"
    _warehouse(warehouse, 10.0)
    publish_marts(warehouse, published)
    before = published.read_bytes()
    with duckdb.connect(str(warehouse)) as con:
        con.execute("drop table marts.agg_nps")

    with pytest.raises(RuntimeError, match="no tables"):
        publish_marts(warehouse, published)

    assert published.read_bytes() == before
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_warehouse_held_by_another_process_gets_a_clear_error(tmp_path):
    from orchestration.resources import WarehouseLockedError, connect_duckdb
    from tests.conftest import duckdb_file_held_by_another_process

    path = tmp_path / "cjm.duckdb"
    duckdb.connect(str(path)).close()
    with (
        duckdb_file_held_by_another_process(path) as pid,
        pytest.raises(WarehouseLockedError, match=f"PID {pid}.*published copy"),
    ):
        connect_duckdb(path, read_only=True)
