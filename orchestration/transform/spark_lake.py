"""The raw layer as Parquet for Apache Spark (README "Running on Spark").

The readers, the load ledger and the quarantine stay as they are: they write the raw tables in
the DuckDB warehouse. With ``CJM_ENGINE=spark`` each raw asset then writes its table from there
into a lake folder, partitioned by load date (``<lake>/raw/web_events/_load_date=2026-11-30/``),
the blocking quality gates read that Parquet, and Spark reads it as external tables (dbt macro
``register_lake_tables``). So the same landing folder feeds either engine. A cluster points
``CJM_SPARK_LAKE`` at a mounted folder, or copies this one to object storage (``s3a://...``).

Only partitions whose rows changed are written: ``_cjm_partitions.json`` in each table's
folder keeps the table's columns and, per load date, the number of rows and a digest of the
loads (``_load_id``) they came from. A new day of exports writes one new partition, a
re-delivered file rewrites the days it touches, a withdrawn one removes them. Each partition is
written into a new folder that then replaces the old one, so Spark never reads a half-written
partition. A table without load ids (the ``enrich`` tables), or whose columns changed, is
written whole. An empty table is one empty file in the partition ``_load_date=0001-01-01``, so
that Spark still learns its columns.

    python -m orchestration.transform.spark_lake WAREHOUSE LAKE
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

# The schemas of the dbt sources (dbt_project/models/staging/*/_*__sources.yml).
SOURCE_SCHEMAS = ("raw", "enrich")
LOAD_DATE_COLUMN = "_load_date"
NO_DATE = "0001-01-01"
EMPTY_PARTITION = f"{LOAD_DATE_COLUMN}={NO_DATE}"
STATE_FILE = "_cjm_partitions.json"


@dataclass(frozen=True)
class TableWrite:
    """What writing one table changed in the lake."""

    rows: int  # rows of the table
    partitions_written: int
    partitions_removed: int
    partitions_kept: int


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def lake_folder(lake: Path, schema: str, table: str) -> Path:
    return lake / schema / table


def source_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    return con.execute(
        "select schema_name, table_name from duckdb_tables() "
        "where schema_name in (select unnest(?)) order by all",
        [list(SOURCE_SCHEMAS)],
    ).fetchall()


def write_lake(warehouse: Path, lake: Path) -> dict[str, TableWrite]:
    """Write every source table of ``warehouse`` under ``lake``; what changed per table."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            f"{schema}.{table}": write_table(con, schema, table, lake_folder(lake, schema, table))
            for schema, table in source_tables(con)
        }


def _partitions(
    con: duckdb.DuckDBPyConnection, relation: str, columns: list[str]
) -> dict[str, str]:
    """Load date -> signature of its rows (row count and a digest of their load ids)."""
    if "_loaded_at" not in columns or "_load_id" not in columns:
        return {}
    rows = con.execute(
        f"""select cast(cast(_loaded_at as date) as varchar), count(*),
            md5(string_agg(distinct _load_id, ',' order by _load_id))
        from {relation} group by 1"""
    ).fetchall()
    return {day: f"{count}:{digest}" for day, count, digest in rows}


def _replace(staging: Path, target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)


def write_table(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, folder: Path
) -> TableWrite:
    """One table into ``folder``, partitioned by the date of ``_loaded_at``: only the
    partitions whose rows changed since the last write."""
    relation = f"{quoted(schema)}.{quoted(table)}"
    columns = [row[0] for row in con.execute(f"select * from {relation} limit 0").description]
    wanted = _partitions(con, relation, columns)
    state_file = folder / STATE_FILE
    try:
        state = json.loads(state_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        state = {}
    if not wanted or state.get("columns") != columns:
        # no load ids, a first write, or other columns than the files have: the whole table
        return _write_whole(con, relation, columns, folder, wanted)
    written: dict[str, str] = state.get("partitions", {})
    changed = sorted(day for day, signature in wanted.items() if written.get(day) != signature)
    vanished = sorted(set(written) - set(wanted))
    for day in changed:
        staging = folder / f".{LOAD_DATE_COLUMN}={day}.writing"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        con.execute(
            f"copy (select * from {relation} where cast(_loaded_at as date) = date '{day}') "
            f"to '{staging / 'part-0.parquet'}' (format parquet)"
        )
        _replace(staging, folder / f"{LOAD_DATE_COLUMN}={day}")
    for day in vanished:
        shutil.rmtree(folder / f"{LOAD_DATE_COLUMN}={day}", ignore_errors=True)
    if wanted:
        shutil.rmtree(folder / EMPTY_PARTITION, ignore_errors=True)
    else:
        _write_empty(con, relation, folder)
    _save_state(state_file, columns, wanted)
    rows = sum(int(signature.split(":", 1)[0]) for signature in wanted.values())
    return TableWrite(rows, len(changed), len(vanished), len(wanted) - len(changed))


def _write_whole(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    columns: list[str],
    folder: Path,
    partitions: dict[str, str],
) -> TableWrite:
    load_date = "cast(_loaded_at as date)" if "_loaded_at" in columns else f"date '{NO_DATE}'"
    staging = folder.with_name(folder.name + ".writing")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    # COPY answers with the number of rows it wrote: no separate count of the table
    rows = con.execute(
        f"copy (select *, {load_date} as {LOAD_DATE_COLUMN} from {relation}) "
        f"to '{staging}' (format parquet, partition_by ({LOAD_DATE_COLUMN}), overwrite_or_ignore)"
    ).fetchone()[0]
    if not rows:
        _write_empty(con, relation, staging)
    if partitions:
        _save_state(staging / STATE_FILE, columns, partitions)
    _replace(staging, folder)
    return TableWrite(rows, max(len(partitions), 1), 0, 0)


def _write_empty(con: duckdb.DuckDBPyConnection, relation: str, folder: Path) -> None:
    (folder / EMPTY_PARTITION).mkdir(parents=True, exist_ok=True)
    con.execute(
        f"copy (select * from {relation} limit 0) "
        f"to '{folder / EMPTY_PARTITION / 'empty.parquet'}' (format parquet)"
    )


def _save_state(state_file: Path, columns: list[str], partitions: dict[str, str]) -> None:
    staging = state_file.with_name(state_file.name + ".writing")
    state = {"columns": columns, "partitions": partitions}
    staging.write_text(json.dumps(state, sort_keys=True, indent=1), encoding="utf-8")
    staging.replace(state_file)


def lake_relation(folder: Path) -> str:
    """DuckDB SQL that reads a table of the lake: the table's own columns, without the load
    date Spark adds from the folder names."""
    pattern = str(folder / f"{LOAD_DATE_COLUMN}=*" / "*.parquet").replace("'", "''")
    return f"read_parquet('{pattern}', hive_partitioning = false)"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    warehouse = Path(args[0])
    if not warehouse.is_file():
        print(f"{warehouse}: no such warehouse file; run `cjm run` first", file=sys.stderr)
        return 2
    started = time.perf_counter()
    changes = write_lake(warehouse, Path(args[1]))
    for name, change in changes.items():
        print(
            f"{name}: {change.rows} rows; partitions written {change.partitions_written}, "
            f"removed {change.partitions_removed}, unchanged {change.partitions_kept}"
        )
    rows = sum(change.rows for change in changes.values())
    print(f"{len(changes)} tables, {rows} rows, in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
