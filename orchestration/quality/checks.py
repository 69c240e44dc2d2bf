"""Blocking Dagster asset checks that run the Great Expectations suite of each raw table.

A failed check stops every asset downstream of its raw table in the same run (dbt models, the
publish step), so the published marts stay as they were. The failing rows are written to
``ops.quarantine`` with the reason and the check name, replacing what the same check wrote on
an earlier run, so the quarantine always shows the current state of each check.

With ``CJM_ENGINE=spark`` a check reads the raw table's Parquet in the lake, the files Spark
builds from, rather than the DuckDB table they were written from.

With the DuckDB checks engine (the default) a check reads only the loads that have not passed it yet
(``orchestration.quality.scope``): this run's files and the ones that failed before. Loads that
passed have no quarantine rows of the check, so replacing the check's rows with this result
still leaves the current state of the whole table.
"""

from pathlib import Path

import dagster as dg
import duckdb

from orchestration.quality.gx_suites import SuiteResult, checks_engine, run_suite
from orchestration.quality.results_page import record_result, write_page
from orchestration.quality.scope import loads_to_check, record_passes, suite_fingerprint
from orchestration.quality.sql_engine import run_suite_in_duckdb
from orchestration.resources import EXPECTATIONS_DIR, WarehouseResource
from orchestration.transform.spark_lake import lake_relation

WHAT_TO_DO = (
    "Correct these rows in the export (or export the data again from the source tool), put the"
    " corrected file into the landing folder under the same name (it replaces the earlier copy)"
    " and run `cjm run` again. The published marts are unchanged until then."
)
MAX_LISTED_ROWS = 20


def check_name_for(raw_table: str) -> str:
    return f"gx_{raw_table}"


def quarantine_failures(con: duckdb.DuckDBPyConnection, result: SuiteResult) -> int:
    """Replace this check's quarantine rows with the rows that fail now; return how many."""
    check_name = check_name_for(result.raw_table)
    rows = [
        (
            result.raw_table,
            row["source_file"],
            row["source_row"],
            failure.column,
            f"{row.get('reason', failure.reason)}. {WHAT_TO_DO}",
            row.get("record"),
            check_name,
        )
        for failure in result.failures
        for row in failure.rows
    ]
    con.execute("begin transaction")
    con.execute(
        "delete from ops.quarantine where check_name = ? and raw_table = ?",
        [check_name, result.raw_table],
    )
    if rows:
        con.executemany(
            "insert into ops.quarantine (load_id, raw_table, source_file, source_row,"
            " column_name, reason, record, check_name, quarantined_at)"
            " select (select l.load_id from ops.load_ledger as l"
            "         where l.source_file = ? and l.status = 'loaded' limit 1),"
            " ?, ?, ?, ?, ?, ?, ?, now()",
            [(r[1], *r) for r in rows],
        )
    con.execute("commit")
    return len(rows)


def describe_failures(result: SuiteResult) -> str:
    """A readable list: one line per failed row, naming file, row and column."""
    lines = []
    for failure in result.failures:
        lines.append(f"- {failure.reason} ({failure.unexpected_count} rows)")
        for row in failure.rows[:MAX_LISTED_ROWS]:
            lines.append(
                f"    {row['source_file']} row {row['source_row']} column {failure.column}:"
                f" {row.get('reason', failure.reason)}"
            )
        if len(failure.rows) > MAX_LISTED_ROWS:
            lines.append(f"    ... and {len(failure.rows) - MAX_LISTED_ROWS} more rows")
    return "\n".join(lines)


def build_gx_check(raw_table: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(["raw", raw_table]),
        name=check_name_for(raw_table),
        blocking=True,
        description=(
            f"Great Expectations suite expectations/{raw_table}.json on raw.{raw_table}, "
            "evaluated in DuckDB (CJM_CHECKS_ENGINE=gx: by GX on pandas), on CJM_ENGINE=spark over "
            "the table's Parquet in the lake: required columns, "
            "ids present and unique, scores in range, timestamps readable and plausible. "
            "Blocks everything downstream when it fails."
        ),
    )
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
        engine = checks_engine()
        # On Spark the gate reads the Parquet that Spark reads (written by the raw asset)
        lake = warehouse.lake_folder("raw", raw_table) if warehouse.on_spark else None
        relation = lake_relation(lake) if lake else None
        with warehouse.connect() as con:
            if engine == "duckdb":
                fingerprint = suite_fingerprint(raw_table, EXPECTATIONS_DIR)
                load_ids = loads_to_check(con, raw_table, check_name_for(raw_table), fingerprint)
                result = run_suite_in_duckdb(
                    con, raw_table, EXPECTATIONS_DIR, load_ids, relation=relation
                )
            else:  # GX on pandas reads the whole table
                result = run_suite(con, raw_table, EXPECTATIONS_DIR, engine, relation)
            quarantined = quarantine_failures(con, result)
            if engine == "duckdb":
                record_passes(con, check_name_for(raw_table), fingerprint, load_ids, result)
            record_result(con, context.run.run_id, result)
            page = write_page(con, Path(warehouse.path), context.run.run_id)
        metadata = {
            "validation_results": dg.MetadataValue.path(str(page)),
            "suite": result.suite_name,
            "rows_checked": result.rows_checked,
            "engine": engine,
            "reads": dg.MetadataValue.path(str(lake)) if lake else f"raw.{raw_table}",
            "expectations": result.expectations,
            "expectations_failed": len(result.failures),
            "rows_quarantined": quarantined,
        }
        if result.passed:
            return dg.AssetCheckResult(passed=True, metadata=metadata)
        report = describe_failures(result)
        context.log.error(f"raw.{raw_table} failed its quality check:\n{report}\n{WHAT_TO_DO}")
        return dg.AssetCheckResult(
            passed=False,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                **metadata,
                "failures": dg.MetadataValue.md(report),
                "what_to_do": WHAT_TO_DO,
            },
            description=f"{len(result.failures)} expectations failed on raw.{raw_table}",
        )

    return _check
