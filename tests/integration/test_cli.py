"""The `cjm` command line, end to end on a small generated landing folder."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from orchestration import cli
from tests import browser
from tests.conftest import duckdb_file_held_by_another_process

pytestmark = pytest.mark.slow

CJM = str(Path(sys.executable).with_name("cjm"))


@pytest.fixture(autouse=True)
def restore_environment():
    """`cjm run` sets CJM_* and DAGSTER_HOME for its process; keep that out of other tests."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.mark.parametrize(
    "command", [[], ["run"], ["generate"], ["status"], ["accept"], ["forget"], ["report"]]
)
def test_every_command_has_help(command):
    completed = subprocess.run(
        [CJM, *command, "--help"], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0
    assert "usage: cjm" in completed.stdout
    if command:
        assert "--warehouse" in completed.stdout or command == ["generate"]


@dataclass(frozen=True)
class GeneratedRun:
    landing: Path
    warehouse: Path
    dagster_home: Path
    truth: dict
    code: int
    out: str


@pytest.fixture(scope="module")
def generated_run(tmp_path_factory: pytest.TempPathFactory) -> GeneratedRun:
    """`cjm generate` (150 customers, 14 days), then `cjm run` on it, in this process, with its
    own Dagster instance: once for the tests of this module marked xdist_group("generated")."""
    root = tmp_path_factory.mktemp("generated")
    landing, warehouse, home = root / "landing", root / "wh" / "cjm.duckdb", root / "dagster_home"
    saved = dict(os.environ)
    try:
        os.environ["DAGSTER_HOME"] = str(home)
        for name in ("CJM_WAREHOUSE", "CJM_LANDING", "CJM_PUBLISHED"):
            os.environ.pop(name, None)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            generate = ["generate", "--out", str(landing), "--customers", "150", "--days", "14"]
            assert cli.main([*generate, "--seed", "7"]) == 0
            code = cli.main(["run", "--landing", str(landing), "--warehouse", str(warehouse)])
    finally:
        os.environ.clear()
        os.environ.update(saved)
    truth = json.loads((landing / "truth.json").read_text())
    return GeneratedRun(landing, warehouse, home, truth, code, out.getvalue())


@pytest.mark.xdist_group("generated")
def test_generate_then_run_then_status(generated_run, capsys):
    run = generated_run
    assert run.truth["parameters"]["customers"] == 150
    assert run.code == 0, run.out[-3000:]
    for expected in (
        "start-up: ",  # seconds from process start to the first asset
        "▶ raw__survey_responses",
        "Sources (this run)",
        "NPS per touchpoint",
        "Phase funnel",
        "checks:",
        "cjm run succeeded",
    ):
        assert expected in run.out, expected
    published = run.warehouse.with_name("cjm_marts.duckdb")
    with duckdb.connect(str(published), read_only=True) as con:
        customers = con.execute("select count(*) from marts.dim_customers").fetchone()[0]
    assert customers == run.truth["expected"]["customers"]

    assert cli.main(["status", "--warehouse", str(run.warehouse)]) == 0
    out = capsys.readouterr().out
    assert "Files (latest delivery" in out and "web/events_" in out
    page = run.warehouse.parent / "validation" / "latest.html"
    assert f"Validation results of the last run (every suite and expectation): {page}" in out
    assert "raw.survey_responses: " in page.read_text(encoding="utf-8")


@pytest.mark.xdist_group("generated")
def test_the_dagster_ui_shows_the_lineage_after_a_run(generated_run, tmp_path):
    """An operator opens the Dagster UI after `cjm run`: the global lineage shows every layer
    from the landing folders to publishing, and the ingestion group shows each raw table
    materialized by that run with its checks. Screenshots are in tmp_path to look at."""
    with browser.dagster_ui(
        generated_run.dagster_home, generated_run.warehouse, generated_run.landing
    ) as base:
        lineage = browser.dump_dom_until(base + browser.LINEAGE_PAGE, ">publish<", offline=False)
        ingestion = browser.dump_dom_until(
            base + browser.INGESTION_PAGE, ">web_events<", offline=False, window=(1600, 2400)
        )
        shot = browser.screenshot(
            base + browser.INGESTION_PAGE, tmp_path / "ingestion.png", offline=False
        )
    assert "Global asset lineage" in lineage
    for group in ("landing", "ingestion", "enrich", "staging", "intermediate", "marts"):
        assert f">{group}<" in lineage, group
    assert ">publish<" in lineage
    assert "Join the Dagster community" not in lineage  # nux is off in the instance
    for raw in ("web_events", "survey_responses", "crm_contacts"):
        assert f">{raw}<" in ingestion, raw
    assert "Materialized" in ingestion and "3 / 3 Passed" in ingestion
    assert shot.stat().st_size > 20_000


def test_run_refuses_a_missing_landing_folder(tmp_path, capsys):
    code = cli.main(
        ["run", "--landing", str(tmp_path / "nope"), "--warehouse", str(tmp_path / "w.duckdb")]
    )
    assert code == cli.EXIT_USAGE
    assert "does not exist" in capsys.readouterr().err


def test_run_says_who_holds_a_locked_warehouse(tmp_path, capsys):
    warehouse = tmp_path / "cjm.duckdb"
    duckdb.connect(str(warehouse)).close()
    with duckdb_file_held_by_another_process(warehouse) as pid:
        code = cli.main(["run", "--landing", str(tmp_path), "--warehouse", str(warehouse)])
    assert code == cli.EXIT_BUSY
    err = capsys.readouterr().err
    assert "open in another process" in err and f"PID {pid}" in err


def test_run_on_spark_says_how_to_install_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CJM_SPARK_DBT", str(tmp_path / "no-dbt"))
    warehouse = tmp_path / "cjm.duckdb"
    code = cli.main(
        ["run", "--landing", str(tmp_path), "--warehouse", str(warehouse), "--engine", "spark"]
    )
    assert code == cli.EXIT_USAGE
    assert "make spark-setup" in capsys.readouterr().err
    assert not warehouse.exists()  # nothing was changed


def test_run_says_when_the_warehouse_cannot_be_written(tmp_path, capsys):
    # /sys refuses new files even to root: the same error a read-only warehouse folder gives
    code = cli.main(["run", "--landing", str(tmp_path), "--warehouse", "/sys/cjm.duckdb"])
    assert code == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "cannot write the warehouse /sys/cjm.duckdb (Permission denied)" in err
    assert "write-ahead log" in err and "Nothing was loaded" in err
    assert "quarantine" not in err
