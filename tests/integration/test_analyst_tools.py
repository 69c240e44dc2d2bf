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
    """A standalone `dbt build` passes, and it is where the dbt unit tests run (the job leaves
    them out): every unit test of the project ran and passed."""
    warehouse = tmp_path / "analyst.duckdb"
    shutil.copy(sample_run.warehouse, warehouse)
    target = dbt_target(tmp_path / "target")
    completed = subprocess.run(
        [str(BIN / "dbt"), "build", "--target-path", str(target)],
        cwd=repo_root / "dbt_project",
        env={**os.environ, "CJM_WAREHOUSE": str(warehouse)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-4000:]
    assert "ERROR=0" in completed.stdout
    manifest = json.loads((target / "manifest.json").read_text())
    results = json.loads((target / "run_results.json").read_text())["results"]
    unit_results = {
        r["unique_id"]: r["status"] for r in results if r["unique_id"].startswith("unit_test.")
    }
    assert set(unit_results) == set(manifest["unit_tests"]) and len(unit_results) > 10
    assert set(unit_results.values()) == {"pass"}


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


def test_not_null_columns_names_each_column_with_nulls(sample_run, repo_root, tmp_path):
    """The model-level not_null_columns test (one scan for all required columns) fails on a
    NULL and says which column holds how many."""
    import duckdb

    warehouse = tmp_path / "nulls.duckdb"
    shutil.copy(sample_run.warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "update marts.fct_survey_responses set survey_name = null, is_preview = null"
            " where survey_response_id in"
            " (select survey_response_id from marts.fct_survey_responses order by 1 limit 3)"
        )
    target = dbt_target(tmp_path / "target")
    completed = subprocess.run(
        [str(BIN / "dbt"), "test", "--select", "fct_survey_responses,test_name:not_null_columns",
         "--target-path", str(target)],
        cwd=repo_root / "dbt_project",
        env={**os.environ, "CJM_WAREHOUSE": str(warehouse)},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert completed.returncode == 1, completed.stdout[-4000:]
    assert "Got 2 results" in completed.stdout
    [failure] = [
        r for r in json.loads((target / "run_results.json").read_text())["results"]
        if r["status"] == "fail"
    ]  # fmt: skip
    with duckdb.connect() as con:  # the compiled test names the catalog dbt attaches
        con.execute(f"attach '{warehouse}' as warehouse (read_only)")
        failing = con.execute(failure["compiled_code"] + " order by 1").fetchall()
    assert failing == [("is_preview", 3), ("survey_name", 3)]
