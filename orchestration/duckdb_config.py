"""DuckDB settings from environment variables, shared by every connection that writes the
warehouse: the ingestion assets and checks (``resources.connect_duckdb``) and dbt (through the
``cjm_warehouse`` plugin in ``dbt_project/profiles.yml``).

- ``CJM_DUCKDB_MEMORY_LIMIT``: DuckDB's ``memory_limit`` (``3GB``, ``500MB``); DuckDB's default
  is 80% of the machine's memory. Above it, large sorts, joins and aggregates spill to the
  temp directory instead of failing.
- ``CJM_DUCKDB_THREADS``: DuckDB's ``threads`` (default: one per core).
- ``CJM_DUCKDB_TEMP_DIRECTORY``: where DuckDB spills (default: ``<warehouse>.tmp`` beside the
  warehouse, as DuckDB does for a database file).

Kept free of heavy imports: dbt imports it in its own process.
"""

from __future__ import annotations

import os
from pathlib import Path

MEMORY_LIMIT = "CJM_DUCKDB_MEMORY_LIMIT"
THREADS = "CJM_DUCKDB_THREADS"
TEMP_DIRECTORY = "CJM_DUCKDB_TEMP_DIRECTORY"


def _setting(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def duckdb_config(warehouse: Path | None = None) -> dict[str, str | int]:
    """The settings the environment asks for, as a ``duckdb.connect(config=...)`` dict.

    ``warehouse``: the database file; when given, the temp directory defaults to
    ``<warehouse>.tmp`` (DuckDB's own default for a file, which a connection that ATTACHes the
    file, like dbt's, would otherwise not get).
    """
    config: dict[str, str | int] = {}
    memory_limit = _setting(MEMORY_LIMIT)
    if memory_limit:
        config["memory_limit"] = memory_limit
    threads = _setting(THREADS)
    if threads:
        if not threads.isdigit() or int(threads) < 1:
            raise ValueError(f"{THREADS}={threads!r}: give a whole number of threads, 1 or more")
        config["threads"] = int(threads)
    temp_directory = _setting(TEMP_DIRECTORY)
    if temp_directory:
        config["temp_directory"] = str(Path(temp_directory).resolve())
    elif warehouse is not None:
        config["temp_directory"] = str(warehouse) + ".tmp"
    return config
