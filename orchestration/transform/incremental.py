"""When the main job's ``dbt build`` rebuilds the incremental models in full.

The incremental models (``dbt_project/macros/incremental.sql``) are built in full
(``dbt build --full-refresh``) when

- the user asks: ``cjm run --full-refresh``, or ``CJM_FULL_REFRESH=true`` for a job started
  another way (Dagster UI, schedule, sensor);
- the warehouse holds the table of an incremental model whose columns are not the ones the
  model documents: a warehouse built before the model became incremental (no partition
  columns), or before a column was added or removed. Building such a table incrementally would
  keep its old rows beside new rows of another shape (dbt's ``on_schema_change='fail'`` would
  stop the run instead). On Spark (``CJM_ENGINE=spark``), the models partitioned by day are
  Parquet tables partitioned by ``_partition_date``: a table of such a model in the Spark
  warehouse folder that is not partitioned that way (built before they became incremental on
  Spark) or has other columns is rebuilt in full likewise. Checked where that folder is on this
  machine; on a cluster, dbt's schema check stops the run and ``--full-refresh`` is the remedy.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

FULL_REFRESH = "CJM_FULL_REFRESH"


def full_refresh_requested() -> bool:
    """CJM_FULL_REFRESH=true (what ``cjm run --full-refresh`` sets)."""
    return os.environ.get(FULL_REFRESH, "").strip().lower() in ("1", "true", "yes")


def _incremental_nodes(manifest_path: Path) -> dict[tuple[str, str], dict]:
    """(schema, table) of every incremental model of the prepared manifest, with its node."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    return {
        (node["schema"], node["alias"] or node["name"]): node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get("materialized") == "incremental"
    }


def incremental_models(manifest_path: Path) -> dict[tuple[str, str], set[str]]:
    """(schema, table) of every incremental model of the prepared manifest, with the columns
    its YAML documents (lower case; every column of a model is documented, see STYLE.md)."""
    return {
        table: {name.lower() for name in node["columns"]}
        for table, node in _incremental_nodes(manifest_path).items()
    }


def partition_columns(manifest_path: Path) -> dict[tuple[str, str], str]:
    """(schema, table) of every model incremental by partition (macros/incremental.sql), with
    the column that holds its partition (the model's unique_key: ``_partition_date``, or a
    subject such as ``customer_id``)."""
    return {
        table: node["config"]["unique_key"]
        for table, node in _incremental_nodes(manifest_path).items()
        if isinstance(node["config"].get("unique_key"), str)
    }


def tables_out_of_date(warehouse: Path, manifest_path: Path) -> list[str]:
    """Incremental models whose table in ``warehouse`` has other columns than the model's."""
    if not warehouse.exists():
        return []
    from orchestration.resources import connect_duckdb

    models = incremental_models(manifest_path)
    if not models:
        return []
    with connect_duckdb(warehouse) as con:
        rows = con.execute(
            "select table_schema, table_name, lower(column_name)"
            " from information_schema.columns where table_catalog = current_database()"
        ).fetchall()
    built: dict[tuple[str, str], set[str]] = {}
    for schema, table, column in rows:
        built.setdefault((schema, table), set()).add(column)
    return [
        f"{schema}.{table}"
        for (schema, table), columns in sorted(models.items())
        if (schema, table) in built and built[(schema, table)] != columns
    ]


# The column a model partitioned by day is partitioned by (macros/incremental.sql); the models
# partitioned by subject are plain tables on Spark, rebuilt in full by every run.
DAY_PARTITION = "_partition_date"


def spark_tables_out_of_date(tables: Path, manifest_path: Path) -> list[str]:
    """Models partitioned by day whose Parquet table under ``tables`` (Spark's warehouse
    folder, ``<schema>.db/<table>``) is not partitioned by ``_partition_date`` or has other
    columns than the model's."""
    import duckdb

    outdated = []
    with duckdb.connect() as con:
        for (schema, table), columns in sorted(incremental_models(manifest_path).items()):
            folder = tables / f"{schema}.db" / table
            if DAY_PARTITION not in columns or not any(folder.glob("**/*.parquet")):
                continue
            built = {
                row[0].lower()
                for row in con.execute(
                    "select * from read_parquet(?, hive_partitioning = true) limit 0",
                    [str(folder / "**" / "*.parquet")],
                ).description
            }
            if not any(folder.glob(f"{DAY_PARTITION}=*")) or built != columns:
                outdated.append(f"{schema}.{table}")
    return outdated
