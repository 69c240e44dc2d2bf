"""Read a text file line by line with DuckDB, keeping each line's number (1-based).

Used by the line-oriented web formats (GA4 NDJSON, Snowplow enriched TSV). DuckDB's CSV reader
reads each line as one VARCHAR column (no quoting, a delimiter that neither JSON nor Snowplow's
TSV holds), so a line keeps its text and its number; ``max_line_size`` is raised far above
DuckDB's 2 MB default because a GA4 event with a large ``items`` array can be tens of MB on
one line (tested with a line just over 64 MB). A line longer than ``MAX_LINE_BYTES`` is
rejected by DuckDB and quarantined with its number.

``read_lines_batch`` reads several files in one ``read_csv`` over the list of files: DuckDB
reads the files in parallel (one thread per file; a gzipped file cannot be split) and keeps
file order and line order, so each file's lines are a contiguous run of the table's rowids and
a line's number is its offset in that run. ``BatchLines.lines_of`` then gives each file the
same ``Lines`` as ``read_lines`` would, without reading the file again.
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
# DuckDB's read buffer defaults to 16 times max_line_size: 4 GiB per buffer, which fails under a
# memory_limit of a few GB (CJM_DUCKDB_MEMORY_LIMIT). One line's worth is enough.
BUFFER_BYTES = MAX_LINE_BYTES


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
        _read(con, lines, sql_literal(str(path)), compression, extra, rejects_raw, scan)
    except duckdb.IOException as exc:
        if compression != "gzip" or "gzip" not in str(exc).lower():
            raise
        detail = str(exc).split(": " + str(path))[0]  # DuckDB's words without the temp path
        raise FormatError(
            f"{source_file}: the gzip data ends early or is damaged ({detail}), so the file was "
            "probably cut off while it was copied or downloaded. Nothing was loaded; deliver "
            "the complete file again."
        ) from exc
    rejects = scope.table("lines_rejects")
    _word_rejects(con, rejects, f"SELECT * FROM {quote_ident(rejects_raw)}", what, again)
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


def _word_rejects(
    con: duckdb.DuckDBPyConnection, rejects: str, raw_sql: str, what: str, again: str
) -> None:
    """CREATE ``rejects`` (source_row, column_name, reason, record) from DuckDB's rejects rows
    of one file (``raw_sql``), one row per rejected line."""
    again_sql = again.replace("'", "''")
    limit_mb = MAX_LINE_BYTES >> 20
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
            FROM ({raw_sql})
        )
        WHERE rn = 1"""
    ).fetchall()


def _read(
    con: duckdb.DuckDBPyConnection,
    lines: str,
    files_sql: str,
    compression: str,
    extra: str,
    rejects_raw: str,
    scan: str,
    *,
    select: str = "line",
) -> None:
    """CREATE the lines table from the file(s) (one VARCHAR per line, DuckDB's rejects kept).

    ``files_sql``: a path literal or a list of them; ``select``: the columns kept besides
    ``extra`` (``filename`` is there to select when several files are read)."""
    many = ", filename = true" if files_sql.startswith("[") else ""
    con.execute(
        f"""CREATE TEMP TABLE {quote_ident(lines)} AS
        SELECT {select}{extra} FROM read_csv(
            {files_sql},
            {_line_options(compression)},
            store_rejects = true,
            rejects_table = {sql_literal(rejects_raw)},
            rejects_scan = {sql_literal(scan)}{many}
        )"""
    ).fetchall()


def _line_options(compression: str) -> str:
    """read_csv options that return each line of the file as one VARCHAR column ``line``."""
    return f"""columns = {{'line': 'VARCHAR'}},
            header = false,
            auto_detect = false,
            delim = {sql_literal(NO_DELIMITER)},
            quote = '',
            escape = '',
            new_line = '\\r\\n',
            strict_mode = false,
            max_line_size = {MAX_LINE_BYTES},
            buffer_size = {BUFFER_BYTES},
            compression = {sql_literal(compression)}"""


@dataclass
class BatchLines:
    """The lines of several files read in one scan (``read_lines_batch``).

    ``table``: ``file_index`` (position in ``paths``), ``line`` and the computed columns, in
    file order then line order. ``counts``: file_index -> (non-empty, empty) lines.
    """

    paths: list[Path]
    table: str
    rejects_raw: str
    scan: str
    counts: dict[int, tuple[int, int]]

    def lines_of(
        self,
        con: duckdb.DuckDBPyConnection,
        path: Path,
        scope: TempScope,
        *,
        what: str,
        again: str,
    ) -> Lines:
        """One file's ``Lines`` (temp objects in ``scope``), numbered as ``read_lines`` does."""
        index = self.paths.index(path)
        rejects = scope.table("lines_rejects")
        raw_sql = f"""SELECT r.* FROM {quote_ident(self.rejects_raw)} AS r
            JOIN {quote_ident(self.scan)} AS s USING (scan_id, file_id)
            WHERE s.file_path = {sql_literal(str(path))}"""
        _word_rejects(con, rejects, raw_sql, what, again)
        skipped = [
            int(r[0])
            for r in con.execute(f"SELECT source_row FROM {quote_ident(rejects)}").fetchall()
        ]
        numbered = number_run(con, scope, self.table, index, skipped)
        non_empty, empty = self.counts.get(index, (0, 0))
        return Lines(numbered, rejects, non_empty, empty, len(skipped))


def batch_files_sql(paths: list[Path]) -> tuple[str, str]:
    """The SQL list of a batch's file paths, and their compression ('gzip' or 'none': a batch
    is all gzipped or all plain). ``list_position(<list>, filename) - 1`` is a row's file."""
    names = "[" + ", ".join(sql_literal(str(p)) for p in paths) + "]"
    return names, "gzip" if is_gzip(paths[0]) else "none"


def read_lines_batch(
    con: duckdb.DuckDBPyConnection,
    paths: list[Path],
    scope: TempScope,
    *,
    computed: str = "",
) -> BatchLines:
    """Read the lines of ``paths`` (all plain or all gzipped) in one parallel scan.

    Raises DuckDB's error when any file cannot be read; the caller then reads the files one by
    one, so that the message names the file at fault.
    """
    table = scope.table("batch_lines")
    rejects_raw = scope.table("batch_rejects_raw")
    scan = scope.table("batch_rejects_scan")
    names, compression = batch_files_sql(paths)
    extra = f", {computed}" if computed else ""
    _read(con, table, names, compression, extra, rejects_raw, scan,
          select=f"list_position({names}, filename) - 1 AS file_index, line")  # fmt: skip
    counts = {
        int(i): (int(non_empty), int(empty))
        for i, non_empty, empty in con.execute(
            f"""SELECT file_index,
                count(*) FILTER (WHERE line IS NOT NULL AND line <> ''),
                count(*) FILTER (WHERE line IS NULL OR line = '')
            FROM {quote_ident(table)} GROUP BY file_index"""
        ).fetchall()
    }
    return BatchLines(list(paths), table, rejects_raw, scan, counts)


def count_lines_batch(con: duckdb.DuckDBPyConnection, paths: list[Path]) -> dict[int, int]:
    """file index (position in ``paths``) -> number of lines, empty ones included, of files read
    as ``read_lines_batch`` reads them, without keeping their text. Raises DuckDB's error on any
    line it cannot read (invalid UTF-8, longer than ``MAX_LINE_BYTES``)."""
    names, compression = batch_files_sql(paths)
    rows = con.execute(
        f"""SELECT list_position({names}, filename) - 1, count(*)
        FROM read_csv({names}, {_line_options(compression)}, filename = true)
        GROUP BY ALL"""
    ).fetchall()
    return {int(index): int(lines) for index, lines in rows}


def number_run(
    con: duckdb.DuckDBPyConnection, scope: TempScope, table: str, index: int, skipped: list[int]
) -> str:
    """A temp view of file ``index``'s rows of ``table`` with ``_source_row`` (1-based line
    number): its k-th row (by rowid) is the k-th number that is not in ``skipped``."""
    view = scope.view("numbered")
    good, low, high = con.execute(
        f"SELECT count(*), min(rowid), max(rowid) FROM {quote_ident(table)} WHERE file_index = ?",
        [index],
    ).fetchall()[0]
    if good and high - low != good - 1:
        raise RuntimeError(
            f"the lines of file {index} in {table} are not contiguous ({low}..{high} for "
            f"{good} rows); line numbers need the file's lines in file order"
        )
    rows = f"""SELECT rowid - {int(low or 0)} AS k, * EXCLUDE (file_index)
        FROM {quote_ident(table)} WHERE file_index = {index}"""
    if not skipped:
        con.execute(
            f"CREATE TEMP VIEW {quote_ident(view)} AS SELECT k + 1 AS _source_row, * "
            f"EXCLUDE (k) FROM ({rows})"
        ).fetchall()
        return view
    numbers = scope.table("record_numbers")
    con.execute(
        f"""CREATE TEMP TABLE {quote_ident(numbers)} AS
        SELECT row_number() OVER (ORDER BY n) - 1 AS k, n
        FROM range(1, {int(good) + len(skipped) + 1}) AS t(n)
        ANTI JOIN (SELECT unnest(CAST(? AS BIGINT[])) AS n) AS s USING (n)""",
        [skipped],
    ).fetchall()
    con.execute(
        f"""CREATE TEMP VIEW {quote_ident(view)} AS
        SELECT m.n AS _source_row, c.* EXCLUDE (k)
        FROM ({rows}) AS c JOIN {quote_ident(numbers)} AS m USING (k)"""
    ).fetchall()
    return view
