"""The same dbt project on Apache Spark builds the same marts as on DuckDB (README "Running on
Spark"). Run by `make test-spark`, which installs Spark in .venv-spark (and Java if missing);
`make test` leaves these out (marker `spark`).

The main job builds the sample on DuckDB; its raw layer is written as Parquet (the lake), the
dbt project is built from it on local Spark (dbt-spark, session method) and every mart is
read back from Spark's Parquet files and compared with DuckDB's, row for row.
"""

from __future__ import annotations

import math
import os
import subprocess
import time
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from orchestration.transform.spark_lake import write_lake
from tests.conftest import REPO_ROOT

pytestmark = [pytest.mark.spark, pytest.mark.slow]

SPARK_DBT = REPO_ROOT / ".venv-spark" / "bin" / "dbt"
DBT_PROJECT = REPO_ROOT / "dbt_project"

# Per-run lineage, the only columns left out: which dbt invocation wrote a row, and the
# signature of its partition's input (a sum of each engine's own 64-bit hashes, macro hash64).
LINEAGE_COLUMNS = {"_invocation_id", "_partition_signature"}


@pytest.fixture(scope="module")
def spark_build(sample_run, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The marts built on Spark from the sample run's raw layer; Spark's table folder."""
    assert sample_run.success
    if not SPARK_DBT.exists():
        pytest.fail("Spark is not installed: run `make test-spark` (it sets up .venv-spark)")
    root = tmp_path_factory.mktemp("spark")
    write_lake(sample_run.warehouse, root / "lake")
    env = {
        **os.environ,
        "CJM_DBT_TARGET": "spark",
        "CJM_SPARK_LAKE": str(root / "lake"),
        "CJM_SPARK_WAREHOUSE": str(root / "tables"),
        "CJM_SPARK_METASTORE_URL": f"jdbc:derby:;databaseName={root / 'metastore'};create=true",
        "DBT_TARGET_PATH": str(root / "target"),
        "DBT_LOG_PATH": str(root / "logs"),
    }
    for command in (
        ["seed"],
        ["run-operation", "register_lake_tables"],
        ["build", "--exclude", "resource_type:seed", "resource_type:unit_test"],
    ):
        started = time.perf_counter()
        done = subprocess.run(
            [str(SPARK_DBT), *command], cwd=DBT_PROJECT, env=env, capture_output=True, text=True
        )
        seconds = time.perf_counter() - started
        print(f"dbt {' '.join(command)} on Spark: {seconds:.1f} s")
        assert done.returncode == 0, f"dbt {command[0]} failed on Spark:\n{done.stdout[-6000:]}"
    return root / "tables"


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


def mart_names(warehouse: Path) -> list[str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return [
            row[0]
            for row in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'marts' order by 1"
            ).fetchall()
        ]


def test_every_mart_built_on_spark_equals_duckdb(sample_run, spark_build: Path) -> None:
    differences = []
    marts = mart_names(sample_run.warehouse)
    assert len(marts) >= 30
    with duckdb.connect(str(sample_run.warehouse), read_only=True) as con:
        for mart in marts:
            columns = [
                row[0] for row in con.execute(f"select * from marts.{mart} limit 0").description
            ]
            compared = [c for c in columns if c not in LINEAGE_COLUMNS]
            select = ", ".join(f'"{c}"' for c in compared)
            files = spark_build / "marts.db" / mart / "*.parquet"
            on_duckdb = con.execute(f"select {select} from marts.{mart}").fetchall()
            on_spark = con.execute(f"select {select} from read_parquet('{files}')").fetchall()
            if len(on_duckdb) != len(on_spark):
                sizes = f"{len(on_duckdb)} rows on DuckDB, {len(on_spark)} on Spark"
                differences.append(f"{mart}: {sizes}")
                continue
            for duck_row, spark_row in zip(
                sorted(on_duckdb, key=sort_key), sorted(on_spark, key=sort_key), strict=True
            ):
                unequal = [
                    f"{name}: DuckDB {left!r}, Spark {right!r}"
                    for name, left, right in zip(compared, duck_row, spark_row, strict=True)
                    if not same_value(left, right)
                ]
                if unequal:
                    differences.append(f"{mart}: {'; '.join(unequal[:4])}")
                    break
    assert not differences, "marts differ between Spark and DuckDB:\n" + "\n".join(differences)


def test_spark_reads_types_the_marts_declare(spark_build: Path) -> None:
    """Timestamps stay without a time zone and dates stay dates on Spark (the profile makes
    TIMESTAMP mean TIMESTAMP_NTZ), so BI tools read the same types from either engine."""
    files = spark_build / "marts.db" / "fct_touchpoints" / "*.parquet"
    with duckdb.connect() as con:
        occurred_at, event_date = con.execute(
            f"select occurred_at, cast(occurred_at as date) from read_parquet('{files}') limit 1"
        ).fetchone()
    assert isinstance(occurred_at, datetime) and occurred_at.tzinfo is None
    assert isinstance(event_date, date)
