"""When the main job's ``dbt build`` rebuilds the incremental models in full.

The web models are incremental by export day (``dbt_project/macros/incremental.sql``). They are
built in full (``dbt build --full-refresh``) when

- the user asks: ``cjm run --full-refresh``, or ``CJM_FULL_REFRESH=true`` for a job started
  another way (Dagster UI, schedule, sensor);
- the warehouse holds a table of an incremental model without the partition columns, as a
  warehouse built before the model became incremental does: adding partitions to such a table
  would keep its old rows beside the new ones.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

FULL_REFRESH = "CJM_FULL_REFRESH"
PARTITION_COLUMN = "_partition_signature"


def full_refresh_requested() -> bool:
    """CJM_FULL_REFRESH=true (what ``cjm run --full-refresh`` sets)."""
    return os.environ.get(FULL_REFRESH, "").strip().lower() in ("1", "true", "yes")


def incremental_models(manifest_path: Path) -> list[tuple[str, str]]:
    """(schema, table) of every incremental model of the prepared manifest."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    return sorted(
        (node["schema"], node["alias"] or node["name"])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get("materialized") == "incremental"
    )


def tables_without_partitions(warehouse: Path, manifest_path: Path) -> list[str]:
    """Incremental models whose table in ``warehouse`` lacks the partition columns."""
    if not warehouse.exists():
        return []
    from orchestration.resources import connect_duckdb

    models = incremental_models(manifest_path)
    if not models:
        return []
    with connect_duckdb(warehouse) as con:
        rows = con.execute(
            "select table_schema, table_name, count(*) filter (where column_name = ?)"
            " from information_schema.columns where table_catalog = current_database()"
            " group by table_schema, table_name",
            [PARTITION_COLUMN],
        ).fetchall()
    found = {(schema, table): has for schema, table, has in rows}
    return [f"{schema}.{table}" for schema, table in models if found.get((schema, table)) == 0]
