"""Dagster assets for ingestion: one asset per raw table, fed by the landing folder.

The readers, the load ledger and the quarantine live in ``orchestration.ingestion`` (plain
Python + DuckDB, testable without Dagster); this module only wraps them as assets with keys
``raw/<table>`` that match the dbt sources, so the lineage runs landing -> raw -> staging.
"""

from pathlib import Path

import dagster as dg

from orchestration.ingestion import RAW_TABLES, ensure_ops_tables, ingest_raw_table
from orchestration.resources import WarehouseResource

LANDING_FOLDERS = {
    "survey": "Survey tool exports (Qualtrics Export Data CSV): <landing>/survey/*.csv",
    "crm": "Salesforce Data Loader / Data Export CSVs: <landing>/crm/<Object>.csv",
    "web": "GA4 BigQuery export NDJSON, one file per day: <landing>/web/events_YYYYMMDD.json[.gz]",
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
        description=(
            f"raw.{raw_table}: {spec.description} Every new file in the landing folder is read "
            "with DuckDB's own readers, recorded in ops.load_ledger; unreadable rows go to "
            "ops.quarantine with the reason. A file delivered again unchanged changes nothing."
        ),
    )
    def _ingest(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            ensure_ops_tables(con)
            report = ingest_raw_table(con, Path(warehouse.landing_dir), raw_table)
            table_rows = con.execute(f"select count(*) from raw.{raw_table}").fetchall()[0][0]
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
            elif file.status not in ("loaded", "skipped_duplicate"):
                context.log.info(f"{file.source_file}: {file.status}. {file.message}")
        return dg.MaterializeResult(
            metadata={
                "files_seen": len(report.files),
                "files_loaded": sum(f.status == "loaded" for f in report.files),
                "files_failed": sum(f.status == "failed" for f in report.files),
                "rows_read": report.rows_read,
                "rows_loaded": report.rows_loaded,
                "rows_quarantined": report.rows_quarantined,
                "table_rows": table_rows,
            }
        )

    return _ingest


def build_raw_assets() -> list[dg.AssetsDefinition]:
    return [build_raw_asset(raw_table) for raw_table in RAW_TABLES]
