"""Runs the real Dagster job in-process on real-format exports, with real DuckDB files."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from tests.conftest import SAMPLE_LANDING


@dataclass
class JobRun:
    landing: Path
    warehouse: Path
    published: Path
    result: dg.ExecuteInProcessResult

    def query(self, sql: str, params: list | None = None, published: bool = False) -> list[tuple]:
        path = self.published if published else self.warehouse
        with duckdb.connect(str(path), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def scalar(self, sql: str, params: list | None = None, published: bool = False):
        return self.query(sql, params, published)[0][0]


def run_job(landing: Path, warehouse: Path) -> JobRun:
    """Execute the main job exactly as `cjm run` does, against an ephemeral Dagster instance."""
    from orchestration.definitions import MAIN_JOB_NAME, build_definitions
    from orchestration.resources import WarehouseResource, published_path_for

    published = published_path_for(warehouse)
    resource = WarehouseResource(
        path=str(warehouse), landing_dir=str(landing), published_path=str(published)
    )
    job = build_definitions(resource).resolve_job_def(MAIN_JOB_NAME)
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(
            instance=instance, raise_on_error=False, run_config={"loggers": {"progress": {}}}
        )
    return JobRun(landing=landing, warehouse=warehouse, published=published, result=result)


@pytest.fixture(scope="session")
def truth() -> dict:
    return json.loads((SAMPLE_LANDING / "truth.json").read_text())


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> JobRun:
    """The whole job on the bundled sample exports (seeds/), once per test session."""
    warehouse = tmp_path_factory.mktemp("sample") / "cjm.duckdb"
    return run_job(SAMPLE_LANDING, warehouse)


def copy_landing(target: Path) -> Path:
    """A private copy of the sample landing folder that a test may corrupt."""
    shutil.copytree(SAMPLE_LANDING, target, ignore=shutil.ignore_patterns("truth.json"))
    return target
