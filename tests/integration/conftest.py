"""Runs the real Dagster job in-process on real-format exports, with real DuckDB files."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from tests.conftest import REPO_ROOT, SAMPLE_LANDING


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


def run_job(landing: Path, warehouse: Path, engine: str = "duckdb") -> JobRun:
    """Execute the main job exactly as `cjm run` does, against an ephemeral Dagster instance;
    ``engine`` builds the dbt project (``spark``: its folders beside ``warehouse``)."""
    from orchestration.definitions import MAIN_JOB_NAME, build_definitions
    from orchestration.resources import WarehouseResource, published_path_for

    published = published_path_for(warehouse)
    resource = WarehouseResource(
        path=str(warehouse), landing_dir=str(landing), published_path=str(published), engine=engine
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


def shared_sample_run(folder: Path) -> JobRun:
    """The whole job on the bundled sample exports in ``folder``, run once: the first caller
    runs it holding a file lock, later callers (other test processes) wait for the lock and read
    its outcome."""
    folder.mkdir(parents=True, exist_ok=True)
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


def _shared_sample_folder(
    config: pytest.Config, tmp_path_factory: pytest.TempPathFactory | None = None
) -> Path:
    """One folder for the whole `pytest` invocation: under pytest-xdist, the parent of the
    workers' own temporary folders."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return Path(config.option.basetemp).resolve().parent / "sample_run"
    assert tmp_path_factory is not None
    return tmp_path_factory.getbasetemp() / "sample_run"


def pytest_collection_finish(session: pytest.Session) -> None:
    """Under pytest-xdist, the first worker to finish collecting starts the shared sample run in
    a process of its own, so that it builds while the workers run tests that do not need it;
    otherwise one worker builds it on first use while the other, needing it too, waits idle."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    if not any("sample_run" in getattr(item, "fixturenames", ()) for item in session.items):
        return
    folder = _shared_sample_folder(session.config)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        (folder / ".started").touch(exist_ok=False)
    except FileExistsError:  # another worker started it
        return
    with (folder / "build.log").open("w") as log:
        subprocess.Popen(
            [sys.executable, "-c",
             "import sys, pathlib; from tests.integration.conftest import shared_sample_run;"
             " shared_sample_run(pathlib.Path(sys.argv[1]))", str(folder)],
            cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip


@pytest.fixture(scope="session")
def sample_run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> JobRun:
    """The whole job on the bundled sample exports (seeds/), once per `pytest` invocation.

    pytest-xdist workers share it: it is started in the background as collection ends (see
    ``pytest_collection_finish``), or run by the first test process that needs it; the others
    wait for it (a file lock) and read its outcome. Tests only read its files; a test that
    changes a warehouse works on a copy."""
    return shared_sample_run(_shared_sample_folder(request.config, tmp_path_factory))


def copy_landing(target: Path) -> Path:
    """A private copy of the sample landing folder that a test may corrupt."""
    shutil.copytree(SAMPLE_LANDING, target, ignore=shutil.ignore_patterns("truth.json"))
    return target
