"""Deliveries through `cjm run` as a scheduler sees them: held files, exit codes, summaries that
never crash, one run at a time, and runs killed with SIGKILL that leave nothing behind."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from orchestration import cli
from orchestration.resources import RunLock
from tests.conftest import SAMPLE_LANDING
from tests.integration.conftest import copy_landing

pytestmark = pytest.mark.slow

CJM = str(Path(sys.executable).with_name("cjm"))


@pytest.fixture(autouse=True)
def restore_environment(tmp_path):
    """`cjm run` sets CJM_* and DAGSTER_HOME for its process; keep that out of other tests."""
    saved = dict(os.environ)
    for name in ("CJM_WAREHOUSE", "CJM_LANDING", "CJM_PUBLISHED", "DAGSTER_HOME"):
        os.environ.pop(name, None)
    yield
    os.environ.clear()
    os.environ.update(saved)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _copy_of_the_sample_warehouse(sample_run, folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True)
    warehouse = folder / "cjm.duckdb"
    shutil.copy(sample_run.warehouse, warehouse)
    published = warehouse.with_name("cjm_marts.duckdb")
    shutil.copy(sample_run.published, published)
    return warehouse, published


def _scalar(path: Path, sql: str):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()[0][0]


def test_a_wiped_redelivery_is_held_until_accepted(sample_run, tmp_path, capsys):
    landing = copy_landing(tmp_path / "landing")
    warehouse, published = _copy_of_the_sample_warehouse(sample_run, tmp_path / "wh")
    opportunities = _scalar(warehouse, "select count(*) from raw.crm_opportunities")
    purchase = "select customers_entered from marts.agg_phase_funnel where phase_id = 'purchase'"
    purchased = _scalar(published, purchase)
    before = _sha(published)
    export = landing / "crm/Opportunity.csv"
    export.write_text(export.read_text(encoding="utf-8").splitlines(keepends=True)[0])

    code = cli.main(["run", "--landing", str(landing), "--warehouse", str(warehouse)])
    out, err = capsys.readouterr()

    assert code == cli.EXIT_FILES, out[-3000:] + err
    assert "HELD crm/Opportunity.csv" in out and "cjm accept crm/Opportunity.csv" in out
    assert "Nothing was published" in err
    assert _sha(published) == before
    assert _scalar(warehouse, "select count(*) from raw.crm_opportunities") == opportunities
    assert (
        _scalar(
            warehouse,
            "select status || ' ' || rows_read || ' ' || rows_held from ops.load_ledger"
            " where source_file = 'crm/Opportunity.csv' order by loaded_at desc limit 1",
        )
        == "held 0 0"
    )

    assert cli.main(["status", "--warehouse", str(warehouse)]) == cli.EXIT_OK
    status = capsys.readouterr().out
    assert "crm/Opportunity.csv [held]" in status and "drop of 100%" in status

    assert (
        cli.main(
            [
                "accept",
                "crm/Opportunity.csv",
                "--landing",
                str(landing),
                "--warehouse",
                str(warehouse),
            ]
        )
        == cli.EXIT_OK
    )
    assert cli.main(["run", "--landing", str(landing), "--warehouse", str(warehouse)]) == 0
    out = capsys.readouterr().out
    assert "cjm run succeeded" in out
    assert _scalar(warehouse, "select count(*) from raw.crm_opportunities") == 0
    assert _scalar(published, purchase) < purchased  # applied deliberately, and published
    assert "accepted by" in _scalar(
        warehouse,
        "select message from ops.load_ledger where source_file = 'crm/Opportunity.csv'"
        " and status = 'loaded'",
    )


def test_a_crm_export_alone_runs_and_a_stray_file_gets_its_own_exit_code(tmp_path, capsys):
    """No survey answers: the summary says so instead of crashing (tests/unit/test_run_summary.py
    covers empty marts). A file nobody reads gives exit 3, and the rest is still published."""
    landing = tmp_path / "landing"
    shutil.copytree(SAMPLE_LANDING / "crm", landing / "crm")
    (landing / "crm/Contacts.xlsx").write_bytes(b"PK\x03\x04 not a csv")
    warehouse = tmp_path / "w.duckdb"

    code = cli.main(["run", "--landing", str(landing), "--warehouse", str(warehouse)])
    out, err = capsys.readouterr()

    assert code == cli.EXIT_FILES, out[-3000:] + err
    assert "NPS: no survey responses with an NPS answer yet." in out
    assert "Phase funnel" in out and "UNRECOGNISED crm/Contacts.xlsx" in out
    assert "zip archive" in out  # what the file is, and what to do
    assert "The other files were applied and published" in err
    assert warehouse.with_name("w_marts.duckdb").exists()


def test_a_second_run_says_who_holds_the_warehouse(tmp_path, capsys):
    warehouse = tmp_path / "cjm.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from orchestration.resources import RunLock;"
         f" lock = RunLock(Path({str(warehouse)!r})); lock.acquire(); print('held', flush=True);"
         " time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        code = cli.main(["run", "--landing", str(SAMPLE_LANDING), "--warehouse", str(warehouse)])
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    err = capsys.readouterr().err
    assert code == cli.EXIT_BUSY
    assert f"process {holder.pid}" in err and "s ago" in err and "Nothing was changed" in err
    # the lock goes with its process: now the warehouse is free again
    with RunLock(warehouse):
        pass


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _kill_run_when(landing: Path, warehouse: Path, marker: str, delay: float) -> None:
    """Start `cjm run`, SIGKILL it ``delay`` s after ``marker`` appears; no process may remain."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    run = subprocess.Popen(
        [CJM, "run", "--landing", str(landing), "--warehouse", str(warehouse)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )  # fmt: skip
    seen = []
    for line in run.stdout:
        seen.append(line)
        if marker in line:
            break
    assert any(marker in line for line in seen), "".join(seen)[-3000:]
    time.sleep(delay)
    below = _descendants(run.pid)
    run.send_signal(signal.SIGKILL)
    run.wait()
    run.stdout.close()
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in below) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [p for p in below if _alive(p)], "processes outlived the killed run"
    return below


def _marts(path: Path) -> dict[str, list[tuple]]:
    """Every row of every mart, but the lineage columns of an incremental mart: the dbt
    invocation that wrote a row, and the partition signature, which for fct_touchpoints names
    the invocation that mapped the partition (both differ between two runs by nature)."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = dict(
            con.execute(
                "select table_name, bool_or(column_name = '_invocation_id')"
                " from information_schema.columns where table_schema = 'marts'"
                " group by table_name order by 1"
            ).fetchall()
        )
        lineage_columns = "exclude (_invocation_id, _partition_signature)"
        return {
            t: sorted(
                map(repr, con.execute(
                    f"select * {lineage_columns if lineage else ''} from marts.{t}"
                ).fetchall())
            )
            for t, lineage in tables.items()
        }  # fmt: skip


def test_runs_killed_during_ingestion_and_dbt_build_leave_nothing_behind(sample_run, tmp_path):
    landing = copy_landing(tmp_path / "landing")
    warehouse = tmp_path / "wh" / "cjm.duckdb"
    os.environ["DAGSTER_HOME"] = str(tmp_path / "dagster_home")

    _kill_run_when(landing, warehouse, "▶ raw__web_events", 1.0)
    below = _kill_run_when(landing, warehouse, "▶ dbt_build", 4.0)
    assert below, "dbt was not running when the run was killed"

    completed = subprocess.run(
        [CJM, "run", "--landing", str(landing), "--warehouse", str(warehouse)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr
    assert _marts(warehouse.with_name("cjm_marts.duckdb")) == _marts(sample_run.published)
