"""Start-up and configuration that keep runs fast: the prepared dbt manifest, dbt's parse re-used
for any warehouse path, and the DuckDB settings from the environment (issue 9, items 4 and 5)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.resources import connect_duckdb
from orchestration.transform import manifest
from tests.conftest import dbt_target

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent


def _dbt_events(log: Path) -> list[str]:
    """Names of the structured events in a dbt.log written with DBT_LOG_FORMAT=json."""
    return [json.loads(line)["info"]["name"] for line in log.read_text().splitlines() if line]


def test_dbt_build_reuses_the_prepared_parse_for_a_new_warehouse(sample_run, repo_root):
    """The sample run writes a warehouse in a fresh temp folder; dbt must still skip parsing
    (the warehouse path is not part of the profile fields dbt hashes)."""
    run_id = sample_run.run_id
    folders = list((repo_root / "dbt_project" / "target").glob(f"dbt_build-{run_id[:7]}-*"))
    assert len(folders) == 1, folders
    # dbt rotates its log (dbt.log.1, ...) once it grows past its size limit
    events = [event for log in sorted(folders[0].glob("dbt.log*")) for event in _dbt_events(log)]
    assert "UnableToPartialParse" not in events
    assert "PartialParsingEnabled" in events or "PartialParsingSkipParsing" in events


def test_duckdb_settings_reach_ingestion_and_dbt(tmp_path, monkeypatch, repo_root):
    warehouse = tmp_path / "settings.duckdb"
    spill = tmp_path / "spill"
    monkeypatch.setenv("CJM_DUCKDB_MEMORY_LIMIT", "700MB")
    monkeypatch.setenv("CJM_DUCKDB_THREADS", "1")
    monkeypatch.setenv("CJM_DUCKDB_TEMP_DIRECTORY", str(spill))
    settings = (
        "current_setting('memory_limit') as memory_limit, current_setting('threads') as threads,"
        " current_setting('temp_directory') as temp_directory"
    )
    with connect_duckdb(warehouse) as con:
        ingestion = con.execute(f"select {settings}").fetchall()[0]
    assert ingestion == ("667.5 MiB", 1, str(spill))

    completed = subprocess.run(
        [str(BIN / "dbt"), "show", "--inline",
         f"select {settings}, current_database() as catalog,"
         " (select path from duckdb_databases() where database_name = 'warehouse') as path",
         "--output", "json", "-q", "--target-path", str(dbt_target(tmp_path / "target"))],
        cwd=repo_root / "dbt_project",
        env={**os.environ, "CJM_WAREHOUSE": str(warehouse)},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    (row,) = json.loads(completed.stdout)["show"]
    assert row == {
        "memory_limit": "667.5 MiB",
        "threads": 1,
        "temp_directory": str(spill),
        "catalog": "warehouse",
        "path": str(warehouse),
    }


def test_the_manifest_is_prepared_again_only_when_the_project_changed(tmp_path, repo_root, capfd):
    """A copy of the project with its prepared manifest is current; a new model makes it stale,
    and ensure_manifest prepares it again (real `dbt parse`), saying so on stderr."""
    source = repo_root / "dbt_project"
    project = tmp_path / "dbt_project"
    shutil.copytree(source, project, ignore=shutil.ignore_patterns("target*", "logs"))
    (project / "target").mkdir()
    for name in ("manifest.json", manifest.STATE_FILE):
        shutil.copy(source / "target" / name, project / "target" / name)
    assert manifest.is_current(project)
    assert manifest.ensure_manifest(project) == project / "target" / "manifest.json"
    assert capfd.readouterr().err == ""  # nothing prepared

    (project / "models" / "cjm_probe.sql").write_text("select 1 as probe\n")
    assert not manifest.is_current(project)
    path = manifest.ensure_manifest(project)
    assert "dbt project changed since its manifest was prepared" in capfd.readouterr().err
    assert "model.customer_journey.cjm_probe" in json.loads(path.read_text())["nodes"]
    assert manifest.is_current(project)
