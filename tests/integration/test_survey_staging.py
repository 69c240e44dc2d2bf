"""Every survey layout through the quality suite and dbt staging: the Qualtrics legacy and 2016
samples, a legacy export with an NPS question and a SurveyMonkey export pass the GX suite, and
staging reads their dates, Status codes and (missing) finished flags."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.ingestion import IngestSettings, ingest_raw_table
from orchestration.quality.gx_suites import run_suite
from tests.conftest import FIXTURES, REPO_ROOT, dbt_target, make_landing

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
FILES = {
    "survey/legacy_sample.csv": FIXTURES / "shared_samples/survey/qualtrics_legacy_v1v10.csv",
    "survey/insights_sample.csv": FIXTURES
    / "shared_samples/survey/qualtrics_2016_insights_comments.csv",
    "survey/same_response_legacy.csv": FIXTURES / "qualtrics/same_response_legacy.csv",
    "survey/customer_feedback.csv": FIXTURES / "surveymonkey/customer_feedback.csv",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    root = tmp_path_factory.mktemp("survey_staging")
    landing = make_landing(root, FILES)
    warehouse = root / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        report = ingest_raw_table(
            con, landing, "survey_responses", IngestSettings(survey_timezone="America/New_York")
        )
        assert {f.status for f in report.files} == {"loaded"}
        suite = run_suite(con, "survey_responses", REPO_ROOT / "expectations")
    completed = subprocess.run(
        [str(BIN / "dbt"), "build", "--select", "stg_survey__responses",
         "--target-path", str(dbt_target(root / "target"))],
        cwd=REPO_ROOT / "dbt_project",
        env={**os.environ, "CJM_WAREHOUSE": str(warehouse), "CJM_DBT_TARGET": "dev"},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    results = json.loads((root / "target" / "run_results.json").read_text())["results"]
    failed = [(r["unique_id"], r["status"], r["message"]) for r in results
              if r["status"] not in ("success", "pass")]  # fmt: skip
    assert completed.returncode == 0, (failed, completed.stdout[-3000:])
    return warehouse, suite


def staged(warehouse: Path, where: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "SELECT response_id, strftime(started_at, '%Y-%m-%d %H:%M:%S'), "
            "strftime(recorded_at, '%Y-%m-%d %H:%M:%S'), nps_score, is_preview, is_finished, "
            f"is_valid_response FROM staging.stg_survey__responses WHERE {where} "
            "ORDER BY _source_file, _source_row"
        ).fetchall()


def test_every_survey_layout_passes_the_quality_suite(built) -> None:
    _, suite = built
    assert suite.rows_checked == 5 + 10 + 1 + 3
    assert [(f.column, f.reason) for f in suite.failures] == []


def test_surveymonkey_dates_and_missing_finished_flag_in_staging(built) -> None:
    warehouse, _ = built
    assert staged(warehouse, "source_format = 'surveymonkey_csv'") == [
        # 10:15 AM and 1:05 PM in New York (EST, UTC-5) are 15:15 and 18:05 UTC
        ("11839205731", "2026-11-30 15:15:00", "2026-11-30 15:19:42", 9, False, True, True),
        ("11839211115", "2026-11-30 18:05:10", "2026-11-30 18:07:00", 3, False, True, True),
        ("11839300042", "2026-12-01 05:03:07", "2026-12-01 05:09:59", 10, False, True, True),
    ]


def test_legacy_status_codes_in_staging(built) -> None:
    warehouse, _ = built
    assert staged(warehouse, "_source_file = 'survey/same_response_legacy.csv'") == [
        ("R_3kTzX8qLmP0aBcD", "2026-11-02 14:15:01", "2026-11-02 14:18:40", 4, False, True, True)
    ]
    samples = staged(warehouse, "_source_file LIKE 'survey/%_sample.csv'")
    assert len(samples) == 15
    # The real samples' responses are Status 2 (Survey Test): flagged, not counted.
    assert {(r[4], r[5], r[6]) for r in samples} == {(True, True, False)}
