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
    assert "--vars" not in build_args()


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


def test_every_model_and_column_is_described(sample_run, repo_root):
    """dbt docs are only useful when nothing is blank: every model, seed and exposure has a
    description, and every column the warehouse holds is described in the model's YAML."""
    from orchestration.transform.manifest import manifest_path

    manifest = json.loads(manifest_path(repo_root / "dbt_project").read_text())
    nodes = [n for n in manifest["nodes"].values() if n["resource_type"] in ("model", "seed")]
    assert [n["name"] for n in nodes if not n["description"].strip()] == []
    built = {}
    for schema, table, column in sample_run.query(
        "select table_schema, table_name, column_name from information_schema.columns"
        " where table_schema in ('staging', 'intermediate', 'marts', 'journey_map')"
    ):
        built.setdefault((schema, table), set()).add(column)
    undescribed = [
        f"{n['name']}.{column}"
        for n in nodes
        for column in sorted(built.get((n["schema"], n["name"]), set()))
        if not n["columns"].get(column, {}).get("description", "").strip()
    ]
    assert undescribed == []
    exposures = {e["name"]: e for e in manifest["exposures"].values()}
    assert {"published_marts", "journey_report"} <= set(exposures)
    assert all(e["description"].strip() for e in exposures.values())
    marts = {n["name"] for n in nodes if n["schema"] == "marts"}
    published = {ref.split(".")[-1] for ref in exposures["published_marts"]["depends_on"]["nodes"]}
    assert published == marts  # the exposure lists every mart BI reads


def test_make_docs_writes_one_offline_page(sample_run, repo_root, tmp_path):
    """What `make docs` runs: one static page with the lineage, exposures and column types."""
    warehouse = tmp_path / "docs.duckdb"  # dbt opens it for writing: never the shared run's
    shutil.copy(sample_run.warehouse, warehouse)
    target = dbt_target(tmp_path / "target")
    completed = subprocess.run(
        [str(BIN / "dbt"), "docs", "generate", "--static", "--target-path", str(target)],
        cwd=repo_root / "dbt_project",
        env={**os.environ, "CJM_WAREHOUSE": str(warehouse)},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-3000:]
    page = (target / "static_index.html").read_text(encoding="utf-8")
    assert "journey_report" in page and "agg_survey_metrics" in page
    catalog = json.loads((target / "catalog.json").read_text())
    assert "model.customer_journey.agg_nps" in catalog["nodes"]  # column types from DuckDB


def test_merged_column_tests_name_each_column_and_value(sample_run, repo_root, tmp_path):
    """The model-level tests that merge per-column tests (one dbt node each instead of one per
    column) still fail on every bad value, and say which column holds which value."""
    import duckdb

    warehouse = tmp_path / "bad_values.duckdb"
    shutil.copy(sample_run.warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        first, last = con.execute(
            "select min(survey_response_id), max(survey_response_id)"
            " from marts.fct_survey_responses"
        ).fetchone()
        con.execute(
            "update marts.fct_survey_responses set nps_category = 'fan'"
            " where survey_response_id = ?",
            [first],
        )
        con.execute(
            "update marts.fct_survey_responses set nps_score = 11, csat_score = 0"
            " where survey_response_id = ?",
            [last],
        )
        con.execute(
            "insert into intermediate.int_contacts_deduplicated"
            " select * from intermediate.int_contacts_deduplicated order by contact_id limit 1"
        )
    target = dbt_target(tmp_path / "target")
    completed = subprocess.run(
        [str(BIN / "dbt"), "test", "--select", "accepted_values_columns_fct_survey_responses",
         "accepted_range_columns_fct_survey_responses", "unique_columns_int_contacts_deduplicated",
         "--target-path", str(target)],
        cwd=repo_root / "dbt_project",
        env={**os.environ, "CJM_WAREHOUSE": str(warehouse)},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert completed.returncode == 1, completed.stdout[-4000:]
    results = [
        r
        for r in json.loads((target / "run_results.json").read_text())["results"]
        if r["unique_id"].startswith("test.")
    ]
    assert {r["unique_id"].split(".")[2]: r["status"] for r in results} == {
        "accepted_values_columns_fct_survey_responses": "fail",
        "accepted_range_columns_fct_survey_responses": "fail",
        "unique_columns_int_contacts_deduplicated": "fail",
    }
    with duckdb.connect() as con:  # the compiled test names the catalog dbt attaches
        con.execute(f"attach '{warehouse}' as warehouse (read_only)")
        failing = {
            r["unique_id"].split(".")[2]: con.execute(r["compiled_code"] + " order by 1").fetchall()
            for r in results
        }
    assert failing["accepted_values_columns_fct_survey_responses"] == [("nps_category", "fan", 1)]
    assert failing["accepted_range_columns_fct_survey_responses"] == [
        ("csat_score", "0", 1),
        ("nps_score", "11", 1),
    ]
    assert [row[0] for row in failing["unique_columns_int_contacts_deduplicated"]] == [
        "contact_id",
        "contact_id_15",
    ]
