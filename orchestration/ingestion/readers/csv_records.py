"""Load the records of a CSV file into temp objects with DuckDB, keeping spreadsheet row numbers.

``read_csv`` runs with every column as VARCHAR, no type sniffing and ``store_rejects``: records
that DuckDB cannot parse (too few or too many values, unterminated quotes, bad encoding) land in
a rejects table whose ``line`` is the record number a spreadsheet shows (header rows count,
multi-line quoted values count once, empty lines count). The good records keep file order in
the temp table (CREATE TABLE AS preserves insertion order), so their numbers are the record
numbers that are neither rejected nor empty, in order.

One gap of DuckDB's reader is closed with a counting pass in Python (``scan_csv``): empty
values beyond the header's width are dropped silently (``a,b,,`` loads as ``a,b``), so a record
with an unquoted delimiter and empty trailing values would load shifted. Such records are
quarantined as well.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ..schema import quote_ident, sql_literal
from ..textfile import CsvHead, scan_csv
from .base import TempScope

_AGAIN = " Fix the record in the export or export the file again, then deliver it again."


@dataclass(frozen=True)
class CsvRecords:
    """Temp objects holding one CSV file's records.

    ``records``: view with ``_source_row`` BIGINT plus ``c0``..``c{n-1}`` VARCHAR for every
    record that parsed with the header's width, header records included. ``rejects``: one row
    per other record with ``source_row``, ``column_name`` (header name or NULL), ``reason`` and
    ``record`` (the original text).
    """

    records: str
    rejects: str
    header: list[str]
    notes: list[str] = field(default_factory=list)


def _reason_sql(header: list[str], encoding: str) -> tuple[str, str]:
    """SQL expressions (column name, reason) for a row of DuckDB's rejects table."""
    names = "[" + ", ".join(sql_literal(h) for h in header) + "]"
    n = len(header)
    col_index = "try_cast(regexp_extract(column_name, '^c([0-9]+)$', 1) AS BIGINT)"
    header_name = f"list_extract({names}, {col_index} + 1)"
    column_expr = (
        f"CASE WHEN error_type IN ('MISSING COLUMNS', 'UNQUOTED VALUE', 'CAST') "
        f"THEN {header_name} END"
    )
    reason_expr = f"""CASE error_type
        WHEN 'MISSING COLUMNS' THEN 'The record has fewer values than the {n} columns of the '
            || 'header (the first missing one is "' || coalesce({header_name}, '?') || '"); a '
            || 'value was probably cut short or a line break was added outside quotes.{_AGAIN}'
        WHEN 'TOO MANY COLUMNS' THEN 'The record has more values than the {n} columns of the '
            || 'header; a value probably holds the delimiter without being quoted.{_AGAIN}'
        WHEN 'UNQUOTED VALUE' THEN 'The record has a stray or unclosed double quote in column "'
            || coalesce({header_name}, '?') || '"; a quote inside a quoted value must be '
            || 'doubled ("").{_AGAIN}'
        WHEN 'INVALID ENCODING' THEN 'The record holds bytes that are not valid {encoding} '
            || 'text. Export the file again as UTF-8, then deliver it again.'
        WHEN 'LINE SIZE OVER MAXIMUM' THEN 'The record is longer than DuckDB''s maximum line '
            || 'size; a quote is probably left open so that following lines were swallowed.'
            || '{_AGAIN}'
        ELSE 'DuckDB could not parse the record (' || error_message || ').{_AGAIN}'
    END"""
    return column_expr, reason_expr


def load_csv_records(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    head: CsvHead,
    scope: TempScope,
) -> CsvRecords:
    """Read every record of ``path`` into temp objects of ``scope``; see CsvRecords."""
    header = head.header
    n = len(header)
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(n)) + "}"
    raw = scope.table("csv")
    rejects_raw = scope.table("csv_rejects_raw")
    scan = scope.table("csv_rejects_scan")
    con.execute(
        f"""CREATE TEMP TABLE {quote_ident(raw)} AS
        SELECT * FROM read_csv(
            {sql_literal(str(path))},
            columns = {columns},
            header = false,
            auto_detect = false,
            delim = {sql_literal(head.delimiter)},
            quote = '"',
            escape = '"',
            encoding = {sql_literal(head.duckdb_encoding)},
            strict_mode = true,
            null_padding = false,
            store_rejects = true,
            rejects_table = {sql_literal(rejects_raw)},
            rejects_scan = {sql_literal(scan)}
        )"""
    ).fetchall()

    rejects = scope.table("csv_rejects")
    column_expr, reason_expr = _reason_sql(header, head.duckdb_encoding)
    # DuckDB can report several errors for one record; keep the first (by byte position).
    con.execute(
        f"""CREATE TEMP TABLE {quote_ident(rejects)} AS
        SELECT
            CAST(line AS BIGINT) AS source_row,
            {column_expr} AS column_name,
            {reason_expr} AS reason,
            regexp_replace(regexp_replace(csv_line, '^\\r?\\n', ''), '\\r?\\n$', '') AS record
        FROM (
            SELECT *, row_number() OVER (PARTITION BY line ORDER BY byte_position) AS rn
            FROM {quote_ident(rejects_raw)}
        )
        WHERE rn = 1"""
    ).fetchall()
    good = con.execute(f"SELECT count(*) FROM {quote_ident(raw)}").fetchall()[0][0]
    rejected = {
        int(r[0]) for r in con.execute(f"SELECT source_row FROM {quote_ident(rejects)}").fetchall()
    }

    notes: list[str] = []
    checked = scan_csv(path, head.python_encoding, head.delimiter, n)
    if checked is None:
        notes.append(
            "Could not cross-check the number of values per record (a value is longer than "
            "Python's csv field limit); records with extra empty values at the end may load "
            "shifted and row numbers after an empty line may be too low."
        )
    elif checked.records - len(checked.empty) != good + len(rejected):
        notes.append(
            f"DuckDB and Python's csv module split the file into different records ("
            f"{good + len(rejected)} vs {checked.records - len(checked.empty)}); mixed CRLF and "
            "LF line ends or quoting errors are the usual cause. Quarantined rows show where; "
            "export the file again if many rows are affected."
        )
        checked = None  # trust DuckDB's record boundaries only
    empty = checked.empty if checked else []
    numbered = number_rows(con, scope, raw, sorted(rejected | set(empty)))

    shifted = [w for w in (checked.wrong_width if checked else []) if w[0] not in rejected]
    shifted_table = scope.table("csv_shifted")
    con.execute(
        f"""CREATE TEMP TABLE {quote_ident(shifted_table)}
        (source_row BIGINT, column_name VARCHAR, reason VARCHAR, record VARCHAR)"""
    ).fetchall()
    if shifted:
        con.execute(
            f"""INSERT INTO {quote_ident(shifted_table)}
            SELECT unnest(CAST(? AS BIGINT[])), NULL,
                   'The record has ' || unnest(CAST(? AS BIGINT[])) || ' values but the header '
                   || 'has {n} columns; a value probably holds the delimiter without being '
                   || 'quoted, which would shift the values after it.{_AGAIN}',
                   unnest(CAST(? AS VARCHAR[]))""",
            [[w[0] for w in shifted], [w[1] for w in shifted], [w[2] for w in shifted]],
        ).fetchall()
        con.execute(
            f"INSERT INTO {quote_ident(rejects)} SELECT * FROM {quote_ident(shifted_table)}"
        ).fetchall()

    records = scope.view("records")
    con.execute(
        f"""CREATE TEMP VIEW {quote_ident(records)} AS
        SELECT * FROM {quote_ident(numbered)}
        WHERE _source_row NOT IN (SELECT source_row FROM {quote_ident(shifted_table)})"""
    ).fetchall()
    return CsvRecords(records, rejects, header, notes)


def number_rows(
    con: duckdb.DuckDBPyConnection, scope: TempScope, table: str, skipped: list[int]
) -> str:
    """A temp view of ``table`` with ``_source_row`` added: the 1-based record number.

    ``table`` holds the records a DuckDB reader returned, in file order; ``skipped`` are the
    numbers of the records it did not return (rejected or empty). Record k (0-based) of the
    table is the k-th number, in order, that is not skipped.
    """
    view = scope.view("numbered")
    good, low, high = con.execute(
        f"SELECT count(*), min(rowid), max(rowid) FROM {quote_ident(table)}"
    ).fetchall()[0]
    if good and (low != 0 or high != good - 1):
        raise RuntimeError(
            f"rowids of {table} are {low}..{high} for {good} rows; row numbers need 0..n-1 "
            "(was the table created inside a transaction?)"
        )
    if not skipped:
        con.execute(
            f"""CREATE TEMP VIEW {quote_ident(view)} AS
            SELECT rowid + 1 AS _source_row, * FROM {quote_ident(table)}"""
        ).fetchall()
        return view
    total = int(good) + len(skipped)
    numbers = scope.table("record_numbers")
    con.execute(
        f"""CREATE TEMP TABLE {quote_ident(numbers)} AS
        SELECT row_number() OVER (ORDER BY n) - 1 AS k, n
        FROM range(1, {total + 1}) AS t(n)
        ANTI JOIN (SELECT unnest(CAST(? AS BIGINT[])) AS n) AS s USING (n)""",
        [skipped],
    ).fetchall()
    con.execute(
        f"""CREATE TEMP VIEW {quote_ident(view)} AS
        SELECT m.n AS _source_row, c.*
        FROM {quote_ident(table)} AS c
        JOIN {quote_ident(numbers)} AS m ON m.k = c.rowid"""
    ).fetchall()
    return view


def record_text_sql(n_columns: int, delimiter: str, null_as: str = "") -> str:
    """SQL that rebuilds a record's text from columns c0..c{n-1}.

    Values are quoted (quotes doubled); NULL becomes ``null_as`` (``""`` for exports that quote
    every value, empty for those that leave empty values unquoted).
    """
    quoted = [
        f"coalesce('\"' || replace(c{i}, '\"', '\"\"') || '\"', {sql_literal(null_as)})"
        for i in range(n_columns)
    ]
    return f"concat_ws({sql_literal(delimiter)}, {', '.join(quoted)})"
