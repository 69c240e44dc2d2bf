"""Publish the marts for BI tools: a separate DuckDB file, replaced atomically.

DuckDB allows one writer per file, and a writer blocks readers in other processes. BI tools
therefore never open the working warehouse: they open the published copy. The copy is written
to a temporary file beside it and moved over the old one with ``os.replace`` (atomic on the
same file system), so a reader sees either the last good marts or the new ones, never a half
written file; a reader that already has the old file open keeps reading it.

The publish asset depends on every mart, so it only runs when ``dbt build`` and every
blocking check upstream succeeded.
"""

import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.duckdb_config import duckdb_config
from orchestration.ingestion.schema import sql_literal
from orchestration.owners import CX_ANALYTICS
from orchestration.resources import WarehouseResource

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


def publish_marts(warehouse: Path, published: Path, run_id: str = "manual") -> dict[str, int]:
    """Copy every table of ``marts`` in ``warehouse`` to ``published``; return rows per table.

    The copy is written with the warehouse's DuckDB settings (``CJM_DUCKDB_*``: memory limit,
    threads, spilling to the warehouse's temp directory) in one transaction, and the row counts
    are those ``create table ... as`` reports (no second scan of each table).
    """
    published.parent.mkdir(parents=True, exist_ok=True)
    tmp = published.with_name(f".{published.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    rows: dict[str, int] = {}
    published_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    try:
        with duckdb.connect(str(tmp), config=duckdb_config(warehouse)) as con:
            con.execute(f"attach {sql_literal(str(warehouse))} as working (read_only)")
            tables = _mart_tables(con)
            if not tables:
                raise RuntimeError(f"{warehouse} has no tables in schema {PUBLISHED_SCHEMA}")
            con.execute("begin transaction")
            con.execute(f"create schema {PUBLISHED_SCHEMA}")
            for table in tables:
                rows[table] = con.execute(
                    f'create table {PUBLISHED_SCHEMA}."{table}" as'
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
            "replaced atomically only after every check upstream passed."
        ),
    )
    def published_marts(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        rows = publish_marts(
            Path(warehouse.path), Path(warehouse.published_path), context.run.run_id
        )
        context.log.info(f"published {len(rows)} marts to {warehouse.published_path}")
        nps = nps_by_touchpoint(Path(warehouse.published_path))
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(warehouse.published_path),
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
