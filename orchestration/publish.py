"""Publish the marts for BI tools: a separate DuckDB file, replaced atomically.

DuckDB allows one writer per file, and a writer blocks readers in other processes. BI tools
therefore never open the working warehouse: they open the published copy. The copy is written
to a temporary file beside it and moved over the old one with ``os.replace`` (atomic on the
same file system), so a reader sees either the last good marts or the new ones, never a half
written file; a reader that already has the old file open keeps reading it. The temporary file
starts as a copy of the last published one, in which the marts built incrementally by partition
get only the partitions dbt built since (at a million customers, with no partition built
since: 16 s instead of 29 s); the other marts are copied whole. The file keeps the space of the
marts it replaced for the next publication (``_previous_publication``).

The publish asset depends on every mart, so it only runs when ``dbt build`` and every
blocking check upstream succeeded.

With ``CJM_ENGINE=spark`` the marts are built on Spark. Publishing then first writes every mart
as Parquet into a new folder of the published location, ``<published>/runs/<run id>/<mart>/``,
and points the Spark tables ``bi.<mart>`` at it (dbt macro ``publish_marts_parquet``); then
``<published>/current.json`` names that run's folder for tools that read files, and the
folders of older runs but the one before are removed. The same Parquet is copied into the
DuckDB warehouse's ``marts`` schema and from there into the published DuckDB file as above, so
the journey map page, the alerts, the follow-ups and the ``cjm`` commands read the marts
Spark built.
"""

import datetime as dt
import json
import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.duckdb_config import duckdb_config
from orchestration.ingestion.schema import sql_literal
from orchestration.owners import CX_ANALYTICS
from orchestration.resources import WarehouseResource, connect_duckdb, dbt_project_dir
from orchestration.transform import DbtCliResource, run_operation
from orchestration.transform.incremental import partition_columns
from orchestration.transform.manifest import manifest_path

PUBLISHED_SCHEMA = "marts"


def _mart_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_catalog ="
            " 'working' and table_schema = ? and table_type = 'BASE TABLE'"
            " order by table_name",
            [PUBLISHED_SCHEMA],
        ).fetchall()
    ]


def _previous_publication(published: Path) -> bool:
    """True when ``published`` is a whole publication to start the next one from: the file
    exists, was closed cleanly (no write-ahead log beside it), holds ``marts`` and
    ``meta.publication``, and has fewer free blocks than used ones. A DuckDB file does not
    shrink: the blocks of the marts replaced in a copy stay in it as free space, which the
    next publication's writes reuse (at a million customers a publication after one more day
    left 6,549 free blocks beside 9,211 used ones, and three more left the file at the same
    size). A file with more free than used space (after ``--full-refresh`` replaced every
    mart) is written from nothing instead, so the published file stays under twice its marts.
    """
    if not published.is_file() or published.with_name(published.name + ".wal").exists():
        return False
    try:
        with duckdb.connect(str(published), read_only=True) as con:
            schemas = {
                row[0]
                for row in con.execute(
                    "select table_schema from information_schema.tables"
                    " where table_schema in (?, 'meta')",
                    [PUBLISHED_SCHEMA],
                ).fetchall()
            }
            used_blocks, free_blocks = con.execute(
                "select used_blocks, free_blocks from pragma_database_size()"
                " where database_name = current_database()"
            ).fetchall()[0]
    except duckdb.Error:
        return False
    return schemas == {PUBLISHED_SCHEMA, "meta"} and free_blocks <= used_blocks


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> list[tuple]:
    return con.execute(
        "select column_name, data_type from information_schema.columns"
        " where table_catalog = ? and table_schema = ? and table_name = ?"
        " order by ordinal_position",
        [catalog, PUBLISHED_SCHEMA, table],
    ).fetchall()


def _publish_changed_partitions(
    con: duckdb.DuckDBPyConnection, table: str, partition_column: str
) -> int | None:
    """Of a mart built incrementally by partition and already published with the same columns,
    write again only the partitions a dbt run built since the last publication (other
    ``_invocation_id`` or ``_partition_signature`` than the published rows: dbt replaces a
    partition whole, so all its rows share both) and remove those that are gone. Rows of the
    published mart; None when the mart is to be copied whole instead (another shape, or more
    than half of its partitions changed, as after ``--full-refresh``)."""
    catalog = con.execute("select current_database()").fetchall()[0][0]
    bookkeeping = {"_invocation_id", "_partition_signature", partition_column}
    columns = _columns(con, "working", table)
    if columns != _columns(con, catalog, table) or not bookkeeping <= {c for c, _ in columns}:
        return None
    target = f'{PUBLISHED_SCHEMA}."{table}"'
    partitions = f'distinct "{partition_column}", _invocation_id, _partition_signature'
    # the working table is read once: its partitions, a few thousand rows, are kept aside
    con.execute(
        f"create or replace temp table built_partitions as select {partitions}"
        f" from working.{target}"
    )
    con.execute(
        "create or replace temp table changed_partitions as"
        f" with shown as (select {partitions} from {target})"
        " select distinct partition_key from ("
        " (select * from built_partitions except select * from shown)"
        " union all (select * from shown except select * from built_partitions)"
        ") as changed (partition_key, invocation_id, partition_signature)"
    )
    changed, unnamed, built = con.execute(
        "select count(*), count(*) - count(partition_key),"
        f' (select count(distinct "{partition_column}") from built_partitions)'
        " from changed_partitions"
    ).fetchall()[0]
    con.execute("drop table built_partitions")
    if unnamed or changed * 2 > built:
        con.execute("drop table changed_partitions")
        return None
    if changed:
        to_write = f'"{partition_column}" in (select partition_key from changed_partitions)'
        con.execute(f"delete from {target} where {to_write}")
        con.execute(f"insert into {target} select * from working.{target} where {to_write}")
    con.execute("drop table changed_partitions")
    return con.execute(f"select count(*) from {target}").fetchall()[0][0]


def publish_marts(
    warehouse: Path,
    published: Path,
    run_id: str = "manual",
    partitioned: Mapping[str, str] | None = None,
) -> dict[str, int]:
    """Copy every table of ``marts`` in ``warehouse`` to ``published``; return rows per table.

    The copy is written with the warehouse's DuckDB settings (``CJM_DUCKDB_*``: memory limit,
    threads, spilling to the warehouse's temp directory) in one transaction, and the row counts
    are those ``create table ... as`` reports (no second scan of each table).

    ``partitioned`` names the marts built incrementally by partition, each with the column that
    holds its partitions. With it, the last publication (when there is one) is copied as a file
    and such a mart gets only its changed partitions (``_publish_changed_partitions``); every
    other mart is copied whole. Without it, the file is written from nothing: what ``cjm
    forget`` needs, as rows deleted from a copied file may survive in its free blocks.
    """
    published.parent.mkdir(parents=True, exist_ok=True)
    tmp = published.with_name(f".{published.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    rows: dict[str, int] = {}
    published_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    from_previous = bool(partitioned) and _previous_publication(published)
    try:
        if from_previous:
            shutil.copyfile(published, tmp)
        with duckdb.connect(str(tmp), config=duckdb_config(warehouse)) as con:
            con.execute(f"attach {sql_literal(str(warehouse))} as working (read_only)")
            tables = _mart_tables(con)
            if not tables:
                raise RuntimeError(f"{warehouse} has no tables in schema {PUBLISHED_SCHEMA}")
            con.execute("begin transaction")
            con.execute("drop schema if exists meta cascade")
            con.execute(f"create schema if not exists {PUBLISHED_SCHEMA}")
            for (gone,) in con.execute(
                "select table_name from duckdb_tables()"
                " where database_name = current_database() and schema_name = ?",
                [PUBLISHED_SCHEMA],
            ).fetchall():
                if gone not in tables:  # a mart the project no longer builds
                    con.execute(f'drop table {PUBLISHED_SCHEMA}."{gone}"')
            for table in tables:
                partition_column = (partitioned or {}).get(table)
                if from_previous and partition_column:
                    kept = _publish_changed_partitions(con, table, partition_column)
                    if kept is not None:
                        rows[table] = kept
                        continue
                rows[table] = con.execute(
                    f'create or replace table {PUBLISHED_SCHEMA}."{table}" as'
                    f' select * from working.{PUBLISHED_SCHEMA}."{table}"'
                ).fetchall()[0][0]
            con.execute("create schema meta")
            con.execute(
                "create table meta.publication (table_name varchar, row_count bigint,"
                " published_at timestamp, run_id varchar)"
            )
            con.executemany(
                "insert into meta.publication values (?, ?, ?, ?)",
                [(t, n, published_at, run_id) for t, n in rows.items()],
            )
            con.execute("commit")
            con.execute("detach working")
            con.execute("checkpoint")
        os.replace(tmp, published)
    finally:
        tmp.unlink(missing_ok=True)
        tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)
    return rows


def published_partitions(manifest: Path) -> dict[str, str]:
    """The marts built incrementally by partition, each with its partition column, from the
    prepared dbt manifest (none when it is missing: every mart is then copied whole)."""
    if not manifest.is_file():
        return {}
    return {
        table: column
        for (schema, table), column in partition_columns(manifest).items()
        if schema == PUBLISHED_SCHEMA
    }


CURRENT_FILE = "current.json"
RUNS_FOLDER = "runs"


def load_parquet_marts(warehouse: Path, run_folder: Path) -> dict[str, int]:
    """Replace the DuckDB warehouse's ``marts`` with the marts Spark published in
    ``run_folder`` (one folder of Parquet files per mart), in one transaction; rows per mart."""
    folders = sorted(p for p in run_folder.iterdir() if p.is_dir())
    if not folders:
        raise RuntimeError(f"{run_folder} holds no published marts")
    rows: dict[str, int] = {}
    with connect_duckdb(warehouse) as con:
        con.execute("begin transaction")
        con.execute(f"create schema if not exists {PUBLISHED_SCHEMA}")
        published = {folder.name for folder in folders}
        existing = con.execute(
            "select table_name from duckdb_tables() where schema_name = ?", [PUBLISHED_SCHEMA]
        ).fetchall()
        for (name,) in existing:  # a mart the project no longer builds
            if name not in published:
                con.execute(f'drop table {PUBLISHED_SCHEMA}."{name}"')
        for folder in folders:
            files = sql_literal(str(folder / "*.parquet"))
            rows[folder.name] = con.execute(
                f'create or replace table {PUBLISHED_SCHEMA}."{folder.name}" as'
                f" select * from read_parquet({files})"
            ).fetchall()[0][0]
        con.execute("commit")
    return rows


def point_current(published_dir: Path, run_id: str, rows: dict[str, int]) -> Path:
    """Write ``current.json`` (which run folder holds the published marts), atomically, and
    remove every run folder but this run's and the one ``current.json`` named before (a
    reader that opened it can finish)."""
    runs = published_dir / RUNS_FOLDER
    target = published_dir / CURRENT_FILE
    try:
        previous = json.loads(target.read_text(encoding="utf-8")).get("run_id")
    except (OSError, ValueError):
        previous = None
    current = {
        "run_id": run_id,
        "folder": str(runs / run_id),
        "published_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "marts": rows,
    }
    staging = target.with_name(f".{CURRENT_FILE}.{os.getpid()}.tmp")
    staging.write_text(json.dumps(current, indent=1), encoding="utf-8")
    os.replace(staging, target)
    for folder in runs.iterdir():
        if folder.is_dir() and folder.name not in (run_id, previous):
            shutil.rmtree(folder, ignore_errors=True)
    return target


def publish_spark_marts(
    dbt: DbtCliResource, warehouse: WarehouseResource, run_id: str
) -> tuple[Path, dict[str, int]]:
    """The Spark engine's publish: the marts as Parquet in the published location and the
    ``bi`` tables on Spark, then the same rows in the DuckDB warehouse (see the module doc)."""
    # checked first: the journey map page, alerts and follow-ups read the Parquet from here
    published_dir = warehouse.spark_paths().local_folder("published")
    run_operation(dbt, warehouse, "publish_marts_parquet", {"run_id": run_id})
    rows = load_parquet_marts(Path(warehouse.path), published_dir / RUNS_FOLDER / run_id)
    return point_current(published_dir, run_id, rows), rows


def nps_by_touchpoint(published: Path) -> list[tuple[str, float, int]]:
    """All-time NPS and responses per touchpoint from the published agg_nps (none if empty)."""
    with duckdb.connect(str(published), read_only=True) as con:
        return con.execute(
            "select scope_id, nps, responses from marts.agg_nps"
            " where scope_type = 'touchpoint' and period_grain = 'all' and nps is not null"
            " order by scope_id"
        ).fetchall()


def build_publish_asset(mart_keys: Sequence[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        key=dg.AssetKey(["bi", "published_marts"]),
        deps=list(mart_keys),
        group_name="publish",
        kinds={"duckdb"},
        owners=[CX_ANALYTICS],
        description=(
            "The last good marts, copied to a separate DuckDB file that BI tools open read-only; "
            "replaced atomically only after every check upstream passed. On CJM_ENGINE=spark "
            "also as Parquet (<published>/current.json) and as the Spark tables bi.<mart>."
        ),
    )
    def published_marts(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, dbt: DbtCliResource
    ) -> dg.MaterializeResult:
        parquet: dict[str, dg.MetadataValue] = {}
        if warehouse.on_spark:
            current, spark_rows = publish_spark_marts(dbt, warehouse, context.run.run_id)
            context.log.info(f"published {len(spark_rows)} marts as Parquet, see {current}")
            parquet = {"parquet": dg.MetadataValue.path(str(current))}
        rows = publish_marts(
            Path(warehouse.path),
            Path(warehouse.published_path),
            context.run.run_id,
            partitioned=published_partitions(manifest_path(dbt_project_dir())),
        )
        context.log.info(f"published {len(rows)} marts to {warehouse.published_path}")
        nps = nps_by_touchpoint(Path(warehouse.published_path))
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(warehouse.published_path),
                **parquet,
                "tables": len(rows),
                **{f"rows.{t}": n for t, n in rows.items()},
                # one number per touchpoint, so that the UI plots each over the runs
                **{f"nps.{touchpoint}": value for touchpoint, value, _ in nps},
                "nps_by_touchpoint": dg.MetadataValue.md(
                    "| touchpoint | NPS | responses |\n|---|---:|---:|\n"
                    + "".join(f"| {t} | {v:.1f} | {n} |\n" for t, v, n in nps)
                ),
            }
        )

    return published_marts
