"""dbt-duckdb plugin ``cjm_warehouse``: attaches the warehouse file as the catalog ``warehouse``.

Why not simply ``path: "{{ env_var('CJM_WAREHOUSE') }}"`` in the profile: dbt keeps the
profile's connection fields (path, attach, settings, ...) in the hash that decides whether it
may re-use its saved parse (``profile_hash`` in dbt's partial-parse state check). Each new
warehouse path made dbt parse the whole project again (~6 s of every `cjm run` into a new
warehouse, every test warehouse included). The profile therefore names only fixed values
(an in-memory primary database, the catalog name ``warehouse``, this plugin), and the plugin
reads the path when dbt connects: ``CJM_WAREHOUSE``, else ``../warehouse/cjm.duckdb`` relative
to dbt's working folder (the project folder), as the profile did before.

The catalog name is fixed, so every dbt relation is ``"warehouse".<schema>.<name>``, whatever
the file is called. DuckDB stores a view's references to its own catalog without the catalog
name, so the views dbt creates also bind when the file is opened directly under its own name.

``CJM_WAREHOUSE_READ_ONLY=true`` attaches the file read-only: how ``cjm metrics`` lets MetricFlow
answer from the published marts while BI tools read the same file.

The DuckDB settings of ``orchestration.duckdb_config`` (memory limit, threads, temp directory)
are applied here too, from the same environment variables the ingestion connections read.
Kept free of heavy imports: dbt imports it at every connection.
"""

from __future__ import annotations

import os
from pathlib import Path

from dbt.adapters.duckdb.plugins import BasePlugin

from orchestration.duckdb_config import duckdb_config

CATALOG = "warehouse"
DEFAULT_PATH = "../warehouse/cjm.duckdb"
READ_ONLY = "CJM_WAREHOUSE_READ_ONLY"


def warehouse_file() -> Path:
    return Path(os.environ.get("CJM_WAREHOUSE") or DEFAULT_PATH).resolve()


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class Plugin(BasePlugin):
    def configure_connection(self, conn) -> None:  # noqa: ANN001 (a DuckDBPyConnection)
        path = warehouse_file()
        read_only = os.environ.get(READ_ONLY, "").strip().lower() in ("1", "true", "yes")
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        for name, value in duckdb_config(path).items():
            conn.execute(f"SET {name} = {_literal(str(value))}")
        # Runs before the profile's own `attach` entries: the placeholder entry for this
        # catalog (which only tells dbt-duckdb that the name exists) then finds it attached.
        mode = " (READ_ONLY)" if read_only else ""
        conn.execute(f"ATTACH IF NOT EXISTS {_literal(str(path))} AS {CATALOG}{mode}")
        conn.execute(f"USE {CATALOG}")

    def configure_cursor(self, cursor) -> None:  # noqa: ANN001 (a DuckDBPyConnection)
        # dbt works through cursors, and each DuckDB cursor starts in the default catalog
        # (the in-memory one): unqualified names in hooks and macros must mean the warehouse.
        cursor.execute(f"USE {CATALOG}")
