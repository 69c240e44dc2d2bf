"""dbt tests on the incremental web models read only the rows no passing build has tested, and
still catch a bad row that arrives in an incremental run, until it is corrected.

Real-format GA4 days of the bundled sample arrive one after another into a real DuckDB
warehouse and the web models are built incrementally with `dbt build` (models and their data
tests). The tests marked `__untested_rows__` (README "dbt tests that scale") must fail on a
bad event of the newest day, keep failing when the next good day arrives (a filter on "this
invocation's rows" would forget the bad row there and let it through), pass once the day is
exported again corrected, and leave alone rows a passing build has already tested."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO_ROOT, dbt_target, make_landing
from tests.integration.test_incremental import ingest, ndjson, sample_day

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
LEDGER = "ops.dbt_tested_invocations"
MODELS = ("stg_web__events", "int_web_events_sessionized")
NOT_NULL = "not_null_columns_stg_web__events_event_id__user_pseudo_id__event_name__event_at"


def dbt_results(warehouse: Path, target: Path, *args: str) -> dict[str, dict]:
    """A dbt command on ``warehouse``; the results of its data tests and models by node name
    (not the hooks)."""
    subprocess.run(
        [str(BIN / "dbt"), *args, "--target-path", str(dbt_target(target))],
        cwd=REPO_ROOT / "dbt_project",
        env={**os.environ, "CJM_WAREHOUSE": str(warehouse), "CJM_DBT_TARGET": "dev"},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    results = json.loads((target / "run_results.json").read_text())["results"]
    return {
        r["unique_id"].split(".")[2]: r
        for r in results
        if r["unique_id"].startswith(("test.", "model.", "seed."))
    }


def build(warehouse: Path, target: Path) -> dict[str, dict]:
    """dbt build of the web models and their tests; the results by node name."""
    return dbt_results(
        warehouse, target, "build", "--select", "+int_web_events_sessionized",
        "--indirect-selection", "cautious", "--exclude", "test_type:unit",
    )  # fmt: skip


def failed(results: dict[str, dict]) -> dict[str, int]:
    return {name: r["failures"] for name, r in results.items() if r["status"] in ("fail", "error")}


def invocations_recorded(warehouse: Path) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return dict(con.execute(f"select model_name, count(*) from {LEDGER} group by 1").fetchall())


def with_unreadable_time(events: list[dict]) -> list[dict]:
    """The events with the third one's event_timestamp made unreadable."""
    changed = [json.loads(json.dumps(event)) for event in events]
    changed[2]["event_timestamp"] = "gestern 14 Uhr"
    return changed


def test_a_bad_row_of_an_incremental_run_is_caught_until_corrected(tmp_path: Path) -> None:
    days = {day: sample_day(day) for day in ("20260901", "20260902", "20260903", "20260904")}
    warehouse = tmp_path / "cjm.duckdb"
    landing = make_landing(
        tmp_path,
        {
            "web/events_20260901.json": ndjson(days["20260901"]),
            "web/events_20260902.json": ndjson(days["20260902"]),
        },
    )
    ingest(warehouse, landing)
    first = build(warehouse, tmp_path / "target_1")
    assert failed(first) == {}
    assert first["unique_new_keys_stg_web__events_event_id"]["status"] == "pass"
    # every test of both models passed: their rows are recorded as tested
    assert invocations_recorded(warehouse) == dict.fromkeys(MODELS, 1)

    # Day 3 arrives with an event whose time cannot be read: caught on the new rows.
    make_landing(tmp_path, {"web/events_20260903.json": ndjson(with_unreadable_time(
        days["20260903"]))})  # fmt: skip
    ingest(warehouse, landing)
    third = build(warehouse, tmp_path / "target_3")
    caught = {
        "cast_is_exact_stg_web__events_event_at": 1,
        NOT_NULL: 1,
    }
    assert failed(third) == caught
    assert third["int_web_events_sessionized"]["status"] == "skipped"
    # nothing new is recorded as tested
    assert invocations_recorded(warehouse) == dict.fromkeys(MODELS, 1)

    # Day 4 arrives fine, day 3 is still bad: its rows were never recorded as tested, so the
    # tests read them again and still fail (nothing downstream is built from them). A NULL
    # written meanwhile into a row of day 1, tested and recorded, is not read again: the
    # not-null test still names only event_at.
    make_landing(tmp_path, {"web/events_20260904.json": ndjson(days["20260904"])})
    ingest(warehouse, landing)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "update staging.stg_web__events set event_name = null where event_id = ("
            " select min(event_id) from staging.stg_web__events"
            " where _partition_date = '20260901')"
        )
    fourth = build(warehouse, tmp_path / "target_4")
    assert failed(fourth) == caught
    assert fourth["int_web_events_sessionized"]["status"] == "skipped"

    # Day 3 is exported again, corrected: everything passes and is recorded as tested.
    make_landing(tmp_path, {"web/events_20260903.json": ndjson(days["20260903"])})
    ingest(warehouse, landing)
    fifth = build(warehouse, tmp_path / "target_5")
    assert failed(fifth) == {}
    assert fifth[NOT_NULL]["status"] == "pass"
    assert fifth["int_web_events_sessionized"]["status"] == "success"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        untested = con.execute(
            "select count(*) from staging.stg_web__events"
            f" where _invocation_id not in (select invocation_id from {LEDGER})"
        ).fetchone()[0]
    assert untested == 0

    # A duplicate key among few untested rows: found by looking their keys up in the whole
    # table. Among mostly untested rows (as after a full refresh): found by grouping every key.
    unique = "unique_new_keys_stg_web__events_event_id"
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "update staging.stg_web__events set _invocation_id = 'edited by the test',"
            " event_id = (select min(event_id) from staging.stg_web__events"
            "   where _partition_date = '20260901')"
            " where event_id = (select min(event_id) from staging.stg_web__events"
            "   where _partition_date = '20260904')"
        )
    few = dbt_results(warehouse, tmp_path / "target_6", "test", "--select", unique)[unique]
    assert (few["status"], few["failures"]) == ("fail", 1)
    assert "new_keys" in few["compiled_code"] and "bool_or" not in few["compiled_code"]
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update staging.stg_web__events set _invocation_id = 'edited by the test'")
    most = dbt_results(warehouse, tmp_path / "target_7", "test", "--select", unique)[unique]
    assert (most["status"], most["failures"]) == ("fail", 1)
    assert "bool_or" in most["compiled_code"] and "new_keys" not in most["compiled_code"]
