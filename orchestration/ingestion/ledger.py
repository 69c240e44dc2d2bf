"""The ops schema (load ledger, quarantine) and the raw tables' DDL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from .schema import (
    LINEAGE_COLUMNS,
    LOAD_LEDGER_COLUMNS,
    QUARANTINE_COLUMNS,
    Column,
    column_defs,
    qualified,
    quote_ident,
)

RAW_SCHEMA = "raw"
OPS_SCHEMA = "ops"
LEDGER = qualified(OPS_SCHEMA, "load_ledger")
QUARANTINE = qualified(OPS_SCHEMA, "quarantine")


def ensure_ops_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create schemas ``raw`` and ``ops`` and the tables ops.load_ledger and ops.quarantine."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(RAW_SCHEMA)}").fetchall()
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(OPS_SCHEMA)}").fetchall()
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {LEDGER} ({column_defs(LOAD_LEDGER_COLUMNS)})"
    ).fetchall()
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {QUARANTINE} ({column_defs(QUARANTINE_COLUMNS)})"
    ).fetchall()


def raw_columns(con: duckdb.DuckDBPyConnection, raw_table: str) -> dict[str, str]:
    """Columns (name -> type) of raw.<raw_table>; empty when the table does not exist."""
    rows = con.execute(
        """SELECT column_name, data_type FROM information_schema.columns
        WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position""",
        [RAW_SCHEMA, raw_table],
    ).fetchall()
    return {name: type_ for name, type_ in rows}


def ensure_raw_table(
    con: duckdb.DuckDBPyConnection, raw_table: str, columns: tuple[Column, ...]
) -> None:
    """Create raw.<raw_table> with the lineage columns and ``columns`` when it is missing."""
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {qualified(RAW_SCHEMA, raw_table)} "
        f"({column_defs(LINEAGE_COLUMNS + tuple(columns))})"
    ).fetchall()


def add_missing_columns(
    con: duckdb.DuckDBPyConnection, raw_table: str, columns: list[Column]
) -> list[str]:
    """Add the columns raw.<raw_table> lacks (at the end); returns their names."""
    existing = {name.lower() for name in raw_columns(con, raw_table)}
    added = []
    for name, type_ in columns:
        if name.lower() not in existing:
            con.execute(
                f"ALTER TABLE {qualified(RAW_SCHEMA, raw_table)} "
                f"ADD COLUMN {quote_ident(name)} {type_}"
            ).fetchall()
            added.append(name)
    return added


@dataclass(frozen=True)
class LedgerRow:
    load_id: str
    source_file: str
    file_sha256: str
    status: str
    source_format: str | None
    message: str
    loaded_at: datetime


def rows_for_key(con: duckdb.DuckDBPyConnection, raw_table: str, key: str) -> list[LedgerRow]:
    """Ledger rows of raw_table whose file path, in lower case and without '.gz', is ``key``."""
    rows = con.execute(
        f"""SELECT load_id, source_file, file_sha256, status, source_format, message, loaded_at
        FROM {LEDGER}
        WHERE raw_table = ? AND regexp_replace(lower(source_file), '\\.gz$', '') = ?
        ORDER BY loaded_at""",
        [raw_table, key],
    ).fetchall()
    return [LedgerRow(*row) for row in rows]


def insert_ledger_row(con: duckdb.DuckDBPyConnection, **values: object) -> None:
    names = [name for name, _ in LOAD_LEDGER_COLUMNS]
    con.execute(
        f"INSERT INTO {LEDGER} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
        [values[name] for name in names],
    ).fetchall()
