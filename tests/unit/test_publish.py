"""Publishing swaps the BI file atomically; a reader holding the old file keeps its data."""

from __future__ import annotations

import json

import duckdb
import pytest

from orchestration.publish import load_parquet_marts, point_current, publish_marts


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


def _spark_run_folder(published_dir, run_id: str, marts: dict[str, float]) -> None:
    """What the macro publish_marts_parquet leaves: one folder of Parquet files per mart."""
    with duckdb.connect() as con:
        for mart, nps in marts.items():
            folder = published_dir / "runs" / run_id / mart
            folder.mkdir(parents=True)
            con.execute(f"copy (select {nps} as nps) to '{folder / 'part-00000.parquet'}'")


def test_the_marts_spark_published_replace_the_duckdb_marts(tmp_path):
    warehouse = tmp_path / "cjm.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.agg_nps as select 1.0 as nps")
        con.execute("create table marts.retired_mart as select 1 as x")
    _spark_run_folder(tmp_path / "published", "r1", {"agg_nps": 30.0, "fct_new": 2.0})

    rows = load_parquet_marts(warehouse, tmp_path / "published" / "runs" / "r1")

    assert rows == {"agg_nps": 1, "fct_new": 1}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select nps from marts.agg_nps").fetchall() == [(30.0,)]
        tables = con.execute("select table_name from duckdb_tables() order by 1").fetchall()
    assert tables == [("agg_nps",), ("fct_new",)]  # a mart no longer built is gone


def test_current_json_names_the_last_run_and_the_run_before_stays(tmp_path):
    published_dir = tmp_path / "published"
    for n, run_id in enumerate(["r1", "r2", "r3"]):
        _spark_run_folder(published_dir, run_id, {"agg_nps": float(n)})
        current = point_current(published_dir, run_id, {"agg_nps": 1})
        assert json.loads(current.read_text())["folder"] == str(published_dir / "runs" / run_id)
    assert sorted(p.name for p in (published_dir / "runs").iterdir()) == ["r2", "r3"]
    assert not list(published_dir.glob(".*.tmp"))


def _partitioned_mart(path, partitions: dict[str, tuple[str, list[int]]]) -> None:
    """marts.fct_visits, built by partition as dbt's incremental models are: each partition's
    rows carry the invocation that built it and a signature ({day: (invocation, values)})."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        con.execute(
            "create or replace table marts.fct_visits (_partition_date varchar, visits integer,"
            " _invocation_id varchar, _partition_signature varchar)"
        )
        for day, (invocation, values) in partitions.items():
            con.executemany(
                "insert into marts.fct_visits values (?, ?, ?, ?)",
                [(day, value, invocation, f"{len(values)}:{sum(values)}") for value in values],
            )


def _published_rows(published, table: str = "fct_visits") -> list[tuple]:
    with duckdb.connect(str(published), read_only=True) as con:
        return con.execute(f"select * from marts.{table} order by all").fetchall()


def _mark_published_partition(published, day: str) -> None:
    """Change a published row behind the publisher's back: it stays only if the partition is
    not written again."""
    with duckdb.connect(str(published)) as con:
        con.execute("update marts.fct_visits set visits = -1 where _partition_date = ?", [day])


def test_a_partitioned_mart_is_published_again_only_where_dbt_built_it_again(tmp_path):
    warehouse, published = tmp_path / "cjm.duckdb", tmp_path / "cjm_marts.duckdb"
    partitioned = {"fct_visits": "_partition_date"}
    days = {f"2026090{n}": ("i1", [n, n + 10]) for n in range(1, 7)}
    _partitioned_mart(warehouse, days)
    _warehouse(warehouse, 10.0)
    publish_marts(warehouse, published, "r1", partitioned=partitioned)
    _mark_published_partition(published, "20260901")

    # the next dbt run built day 2 again, added day 7 and removed day 3 (its input is gone)
    days |= {"20260902": ("i2", [2, 20, 200]), "20260907": ("i2", [7])}
    del days["20260903"]
    _partitioned_mart(warehouse, days)
    _warehouse(warehouse, 20.0)
    rows = publish_marts(warehouse, published, "r2", partitioned=partitioned)

    with duckdb.connect(str(warehouse), read_only=True) as con:
        built = con.execute("select * from marts.fct_visits order by all").fetchall()
    # day 1 was not written again (its mark stayed); every other row is what dbt built
    assert _published_rows(published) == sorted(
        [row for row in built if row[0] != "20260901"]
        + [("20260901", -1, "i1", "2:12"), ("20260901", -1, "i1", "2:12")]
    )
    assert rows == {"agg_nps": 1, "fct_visits": len(built)}
    assert _published_rows(published, "agg_nps") == [(20.0,)]  # a mart built in full: copied
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("select distinct run_id from meta.publication").fetchall() == [("r2",)]


@pytest.mark.parametrize("change", ["full refresh", "new column", "not partitioned"])
def test_a_partitioned_mart_is_copied_whole_when_it_cannot_be_patched(tmp_path, change):
    warehouse, published = tmp_path / "cjm.duckdb", tmp_path / "cjm_marts.duckdb"
    partitioned = {"fct_visits": "_partition_date"}
    days = {f"2026090{n}": ("i1", [n]) for n in range(1, 5)}
    _partitioned_mart(warehouse, days)
    publish_marts(warehouse, published, "r1", partitioned=partitioned)
    _mark_published_partition(published, "20260901")

    if change == "full refresh":  # every partition built again, by one invocation
        _partitioned_mart(warehouse, {day: ("i2", values) for day, (_, values) in days.items()})
    elif change == "new column":  # same partitions, another shape
        with duckdb.connect(str(warehouse)) as con:
            con.execute("alter table marts.fct_visits add column channel varchar")
    publish_marts(
        warehouse, published, "r2", partitioned=None if change == "not partitioned" else partitioned
    )

    with duckdb.connect(str(warehouse), read_only=True) as con:
        built = con.execute("select * from marts.fct_visits order by all").fetchall()
    assert _published_rows(published) == built


def test_a_mart_no_longer_built_leaves_the_publication(tmp_path):
    warehouse, published = tmp_path / "cjm.duckdb", tmp_path / "cjm_marts.duckdb"
    _partitioned_mart(warehouse, {"20260901": ("i1", [1])})
    _warehouse(warehouse, 10.0)
    publish_marts(warehouse, published, partitioned={"fct_visits": "_partition_date"})
    with duckdb.connect(str(warehouse)) as con:
        con.execute("drop table marts.agg_nps")

    publish_marts(warehouse, published, partitioned={"fct_visits": "_partition_date"})

    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute(
            "select table_schema, table_name from information_schema.tables order by all"
        ).fetchall() == [("marts", "fct_visits"), ("meta", "publication")]


def test_a_publication_mostly_free_space_is_written_from_nothing(tmp_path):
    warehouse, published = tmp_path / "cjm.duckdb", tmp_path / "cjm_marts.duckdb"
    partitioned = {"fct_visits": "_partition_date"}
    _partitioned_mart(warehouse, {"20260901": ("i1", [1]), "20260902": ("i1", [2])})
    publish_marts(warehouse, published, "r1", partitioned=partitioned)
    _mark_published_partition(published, "20260901")
    # a large mart replaced in the published file leaves its blocks free, and a file does not
    # shrink while blocks after them are used: more free blocks than used ones
    with duckdb.connect(str(published)) as con:
        con.execute("create table marts.replaced as select hash(range) as x from range(2000000)")
        con.execute("checkpoint")
        con.execute("create table marts.written_after as select range as x from range(1000)")
        con.execute("checkpoint")
        con.execute("drop table marts.replaced")
        con.execute("checkpoint")
        used, free = con.execute(
            "select used_blocks, free_blocks from pragma_database_size()"
            " where database_name = current_database()"
        ).fetchall()[0]
    assert free > used
    size = published.stat().st_size

    publish_marts(warehouse, published, "r2", partitioned=partitioned)

    with duckdb.connect(str(warehouse), read_only=True) as con:
        built = con.execute("select * from marts.fct_visits order by all").fetchall()
    assert _published_rows(published) == built  # the mark is gone: nothing was copied
    assert published.stat().st_size < size
