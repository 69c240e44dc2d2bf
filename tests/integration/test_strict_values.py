"""The same texts through dbt: staging never rounds or silently drops a value, and every cast
in staging has a `cast_is_exact` test that fails on a value it could not read.

One `dbt build` of the staging models on a temporary warehouse whose raw tables were created by
ingestion from the contract alone (schema.py / specs.RAW_TABLES): that the staging models build
there also proves they read no column outside the contract.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.comments.store import ensure_enrich_tables
from orchestration.ingestion import RAW_TABLES, IngestSettings, ingest_raw_table
from orchestration.ingestion.schema import LINEAGE_COLUMNS, names, quote_ident
from tests.conftest import FIXTURES, dbt_target, make_landing
from tests.unit.test_strict_parsing import _cast_tests

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
BAD = "#not-a-value#"
_LINEAGE = set(names(LINEAGE_COLUMNS))


def _seeded_question_keys() -> list[str]:
    """The answers_json keys that dbt seed survey_questions reads (CSAT, CES, ...)."""
    seed = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "survey_questions.csv"
    with seed.open(newline="", encoding="utf-8") as handle:
        return sorted({row["question_key"] for row in csv.DictReader(handle)})


def _plant_unreadable_row(con: duckdb.DuckDBPyConnection, raw_table: str) -> None:
    """One row whose every text column (GA4 parameters included) holds BAD."""
    columns = con.execute(
        "select column_name, data_type from information_schema.columns"
        " where table_schema = 'raw' and table_name = ?",
        [raw_table],
    ).fetchall()
    values = {"_load_id": "'planted'", "_source_file": "'planted'", "_source_row": "1"}
    for name, data_type in columns:
        if name in _LINEAGE:
            continue
        if name == "answers_json":  # JSON by contract: every question the seed names is BAD
            values[name] = f"'{json.dumps(dict.fromkeys(_seeded_question_keys(), BAD))}'"
        elif data_type == "VARCHAR":
            values[name] = f"'{BAD}'"
        elif name == "event_params":
            keys = ["ga_session_id", "ga_session_number", "engagement_time_msec", "session_engaged"]
            params = ", ".join(
                f"{{'key': '{k}', 'value': {{'string_value': '{BAD}'}}}}" for k in keys
            )
            values[name] = f"[{params}]"
        elif name == "ecommerce":
            values[name] = f"{{'purchase_revenue': '{BAD}'}}"
    column_list = ", ".join(quote_ident(c) for c in values)
    con.execute(
        f"insert into raw.{quote_ident(raw_table)} ({column_list}, _loaded_at)"
        f" values ({', '.join(values.values())}, now())"
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("strict")
    landing = make_landing(
        root, {"survey/strict_values.csv": FIXTURES / "qualtrics" / "strict_values.csv"}
    )
    warehouse = root / "w.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        for raw_table in RAW_TABLES:  # tables without files: created empty from the contract
            ingest_raw_table(con, landing, raw_table, IngestSettings())
            _plant_unreadable_row(con, raw_table)
        ensure_enrich_tables(con)  # written by the comment scoring asset, empty here
    completed = subprocess.run(
        [str(BIN / "dbt"), "build", "--select", "+staging", "--indirect-selection", "cautious",
         "--target-path", str(dbt_target(root / "target"))],
        cwd=Path(__file__).resolve().parents[2] / "dbt_project",
        env={**os.environ, "CJM_WAREHOUSE": str(warehouse), "CJM_DBT_TARGET": "dev"},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    results = json.loads((root / "target" / "run_results.json").read_text())["results"]
    # unique ids: model.<project>.<name>, test.<project>.<name>[.<hash>],
    # unit_test.<project>.<model>.<name>
    nodes = {r["unique_id"].split(".")[2]: r for r in results if r["unique_id"][:5] != "unit_"}
    units = {r["unique_id"].split(".")[3]: r for r in results if r["unique_id"][:5] == "unit_"}
    return warehouse, completed, nodes, units


def test_staging_models_build_on_the_contract_columns_alone(built):
    _, completed, results, _ = built
    models = {k: r for k, r in results.items() if r["unique_id"].startswith("model.")}
    assert len(models) >= 7, completed.stdout[-3000:]
    assert all(r["status"] == "success" for r in models.values()), completed.stdout[-3000:]


def test_every_cast_is_exact_test_fails_on_an_unreadable_value(built):
    _, completed, results, _ = built
    assert completed.returncode != 0  # failing tests fail the build
    for model, column in _cast_tests():
        result = results[f"cast_is_exact_{model}_{column}"]
        assert result["status"] == "fail", (model, column, result["status"])
        assert result["failures"] >= 1


def test_survey_texts_give_the_documented_outcome(built):
    warehouse, _, results, _ = built
    # NPS '7.5', 'abc' and the planted row are unreadable; ' 8 ', '8.0', '' and '11' are read
    assert results["cast_is_exact_stg_survey__responses_nps_score"]["failures"] == 3
    assert results["cast_is_exact_stg_survey__responses_progress_percent"]["failures"] == 2
    assert results["cast_is_exact_stg_survey__responses_recorded_at"]["failures"] == 2
    assert results["cast_is_exact_stg_survey__responses_csat_score"]["failures"] == 1
    # out of scale values are read as they are and fail the range tests (error severity)
    nps_range = results["accepted_range_stg_survey__responses_nps_score__10__0"]
    assert (nps_range["status"], nps_range["failures"]) == ("fail", 1)
    csat_range = results["accepted_range_stg_survey__responses_csat_score__5__1"]
    assert (csat_range["status"], csat_range["failures"]) == ("fail", 2)

    with duckdb.connect(str(warehouse), read_only=True) as con:
        staged = dict(
            con.execute(
                "select response_id, nps_score from staging.stg_survey__responses"
                " where response_id like 'R_Strict%'"
            ).fetchall()
        )
    assert staged["R_StrictOk0000001"] == 9
    assert staged["R_StrictHalf00001"] is None  # never 8
    assert staged["R_StrictEleven001"] == 11
    assert staged["R_StrictSpaces001"] == 8
    assert staged["R_StrictZeroFrac1"] == 8
    assert staged["R_StrictEmpty0001"] is None
    assert staged["R_StrictAbc000001"] is None


def test_the_staging_unit_tests_still_pass(built):
    _, _, _, units = built
    assert len(units) >= 2, "no dbt unit tests of staging models ran"
    assert all(r["status"] == "pass" for r in units.values()), {
        k: (r["status"], r.get("message")) for k, r in units.items()
    }
