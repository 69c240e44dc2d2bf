"""Dagster assets for ingestion: one asset per raw table, fed by the landing folder.

The readers, the load ledger and the quarantine live in ``orchestration.ingestion`` (plain
Python + DuckDB, testable without Dagster); this module only wraps them as assets with keys
``raw/<table>`` that match the dbt sources, so the lineage runs landing -> raw -> staging.
"""

import os
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.ingestion import (
    RAW_TABLES,
    ensure_ops_tables,
    ingest_raw_table,
    record_unclaimed_files,
)
from orchestration.ingestion.ledger import files_needing_action
from orchestration.ingestion.report import FAILED, HELD, NEEDS_ACTION, UNRECOGNISED
from orchestration.owners import DATA_ENGINEERING, source_owners
from orchestration.resources import WarehouseResource
from orchestration.transform.spark_lake import write_table

LANDING_FOLDERS = {
    "survey": "Survey tool exports (Qualtrics Export Data CSV): <landing>/survey/*.csv",
    "crm": "Salesforce Data Loader / Data Export CSVs: <landing>/crm/<Object>.csv",
    "web": "GA4 BigQuery export NDJSON, one file per day: <landing>/web/events_YYYYMMDD.json[.gz]",
    "followups": "Outcomes of the follow-ups, from the ticketing tool: <landing>/followups/*.csv",
}
MAX_LISTED_QUARANTINE = 10


def landing_folder_of(raw_table: str) -> str:
    return RAW_TABLES[raw_table].folder


def landing_specs() -> list[dg.AssetSpec]:
    """The landing folders as external assets: files arrive there from outside Dagster."""
    return [
        dg.AssetSpec(
            key=dg.AssetKey(["landing", folder]),
            description=description,
            group_name="landing",
            kinds={"file"},
            owners=source_owners(folder),
        )
        for folder, description in LANDING_FOLDERS.items()
    ]


def build_raw_asset(raw_table: str) -> dg.AssetsDefinition:
    spec = RAW_TABLES[raw_table]

    @dg.asset(
        key=dg.AssetKey(["raw", raw_table]),
        deps=[dg.AssetKey(["landing", spec.folder])],
        group_name="ingestion",
        kinds={"duckdb"},
        owners=source_owners(spec.folder),
        description=(
            f"raw.{raw_table}: {spec.description} Every new file in the landing folder is read "
            "with DuckDB's own readers, recorded in ops.load_ledger; unreadable rows go to "
            "ops.quarantine with the reason. A file delivered again unchanged changes nothing."
        ),
    )
    def _ingest(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        lake: dict[str, int] = {}
        with warehouse.connect() as con:
            ensure_ops_tables(con)
            report = ingest_raw_table(con, Path(warehouse.landing_dir), raw_table)
            table_rows = con.execute(f"select count(*) from raw.{raw_table}").fetchall()[0][0]
            if warehouse.on_spark:
                lake = write_lake_table(con, warehouse, "raw", raw_table)
        context.log.info(report.summary())
        for file in report.files:
            if file.status == "failed" or file.rows_quarantined:
                context.log.warning(
                    f"{file.source_file}: {file.status}, read {file.rows_read}, loaded "
                    f"{file.rows_loaded}, quarantined {file.rows_quarantined}. {file.message}"
                )
                for sample in file.quarantine_samples[:MAX_LISTED_QUARANTINE]:
                    context.log.warning(
                        f"  row {sample.source_row} column {sample.column_name or '-'}: "
                        f"{sample.reason}"
                    )
            elif file.status in NEEDS_ACTION:
                context.log.warning(f"{file.source_file}: {file.status}. {file.message}")
            elif file.status not in ("loaded", "skipped_duplicate"):
                context.log.info(f"{file.source_file}: {file.status}. {file.message}")
            for note in file.notes if file.status == "loaded" else []:
                context.log.info(f"{file.source_file}: note: {note}")
        return dg.MaterializeResult(
            metadata={
                "files_seen": len(report.files),
                "files_loaded": report.files_loaded,
                "files_failed": report.files_failed,
                "files_held": report.files_held,
                "files_unrecognised": report.files_unrecognised,
                "rows_held": report.rows_held,
                "rows_read": report.rows_read,
                "rows_loaded": report.rows_loaded,
                "rows_quarantined": report.rows_quarantined,
                "table_rows": table_rows,
                **lake,
            }
        )

    return _ingest


def write_lake_table(
    con: duckdb.DuckDBPyConnection, warehouse: WarehouseResource, schema: str, table: str
) -> dict[str, int]:
    """On Spark: the table's changed partitions into the lake; what changed, as metadata."""
    change = write_table(con, schema, table, warehouse.lake_folder(schema, table))
    return {
        "lake_partitions_written": change.partitions_written,
        "lake_partitions_removed": change.partitions_removed,
        "lake_partitions_unchanged": change.partitions_kept,
    }


def build_raw_assets() -> list[dg.AssetsDefinition]:
    return [build_raw_asset(raw_table) for raw_table in RAW_TABLES]


@dg.asset(
    key=dg.AssetKey(["ops", "landing_inventory"]),
    deps=[dg.AssetKey(["landing", folder]) for folder in LANDING_FOLDERS],
    group_name="ingestion",
    kinds={"duckdb"},
    owners=[DATA_ENGINEERING],
    description=(
        "Every file in the landing folder that no raw table takes (wrong folder, wrong name, "
        "unknown object) is recorded in ops.load_ledger as 'unrecognised', with what the "
        "landing folder expects and where the file belongs when its content is recognised. "
        "List files that are not exports in <landing>/.cjmignore."
    ),
)
def landing_inventory(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        report = record_unclaimed_files(con, Path(warehouse.landing_dir))
    for file in report.files:
        log = context.log.warning if file.status in NEEDS_ACTION else context.log.info
        log(f"{file.source_file}: {file.status}. {file.message}")
    return dg.MaterializeResult(
        metadata={
            "files_unrecognised": report.files_unrecognised,
            "files_retired": report.files_retired,
        }
    )


def failed_files_block() -> bool:
    """Whether failed and unrecognised files block publishing (env CJM_FAILED_FILES_BLOCK)."""
    return os.environ.get("CJM_FAILED_FILES_BLOCK", "").strip().lower() in ("1", "true", "yes")


def build_delivery_check(raw_table: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(["raw", raw_table]),
        name=f"deliveries_{raw_table}",
        blocking=True,
        description=(
            f"Every file of raw.{raw_table} in the landing folder was applied. A held file (a "
            "re-delivery that would remove rows) blocks everything downstream, so the "
            "published marts stay as they were; failed or unrecognised files are a warning "
            "(blocking with CJM_FAILED_FILES_BLOCK=true). `cjm status` says what to do."
        ),
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connect(read_only=True) as con:
            problems = files_needing_action(con, raw_table)
        held = [p for p in problems if p[1] == HELD]
        other = [p for p in problems if p[1] in (FAILED, UNRECOGNISED)]
        blocking = bool(held) or (bool(other) and failed_files_block())
        listing = "\n".join(
            f"- {file} ({status}): {message}" for file, status, message, _ in problems
        )
        return dg.AssetCheckResult(
            passed=not problems,
            severity=dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN,
            description=(
                f"{len(held)} held, {len(other)} failed or unrecognised file(s)"
                if problems
                else "every file applied"
            ),
            metadata={
                "files_held": len(held),
                "files_failed_or_unrecognised": len(other),
                **({"files": dg.MetadataValue.md(listing)} if problems else {}),
            },
        )

    return _check
