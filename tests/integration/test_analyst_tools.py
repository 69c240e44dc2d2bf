"""What analysts run by hand: `dbt build` from dbt_project/ (`sqlfluff lint` runs in `make lint`,
which CI runs before the tests)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import dbt_target

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent


def test_dbt_build_runs_standalone_from_the_project_folder(sample_run, repo_root, tmp_path):
    warehouse = tmp_path / "analyst.duckdb"
    shutil.copy(sample_run.warehouse, warehouse)
    completed = subprocess.run(
        [str(BIN / "dbt"), "build", "--target-path", str(dbt_target(tmp_path / "target"))],
        cwd=repo_root / "dbt_project",
        env={**os.environ, "CJM_WAREHOUSE": str(warehouse)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-4000:]
    assert "ERROR=0" in completed.stdout


def test_warnings_become_errors_with_cjm_warnings_block(repo_root, tmp_path, monkeypatch):
    """CJM_WARNINGS_BLOCK=true: `cjm run` passes a dbt var that turns every warn-only test into
    an error-level test, so that such a test stops the run before publishing."""
    from orchestration.transform import build_args

    monkeypatch.setenv("CJM_WARNINGS_BLOCK", "true")
    args = build_args()
    assert args[0] == "build"
    target = dbt_target(tmp_path / "target")
    completed = subprocess.run(
        [str(BIN / "dbt"), "ls", *args[1:], "--resource-type", "test", "--output", "json",
         "--output-keys", "name config", "--target-path", str(target), "-q"],
        cwd=repo_root / "dbt_project",
        env={**os.environ, "CJM_WAREHOUSE": str(tmp_path / "unused.duckdb")},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-4000:]
    tests = [json.loads(line) for line in completed.stdout.splitlines() if line.startswith("{")]
    # a contact whose account is not in the export only warns by default (staging/crm YAML)
    warn_only = [t for t in tests if t["name"].startswith("relationships_stg_crm__contacts_acc")]
    assert warn_only, [t["name"] for t in tests if t["name"].startswith("relationships_")]
    assert {t["config"]["severity"].lower() for t in warn_only} == {"error"}
    monkeypatch.delenv("CJM_WARNINGS_BLOCK")
    assert build_args() == ["build"]
