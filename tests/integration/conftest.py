"""Runs the real Dagster job in-process on real-format exports, with real DuckDB files."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from tests.conftest import SAMPLE_LANDING


@dataclass(frozen=True)
class CheckOutcome:
    """One asset check evaluation of a run, as plain values (kept across test processes)."""

    asset_key: str
    check_name: str
    passed: bool
    severity: str


@dataclass
class JobRun:
    landing: Path
    warehouse: Path
    published: Path
    success: bool
    run_id: str
    checks: list[CheckOutcome] = field(default_factory=list)
    # asset key -> its materialization metadata, values as text (paths, numbers, markdown)
    materialized: dict[str, dict[str, str]] = field(default_factory=dict)
    # Dagster's own result; None for the shared sample run when another test process ran it
    result: dg.ExecuteInProcessResult | None = None

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
    checks = [
        CheckOutcome(e.asset_key.to_user_string(), e.check_name, e.passed, e.severity.value)
        for e in result.get_asset_check_evaluations()
    ]
    materialized = {
        e.asset_key.to_user_string(): {
            key: str(getattr(value, "value", value))
            for key, value in e.materialization.metadata.items()
        }
        for e in result.get_asset_materialization_events()
        if e.asset_key is not None
    }
    return JobRun(
        landing, warehouse, published, result.success, result.run_id, checks, materialized, result
    )


@pytest.fixture(scope="session")
def truth() -> dict:
    return json.loads((SAMPLE_LANDING / "truth.json").read_text())


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> JobRun:
    """The whole job on the bundled sample exports (seeds/), once per `pytest` invocation.

    pytest-xdist workers share it: the first worker that needs it runs the job, the others wait
    for it (a file lock) and read its outcome. Tests only read its files; a test that changes a
    warehouse works on a copy."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = shared / "sample_run"
    folder.mkdir(exist_ok=True)
    outcome = folder / "outcome.json"
    with (folder / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not outcome.exists():
            run = run_job(SAMPLE_LANDING, folder / "cjm.duckdb")
            saved = {"success": run.success, "run_id": run.run_id}
            saved["checks"] = [asdict(check) for check in run.checks]
            saved["materialized"] = run.materialized
            outcome.write_text(json.dumps(saved), encoding="utf-8")
            return run
    saved = json.loads(outcome.read_text(encoding="utf-8"))
    warehouse = folder / "cjm.duckdb"
    from orchestration.resources import published_path_for

    return JobRun(
        SAMPLE_LANDING,
        warehouse,
        published_path_for(warehouse),
        saved["success"],
        saved["run_id"],
        [CheckOutcome(**check) for check in saved["checks"]],
        saved["materialized"],
    )


def copy_landing(target: Path) -> Path:
    """A private copy of the sample landing folder that a test may corrupt."""
    shutil.copytree(SAMPLE_LANDING, target, ignore=shutil.ignore_patterns("truth.json"))
    return target
