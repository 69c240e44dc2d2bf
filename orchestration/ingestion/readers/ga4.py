"""Google Analytics 4 BigQuery export (``events_YYYYMMDD``) as newline-delimited JSON or Parquet.

NDJSON (``events_YYYYMMDD.json[.gz]``): several days at once are first parsed by one
``read_json`` (``read_batch``); its rows are used when every line of every file is one complete
event (then the k-th row of a file is its line k). Otherwise the lines are read as text
(``lines.read_lines``; several days in one parallel scan with ``lines.read_lines_batch``), so each
keeps its line number, and lines of tens of MB (a large ``items`` array) load. ``from_json`` with
the explicit GA4 event type turns a line into the raw columns: missing keys and explicit nulls
both become NULL, and INT64 values load as the same text whether written as strings or numbers.
Exact duplicate lines stay in raw; staging removes them.

Each line is parsed as few times as possible: while the lines are read, one JSON pass decides
whether a line becomes a raw row (stored as a flag next to the line); the raw rows are then
parsed once with ``from_json`` as they are inserted, and only the other lines are looked at again
to word their quarantine reason.

Parquet (``events_YYYYMMDD.parquet``, BigQuery's export with its own types: INT64, FLOAT64,
STRING, nested STRUCT and repeated fields): read with ``read_parquet`` and converted field by
field to the same raw shape, so the same events give the same raw rows as the NDJSON export.
INT64 becomes the same digits; FLOAT64 becomes DuckDB's shortest round-trip text, which is the
text ``from_json`` gives for the number as BigQuery and Python write it (``12.5``, ``3.0``,
``1e+20``; checked on 4,000 random doubles). One difference cannot be avoided: a whole FLOAT64
written in JSON without a fraction (``3``) loads as ``3`` from NDJSON and ``3.0`` from Parquet.
Fields the raw shape does not hold are ignored and listed in the ledger note.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ..schema import (
    GA4_EVENT_COLUMNS,
    GA4_EVENT_TYPE,
    json_structure,
    quote_ident,
    sql_literal,
    sql_type,
)
from ..textfile import decode_head, head_is_complete
from .base import FormatError, ReadContext, ReadResult, TempScope
from .lines import (
    MAX_LINE_BYTES,
    BatchLines,
    batch_files_sql,
    count_lines_batch,
    number_run,
    read_lines,
    read_lines_batch,
)

REQUIRED_FIELDS = ("event_name", "event_timestamp", "user_pseudo_id")
_AGAIN = "Export the day's events again from BigQuery, then deliver the file again."
_PARQUET_MAGIC = b"PAR1"
# The start of an event object whose first line is longer than the head (a huge items array).
_GA4_KEY = re.compile(r'^\s*\{.*?"event_(?:name|timestamp|date)"\s*:', re.DOTALL)


def looks_like_ga4(head: bytes) -> bool:
    """True when one of the first complete lines is a JSON object with GA4 event keys.

    When not even the first line ends inside the head (an event of more than 1 MiB), its start
    must be a JSON object naming a GA4 event key (BigQuery writes event_date first).
    """
    complete = head_is_complete(head)
    decoded = decode_head(head, complete)
    if decoded is None:
        return False
    lines = decoded.text.splitlines()
    if not complete:
        if len(lines) == 1:
            return _GA4_KEY.match(lines[0][:4096]) is not None
        lines = lines[:-1]
    for line in lines[:50]:
        text = line.strip()
        if not text:
            continue
        try:
            value = json.loads(text)
        except ValueError:
            continue
        if isinstance(value, dict) and ("event_name" in value or "event_timestamp" in value):
            return True
    return False


def missing_fields_reason_sql(names: str) -> str:
    """SQL for the reason of an event without one of REQUIRED_FIELDS (shared by both formats).

    ``names``: SQL text expression naming the missing fields ("user_pseudo_id").
    """
    rest = sql_literal(
        "; an event needs event_name, event_timestamp and user_pseudo_id to be placed in a "
        "journey (GA4 leaves user_pseudo_id empty for pings without analytics consent). Check "
        f"that the export selects these fields. {_AGAIN}"
    )
    return f"'The event has no ' || {names} || {rest}"


def _missing_list(value_sql: str) -> str:
    """SQL list entries: the name of each required field whose value (text) is NULL or ''."""
    return ", ".join(
        f"CASE WHEN coalesce({value_sql.format(field=f)}, '') = '' THEN '{f}' END"
        for f in REQUIRED_FIELDS
    )


class Ga4NdjsonReader:
    """GA4 BigQuery export, one JSON event per line, optionally gzipped."""

    name = "ga4_ndjson"
    label = (
        "GA4 BigQuery export as newline-delimited JSON, one event per line "
        "(events_YYYYMMDD.json, optionally gzipped)"
    )

    # Days read in one scan, then inserted by one statement (loader.BATCH_MAX_BYTES bounds the
    # text held). Every batch leaves partly filled row groups that the next checkpoint merges:
    # at 60 days of 100,000 customers, batches of 8 cost 3.1 s of CPU at the checkpoint,
    # batches of 32 0.3 s, and each batch keeps both cores busy (one thread per gzipped file).
    batch_max_files = 32

    def detect(self, path: Path, head: bytes) -> bool:
        return looks_like_ga4(head)

    @staticmethod
    def _complete_sql() -> str:
        """Whether a line becomes a raw row: valid JSON with the required fields present and
        not empty. json_extract_string parses with the same flags as json_valid and fails
        exactly on the lines json_valid rejects, so try() makes one parse decide both."""
        paths = "[" + ", ".join(f"'$.{f}'" for f in REQUIRED_FIELDS) + "]"
        return (
            f"coalesce(list_bool_and(list_transform(try(json_extract_string(line, {paths})), "
            "lambda v: v IS NOT NULL AND v <> '')), false) AS complete"
        )

    def read_batch(
        self, con: duckdb.DuckDBPyConnection, paths: list[Path], scope: TempScope
    ) -> BatchEvents | BatchLines:
        """The events of several days (all plain or all gzipped) in one parallel scan.

        First DuckDB's JSON reader parses every line straight into the GA4 columns (one parse,
        ~1.5x faster than text lines and from_json). It skips empty lines and has no line
        numbers, so its rows are only used when each file gives exactly as many events as it
        has lines, each with the required fields; otherwise (an empty or broken line, an event
        without user_pseudo_id, ...) the days are read as text lines, line by line as below,
        and every such line is quarantined with its number."""
        try:
            parsed = _parse_batch(con, paths, scope)
        except duckdb.Error:
            parsed = None
        if parsed is not None:
            return parsed
        scope.drop_all()
        return read_lines_batch(con, paths, scope, computed=self._complete_sql())

    def read(self, con: duckdb.DuckDBPyConnection, path: Path, ctx: ReadContext) -> ReadResult:
        scope = ctx.scope
        if isinstance(ctx.prefetched, BatchEvents):
            return ctx.prefetched.result_of(con, path, scope)
        if isinstance(ctx.prefetched, BatchLines):
            lines = ctx.prefetched.lines_of(con, path, scope, what="one JSON text", again=_AGAIN)
        else:
            lines = read_lines(
                con,
                path,
                scope,
                source_file=ctx.source_file,
                computed=self._complete_sql(),
                what="one JSON text",
                again=_AGAIN,
            )
        numbered = lines.numbered

        # from_json runs once per loaded line, when the loader inserts these rows.
        structure = json_structure(GA4_EVENT_TYPE)
        select_list = ", ".join(
            f"j.{quote_ident(name)} AS {quote_ident(name)}" for name, _ in GA4_EVENT_COLUMNS
        )
        rows = scope.view("rows")
        con.execute(
            f"""CREATE TEMP VIEW {quote_ident(rows)} AS
            SELECT _source_row, {select_list}
            FROM (
                SELECT _source_row, try(from_json(line, {sql_literal(structure)})) AS j
                FROM {quote_ident(numbered)}
                WHERE complete
            )"""
        ).fetchall()

        missing_list = _missing_list("json_extract_string(line, '$.{field}')")
        missing_reason = missing_fields_reason_sql(f"concat_ws(', ', {missing_list})")
        first_missing = f"list_extract(list_filter([{missing_list}], lambda v: v IS NOT NULL), 1)"
        again = sql_literal(" " + _AGAIN)
        not_object = sql_literal(
            "The line is valid JSON but not an event object; every line of the export must be "
            "one event. " + _AGAIN
        )
        quarantine = scope.table("quarantine")
        # Only the lines that did not pass (usually none) are parsed again, to word the reason.
        con.execute(
            f"""CREATE TEMP TABLE {quote_ident(quarantine)} AS
            SELECT
                _source_row AS source_row,
                CASE WHEN NOT json_valid(line) THEN NULL
                     WHEN json_type(line) <> 'OBJECT' THEN NULL
                     ELSE {first_missing} END AS column_name,
                CASE
                    WHEN NOT json_valid(line) THEN 'The line is not valid JSON (it may be cut '
                        || 'off or edited by hand), so it cannot be read as a GA4 event.'
                        || {again}
                    WHEN json_type(line) <> 'OBJECT' THEN {not_object}
                    ELSE {missing_reason}
                END AS reason,
                line AS record
            FROM (
                SELECT _source_row, line FROM {quote_ident(numbered)}
                WHERE NOT complete AND line IS NOT NULL AND line <> ''
            )
            UNION ALL
            SELECT source_row, column_name, reason, record FROM {quote_ident(lines.rejects)}"""
        ).fetchall()
        notes = [f"{lines.empty} empty line(s) ignored."] if lines.empty else []
        return ReadResult(
            rows=rows,
            columns=list(GA4_EVENT_COLUMNS),
            quarantine=quarantine,
            rows_read=lines.rows_read,
            notes=notes,
        )


@dataclass
class BatchEvents:
    """The events of several GA4 days parsed by one read_json (``Ga4NdjsonReader.read_batch``).

    ``table``: ``file_index`` (position in ``paths``) and the GA4 columns, in file order then
    line order; every line of every file is one of its rows. ``lines``: file_index -> lines.
    """

    paths: list[Path]
    table: str
    lines: dict[int, int]

    def result_of(self, con: duckdb.DuckDBPyConnection, path: Path, scope: TempScope) -> ReadResult:
        """One file's rows, numbered by line, and its (empty) quarantine."""
        index = self.paths.index(path)
        numbered = number_run(con, scope, self.table, index, [])
        quarantine = scope.table("quarantine")
        con.execute(
            f"""CREATE TEMP TABLE {quote_ident(quarantine)} (
                source_row BIGINT, column_name VARCHAR, reason VARCHAR, record VARCHAR)"""
        ).fetchall()
        return ReadResult(
            rows=numbered,
            columns=list(GA4_EVENT_COLUMNS),
            quarantine=quarantine,
            rows_read=self.lines.get(index, 0),
        )


def _parse_batch(
    con: duckdb.DuckDBPyConnection, paths: list[Path], scope: TempScope
) -> BatchEvents | None:
    """``paths`` parsed by DuckDB's JSON reader, or None when a file has a line that is not one
    complete event (then its rows could not be numbered by line; the caller reads lines).
    Raises DuckDB's error when a line is not valid JSON or not an object."""
    lines = count_lines_batch(con, paths)
    table = scope.table("batch_events")
    names, compression = batch_files_sql(paths)
    columns = ", ".join(
        f"{sql_literal(name)}: {sql_literal(kind)}" for name, kind in GA4_EVENT_COLUMNS
    )
    con.execute(
        f"""CREATE TEMP TABLE {quote_ident(table)} AS
        SELECT list_position({names}, filename) - 1 AS file_index, * EXCLUDE (filename)
        FROM read_json(
            {names},
            format = 'newline_delimited',
            records = true,
            columns = {{{columns}}},
            compression = {sql_literal(compression)},
            maximum_object_size = {MAX_LINE_BYTES},
            filename = true
        )"""
    ).fetchall()
    incomplete = " OR ".join(f"coalesce({quote_ident(f)}, '') = ''" for f in REQUIRED_FIELDS)
    parsed = con.execute(
        f"""SELECT file_index, count(*), count(*) FILTER (WHERE {incomplete})
        FROM {quote_ident(table)} GROUP BY ALL"""
    ).fetchall()
    events = {int(index): int(rows) for index, rows, _ in parsed}
    if events != {i: n for i, n in lines.items() if n} or any(bad for _, _, bad in parsed):
        return None
    return BatchEvents(list(paths), table, lines)


# --- Parquet ---------------------------------------------------------------------------------


def _parquet_types(con: duckdb.DuckDBPyConnection, path: Path) -> dict[str, duckdb.DuckDBPyType]:
    """Top-level column name -> DuckDB type of a Parquet file (read from its footer)."""
    rel = con.sql(f"SELECT * FROM read_parquet({sql_literal(str(path))}) LIMIT 0")
    return dict(zip(rel.columns, rel.types, strict=True))


class _Converter:
    """Builds the SQL that turns a Parquet value of BigQuery's types into the raw GA4 shape.

    Targets are GA4_EVENT_TYPE nodes: a scalar becomes its text (CAST ... AS VARCHAR), a STRUCT
    keeps the raw shape's fields in order (fields missing in the file are NULL, extra ones are
    recorded in ``ignored``), a list is converted element by element. A NULL struct or list
    stays NULL.
    """

    def __init__(self, source_file: str) -> None:
        self.source_file = source_file
        self.ignored: list[str] = []
        self._depth = 0

    def convert(self, expr: str, source: duckdb.DuckDBPyType, target: object, where: str) -> str:
        kind = source.id
        if isinstance(target, str):
            if kind in ("struct", "list", "map", "array", "union"):
                raise self._mismatch(where, source, "a single value")
            return f"CAST({expr} AS {target})"
        if isinstance(target, list):
            if kind not in ("list", "array"):
                raise self._mismatch(where, source, "a repeated field (list)")
            self._depth += 1
            var = f"x{self._depth}"
            inner = self.convert(var, source.children[0][1], target[0], where + "[]")
            self._depth -= 1
            return f"list_transform({expr}, lambda {var}: {inner})"
        if kind != "struct":
            raise self._mismatch(where, source, "a record (STRUCT)")
        children = {name.lower(): (name, child) for name, child in source.children}
        fields = []
        for name, spec in target.items():  # type: ignore[union-attr]
            if name in children:
                original, child = children[name]
                value = self.convert(
                    f"{expr}.{quote_ident(original)}", child, spec, where + "." + name
                )
            else:
                value = f"CAST(NULL AS {sql_type(spec)})"
            fields.append(f"{quote_ident(name)} := {value}")
        self.ignored.extend(
            f"{where}.{original}" for key, (original, _) in children.items() if key not in target
        )
        return f"CASE WHEN {expr} IS NULL THEN NULL ELSE struct_pack({', '.join(fields)}) END"

    def _mismatch(self, where: str, source: duckdb.DuckDBPyType, expected: str) -> FormatError:
        return FormatError(
            f"{self.source_file}: column {where} is {source} in the file, but BigQuery's GA4 "
            f"export has {expected} there, so this is not a GA4 export as BigQuery writes it. "
            "Export the events table again from BigQuery as Parquet (or as newline-delimited "
            "JSON), then deliver the file again."
        )


class Ga4ParquetReader:
    """GA4 BigQuery export written as Parquet, one event per row."""

    name = "ga4_parquet"
    label = "GA4 BigQuery export as Parquet, one event per row (events_YYYYMMDD.parquet)"

    def detect(self, path: Path, head: bytes) -> bool:
        if not head.startswith(_PARQUET_MAGIC):
            return False
        with duckdb.connect() as probe:
            try:
                columns = {name.lower() for name in _parquet_types(probe, path)}
            except duckdb.Error:
                # A Parquet start without a readable footer: a cut-off file. Claimed so that
                # read() can say so (only files named like a GA4 export get here).
                return True
        return {"event_name", "event_timestamp"} <= columns

    def read(self, con: duckdb.DuckDBPyConnection, path: Path, ctx: ReadContext) -> ReadResult:
        scope = ctx.scope
        try:
            types = _parquet_types(con, path)
        except duckdb.Error as exc:
            raise FormatError(
                f"{ctx.source_file}: the Parquet file cannot be read ({exc}); it was probably "
                "cut off while it was copied or downloaded (a Parquet file ends with its "
                f"schema). Nothing was loaded. {_AGAIN}"
            ) from exc
        by_name = {name.lower(): name for name in types}
        converter = _Converter(ctx.source_file)
        select = []
        for name, spec in GA4_EVENT_TYPE.items():
            if name in by_name:
                original = by_name[name]
                value = converter.convert(quote_ident(original), types[original], spec, name)
            else:
                value = f"CAST(NULL AS {sql_type(spec)})"
            select.append(f"{value} AS {quote_ident(name)}")
        extra = [n for key, n in by_name.items() if key not in GA4_EVENT_TYPE]
        missing_list = _missing_list("{field}")
        events = scope.table("events")
        # file_row_number is the 0-based row in the file; _source_row is 1-based like a line.
        con.execute(
            f"""CREATE TEMP TABLE {quote_ident(events)} AS
            SELECT file_row_number + 1 AS _source_row, *,
                list_filter([{missing_list}], lambda v: v IS NOT NULL) AS _missing
            FROM (
                SELECT file_row_number, {", ".join(select)}
                FROM read_parquet({sql_literal(str(path))}, file_row_number = true)
            )"""
        ).fetchall()
        names = ", ".join(quote_ident(n) for n, _ in GA4_EVENT_COLUMNS)
        rows = scope.view("rows")
        con.execute(
            f"""CREATE TEMP VIEW {quote_ident(rows)} AS
            SELECT _source_row, {names} FROM {quote_ident(events)} WHERE len(_missing) = 0"""
        ).fetchall()
        quarantine = scope.table("quarantine")
        missing_reason = missing_fields_reason_sql("array_to_string(_missing, ', ')")
        record = (
            "CAST(to_json(struct_pack("
            + ", ".join(f"{quote_ident(n)} := {quote_ident(n)}" for n, _ in GA4_EVENT_COLUMNS)
            + ")) AS VARCHAR)"
        )
        con.execute(
            f"""CREATE TEMP TABLE {quote_ident(quarantine)} AS
            SELECT _source_row AS source_row, _missing[1] AS column_name,
                {missing_reason} AS reason,
                {record} AS record
            FROM {quote_ident(events)} WHERE len(_missing) > 0"""
        ).fetchall()
        rows_read = con.execute(f"SELECT count(*) FROM {quote_ident(events)}").fetchall()[0][0]
        notes = []
        ignored = extra + converter.ignored
        if ignored:
            notes.append(
                f"{len(ignored)} Parquet column(s)/field(s) not in the raw GA4 shape ignored: "
                + ", ".join(ignored)
                + "."
            )
        return ReadResult(
            rows=rows,
            columns=list(GA4_EVENT_COLUMNS),
            quarantine=quarantine,
            rows_read=int(rows_read),
            notes=notes,
        )
