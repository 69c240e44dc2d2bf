"""Paths and settings shared by the CLI, the Dagster assets and the tests.

Every setting comes from an environment variable with a default that works on a fresh
clone, so nothing needs editing before the first run:

- ``CJM_LANDING``: folder with the export files (default: the repository's ``seeds/``).
- ``CJM_WAREHOUSE``: the DuckDB file the job writes (default: ``warehouse/cjm.duckdb``).
- ``CJM_PUBLISHED``: the read-only copy of the marts that BI tools open
  (default: ``<warehouse stem>_marts.duckdb`` beside the warehouse).
- ``CJM_DBT_PROJECT_DIR``: the dbt project (default: the repository's ``dbt_project/``).
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import duckdb

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_LANDING = REPO_ROOT / "seeds"
DEFAULT_WAREHOUSE = REPO_ROOT / "warehouse" / "cjm.duckdb"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"


class WarehouseLockedError(RuntimeError):
    """The DuckDB file is held by another process (DuckDB allows one writer per file)."""


def connect_duckdb(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB file; when another process holds it, say who and what to do."""
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as error:
        if "Could not set lock" not in str(error):
            raise
        holder = str(error).split("Conflicting lock is held in", 1)[-1].split(". See", 1)[0]
        raise WarehouseLockedError(
            f"{path} is open in another process ({holder.strip()}); DuckDB allows one writer "
            "per file and a writer blocks readers. Stop that process (another `cjm run`, a run "
            "in `make ui`, a standalone `dbt build`, or a tool that opened this file) and try "
            "again. BI tools should open the published copy (<warehouse>_marts.duckdb) instead."
        ) from error


def dbt_project_dir() -> Path:
    """The dbt project folder, absolute (dagster-dbt breaks seeds with relative paths)."""
    return Path(os.environ.get("CJM_DBT_PROJECT_DIR", REPO_ROOT / "dbt_project")).resolve()


def published_path_for(warehouse: Path) -> Path:
    """Where the BI copy of a warehouse lives unless ``CJM_PUBLISHED`` says otherwise."""
    return warehouse.with_name(f"{warehouse.stem}_marts{warehouse.suffix or '.duckdb'}")


def warehouse_path() -> Path:
    return Path(os.environ.get("CJM_WAREHOUSE", DEFAULT_WAREHOUSE)).resolve()


def landing_path() -> Path:
    return Path(os.environ.get("CJM_LANDING", DEFAULT_LANDING)).resolve()


def published_path() -> Path:
    configured = os.environ.get("CJM_PUBLISHED")
    return Path(configured).resolve() if configured else published_path_for(warehouse_path())


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse, the landing folder it is fed from and the published BI copy.

    DuckDB allows one writer per file: every asset opens its own short-lived connection and
    closes it before the next step (the job runs in-process, one step at a time).
    """

    path: str
    landing_dir: str
    published_path: str

    @classmethod
    def from_env(cls) -> WarehouseResource:
        return cls(
            path=str(warehouse_path()),
            landing_dir=str(landing_path()),
            published_path=str(published_path()),
        )

    def connect(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        path = Path(self.path)
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        return connect_duckdb(path, read_only=read_only)
