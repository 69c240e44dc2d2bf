"""The main job with ``CJM_ENGINE=spark`` publishes the same marts as with DuckDB (README
"Running on Spark"). Run by `make test-spark`, which installs Spark in .venv-spark (and Java if
missing); `make test` leaves these out (marker `spark`).

The whole job runs in-process on the bundled sample with the Spark engine: the raw assets write
the lake (Parquet by load date), the blocking gates read it, `dbt build` runs on local Spark
(dbt-spark, session method) and the publish step writes the marts as Parquet and copies them
into DuckDB. Every published mart is compared with the DuckDB run's, row for row.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import time
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from orchestration.engine import SPARK_VENV, SparkPaths
from orchestration.transform.spark_lake import write_lake
from tests.conftest import REPO_ROOT, SAMPLE_LANDING, make_landing
from tests.integration.conftest import JobRun, copy_landing, run_job
from tests.integration.test_bad_input_is_blocked import SURVEY, _corrupt_survey
from tests.integration.test_incremental import (
    INCREMENTAL_MODELS,
    dbt,
    ingest,
    ndjson,
    param,
    sample_day,
    web_landing,
)

pytestmark = [pytest.mark.spark, pytest.mark.slow]

# Settings that would move the Spark engine's folders away from the test's temporary folder.
SPARK_SETTINGS = (
    "CJM_SPARK_LAKE",
    "CJM_SPARK_LAKE_URL",
    "CJM_SPARK_WAREHOUSE",
    "CJM_SPARK_METASTORE_URL",
    "CJM_SPARK_PUBLISHED",
    "CJM_SPARK_PUBLISHED_URL",
)

# Per-run lineage, the only columns left out: which dbt invocation wrote a row, and the
# signature of its partition's input (a sum of each engine's own 64-bit hashes, macro hash64).
LINEAGE_COLUMNS = {"_invocation_id", "_partition_signature"}


def run_on_spark(landing: Path, warehouse: Path) -> JobRun:
    if not (SPARK_VENV / "bin" / "cjm-dbt").exists():
        pytest.fail("Spark is not installed: run `make test-spark` (it sets up .venv-spark)")
    with pytest.MonkeyPatch.context() as env:
        for name in SPARK_SETTINGS:
            env.delenv(name, raising=False)
        started = time.perf_counter()
        run = run_job(landing, warehouse, engine="spark")
    print(f"main job on Spark ({landing.name}): {time.perf_counter() - started:.1f} s")
    return run


@pytest.fixture(scope="module")
def spark_run(tmp_path_factory: pytest.TempPathFactory) -> JobRun:
    """The whole job on the bundled sample with the Spark engine."""
    return run_on_spark(SAMPLE_LANDING, tmp_path_factory.mktemp("spark") / "cjm.duckdb")


def published_folder(run: JobRun) -> Path:
    current = run.warehouse.parent / "spark" / "published" / "current.json"
    return Path(json.loads(current.read_text(encoding="utf-8"))["folder"])


def comparable(value):  # noqa: ANN001, ANN201
    """A value as compared: floats to 10 significant digits (the sort key; equality is checked
    to 1e-9 after sorting), NaN as None."""
    if isinstance(value, float):
        return None if math.isnan(value) else float(f"{value:.10g}")
    return value


def sort_key(row: tuple) -> tuple:
    return tuple((value is None, str(comparable(value))) for value in row)


def same_value(left, right) -> bool:  # noqa: ANN001
    if isinstance(left, float) and isinstance(right, float):
        return math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-9)
    return left == right


def differences(name: str, columns: list[str], expected: list, found: list) -> list[str]:
    """The first unequal row of a mart (both sides sorted the same way), or the row counts."""
    if len(expected) != len(found):
        return [f"{name}: {len(expected)} rows on DuckDB, {len(found)} on Spark"]
    for duck_row, spark_row in zip(
        sorted(expected, key=sort_key), sorted(found, key=sort_key), strict=True
    ):
        unequal = [
            f"{column}: DuckDB {left!r}, Spark {right!r}"
            for column, left, right in zip(columns, duck_row, spark_row, strict=True)
            if not same_value(left, right)
        ]
        if unequal:
            return [f"{name}: {'; '.join(unequal[:4])}"]
    return []


def test_the_job_on_spark_publishes_the_marts_duckdb_publishes(sample_run, spark_run) -> None:
    assert sample_run.success and spark_run.success
    # the same checks pass and warn (the sample raises an alert, a warning, on either engine)
    assert {c for c in spark_run.checks if not c.passed} == {
        c for c in sample_run.checks if not c.passed
    }
    folder = published_folder(spark_run)
    found = []
    with duckdb.connect(str(sample_run.published), read_only=True) as con:
        marts = [
            row[0]
            for row in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'marts' order by 1"
            ).fetchall()
        ]
        assert len(marts) >= 30
        assert sorted(p.name for p in folder.iterdir() if p.is_dir()) == marts
        con.execute(f"attach '{spark_run.published}' as on_spark (read_only)")
        for mart in marts:
            columns = [
                row[0] for row in con.execute(f"select * from marts.{mart} limit 0").description
            ]
            compared = [c for c in columns if c not in LINEAGE_COLUMNS]
            select = ", ".join(f'"{c}"' for c in compared)
            on_duckdb = con.execute(f"select {select} from marts.{mart}").fetchall()
            parquet = folder / mart / "*.parquet"
            # the Parquet BI tools read, and the DuckDB copy the page and the outbox read
            for relation in (f"read_parquet('{parquet}')", f"on_spark.marts.{mart}"):
                on_spark = con.execute(f"select {select} from {relation}").fetchall()
                found += differences(f"{mart} ({relation})", compared, on_duckdb, on_spark)
    assert not found, "marts differ between Spark and DuckDB:\n" + "\n".join(found)
    # the steps after publishing read the marts Spark built: same alerts, same follow-ups
    for asset, field in (("cx/alerts", "new_alerts"), ("cx/follow_ups_outbox", "new_follow_ups")):
        assert spark_run.materialized[asset][field] == sample_run.materialized[asset][field]
    assert Path(spark_run.materialized["bi/journey_report"]["path"]).is_file()


def test_the_gates_on_spark_read_the_lake(spark_run) -> None:
    """Each raw table went to the lake by load date, and its blocking check read that Parquet."""
    lake = spark_run.warehouse.parent / "spark" / "lake"
    gates = {
        e.check_name: e.metadata["reads"].value
        for e in spark_run.result.get_asset_check_evaluations()
        if e.check_name.startswith("gx_")
    }
    assert gates and all(Path(path).parent == lake / "raw" for path in gates.values())
    web = spark_run.materialized["raw/web_events"]
    assert int(web["lake_partitions_written"]) >= 1
    with duckdb.connect(str(spark_run.warehouse), read_only=True) as con:
        in_lake = con.execute(
            f"select count(*) from read_parquet('{lake}/raw/web_events/*/*.parquet')"
        ).fetchone()[0]
        assert in_lake == con.execute("select count(*) from raw.web_events").fetchone()[0]


def test_spark_publishes_the_types_the_marts_declare(spark_run) -> None:
    """Timestamps stay without a time zone and dates stay dates on Spark (the profile makes
    TIMESTAMP mean TIMESTAMP_NTZ), so BI tools read the same types from either engine."""
    files = published_folder(spark_run) / "fct_touchpoints" / "*.parquet"
    with duckdb.connect() as con:
        occurred_at, event_date = con.execute(
            f"select occurred_at, cast(occurred_at as date) from read_parquet('{files}') limit 1"
        ).fetchone()
    assert isinstance(occurred_at, datetime) and occurred_at.tzinfo is None
    assert isinstance(event_date, date)


def test_a_bad_export_is_blocked_by_the_gate_on_the_lake(tmp_path: Path) -> None:
    """The gate reads the Parquet and fails on the bad rows, which are quarantined with file,
    row and column; dbt never starts on Spark and nothing is published."""
    landing = copy_landing(tmp_path / "landing")
    rows = _corrupt_survey(landing / SURVEY)

    failed = run_on_spark(landing, tmp_path / "cjm.duckdb")

    assert not failed.success
    gate = next(
        e for e in failed.result.get_asset_check_evaluations()
        if e.check_name == "gx_survey_responses"
    )  # fmt: skip
    assert gate.passed is False
    assert gate.metadata["reads"].value.endswith("lake/raw/survey_responses")
    assert not any(key.startswith(("marts/", "bi/")) for key in failed.materialized)
    assert not (tmp_path / "spark" / "published" / "current.json").exists()
    quarantined = failed.query(
        "select source_file, source_row, column_name from ops.quarantine"
        " where check_name = 'gx_survey_responses'"
    )
    assert (SURVEY, rows["nps"], "nps_score") in quarantined


# The models incremental by day on Spark (insert_overwrite of their `_partition_date`
# partitions); those partitioned by customer or account are tables built in full there.
DAY_MODELS = {
    table: column for table, column in INCREMENTAL_MODELS.items() if column == "_partition_date"
}


def dbt_on_spark(warehouse: Path, target: Path, *args: str) -> dict:
    """A dbt command with the spark target over the lake and tables beside ``warehouse``
    (none of the user's Spark settings); its run_results.json."""
    environment = {k: v for k, v in os.environ.items() if k not in SPARK_SETTINGS}
    started = time.perf_counter()
    completed = subprocess.run(
        [str(SPARK_VENV / "bin" / "dbt"), *args, "--target-path", str(target)],
        cwd=REPO_ROOT / "dbt_project",
        env={**environment, **SparkPaths.for_warehouse(warehouse).dbt_env()},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-4000:]
    print(f"dbt {args[0]} on Spark: {time.perf_counter() - started:.1f} s")
    return json.loads((target / "run_results.json").read_text())


def spark_table(warehouse: Path, table: str) -> str:
    """A Spark table's Parquet folder as DuckDB reads it (partition values kept as text)."""
    schema, name = table.split(".")
    folder = Path(SparkPaths.for_warehouse(warehouse).tables) / f"{schema}.db" / name
    return (
        f"read_parquet('{folder}/**/*.parquet', hive_partitioning = true,"
        " hive_types_autocast = false)"
    )


def written_by(warehouse: Path, results: dict) -> dict[str, set[str]]:
    """The partitions of each day model that the dbt invocation of ``results`` wrote."""
    invocation = results["metadata"]["invocation_id"]
    with duckdb.connect() as con:
        return {
            table: {
                partition
                for (partition,) in con.execute(
                    f"select distinct _partition_date from {spark_table(warehouse, table)}"
                    " where _invocation_id = ?",
                    [invocation],
                ).fetchall()
            }
            for table in DAY_MODELS
        }


def rows_missing(con: duckdb.DuckDBPyConnection, query: str, other: str) -> int:
    """Rows of ``query`` that ``other`` does not give (duplicates counted)."""
    return con.execute(f"select count(*) from ({query} except all {other})").fetchone()[0]


def unequal_to_duckdb(warehouse: Path, scratch: Path) -> dict[str, tuple[int, int]]:
    """Rows of each day model on Spark missing from DuckDB's full build of the same raw
    tables, and the other way round (lineage columns left out)."""
    copy = scratch / "duckdb_full.duckdb"
    shutil.copyfile(warehouse, copy)
    dbt(copy, scratch / "target_duckdb", "build", "--full-refresh", "--select",
        *(f"+{table.split('.')[1]}" for table in DAY_MODELS),
        "--resource-type", "seed", "--resource-type", "model")  # fmt: skip
    found = {}
    with duckdb.connect(str(copy), read_only=True) as con:
        for table in DAY_MODELS:
            columns = con.execute(f"select * from {table} limit 0").description
            select = ", ".join(f'"{c[0]}"' for c in columns if c[0] not in LINEAGE_COLUMNS)
            on_spark = f"select {select} from {spark_table(warehouse, table)}"
            on_duckdb = f"select {select} from {table}"
            found[table] = (
                rows_missing(con, on_spark, on_duckdb),
                rows_missing(con, on_duckdb, on_spark),
            )
    return found


def test_incremental_models_on_spark_replace_only_the_changed_days(
    sample_run: JobRun, tmp_path: Path
) -> None:
    """On Spark the models partitioned by day are built incrementally (insert_overwrite of
    whole `_partition_date` partitions): a delivery rebuilds only the days whose input
    changed, a day whose rows are all gone is dropped, and the rows equal a full build."""
    days = {day: sample_day(day) for day in ("20260901", "20260902", "20260903")}
    # GA4 first exports day 3 with a wrong event_date, then exports it again correctly
    misdated = [{**event, "event_date": "20260930"} for event in days["20260903"]]
    warehouse = tmp_path / "cjm.duckdb"
    lake = Path(SparkPaths.for_warehouse(warehouse).lake)
    landing = web_landing(tmp_path, {**days, "20260903": misdated})
    ingest(warehouse, landing)
    with duckdb.connect(str(warehouse)) as con:
        # every source has its lake folder (the job's comment tables; none are read here)
        con.execute(f"attach '{sample_run.warehouse}' as sample (read_only)")
        con.execute("create schema enrich")
        for (table,) in con.execute(
            "select table_name from duckdb_tables()"
            " where database_name = 'sample' and schema_name = 'enrich'"
        ).fetchall():
            con.execute(
                f"create table enrich.{table} as select * from sample.enrich.{table} limit 0"
            )
    write_lake(warehouse, lake)
    selection = [f"+{table.split('.')[1]}" for table in DAY_MODELS]
    first = dbt_on_spark(warehouse, tmp_path / "target_1", "build", "--select", *selection,
                         "--resource-type", "seed", "--resource-type", "model")  # fmt: skip
    assert written_by(warehouse, first)["staging.stg_web__events"] == {
        "20260901", "20260902", "20260930",
    }  # fmt: skip

    # Day 3 again, dated right, with a late event of day 2 (a second before a day-2 session's
    # first event, in the same session)
    day2_first = min(
        (e for e in days["20260902"] if param(e, "ga_session_id") is not None),
        key=lambda e: int(e["event_timestamp"]),
    )
    late = {
        **day2_first,
        "event_timestamp": str(int(day2_first["event_timestamp"]) - 1_000_000),
        "event_name": "scroll",
    }
    make_landing(tmp_path, {"web/events_20260903.json": ndjson([*days["20260903"], late])})
    ingest(warehouse, landing)
    write_lake(warehouse, lake)
    second = dbt_on_spark(warehouse, tmp_path / "target_2", "run", "--select", *selection)
    built = written_by(warehouse, second)
    # only the days whose raw rows changed were written again upstream; day 1 was kept
    assert built["staging.stg_web__events"] == {"20260902", "20260903"}
    assert "20260901" not in built["intermediate.int_web_events_sessionized"]
    with duckdb.connect() as con:
        for table in DAY_MODELS:
            partitions = {
                p for (p,) in con.execute(
                    f"select distinct _partition_date from {spark_table(warehouse, table)}"
                ).fetchall()
            }  # fmt: skip
            assert "20260930" not in partitions, f"{table} kept the withdrawn day"
            assert "20260901" in partitions or table == "marts.fct_web_sessions", table
    assert unequal_to_duckdb(warehouse, tmp_path) == {table: (0, 0) for table in DAY_MODELS}
