"""What analysts run by hand: `dbt build` from dbt_project/ and `sqlfluff lint`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent


def test_dbt_build_runs_standalone_from_the_project_folder(sample_run, repo_root, tmp_path):
    warehouse = tmp_path / "analyst.duckdb"
    shutil.copy(sample_run.warehouse, warehouse)
    completed = subprocess.run(
        [str(BIN / "dbt"), "build", "--target-path", str(tmp_path / "target")],
        cwd=repo_root / "dbt_project",
        env={**os.environ, "CJM_WAREHOUSE": str(warehouse)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-4000:]
    assert "ERROR=0" in completed.stdout


def test_sqlfluff_lint_is_clean(repo_root):
    completed = subprocess.run(
        [str(BIN / "sqlfluff"), "lint", "models", "macros", "tests"],
        cwd=repo_root / "dbt_project",
        env={**os.environ, "DBT_TARGET_PATH": "target_lint"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-4000:]
