"""The incremental models give what a full refresh gives, delivery after delivery.

Real-format GA4 exports of the bundled sample arrive day by day into a real DuckDB warehouse;
after each delivery dbt builds every incremental model incrementally, and a copy of the
warehouse rebuilt with ``--full-refresh`` must hold the same rows, bit for bit (all but the
bookkeeping columns, whose signatures name the dbt invocation that built a partition). The
deliveries cover what an incremental model gets wrong first: a late event in the next day's
file (it joins a session of an earlier day, so that day's positions change), a session that
runs into the next export day, a re-exported day with a changed and an added event, browsers
that log in days after their first visit (their earlier events move to the contact) and an
contact moved to another account (its touchpoints carry the new account; nothing is mapped
again), a touchpoint moved to another channel (every touchpoint partition is built again;
nothing is mapped again) and an edited touchpoint rule (every partition is mapped again)."""

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
# Each incremental model of the project, with its partition column.
INCREMENTAL_MODELS = {
    "staging.stg_web__events": "_partition_date",
    "intermediate.int_web_events_sessionized": "_partition_date",
    "intermediate.int_touchpoints_mapped": "_partition_date",
    "intermediate.int_candidate_values_counted": "_partition_date",
    "marts.fct_touchpoints": "_partition_date",
    "marts.fct_web_sessions": "_partition_date",
    "marts.fct_journey_phase_visits": "customer_id",
    "marts.fct_journey_phases": "customer_id",
    "marts.fct_account_journey_phases": "account_id",
    "intermediate.int_account_phase_visits_sequenced": "account_id",
    "intermediate.int_funnel_steps_reached": "customer_id",
    "intermediate.int_account_funnel_steps_reached": "account_id",
    "intermediate.int_attribution_paths": "_partition_key",
    "intermediate.int_attribution_path_steps_collapsed": "_partition_key",
    "marts.fct_attribution": "_partition_key",
}
PHASE_VISITS = "marts.fct_journey_phase_visits"
TOUCHPOINTS = "marts.fct_touchpoints"
SESSIONS = "marts.fct_web_sessions"
ATTRIBUTION = "marts.fct_attribution"
# Bookkeeping: which dbt invocation built a partition, and signatures that name it.
BOOKKEEPING = ("_invocation_id", "_partition_signature")


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


def model_names() -> list[str]:
    return [table.split(".")[1] for table in INCREMENTAL_MODELS]


def build_incrementally(warehouse: Path, target: Path, command: str = "run") -> None:
    """dbt run of the incremental models and what they depend on. The first delivery is built
    with ``command="build"``: the seeds, and every data test once; later deliveries only run
    the models (the comparison with a full refresh is the check here; the data tests on an
    incremental run have their own test, test_tests_on_new_rows.py)."""
    dbt(
        warehouse, target, command, "--select", *(f"+{name}" for name in model_names()),
        *(["--indirect-selection", "cautious", "--exclude", "test_type:unit"]
          if command == "build" else []),
    )  # fmt: skip


def test_every_incremental_model_is_compared() -> None:
    """A model made incremental joins the comparison below (the manifest says which are)."""
    from orchestration.transform.incremental import incremental_models
    from orchestration.transform.manifest import ensure_manifest

    manifest = ensure_manifest(REPO_ROOT / "dbt_project", quiet=True)
    assert {f"{s}.{t}" for s, t in incremental_models(manifest)} == set(INCREMENTAL_MODELS)


def rebuilt(warehouse: Path, target: Path) -> dict[str, set[str]]:
    """The partitions of each incremental model that the dbt invocation in ``target`` wrote."""
    invocation = json.loads((target / "run_results.json").read_text())["metadata"]["invocation_id"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            table: {
                partition
                for (partition,) in con.execute(
                    f"select distinct {column} from {table} where _invocation_id = ?",
                    [invocation],
                ).fetchall()
            }
            for table, column in INCREMENTAL_MODELS.items()
        }


def customers_with_visits(warehouse: Path) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(f"select count(distinct customer_id) from {PHASE_VISITS}").fetchone()[0]


def differences(warehouse: Path, scratch: Path) -> dict[str, tuple[int, int]]:
    """Rows of each incremental model missing from a full refresh, and the other way round."""
    scratch.mkdir()
    copy = scratch / "full_refresh.duckdb"
    shutil.copyfile(warehouse, copy)
    dbt(copy, scratch / "target_full", "run", "--full-refresh", "--select", *model_names())
    found = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute(f"attach '{copy}' as full_refresh (read_only)")
        for table in INCREMENTAL_MODELS:
            rows = f"* exclude ({', '.join(BOOKKEEPING)})"
            found[table] = (
                con.execute(
                    f"select count(*) from (select {rows} from {table}"
                    f" except all select {rows} from full_refresh.{table})"
                ).fetchone()[0],
                con.execute(
                    f"select count(*) from (select {rows} from full_refresh.{table}"
                    f" except all select {rows} from {table})"
                ).fetchone()[0],
            )
    return found


def ingest(warehouse: Path, landing: Path) -> None:
    with duckdb.connect(str(warehouse)) as con:
        for raw_table in RAW_TABLES:
            ingest_raw_table(con, landing, raw_table, IngestSettings())


def on_another_page(event: dict) -> dict:
    """A copy of a page view on another page: the same browser, time and event name (the key
    that names an event) but another content."""
    twin = json.loads(json.dumps(event))
    for item in twin["event_params"]:
        if item["key"] == "page_location":
            item["value"] = {**item["value"], "string_value": "https://www.example.com/twin-page"}
    return twin


def event_ids(warehouse: Path) -> list[dict]:
    """Each event of stg_web__events with the id it was given, the ids of its key columns and
    of its whole content (every GA4 column of its raw row as JSON, in the export's order), and
    how many events of its export day share its key."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        export_columns = [
            name
            for (name,) in con.execute(
                "select column_name from information_schema.columns"
                " where table_schema = 'raw' and table_name = 'web_events'"
                " and not starts_with(column_name, '_') order by ordinal_position"
            ).fetchall()
        ]
        content = ", ".join(f"{name} := raw_events.{name}" for name in export_columns)
        cursor = con.execute(
            "select"
            " events.event_id,"
            " events.page_location,"
            " md5(to_json(struct_pack("
            "  user_pseudo_id := raw_events.user_pseudo_id,"
            "  event_timestamp := raw_events.event_timestamp,"
            "  event_name := raw_events.event_name"
            " ))) as id_of_its_key,"
            f" md5(to_json(struct_pack({content}))) as id_of_its_content,"
            " count(*) over ("
            "  partition by raw_events.event_date, raw_events.user_pseudo_id,"
            "  raw_events.event_timestamp, raw_events.event_name"
            " ) as events_with_its_key"
            " from staging.stg_web__events as events"
            " inner join raw.web_events as raw_events"
            "  on events._load_id = raw_events._load_id"
            "  and events._source_row = raw_events._source_row"
            " order by events.page_location"
        )
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def web_landing(root: Path, web: dict[str, list[dict]]) -> Path:
    """A landing folder under ``root``: the sample's contacts and accounts, and GA4 days
    (``{"20260901": events}``) as events_<day>.json."""
    crm = {f"crm/{name}": SAMPLE_LANDING / "crm" / name for name in ("Contact.csv", "Account.csv")}
    return make_landing(
        root, {**crm, **{f"web/events_{day}.json": ndjson(events) for day, events in web.items()}}
    )


def test_incremental_models_equal_a_full_refresh_after_every_delivery(tmp_path: Path) -> None:
    days = {day: sample_day(day) for day in ("20260901", "20260902", "20260903", "20260904")}
    root = tmp_path
    warehouse = root / "cjm.duckdb"
    landing = web_landing(root, {day: days[day] for day in ("20260901", "20260902")})
    ingest(warehouse, landing)
    build_incrementally(warehouse, root / "target_1", "build")

    # Day 3 arrives, and with it a late event of day 2: the same browser and session as the
    # first event of a day-2 session, a second before it (so that session's positions change).
    day2_first = min(
        (e for e in days["20260902"] if param(e, "ga_session_id") is not None),
        key=lambda e: int(e["event_timestamp"]),
    )
    late = json.loads(json.dumps(day2_first))
    late["event_timestamp"] = str(int(day2_first["event_timestamp"]) - 1_000_000)
    late["event_name"] = "scroll"
    # and an event that shares its key (browser, time, event name) with one of day 3 but was on
    # another page: a different event, not a copy
    viewed = next(e for e in days["20260903"] if e["event_name"] == "page_view")
    twin = on_another_page(viewed)
    make_landing(root, {"web/events_20260903.json": ndjson([*days["20260903"], late, twin])})
    ingest(warehouse, landing)
    build_incrementally(warehouse, root / "target_2")
    ids = event_ids(warehouse)
    # every event is kept once; one with a key of its own is named by its key, the two that
    # share a key by their whole content, so they keep two ids
    assert len(ids) == len({row["event_id"] for row in ids}) > 0
    shared = [row for row in ids if row["events_with_its_key"] > 1]
    assert [row["page_location"] for row in shared] == sorted(
        [param(viewed, "page_location"), param(twin, "page_location")]
    )
    assert all(row["event_id"] == row["id_of_its_content"] for row in shared)
    assert all(
        row["event_id"] == row["id_of_its_key"] for row in ids if row["events_with_its_key"] == 1
    )
    # the work followed the change: the raw events of day 1 did not change, so stg left it
    # alone; a day-1 browser logs in on day 3, so the sessions rebuilt day 1 (its events move to
    # the contact); the touchpoints follow the sessions' days exactly; the phase visits of the
    # customers whose touchpoints did not change are left alone
    built = rebuilt(warehouse, root / "target_2")
    assert 0 < len(built[PHASE_VISITS]) < customers_with_visits(warehouse)
    assert built["staging.stg_web__events"] == {"20260902", "20260903"}
    assert built["intermediate.int_web_events_sessionized"] == {"20260901", "20260902", "20260903"}
    assert built["intermediate.int_touchpoints_mapped"] == {"20260901", "20260902", "20260903"}
    assert built[TOUCHPOINTS] == built["intermediate.int_touchpoints_mapped"]
    # the sessions of the days whose events were built again (a session belongs to the day of
    # its first event)
    assert built[SESSIONS] == {"20260901", "20260902", "20260903"}
    assert built[SESSIONS] == built["intermediate.int_candidate_values_counted"]
    # a run with nothing new writes nothing
    build_incrementally(warehouse, root / "target_2b")
    assert rebuilt(warehouse, root / "target_2b") == {t: set() for t in INCREMENTAL_MODELS}
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
    built = rebuilt(warehouse, root / "target_3")
    assert "20260901" not in built["intermediate.int_web_events_sessionized"], built
    assert "20260901" not in built[SESSIONS], built
    assert (
        built["intermediate.int_touchpoints_mapped"]
        == (built["intermediate.int_web_events_sessionized"])
    )
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

    # A contact moves to another account (Contact.csv delivered again with its AccountId
    # changed): the partitions of the customer's touchpoints are built again with the new
    # account, though nothing is mapped again.
    with duckdb.connect(str(warehouse), read_only=True) as con:
        customer, old_account = con.execute(
            f"select customer_id, min(account_id) from {TOUCHPOINTS}"
            " where source_system = 'web' and account_id is not null"
            " group by customer_id order by customer_id limit 1"
        ).fetchone()
        customer_partitions = {
            partition
            for (partition,) in con.execute(
                f"select distinct _partition_date from {TOUCHPOINTS} where customer_id = ?",
                [customer],
            ).fetchall()
        }
    contacts = (SAMPLE_LANDING / "crm" / "Contact.csv").read_text(encoding="utf-8").splitlines()
    new_account = next(
        line.split('","')[2] for line in contacts[1:] if line.split('","')[2] != old_account
    )
    moved_contacts = [
        line.replace(
            f'"{customer}","false","{old_account}"', f'"{customer}","false","{new_account}"'
        )
        for line in contacts
    ]
    assert moved_contacts != contacts, "the customer must be a master contact of Contact.csv"
    make_landing(root, {"crm/Contact.csv": "\n".join(moved_contacts) + "\n"})
    ingest(warehouse, landing)
    build_incrementally(warehouse, root / "target_4b")
    built = rebuilt(warehouse, root / "target_4b")
    assert built["intermediate.int_touchpoints_mapped"] == set()
    assert built[TOUCHPOINTS] == customer_partitions
    assert differences(warehouse, root / "step_4b") == {t: (0, 0) for t in INCREMENTAL_MODELS}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute(
            f"select distinct account_id from {TOUCHPOINTS}"
            " where customer_id = ? and source_system = 'web'",
            [customer],
        ).fetchall() == [(new_account,)]

    # An analyst moves the pricing page to another channel (seed touchpoints, as loaded): no
    # record is mapped again, but every touchpoint partition is built again with the new map.
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "update journey_map.touchpoints set channel = 'pricing'"
            " where touchpoint_id = 'pricing_page'"
        )
    build_incrementally(warehouse, root / "target_4c")
    built = rebuilt(warehouse, root / "target_4c")
    assert built["intermediate.int_touchpoints_mapped"] == set()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        every_partition = {
            partition
            for (partition,) in con.execute(
                f"select distinct _partition_date from {TOUCHPOINTS}"
            ).fetchall()
        }
        assert con.execute(
            f"select distinct channel from {TOUCHPOINTS} where touchpoint_id = 'pricing_page'"
        ).fetchall() == [("pricing",)]
    assert built[TOUCHPOINTS] == every_partition
    assert differences(warehouse, root / "step_4c") == {t: (0, 0) for t in INCREMENTAL_MODELS}

    # An analyst edits a touchpoint rule (the seed, as loaded; `dbt run` does not load seeds
    # again): about pages are no longer a website visit. Every partition of the touchpoints is
    # mapped again; nothing upstream is.
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "update journey_map.touchpoint_rules set pattern = '^/($|features|careers)'"
            " where rule_id = 'w08'"
        )
        about_before = con.execute(
            "select count(*) from intermediate.int_touchpoints_mapped"
            " where rule_id = 'w08' and matched_value like '/about%'"
        ).fetchone()[0]
    assert about_before > 0
    build_incrementally(warehouse, root / "target_5")
    assert differences(warehouse, root / "step_5") == {t: (0, 0) for t in INCREMENTAL_MODELS}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute(
            "select count(*) from intermediate.int_touchpoints_mapped"
            " where rule_id = 'w08' and matched_value like '/about%'"
        ).fetchone()[0] == 0  # fmt: skip
        every_partition = {
            partition
            for (partition,) in con.execute(
                "select distinct _partition_date from intermediate.int_touchpoints_mapped"
            ).fetchall()
        }
    built = rebuilt(warehouse, root / "target_5")
    assert built["intermediate.int_touchpoints_mapped"] == every_partition
    assert built[TOUCHPOINTS] == every_partition
    assert built["intermediate.int_candidate_values_counted"] == every_partition
    assert built["intermediate.int_web_events_sessionized"] == set()

    # A new browser that never converts views a few pages on day 8: its drop-off path moves
    # every Markov removal effect, so the Markov credits (one partition) are built again,
    # though no conversion path changed and no customer's other credits are.
    def removal_effects() -> list[tuple]:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            return con.execute(
                "select touchpoint_id, removal_effect"
                " from intermediate.int_attribution_markov_removal_effects order by 1"
            ).fetchall()

    effects_before = removal_effects()
    day_ahead = 86_400 * 1_000_000
    browsing = [
        {
            **event,
            "user_pseudo_id": "never-converts.1",
            "user_id": None,
            "event_date": "20260908",
            "event_timestamp": str(int(event["event_timestamp"]) + day_ahead),
        }
        for event in later["20260907"]
        if event["event_name"] == "page_view"
    ][:6]
    make_landing(root, {"web/events_20260908.json": ndjson(browsing)})
    ingest(warehouse, landing)
    build_incrementally(warehouse, root / "target_6")
    assert removal_effects() != effects_before
    assert rebuilt(warehouse, root / "target_6")[ATTRIBUTION] == {"(markov)"}
    assert differences(warehouse, root / "step_6") == {t: (0, 0) for t in INCREMENTAL_MODELS}


def test_a_warehouse_from_an_older_version_is_rebuilt_in_full(tmp_path: Path) -> None:
    """A warehouse built before the web models became incremental holds them without the
    partition columns, or built before a column was added without it: the job's dbt build
    then rebuilds them in full instead of adding days beside the old rows; `cjm run
    --full-refresh` asks for the same."""
    from orchestration.transform import build_args
    from orchestration.transform.incremental import incremental_models, tables_out_of_date
    from orchestration.transform.manifest import ensure_manifest

    manifest = ensure_manifest(REPO_ROOT / "dbt_project", quiet=True)
    models = incremental_models(manifest)
    warehouse = tmp_path / "cjm.duckdb"
    assert tables_out_of_date(warehouse, manifest) == []  # no warehouse yet

    def create(con: duckdb.DuckDBPyConnection, schema: str, table: str, columns: set[str]) -> None:
        con.execute(f"create schema if not exists {schema}")
        con.execute(f"create table {schema}.{table} ({', '.join(f'{c} varchar' for c in columns)})")

    with duckdb.connect(str(warehouse)) as con:
        # as the model documents it: up to date
        create(con, "intermediate", "int_web_events_sessionized",
               models[("intermediate", "int_web_events_sessionized")])  # fmt: skip
        # built before the partitions
        create(con, "staging", "stg_web__events", {"event_id"})
    assert tables_out_of_date(warehouse, manifest) == ["staging.stg_web__events"]
    with duckdb.connect(str(warehouse)) as con:
        # built before a column was added
        con.execute("alter table intermediate.int_web_events_sessionized drop _invocation_id")
    assert tables_out_of_date(warehouse, manifest) == [
        "intermediate.int_web_events_sessionized",
        "staging.stg_web__events",
    ]
    assert build_args(full_refresh=True)[-1] == "--full-refresh"
    assert "--full-refresh" not in build_args()


def test_a_spark_table_from_an_older_version_is_rebuilt_in_full(tmp_path: Path) -> None:
    """On Spark the models partitioned by day are Parquet folders partitioned by
    _partition_date; one written before that (plain Parquet files), or with other columns, is
    rebuilt in full. Models partitioned by subject are plain tables there and never listed."""
    from orchestration.transform.incremental import incremental_models, spark_tables_out_of_date
    from orchestration.transform.manifest import ensure_manifest

    manifest = ensure_manifest(REPO_ROOT / "dbt_project", quiet=True)
    models = incremental_models(manifest)
    tables = tmp_path / "spark-warehouse"
    assert spark_tables_out_of_date(tables, manifest) == []  # nothing built yet

    def write(schema: str, table: str, columns: set[str], partitioned: bool) -> None:
        folder = tables / f"{schema}.db" / table
        folder.mkdir(parents=True)
        select = ", ".join(
            f"'2026-09-01' as {c}" if c == "_partition_date" else f"'x' as {c}" for c in columns
        )
        by_day = ", partition_by (_partition_date)" if partitioned else ""
        target = folder if partitioned else folder / "part-00000.parquet"
        with duckdb.connect() as con:
            con.execute(f"copy (select {select}) to '{target}' (format parquet{by_day})")

    sessionized = ("intermediate", "int_web_events_sessionized")
    write(*sessionized, models[sessionized], partitioned=True)  # as the model documents it
    write("staging", "stg_web__events", models[("staging", "stg_web__events")], partitioned=False)
    phase_visits = ("marts", "fct_journey_phase_visits")  # by subject: a plain table on Spark
    write(*phase_visits, models[phase_visits], partitioned=False)
    assert spark_tables_out_of_date(tables, manifest) == ["staging.stg_web__events"]

    shutil.rmtree(tables / "intermediate.db" / sessionized[1])
    write(*sessionized, models[sessionized] - {"_invocation_id"}, partitioned=True)
    assert spark_tables_out_of_date(tables, manifest) == [
        "intermediate.int_web_events_sessionized",
        "staging.stg_web__events",
    ]
