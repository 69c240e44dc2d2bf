"""The ops schema (load ledger, quarantine) and the raw tables' DDL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from .report import NEEDS_ACTION
from .schema import (
    ACCEPTED_DELIVERY_COLUMNS,
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
ACCEPTED = qualified(OPS_SCHEMA, "accepted_deliveries")
_OPS_TABLES = (
    (LEDGER, LOAD_LEDGER_COLUMNS),
    (QUARANTINE, QUARANTINE_COLUMNS),
    (ACCEPTED, ACCEPTED_DELIVERY_COLUMNS),
)


def ensure_ops_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create schemas ``raw`` and ``ops`` and the ops tables; add columns a newer release added."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(RAW_SCHEMA)}").fetchall()
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(OPS_SCHEMA)}").fetchall()
    for table, columns in _OPS_TABLES:
        con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({column_defs(columns)})").fetchall()
        for name, type_ in columns:
            con.execute(
                f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {quote_ident(name)} {type_}"
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
    """Create raw.<raw_table> with the lineage columns and ``columns`` when it is missing, and
    add the contract columns a table created by an earlier release lacks."""
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {qualified(RAW_SCHEMA, raw_table)} "
        f"({column_defs(LINEAGE_COLUMNS + tuple(columns))})"
    ).fetchall()
    add_missing_columns(con, raw_table, list(columns))


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
    file_sha256: str | None
    status: str
    source_format: str | None
    message: str
    loaded_at: datetime
    rows_loaded: int | None = None


# The identity of a delivered file, as SQL over source_file; loader.path_key is the same in
# Python. Lower case, without '.gz'; a GA4 day is one file whatever its format
# (web/events_20231215.json, .json.gz and .parquet are the same day).
PATH_KEY_SQL = (
    "regexp_replace(regexp_replace(lower(source_file), '\\.gz$', ''),"
    " '^(web/events_[0-9]{8})\\.(json|parquet)$', '\\1')"
)

_LEDGER_ROW_SQL = (
    "SELECT load_id, source_file, file_sha256, status, source_format, message, loaded_at,"
    f" rows_loaded FROM {LEDGER}"
)


def rows_for_key(con: duckdb.DuckDBPyConnection, raw_table: str, key: str) -> list[LedgerRow]:
    """Ledger rows of raw_table whose file identity (PATH_KEY_SQL) is ``key``."""
    rows = con.execute(
        f"""{_LEDGER_ROW_SQL}
        WHERE raw_table = ? AND {PATH_KEY_SQL} = ?
        ORDER BY loaded_at""",
        [raw_table, key],
    ).fetchall()
    return [LedgerRow(*row) for row in rows]


def rows_for_table(con: duckdb.DuckDBPyConnection, raw_table: str | None) -> list[LedgerRow]:
    """Every ledger row of ``raw_table`` (None: files no raw table takes), oldest first."""
    rows = con.execute(
        f"""{_LEDGER_ROW_SQL} WHERE raw_table IS NOT DISTINCT FROM ?
        ORDER BY loaded_at, load_id""",
        [raw_table],
    ).fetchall()
    return [LedgerRow(*row) for row in rows]


def mark_retired(con: duckdb.DuckDBPyConnection, load_id: str, note: str) -> None:
    """Set a ledger row's status to 'retired' and append why to its message."""
    con.execute(
        f"UPDATE {LEDGER} SET status = 'retired', message = message || ? WHERE load_id = ?",
        [note, load_id],
    ).fetchall()


def insert_ledger_row(con: duckdb.DuckDBPyConnection, **values: object) -> None:
    """One ledger row; ``rows_held`` and ``notes`` may be left out."""
    values = {"rows_held": 0, "notes": None, **values}
    names = [name for name, _ in LOAD_LEDGER_COLUMNS]
    con.execute(
        f"INSERT INTO {LEDGER} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
        [values[name] for name in names],
    ).fetchall()


def is_accepted(con: duckdb.DuckDBPyConnection, source_file: str, sha: str) -> tuple | None:
    """(accepted_at, accepted_by) when these bytes of ``source_file`` were accepted."""
    rows = con.execute(
        f"""SELECT accepted_at, accepted_by FROM {ACCEPTED}
        WHERE source_file = ? AND file_sha256 = ? ORDER BY accepted_at DESC LIMIT 1""",
        [source_file, sha],
    ).fetchall()
    return rows[0] if rows else None


def accept_delivery(
    con: duckdb.DuckDBPyConnection, source_file: str, sha: str, accepted_by: str
) -> None:
    """Record that these bytes of ``source_file`` may be applied although they were held."""
    con.execute(
        f"INSERT INTO {ACCEPTED} VALUES (?, ?, now()::TIMESTAMP, ?)",
        [source_file, sha, accepted_by],
    ).fetchall()


# The latest ledger row per delivered path (lower case, without .gz) and raw table: what the
# warehouse currently says about each file.
CURRENT_FILES_SQL = f"""
    SELECT * FROM {LEDGER}
    QUALIFY row_number() OVER (
        PARTITION BY coalesce(raw_table, ''), {PATH_KEY_SQL}
        ORDER BY loaded_at DESC, load_id DESC
    ) = 1
"""


def files_needing_action(
    con: duckdb.DuckDBPyConnection, raw_table: str | None = None
) -> list[tuple[str, str, str, str | None]]:
    """(source_file, status, message, notes) of every file whose latest delivery was not applied
    (failed, held, unrecognised), of one raw table or of all."""
    statuses = ", ".join(f"'{s}'" for s in NEEDS_ACTION)
    only = "" if raw_table is None else "AND raw_table = ?"
    return con.execute(
        f"""SELECT source_file, status, message, notes FROM ({CURRENT_FILES_SQL})
        WHERE status IN ({statuses}) {only} ORDER BY status, source_file""",
        [] if raw_table is None else [raw_table],
    ).fetchall()
