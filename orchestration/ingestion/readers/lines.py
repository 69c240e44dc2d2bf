"""Read a text file line by line with DuckDB, keeping each line's number (1-based).

Used by the line-oriented web formats (GA4 NDJSON, Snowplow enriched TSV). DuckDB's CSV reader
reads each line as one VARCHAR column (no quoting, a delimiter that neither JSON nor Snowplow's
TSV holds), so a line keeps its text and its number; ``max_line_size`` is raised far above
DuckDB's 2 MB default because a GA4 event with a large ``items`` array can be tens of MB on
one line (tested with a line just over 64 MB). A line longer than ``MAX_LINE_BYTES`` is
rejected by DuckDB and quarantined with its number.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from ..schema import quote_ident, sql_literal
from ..textfile import is_gzip
from .base import FormatError, TempScope
from .csv_records import number_rows

NO_DELIMITER = "\x1e"  # ASCII record separator: neither JSON nor Snowplow TSV holds it raw
MAX_LINE_BYTES = 256 << 20  # 256 MiB; GA4 lines of 64 MB must load (see module docstring)


@dataclass(frozen=True)
class Lines:
    """Temp objects holding one file's lines.

    ``numbered``: view with ``_source_row``, ``line`` (NULL for an empty line) and the columns
    computed while reading. ``rejects``: lines DuckDB could not read, with ``source_row``,
    ``column_name`` (NULL), ``reason`` and ``record``. ``non_empty`` counts the lines read that
    are not empty, ``empty`` the empty ones; ``rejected`` the lines in ``rejects``.
    """

    numbered: str
    rejects: str
    non_empty: int
    empty: int
    rejected: int

    @property
    def rows_read(self) -> int:
        return self.non_empty + self.rejected


def read_lines(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    scope: TempScope,
    *,
    source_file: str,
    computed: str = "",
    what: str,
    again: str,
) -> Lines:
    """Read ``path`` (plain or gzipped) into temp objects, one row per line.

    ``computed``: extra select-list entries computed from ``line`` in the same pass (for
    example a flag whether the line becomes a raw row), so later statements need not parse
    every line again. ``source_file``: the file's name in messages. ``what``: how a line is
    named in reasons ("one JSON text");
    ``again``: the sentence telling what to do, appended to every reason.
    """
    lines = scope.table("lines")
    rejects_raw = scope.table("lines_rejects_raw")
    scan = scope.table("lines_rejects_scan")
    compression = "gzip" if is_gzip(path) else "none"
    extra = f", {computed}" if computed else ""
    # new_line '\r\n' with strict_mode off ends a line at LF or CRLF; empty lines come back as
    # NULL rows, so row k of the table is line k+1 unless DuckDB rejected a line.
    try:
        _read(con, lines, path, compression, extra, rejects_raw, scan)
    except duckdb.IOException as exc:
        if compression != "gzip" or "gzip" not in str(exc).lower():
            raise
        detail = str(exc).split(": " + str(path))[0]  # DuckDB's words without the temp path
        raise FormatError(
            f"{source_file}: the gzip data ends early or is damaged ({detail}), so the file was "
            "probably cut off while it was copied or downloaded. Nothing was loaded; deliver "
            "the complete file again."
        ) from exc
    again_sql = again.replace("'", "''")
    limit_mb = MAX_LINE_BYTES >> 20
    rejects = scope.table("lines_rejects")
    con.execute(
        f"""CREATE TEMP TABLE {quote_ident(rejects)} AS
        SELECT
            CAST(line AS BIGINT) AS source_row,
            CAST(NULL AS VARCHAR) AS column_name,
            CASE error_type
                WHEN 'INVALID ENCODING' THEN 'The line holds bytes that are not valid UTF-8, '
                    || 'so it cannot be read as {what}. {again_sql}'
                WHEN 'LINE SIZE OVER MAXIMUM' THEN 'The line is longer than {limit_mb} MiB, '
                    || 'the longest line the loader reads. Split the export into smaller '
                    || 'files, or report the file if one event really is that large.'
                ELSE 'The line cannot be read as {what} (' || error_message || '). '
                    || '{again_sql}'
            END AS reason,
            left(regexp_replace(csv_line, '^\\r?\\n', ''), 100000) AS record
        FROM (
            SELECT *, row_number() OVER (PARTITION BY line ORDER BY byte_position) AS rn
            FROM {quote_ident(rejects_raw)}
        )
        WHERE rn = 1"""
    ).fetchall()
    skipped = [
        int(r[0]) for r in con.execute(f"SELECT source_row FROM {quote_ident(rejects)}").fetchall()
    ]
    numbered = number_rows(con, scope, lines, skipped)
    non_empty, empty = con.execute(
        f"""SELECT
            count(*) FILTER (WHERE line IS NOT NULL AND line <> ''),
            count(*) FILTER (WHERE line IS NULL OR line = '')
        FROM {quote_ident(lines)}"""
    ).fetchall()[0]
    return Lines(numbered, rejects, int(non_empty), int(empty), len(skipped))


def _read(
    con: duckdb.DuckDBPyConnection,
    lines: str,
    path: Path,
    compression: str,
    extra: str,
    rejects_raw: str,
    scan: str,
) -> None:
    """CREATE the lines table from the file (one VARCHAR per line, DuckDB's rejects kept)."""
    con.execute(
        f"""CREATE TEMP TABLE {quote_ident(lines)} AS
        SELECT line{extra} FROM read_csv(
            {sql_literal(str(path))},
            columns = {{'line': 'VARCHAR'}},
            header = false,
            auto_detect = false,
            delim = {sql_literal(NO_DELIMITER)},
            quote = '',
            escape = '',
            new_line = '\\r\\n',
            strict_mode = false,
            max_line_size = {MAX_LINE_BYTES},
            compression = {sql_literal(compression)},
            store_rejects = true,
            rejects_table = {sql_literal(rejects_raw)},
            rejects_scan = {sql_literal(scan)}
        )"""
    ).fetchall()
