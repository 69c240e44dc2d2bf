"""Google Analytics 4 BigQuery export as newline-delimited JSON (``events_YYYYMMDD.json[.gz]``).

Lines are read as text by DuckDB's CSV reader (one VARCHAR column, no quoting, a delimiter that
valid JSON cannot contain unescaped), so each keeps its line number. ``from_json`` with the
explicit GA4 event type turns a line into the raw columns: missing keys and explicit nulls both
become NULL, and INT64 values load as the same text whether written as strings or numbers.
Exact duplicate lines stay in raw; staging removes them.

Each line is parsed as few times as possible: while the lines are read, one JSON pass decides
whether a line becomes a raw row (stored as a flag next to the line); the raw rows are then
parsed once with ``from_json`` as they are inserted, and only the other lines are looked at again
to word their quarantine reason.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from ..schema import GA4_EVENT_COLUMNS, GA4_EVENT_TYPE, json_structure, quote_ident, sql_literal
from ..textfile import decode_head, head_is_complete, is_gzip
from .base import ReadContext, ReadResult
from .csv_records import number_rows

REQUIRED_FIELDS = ("event_name", "event_timestamp", "user_pseudo_id")
_NO_DELIMITER = "\x1e"  # ASCII record separator: JSON text never holds it unescaped


def looks_like_ga4(head: bytes) -> bool:
    """True when one of the first complete lines is a JSON object with GA4 event keys."""
    complete = head_is_complete(head)
    decoded = decode_head(head, complete)
    if decoded is None:
        return False
    lines = decoded.text.splitlines()
    if not complete:
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


class Ga4NdjsonReader:
    """GA4 BigQuery export, one JSON event per line, optionally gzipped."""

    name = "ga4_ndjson"
    label = (
        "GA4 BigQuery export as newline-delimited JSON, one event per line "
        "(events_YYYYMMDD.json, optionally gzipped)"
    )

    def detect(self, path: Path, head: bytes) -> bool:
        return looks_like_ga4(head)

    def read(self, con: duckdb.DuckDBPyConnection, path: Path, ctx: ReadContext) -> ReadResult:
        scope = ctx.scope
        lines = scope.table("lines")
        rejects_raw = scope.table("lines_rejects_raw")
        scan = scope.table("lines_rejects_scan")
        compression = "gzip" if is_gzip(path) else "none"
        # Whether a line becomes a raw row: valid JSON with the required fields present and not
        # empty. json_extract_string parses with the same flags as json_valid and fails exactly
        # on the lines json_valid rejects, so try() makes one parse decide both.
        paths = "[" + ", ".join(f"'$.{f}'" for f in REQUIRED_FIELDS) + "]"
        complete = (
            f"coalesce(list_bool_and(list_transform(try(json_extract_string(line, {paths})), "
            "lambda v: v IS NOT NULL AND v <> '')), false)"
        )
        # new_line '\r\n' with strict_mode off ends a line at LF or CRLF; empty lines come back
        # as NULL rows, so row k of the table is line k+1 unless DuckDB rejected a line. The
        # flag is decided here, in the same pass, so no later statement parses every line again.
        con.execute(
            f"""CREATE TEMP TABLE {quote_ident(lines)} AS
            SELECT line, {complete} AS complete FROM read_csv(
                {sql_literal(str(path))},
                columns = {{'line': 'VARCHAR'}},
                header = false,
                auto_detect = false,
                delim = {sql_literal(_NO_DELIMITER)},
                quote = '',
                escape = '',
                new_line = '\\r\\n',
                strict_mode = false,
                compression = {sql_literal(compression)},
                store_rejects = true,
                rejects_table = {sql_literal(rejects_raw)},
                rejects_scan = {sql_literal(scan)}
            )"""
        ).fetchall()
        rejects = scope.table("lines_rejects")
        con.execute(
            f"""CREATE TEMP TABLE {quote_ident(rejects)} AS
            SELECT
                CAST(line AS BIGINT) AS source_row,
                CAST(NULL AS VARCHAR) AS column_name,
                CASE error_type
                    WHEN 'INVALID ENCODING' THEN 'The line holds bytes that are not valid UTF-8, '
                        || 'so it is not valid JSON. Export the day''s events again from '
                        || 'BigQuery, then deliver the file again.'
                    ELSE 'The line cannot be read as one JSON text (' || error_message || '). '
                        || 'Export the day''s events again from BigQuery, then deliver the file '
                        || 'again.'
                END AS reason,
                regexp_replace(csv_line, '^\\r?\\n', '') AS record
            FROM (
                SELECT *, row_number() OVER (PARTITION BY line ORDER BY byte_position) AS rn
                FROM {quote_ident(rejects_raw)}
            )
            WHERE rn = 1"""
        ).fetchall()
        skipped = [
            int(r[0])
            for r in con.execute(f"SELECT source_row FROM {quote_ident(rejects)}").fetchall()
        ]
        numbered = number_rows(con, scope, lines, skipped)

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

        missing_list = ", ".join(
            f"CASE WHEN coalesce(json_extract_string(line, '$.{f}'), '') = '' THEN '{f}' END"
            for f in REQUIRED_FIELDS
        )
        first_missing = f"list_extract(list_filter([{missing_list}], lambda v: v IS NOT NULL), 1)"
        again = " Export the day''s events again from BigQuery, then deliver the file again."
        not_object = sql_literal(
            "The line is valid JSON but not an event object; every line of the export must be "
            "one event." + again.replace("''", "'")
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
                        || 'off or edited by hand), so it cannot be read as a GA4 event.{again}'
                    WHEN json_type(line) <> 'OBJECT' THEN {not_object}
                    ELSE 'The event has no ' || concat_ws(', ', {missing_list}) || '; an event '
                        || 'needs event_name, event_timestamp and user_pseudo_id to be placed '
                        || 'in a journey (GA4 leaves user_pseudo_id empty for pings without '
                        || 'analytics consent). Check that the export selects these fields.'
                        || '{again}'
                END AS reason,
                line AS record
            FROM (
                SELECT _source_row, line FROM {quote_ident(numbered)}
                WHERE NOT complete AND line IS NOT NULL AND line <> ''
            )
            UNION ALL
            SELECT source_row, column_name, reason, record FROM {quote_ident(rejects)}"""
        ).fetchall()
        counts = con.execute(
            f"""SELECT
                count(*) FILTER (WHERE line IS NOT NULL AND line <> ''),
                count(*) FILTER (WHERE line IS NULL OR line = '')
            FROM {quote_ident(lines)}"""
        ).fetchall()[0]
        notes = []
        if counts[1]:
            notes.append(f"{counts[1]} empty line(s) ignored.")
        return ReadResult(
            rows=rows,
            columns=list(GA4_EVENT_COLUMNS),
            quarantine=quarantine,
            rows_read=int(counts[0]) + len(skipped),
            notes=notes,
        )
