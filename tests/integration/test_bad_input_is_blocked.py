"""A corrupted export fails its Great Expectations check, blocks the build and the publish step,
lands in quarantine with file, row and column, and leaves the published marts untouched."""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
from pathlib import Path

import pytest

from orchestration.ingestion import RAW_TABLES
from tests.integration.conftest import copy_landing, run_job

pytestmark = pytest.mark.slow

SURVEY = "survey/post_interaction_nps.csv"


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _corrupt_survey(path) -> dict[str, int]:
    """Put an NPS of 42 and an unreadable RecordedDate into two responses; return their rows."""
    text = path.read_text(encoding="utf-8-sig")
    records = list(csv.reader(io.StringIO(text)))
    header = records[0]
    group = next(h for h in header if h.endswith("_NPS_GROUP"))
    nps_column = header.index(group.removesuffix("_NPS_GROUP"))
    recorded = header.index("RecordedDate")
    records[5][nps_column] = "42"
    records[8][recorded] = "gestern, 14 Uhr"
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(records)
    path.write_text(out.getvalue(), encoding="utf-8")
    # spreadsheet rows: header rows count, 1-based
    return {"nps": 6, "recorded": 9}


def _copy_of_the_sample_warehouse(sample_run, tmp_path):
    """The sample run's warehouse and published marts, copied where a test may change them."""
    warehouse = tmp_path / "wh" / "cjm.duckdb"
    warehouse.parent.mkdir()
    shutil.copy(sample_run.warehouse, warehouse)
    published = warehouse.with_name("cjm_marts.duckdb")
    shutil.copy(sample_run.published, published)
    return warehouse, published


def test_corrupted_export_blocks_build_and_keeps_published_marts(sample_run, tmp_path):
    landing = copy_landing(tmp_path / "landing")
    warehouse, published = _copy_of_the_sample_warehouse(sample_run, tmp_path)
    published_before = _sha(published)
    original = (landing / SURVEY).read_bytes()
    rows = _corrupt_survey(landing / SURVEY)

    failed = run_job(landing, warehouse)

    assert not failed.result.success
    evaluations = {e.check_name: e for e in failed.result.get_asset_check_evaluations()}
    assert evaluations["gx_survey_responses"].passed is False
    assert evaluations["gx_crm_contacts"].passed is True
    # nothing downstream of the failed check ran, and BI still sees the last good marts
    materialized = {
        e.asset_key.to_user_string()
        for e in failed.result.get_asset_materialization_events()
        if e.asset_key is not None
    }
    assert "bi/published_marts" not in materialized
    assert "bi/journey_report" not in materialized  # the last good page stays too
    assert not any(key.startswith("marts/") for key in materialized)
    assert _sha(published) == published_before

    quarantined = failed.query(
        "select source_file, source_row, column_name, reason from ops.quarantine"
        " where check_name = 'gx_survey_responses' order by source_row"
    )
    assert (SURVEY, rows["nps"], "nps_score") in [q[:3] for q in quarantined]
    assert (SURVEY, rows["recorded"], "recorded_at_local") in [q[:3] for q in quarantined]
    reasons = " ".join(q[3] for q in quarantined)
    assert "between 0 and 10" in reasons
    assert "gestern, 14 Uhr" in reasons
    assert "same name" in reasons  # says what to do

    # the run's validation page lists every suite, the failed expectations and the bad rows
    page_path = evaluations["gx_survey_responses"].metadata["validation_results"].path
    page = Path(page_path).read_text(encoding="utf-8")
    assert f"Validation results of run {failed.run_id}" in page
    assert page.count("<section") == len(RAW_TABLES)
    assert "raw.survey_responses: " in page and "FAILED: " in page
    assert f"{SURVEY} row {rows['nps']}" in page
    assert Path(page_path).with_name("latest.html").read_text(encoding="utf-8") == page

    # The corrected file delivered again replaces the bad copy and the run goes through.
    (landing / SURVEY).write_bytes(original)
    fixed = run_job(landing, warehouse)

    assert fixed.result.success
    assert (
        fixed.scalar("select count(*) from ops.quarantine where check_name = 'gx_survey_responses'")
        == 0
    )
    assert _sha(published) != published_before
    assert fixed.query(
        "select * from marts.agg_nps order by all", published=True
    ) == sample_run.query("select * from marts.agg_nps order by all", published=True)


def test_a_failing_dbt_test_blocks_publishing(sample_run, tmp_path, repo_root):
    """A journey-map rule pointing at a touchpoint that does not exist fails a dbt test: the run
    fails and BI keeps the last good marts. Runs `cjm run` as users do, on a copy of the dbt
    project (CJM_DBT_PROJECT_DIR) so the repository's seeds stay untouched."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    project = tmp_path / "dbt_project"
    shutil.copytree(
        repo_root / "dbt_project", project, ignore=shutil.ignore_patterns("target*", "logs")
    )
    with (project / "seeds" / "touchpoint_rules.csv").open("a", encoding="utf-8") as rules:
        rules.write("w99,web,page_path,prefix,/webinar,webinar,20,Rule without its touchpoint,,\n")
    warehouse, published = _copy_of_the_sample_warehouse(sample_run, tmp_path)
    before = _sha(published)

    completed = subprocess.run(
        [str(Path(sys.executable).with_name("cjm")), "run", "--landing", str(sample_run.landing),
         "--warehouse", str(warehouse)],
        env={**os.environ, "CJM_DBT_PROJECT_DIR": str(project),
             "DAGSTER_HOME": str(tmp_path / "dagster_home")},
        capture_output=True, text=True, check=False,
    )  # fmt: skip

    assert completed.returncode == 1, completed.stdout[-3000:]
    assert "relationships_touchpoint_rules_touchpoint_id" in completed.stdout
    assert "Nothing was published" in completed.stderr
    assert _sha(published) == before
