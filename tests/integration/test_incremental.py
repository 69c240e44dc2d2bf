"""The incremental web models give what a full refresh gives, delivery after delivery.

Real-format GA4 exports of the bundled sample arrive day by day into a real DuckDB warehouse;
after each delivery dbt builds the web models incrementally, and a copy of the warehouse
rebuilt with ``--full-refresh`` must hold the same rows, bit for bit. The deliveries cover what
an incremental model gets wrong first: a late event in the next day's file (it joins a session
of an earlier day, so that day's positions change), a session that runs into the next export
day, a re-exported day with a changed and an added event, and browsers that log in days after
their first visit (their earlier events move to the contact)."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.ingestion import RAW_TABLES, IngestSettings, ingest_raw_table
from tests.conftest import REPO_ROOT, SAMPLE_LANDING, dbt_target, make_landing

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
INCREMENTAL_MODELS = ("staging.stg_web__events", "intermediate.int_web_events_sessionized")
# every column but the dbt invocation that wrote the row, which differs by nature
COMPARED = "* exclude (_invocation_id)"


def sample_day(day: str) -> list[dict]:
    """The GA4 events of one sample export day (events_2026MMDD.json or .json.gz)."""
    plain = SAMPLE_LANDING / "web" / f"events_{day}.json"
    if plain.exists():
        text = plain.read_text(encoding="utf-8")
    else:
        text = gzip.decompress((SAMPLE_LANDING / "web" / f"events_{day}.json.gz").read_bytes())
        text = text.decode("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def ndjson(events: list[dict]) -> str:
    return "".join(json.dumps(event) + "\n" for event in events)


def param(event: dict, key: str) -> object:
    for item in event.get("event_params") or []:
        if item["key"] == key:
            value = item["value"]
            return next(v for v in value.values() if v is not None)
    return None


def dbt(warehouse: Path, target: Path, *args: str) -> list[dict]:
    completed = subprocess.run(
        [str(BIN / "dbt"), *args, "--target-path", str(dbt_target(target))],
        cwd=REPO_ROOT / "dbt_project",
        env={**os.environ, "CJM_WAREHOUSE": str(warehouse), "CJM_DBT_TARGET": "dev"},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-4000:]
    return json.loads((target / "run_results.json").read_text())["results"]


def build_incrementally(warehouse: Path, target: Path) -> None:
    """dbt build (models and data tests) of the web models and what they depend on."""
    dbt(
        warehouse, target, "build", "--select", "+int_web_events_sessionized",
        "--indirect-selection", "cautious", "--exclude", "test_type:unit",
    )  # fmt: skip


MARK = "left alone by the last build"


def mark_partitions(warehouse: Path, partitions: list[str]) -> dict[tuple[str, str], str]:
    """Write MARK into the page_title of one row per partition of each incremental model; a
    build that rewrites the partition replaces it. Returns the rows' real titles."""
    originals = {}
    with duckdb.connect(str(warehouse)) as con:
        for table in INCREMENTAL_MODELS:
            for partition in partitions:
                event_id, title = con.execute(
                    f"select event_id, page_title from {table} where _partition_date = ?"
                    " order by event_id limit 1",
                    [partition],
                ).fetchone()
                originals[(table, event_id)] = title
                con.execute(
                    f"update {table} set page_title = ? where event_id = ?", [MARK, event_id]
                )
    return originals


def marked_partitions(warehouse: Path, originals: dict[tuple[str, str], str]) -> set[tuple]:
    """(table, partition) still holding MARK; puts the real titles back."""
    with duckdb.connect(str(warehouse)) as con:
        found = set()
        for table in INCREMENTAL_MODELS:
            found |= {
                (table, partition)
                for (partition,) in con.execute(
                    f"select _partition_date from {table} where page_title = ?", [MARK]
                ).fetchall()
            }
        for (table, event_id), title in originals.items():
            con.execute(
                f"update {table} set page_title = ? where event_id = ? and page_title = ?",
                [title, event_id, MARK],
            )
    return found


def differences(warehouse: Path, scratch: Path) -> dict[str, tuple[int, int]]:
    """Rows of each incremental model missing from a full refresh, and the other way round."""
    scratch.mkdir()
    copy = scratch / "full_refresh.duckdb"
    shutil.copyfile(warehouse, copy)
    dbt(copy, scratch / "target_full", "run", "--full-refresh", "--select",
        "stg_web__events", "int_web_events_sessionized")  # fmt: skip
    found = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute(f"attach '{copy}' as full_refresh (read_only)")
        for table in INCREMENTAL_MODELS:
            found[table] = (
                con.execute(
                    f"select count(*) from (select {COMPARED} from {table}"
                    f" except all select {COMPARED} from full_refresh.{table})"
                ).fetchone()[0],
                con.execute(
                    f"select count(*) from (select {COMPARED} from full_refresh.{table}"
                    f" except all select {COMPARED} from {table})"
                ).fetchone()[0],
            )
    return found


def ingest(warehouse: Path, landing: Path) -> None:
    with duckdb.connect(str(warehouse)) as con:
        for raw_table in RAW_TABLES:
            ingest_raw_table(con, landing, raw_table, IngestSettings())


def test_incremental_web_models_equal_a_full_refresh_after_every_delivery(tmp_path: Path) -> None:
    days = {day: sample_day(day) for day in ("20260901", "20260902", "20260903", "20260904")}
    root = tmp_path
    warehouse = root / "cjm.duckdb"
    landing = make_landing(
        root,
        {
            "crm/Contact.csv": SAMPLE_LANDING / "crm" / "Contact.csv",
            "crm/Account.csv": SAMPLE_LANDING / "crm" / "Account.csv",
            "web/events_20260901.json": ndjson(days["20260901"]),
            "web/events_20260902.json": ndjson(days["20260902"]),
        },
    )
    ingest(warehouse, landing)
    build_incrementally(warehouse, root / "target_1")
    originals = mark_partitions(warehouse, ["20260901", "20260902"])

    # Day 3 arrives, and with it a late event of day 2: the same browser and session as the
    # first event of a day-2 session, a second before it (so that session's positions change).
    day2_first = min(
        (e for e in days["20260902"] if param(e, "ga_session_id") is not None),
        key=lambda e: int(e["event_timestamp"]),
    )
    late = json.loads(json.dumps(day2_first))
    late["event_timestamp"] = str(int(day2_first["event_timestamp"]) - 1_000_000)
    late["event_name"] = "scroll"
    make_landing(root, {"web/events_20260903.json": ndjson([*days["20260903"], late])})
    ingest(warehouse, landing)
    build_incrementally(warehouse, root / "target_2")
    # the work followed the change: day 2 was built again, day 1 was left alone
    assert marked_partitions(warehouse, originals) == {
        (table, "20260901") for table in INCREMENTAL_MODELS
    }
    assert differences(warehouse, root / "step_2") == {t: (0, 0) for t in INCREMENTAL_MODELS}

    # Day 4 arrives with an event that continues a day-3 session past midnight, and day 3 is
    # exported again with one event changed and one added (GA4 updates a day's table).
    day3_session = next(e for e in days["20260903"] if param(e, "ga_session_id") is not None)
    continued = json.loads(json.dumps(day3_session))
    continued["event_date"] = "20260904"
    continued["event_timestamp"] = str(int(days["20260904"][0]["event_timestamp"]))
    continued["event_name"] = "user_engagement"
    reexported = [json.loads(json.dumps(e)) for e in days["20260903"]]
    reexported[5]["event_name"] = "click"
    added = int(reexported[6]["event_timestamp"]) + 7
    reexported.append({**reexported[6], "event_timestamp": str(added)})
    make_landing(
        root,
        {
            "web/events_20260904.json": ndjson([*days["20260904"], continued]),
            "web/events_20260903.json": ndjson([*reexported, late]),
        },
    )
    ingest(warehouse, landing)
    build_incrementally(warehouse, root / "target_3")
    assert differences(warehouse, root / "step_3") == {t: (0, 0) for t in INCREMENTAL_MODELS}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        # the session of day 3 now has an event on day 4, numbered after its day-3 events
        spans = con.execute(
            "select count(distinct _partition_date) from intermediate.int_web_events_sessionized"
            " where session_id = ?",
            [f"{continued['user_pseudo_id']}-{param(continued, 'ga_session_id')}"],
        ).fetchone()[0]
    assert spans == 2

    # Browsers that first came anonymously on days 1-4 log in on day 5 or later: their
    # earlier events must move to the contact (the identity test of the full sample plants
    # such late logins).
    later = {day: sample_day(day) for day in ("20260905", "20260906", "20260907")}
    make_landing(root, {f"web/events_{day}.json": ndjson(events) for day, events in later.items()})
    with duckdb.connect(str(warehouse), read_only=True) as con:
        before = dict(
            con.execute(
                "select user_pseudo_id, any_value(customer_id)"
                " from intermediate.int_web_events_sessionized group by all"
            ).fetchall()
        )
    ingest(warehouse, landing)
    build_incrementally(warehouse, root / "target_4")
    assert differences(warehouse, root / "step_4") == {t: (0, 0) for t in INCREMENTAL_MODELS}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        after = dict(
            con.execute(
                "select user_pseudo_id, any_value(customer_id)"
                " from intermediate.int_web_events_sessionized"
                " where _partition_date <= '20260904' group by all"
            ).fetchall()
        )
    moved = [user for user, customer in after.items() if before.get(user) != customer]
    assert moved, "the chosen days must hold a browser that logs in after its first visit"
    assert all(before[user].startswith("anon-") for user in moved)


def test_a_warehouse_from_before_the_partitions_is_rebuilt_in_full(tmp_path: Path) -> None:
    """A warehouse built before the web models became incremental holds them without the
    partition columns: the job's dbt build then rebuilds them in full instead of adding days
    beside the old rows; `cjm run --full-refresh` asks for the same."""
    from orchestration.transform import build_args
    from orchestration.transform.incremental import tables_without_partitions
    from orchestration.transform.manifest import ensure_manifest

    manifest = ensure_manifest(REPO_ROOT / "dbt_project", quiet=True)
    warehouse = tmp_path / "cjm.duckdb"
    assert tables_without_partitions(warehouse, manifest) == []  # no warehouse yet
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema staging")
        con.execute("create table staging.stg_web__events (event_id varchar)")
        con.execute("create schema intermediate")
        con.execute(
            "create table intermediate.int_web_events_sessionized"
            " (event_id varchar, _partition_date varchar, _partition_signature varchar)"
        )
    assert tables_without_partitions(warehouse, manifest) == ["staging.stg_web__events"]
    assert build_args(full_refresh=True)[-1] == "--full-refresh"
    assert "--full-refresh" not in build_args()
