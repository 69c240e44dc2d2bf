"""Time the ingestion of a landing folder, raw table by raw table (no Dagster, no checks).

    python -m orchestration.ingestion.timing <landing folder> <new warehouse file> [raw table ...]

Loads every raw table (or the ones named) into a new warehouse file with the CJM_DUCKDB_*
settings and prints, per raw table, the wall time, the CPU time of the process (DuckDB's threads
included, so on a shared machine it says more than the wall time) and the rows read, loaded and
quarantined. The warehouse file must not exist yet: the figures are those of a first load.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import duckdb

from orchestration.duckdb_config import duckdb_config

from . import RAW_TABLES, ingest_raw_table


def time_ingestion(landing: Path, warehouse: Path, raw_tables: list[str]) -> list[str]:
    """Ingest ``raw_tables`` from ``landing`` into the new file ``warehouse``; one line each."""
    if warehouse.exists():
        raise FileExistsError(f"{warehouse} exists; give the path of a new warehouse file")
    lines = []
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    with duckdb.connect(str(warehouse), config=duckdb_config(warehouse)) as con:
        for raw_table in raw_tables:
            wall, cpu = time.perf_counter(), time.process_time()
            report = ingest_raw_table(con, landing, raw_table)
            lines.append(
                f"{raw_table:32s} {time.perf_counter() - wall:8.2f} s wall "
                f"{time.process_time() - cpu:8.2f} s CPU  read {report.rows_read:>10,} "
                f"loaded {report.rows_loaded:>10,} quarantined {report.rows_quarantined:>6,} "
                f"files {len(report.files)}"
            )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines.append(
        f"{'all':32s} {time.perf_counter() - start_wall:8.2f} s wall "
        f"{time.process_time() - start_cpu:8.2f} s CPU  peak RSS {peak:,.0f} MB"
    )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("landing", type=Path, help="landing folder (survey/, crm/, web/, ...)")
    parser.add_argument("warehouse", type=Path, help="new DuckDB file to load into")
    parser.add_argument("raw_tables", nargs="*", help=f"default: all ({', '.join(RAW_TABLES)})")
    args = parser.parse_args(argv)
    unknown = [t for t in args.raw_tables if t not in RAW_TABLES]
    if unknown:
        parser.error(f"unknown raw table(s) {', '.join(unknown)}")
    try:
        lines = time_ingestion(args.landing, args.warehouse, args.raw_tables or list(RAW_TABLES))
    except FileExistsError as error:
        print(error, file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
