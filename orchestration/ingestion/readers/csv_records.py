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
quarantined as well, and so are records holding a NUL character.

Files DuckDB cannot read as they are get a UTF-8 copy first (``textfile.convert_to_utf8``, in a
temp folder removed right after loading): Windows-1252 (German Excel, Salesforce Data Loader's
default), UTF-16 (DuckDB reads little-endian only and fails on emoji), and files mixing CRLF and
LF record ends (DuckDB's reader takes one line end per file). The copy has the same records, so
row numbers do not change; a note says what was converted. DuckDB reads gzipped files directly.

Decimal commas (German Excel writes ``500000,0``) stay as exported in raw: ``decimal_separator``
finds a file's decimal separator from the values of its numeric columns, and readers store it in
the ``_decimal_separator`` column for staging (macro ``decimal_text``).
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ..schema import quote_ident, sql_literal
from ..textfile import CsvHead, CsvScan, EncodingError, convert_to_utf8, is_gzip, scan_csv
from .base import FormatError, TempScope

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
    encoding: str = "UTF-8"  # the file's own encoding (textfile.UTF8, WINDOWS_1252, ...)
    converted: bool = False  # DuckDB read a UTF-8 copy (see the module docstring)


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
            || 'text (the first MiB of the file was, so the file was read as {encoding}; a '
            || 'file edited in Excel may mix encodings). Export the file again as UTF-8, then '
            || 'deliver it again.'
        WHEN 'LINE SIZE OVER MAXIMUM' THEN 'The record is longer than DuckDB''s maximum line '
            || 'size; a quote is probably left open so that following lines were swallowed.'
            || '{_AGAIN}'
        ELSE 'DuckDB could not parse the record (' || error_message || ').{_AGAIN}'
    END"""
    return column_expr, reason_expr


def _temp_folder(con: duckdb.DuckDBPyConnection) -> str | None:
    """DuckDB's own temp folder when it exists (beside the warehouse), else the system's."""
    setting = con.execute("SELECT current_setting('temp_directory')").fetchall()[0][0]
    folder = Path(setting) if setting else None
    return str(folder) if folder and folder.is_absolute() and folder.is_dir() else None


@contextlib.contextmanager
def _duckdb_readable(
    con: duckdb.DuckDBPyConnection, path: Path, head: CsvHead, mixed_ends: bool
) -> Iterator[tuple[Path, str, str]]:
    """(file, encoding, compression) for read_csv: the file itself or a temp UTF-8 copy."""
    if not head.needs_conversion and not mixed_ends:
        yield path, head.duckdb_encoding, "gzip" if is_gzip(path) else "none"
        return
    with tempfile.TemporaryDirectory(prefix="cjm_csv_", dir=_temp_folder(con)) as folder:
        copy = Path(folder) / "utf8.csv"
        try:
            convert_to_utf8(path, head.python_encoding, copy, record_ends_to_lf=mixed_ends)
        except EncodingError as err:
            raise FormatError(str(err)) from err
        yield copy, "utf-8", "none"


def _dialect_notes(head: CsvHead, checked: CsvScan | None) -> list[str]:
    notes = []
    if head.needs_conversion:
        notes.append(
            f"The file was converted from {head.encoding} to UTF-8 for loading; values are "
            "unchanged."
        )
    if checked is not None and checked.mixed_line_ends:
        notes.append(
            f"The file has mixed CRLF and LF line ends ({checked.crlf_ends} records end in CRLF, "
            f"{checked.lf_ends} in LF); all were read as record ends, line breaks inside quoted "
            "values are kept as they are."
        )
    return notes


def _read_with_duckdb(
    con: duckdb.DuckDBPyConnection, path: Path, head: CsvHead, scope: TempScope, mixed_ends: bool
) -> tuple[str, str]:
    """Temp tables (records, DuckDB's rejects) of every record, every value VARCHAR."""
    n = len(head.header)
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(n)) + "}"
    raw = scope.table("csv")
    rejects_raw = scope.table("csv_rejects_raw")
    scan = scope.table("csv_rejects_scan")
    with _duckdb_readable(con, path, head, mixed_ends) as (source, encoding, compression):
        con.execute(
            f"""CREATE TEMP TABLE {quote_ident(raw)} AS
            SELECT * FROM read_csv(
                {sql_literal(str(source))},
                columns = {columns},
                header = false,
                auto_detect = false,
                delim = {sql_literal(head.delimiter)},
                quote = '"',
                escape = '"',
                encoding = {sql_literal(encoding)},
                compression = {sql_literal(compression)},
                strict_mode = true,
                null_padding = false,
                store_rejects = true,
                rejects_table = {sql_literal(rejects_raw)},
                rejects_scan = {sql_literal(scan)}
            )"""
        ).fetchall()
    return raw, rejects_raw


def _first_error_per_record(
    con: duckdb.DuckDBPyConnection,
    scope: TempScope,
    rejects_raw: str,
    header: list[str],
    encoding: str,
) -> str:
    """A temp table with one row per rejected record: its number, column, reason and text."""
    rejects = scope.table("csv_rejects")
    column_expr, reason_expr = _reason_sql(header, encoding)
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
    return rejects


def load_csv_records(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    head: CsvHead,
    scope: TempScope,
) -> CsvRecords:
    """Read every record of ``path`` into temp objects of ``scope``; see CsvRecords.

    Raises FormatError when the file is not valid text in its encoding (a byte Windows-1252
    does not define).
    """
    header = head.header
    n = len(header)
    try:
        checked = scan_csv(path, head.python_encoding, head.delimiter, n)
    except EncodingError as err:
        raise FormatError(str(err)) from err
    mixed_ends = checked is not None and checked.mixed_line_ends
    notes = _dialect_notes(head, checked)
    raw, rejects_raw = _read_with_duckdb(con, path, head, scope, mixed_ends)
    rejects = _first_error_per_record(con, scope, rejects_raw, header, head.encoding)
    good = con.execute(f"SELECT count(*) FROM {quote_ident(raw)}").fetchall()[0][0]
    rejected = {
        int(r[0]) for r in con.execute(f"SELECT source_row FROM {quote_ident(rejects)}").fetchall()
    }

    if checked is None:
        notes.append(
            "Could not cross-check the number of values per record (a value is longer than "
            "Python's csv field limit); records with extra empty values at the end may load "
            "shifted and row numbers after an empty line may be too low."
        )
    elif checked.records - len(checked.empty) != good + len(rejected):
        notes.append(
            f"DuckDB and Python's csv module split the file into different records ("
            f"{good + len(rejected)} vs {checked.records - len(checked.empty)}); quoting errors "
            "are the usual cause. Quarantined rows show where; export the file again if many "
            "rows are affected."
        )
        checked = None  # trust DuckDB's record boundaries only
    empty = checked.empty if checked else []
    numbered = number_rows(con, scope, raw, sorted(rejected | set(empty)))

    flagged = _flagged_records(checked, rejected, n)
    flagged_table = scope.table("csv_flagged")
    con.execute(
        f"""CREATE TEMP TABLE {quote_ident(flagged_table)}
        (source_row BIGINT, column_name VARCHAR, reason VARCHAR, record VARCHAR)"""
    ).fetchall()
    if flagged:
        con.execute(
            f"""INSERT INTO {quote_ident(flagged_table)}
            SELECT f.source_row, NULL, f.reason,
                   coalesce(f.record, {record_text_sql(n, head.delimiter)})
            FROM (SELECT unnest(CAST(? AS BIGINT[])) AS source_row,
                         unnest(CAST(? AS VARCHAR[])) AS reason,
                         unnest(CAST(? AS VARCHAR[])) AS record) AS f
            LEFT JOIN {quote_ident(numbered)} AS r ON r._source_row = f.source_row""",
            [[f[0] for f in flagged], [f[1] for f in flagged], [f[2] for f in flagged]],
        ).fetchall()
        con.execute(
            f"INSERT INTO {quote_ident(rejects)} SELECT * FROM {quote_ident(flagged_table)}"
        ).fetchall()

    records = scope.view("records")
    con.execute(
        f"""CREATE TEMP VIEW {quote_ident(records)} AS
        SELECT * FROM {quote_ident(numbered)}
        WHERE _source_row NOT IN (SELECT source_row FROM {quote_ident(flagged_table)})"""
    ).fetchall()
    return CsvRecords(
        records,
        rejects,
        header,
        notes,
        encoding=head.encoding,
        converted=head.needs_conversion or mixed_ends,
    )


_NUL_REASON = (
    "The record holds a NUL character (byte 0), which is not text: the file was probably "
    "damaged in transfer or partly written in another encoding (UTF-16 without a byte-order "
    "mark)."
)


def _flagged_records(
    checked: CsvScan | None, rejected: set[int], n: int
) -> list[tuple[int, str, str | None]]:
    """(row, reason, record text or None) of records DuckDB read but that must not load."""
    if checked is None:
        return []
    out: list[tuple[int, str, str | None]] = []
    for number, values, text in checked.wrong_width:
        if number not in rejected:
            reason = (
                f"The record has {values} values but the header has {n} columns; a value "
                "probably holds the delimiter without being quoted, which would shift the "
                f"values after it.{_AGAIN}"
            )
            out.append((number, reason, text))
    flagged = {f[0] for f in out}
    for number in checked.nul or []:
        if number not in rejected and number not in flagged:
            out.append((number, _NUL_REASON + _AGAIN, None))
    return sorted(out)


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


# A number as German Excel writes it: decimal comma, optionally '.' between thousands.
DECIMAL_COMMA_PATTERN = r"[+-]?([0-9]+|[0-9]{1,3}(\.[0-9]{3})+)(,[0-9]+)?"
# A number as Salesforce, HubSpot and Qualtrics write it: decimal point, no grouping.
DECIMAL_POINT_PATTERN = r"[+-]?[0-9]+(\.[0-9]+)?"


def quarantine_records_without_id(
    con: duckdb.DuckDBPyConnection,
    scope: TempScope,
    records: CsvRecords,
    head: CsvHead,
    has_id: str,
    id_column: str,
    reason: str,
) -> tuple[str, int]:
    """The quarantine table of a one-header-row CSV whose records need an id, and rows read.

    Quarantined: the records (after row 1) where the SQL condition ``has_id`` over ``c<i>`` is
    false, with ``reason`` and the record's text, and every record DuckDB rejected. Rows read =
    the parsed records + the rejected ones.
    """
    quarantine = scope.table("quarantine")
    con.execute(
        f"""CREATE TEMP TABLE {quote_ident(quarantine)} AS
        SELECT _source_row AS source_row, {sql_literal(id_column)} AS column_name,
               {sql_literal(reason)} AS reason,
               {record_text_sql(len(head.header), head.delimiter, null_as='""')} AS record
        FROM {quote_ident(records.records)}
        WHERE _source_row > 1 AND NOT ({has_id})
        UNION ALL
        SELECT source_row, column_name, reason, record
        FROM {quote_ident(records.rejects)}
        WHERE source_row > 1"""
    ).fetchall()
    rows_read = con.execute(
        f"""SELECT
            (SELECT count(*) FROM {quote_ident(records.records)} WHERE _source_row > 1)
          + (SELECT count(*) FROM {quote_ident(records.rejects)} WHERE source_row > 1)"""
    ).fetchall()[0][0]
    return quarantine, int(rows_read)


@dataclass(frozen=True)
class DecimalStyle:
    """The decimal separator of a file's numbers, and a note for people when it is not '.'
    or was assumed."""

    separator: str  # '.' or ','
    note: str | None = None


def decimal_separator(
    con: duckdb.DuckDBPyConnection,
    records: CsvRecords,
    numeric_columns: tuple[str, ...],
    delimiter: str,
) -> DecimalStyle:
    """Which decimal separator the numbers in ``numeric_columns`` (header names, any letter
    case) use, decided once per file from all their values.

    ',' when some value has a decimal comma (``500000,0``, ``1.234,5``) and none a decimal
    point; '.' otherwise. Values with a dot and exactly three digits after it (``1.500``) fit
    both; when only such values exist, a semicolon-delimited file (German Excel) counts as ','.
    Raw keeps every value as exported; staging reads them with the separator (``decimal_text``).
    """
    wanted = {c.lower() for c in numeric_columns}
    indexes = [i for i, name in enumerate(records.header) if name.strip().lower() in wanted]
    if not indexes:
        return DecimalStyle(".")
    names = ", ".join(records.header[i].strip() for i in indexes)
    values = "[" + ", ".join(f"trim(c{i})" for i in indexes) + "]"
    comma_form = f"regexp_full_match(v, '{DECIMAL_COMMA_PATTERN}')"
    point_form = f"regexp_full_match(v, '{DECIMAL_POINT_PATTERN}')"
    comma, dot, either = con.execute(
        f"""SELECT
            count(*) FILTER (WHERE v LIKE '%,%' AND {comma_form}),
            count(*) FILTER (WHERE v LIKE '%.%' AND {point_form} AND NOT {comma_form}),
            count(*) FILTER (WHERE v LIKE '%.%' AND {comma_form})
        FROM (SELECT unnest({values}) AS v FROM {quote_ident(records.records)})"""
    ).fetchall()[0]
    if comma and not dot:
        return DecimalStyle(
            ",",
            f"Numbers in {names} are written with a decimal comma (German Excel, e.g. "
            "'500000,0'); raw keeps them as exported and _decimal_separator ',' tells staging "
            "to read them as decimal numbers.",
        )
    if comma and dot:
        return DecimalStyle(
            ".",
            f"Numbers in {names} mix decimal commas and decimal points, so the separator is "
            "unknown; read with a decimal point, the values with a comma will be refused by "
            "the checks. Export the file again without editing it in Excel.",
        )
    if either and not dot and delimiter == ";":
        return DecimalStyle(
            ",",
            f"Numbers in {names} such as '1.500' could have a decimal point or a thousands "
            "separator; as the file is semicolon-delimited (German Excel), '.' was taken as "
            "the thousands separator (_decimal_separator ',').",
        )
    return DecimalStyle(".")


def decimal_text_sql(column_sql: str, separator_sql: str = "_decimal_separator") -> str:
    """SQL giving a raw number's text with a decimal point (the dbt macro ``decimal_text``).

    For rows whose file used decimal commas (``separator_sql`` = ','), a well-formed
    ``500000,0`` / ``1.234,5`` becomes ``500000.0`` / ``1234.5``; anything else is returned
    unchanged, so a strict read around it refuses what is not a number. Checks that read raw
    numbers (Great Expectations) use this so that they agree with staging.
    """
    return (
        f"CASE WHEN {separator_sql} = ',' AND regexp_full_match(trim({column_sql}), "
        f"'{DECIMAL_COMMA_PATTERN}') THEN replace(replace(trim({column_sql}), '.', ''), ',', '.') "
        f"ELSE {column_sql} END"
    )
