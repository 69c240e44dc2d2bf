"""The raw layer as Parquet for Apache Spark (README "Running on Spark").

The readers, the load ledger, the quarantine and the quality gates stay as they are: they write
and check the raw tables in the DuckDB warehouse. This module writes the tables the dbt sources
name (schemas ``raw`` and ``enrich``) from there into a lake folder, one folder per table,
partitioned by load date (``<lake>/raw/web_events/_load_date=2026-11-30/*.parquet``), which
Spark reads as external tables (dbt macro ``register_lake_tables``). So the same landing folder
feeds either engine. A cluster points ``CJM_SPARK_LAKE`` at object storage instead
(``s3a://bucket/cjm``) and copies the folder there.

Each table is written whole into a new folder that then replaces the old one, so Spark never
reads a half-written table. An empty table is written as one empty file in the partition
``_load_date=0001-01-01``, so that Spark still learns its columns.

    python -m orchestration.transform.spark_lake WAREHOUSE LAKE
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import duckdb

# The schemas of the dbt sources (dbt_project/models/staging/*/_*__sources.yml).
SOURCE_SCHEMAS = ("raw", "enrich")
LOAD_DATE_COLUMN = "_load_date"
EMPTY_PARTITION = f"{LOAD_DATE_COLUMN}=0001-01-01"


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def write_lake(warehouse: Path, lake: Path) -> dict[str, int]:
    """Write every source table of ``warehouse`` under ``lake``; rows written per table."""
    written: dict[str, int] = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where schema_name in (select unnest(?)) order by all",
            [list(SOURCE_SCHEMAS)],
        ).fetchall()
        for schema, table in tables:
            written[f"{schema}.{table}"] = write_table(con, schema, table, lake / schema / table)
    return written


def write_table(con: duckdb.DuckDBPyConnection, schema: str, table: str, folder: Path) -> int:
    """One table into ``folder`` (replaced whole), partitioned by the date of ``_loaded_at``."""
    relation = f"{quoted(schema)}.{quoted(table)}"
    columns = [row[0] for row in con.execute(f"select * from {relation} limit 0").description]
    load_date = (
        "cast(_loaded_at as date)" if "_loaded_at" in columns else "cast('0001-01-01' as date)"
    )
    staging = folder.with_name(folder.name + ".writing")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    # COPY answers with the number of rows it wrote: no separate count of the table
    rows = con.execute(
        f"copy (select *, {load_date} as {LOAD_DATE_COLUMN} from {relation}) "
        f"to '{staging}' (format parquet, partition_by ({LOAD_DATE_COLUMN}), overwrite_or_ignore)"
    ).fetchone()[0]
    if not rows:
        (staging / EMPTY_PARTITION).mkdir()
        con.execute(
            f"copy (select * from {relation} limit 0) "
            f"to '{staging / EMPTY_PARTITION / 'empty.parquet'}' (format parquet)"
        )
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)
    return rows


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    for name, rows in write_lake(Path(args[0]), Path(args[1])).items():
        print(f"{name}: {rows} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
