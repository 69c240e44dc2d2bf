"""What every survey reader shares: one raw.survey_responses row per response, built from a map of
roles (response id, NPS answer, ...) to column indexes.

A survey export is a CSV whose first ``header_rows`` records are headers and whose other records
are responses. Each format reader (Qualtrics current, legacy and 2016 Insights, SurveyMonkey)
reads its own headers into a ``SurveyLayout``; ``read_survey_rows`` turns the layout into the
rows view, the quarantine table and the read count of a ``ReadResult``, so every layout is
normalised by the same SQL and the same response gives the same row whatever the exporter.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ..schema import SURVEY_RESPONSE_COLUMNS, quote_ident, sql_literal
from ..textfile import CsvHead
from .base import FormatError, ReadContext, ReadResult
from .csv_records import CsvRecords, load_csv_records, record_text_sql

# raw.survey_responses columns that copy one column of the export (a role).
ROLES = (
    "response_id",
    "response_status",
    "is_finished",
    "progress",
    "started_at_local",
    "ended_at_local",
    "recorded_at_local",
    "recipient_email",
    "external_reference",
    "user_language",
    "distribution_channel",
    "nps_score",
    "nps_group",
    "csat_score",
)


def survey_name_of(source_file: str) -> str:
    """The survey's name: the file name without its extensions (``x.csv`` and ``x.csv.gz``)."""
    name = Path(source_file).name
    name = name[:-3] if name.lower().endswith(".gz") else name
    return name.rsplit(".", 1)[0]


@dataclass
class SurveyLayout:
    """Where one file's values go in raw.survey_responses.

    ``roles``: raw column (one of ROLES) -> index of the column holding it; a role without a
    column loads as NULL. ``ids``: each column's id (question id, or the label of a fixed field),
    used for ``nps_question_id``, ``csat_question_id`` and ``comment_question_id``.
    ``comment_columns``: free-text columns in file order; the first non-empty one is the comment.
    ``answer_keys``: (answers_json key, column index) for every column that carries data.
    ``expressions``: raw column -> SQL over ``c<i>`` where a role needs more than a copy.
    ``unusable``: (SQL condition over ``c<i>``, column name, reason) for records that must be
    quarantined although DuckDB parsed them.
    """

    tool: str  # 'Qualtrics', 'SurveyMonkey': named in messages
    source_format: str
    survey_name: str
    source_timezone: str
    header_rows: int
    ids: list[str]
    roles: dict[str, int]
    comment_columns: list[int]
    answer_keys: list[tuple[str, int]]
    expressions: dict[str, str] = field(default_factory=dict)
    unusable: list[tuple[str, str | None, str]] = field(default_factory=list)


def unique_keys(names: list[str]) -> list[str]:
    """``names`` with repeats suffixed ' (2)', ' (3)', ... so that JSON keys stay distinct."""
    seen: dict[str, int] = {}
    keys = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        keys.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return keys


def find_configured(configured: str, *names: list[str]) -> int | None:
    """The column a setting names: exact match in ``names`` (lists tried in order: column ids,
    question texts), then the same ignoring case and surrounding spaces."""
    for candidates in names:
        if configured in candidates:
            return candidates.index(configured)
    wanted = configured.strip().lower()
    for candidates in names:
        for i, name in enumerate(candidates):
            if name.strip().lower() == wanted:
                return i
    return None


def choose_comment_columns(
    configured: str | None, detected: list[int], *names: list[str]
) -> tuple[list[int], str | None]:
    """The comment columns: the configured question alone, else the detected free-text ones."""
    if not configured:
        return detected, None
    index = find_configured(configured, *names)
    if index is not None:
        return [index], None
    return detected, (
        f"The configured comment question '{configured}' (CJM_SURVEY_COMMENT_QUESTION) is not a "
        "column of this file; the comment is taken from the free-text columns found instead."
    )


def _literal_or_null(value: str | None) -> str:
    return sql_literal(value) if value is not None else "NULL"


def survey_select_list(layout: SurveyLayout) -> str:
    """The SELECT list (over columns ``c0``..) that gives every raw.survey_responses column."""
    roles = layout.roles

    def question_id(role: str) -> str:
        index = roles.get(role)
        return _literal_or_null(layout.ids[index] if index is not None else None)

    filled = [(f"nullif(trim(c{i}), '') IS NOT NULL", i) for i in layout.comment_columns]
    if filled:
        comment_id = "CASE " + " ".join(
            f"WHEN {f} THEN {sql_literal(layout.ids[i])}" for f, i in filled
        )
        comment = "CASE " + " ".join(f"WHEN {f} THEN c{i}" for f, i in filled)
        comment_id, comment = comment_id + " END", comment + " END"
    else:
        comment_id = comment = "NULL"
    answers = (
        "json_object("
        + ", ".join(f"{sql_literal(k)}, c{i}" for k, i in layout.answer_keys)
        + ")::VARCHAR"
    )
    values = {
        "source_format": sql_literal(layout.source_format),
        "survey_name": sql_literal(layout.survey_name),
        **{role: f"c{roles[role]}" if role in roles else "NULL" for role in ROLES},
        **layout.expressions,
        "source_timezone": sql_literal(layout.source_timezone),
        "nps_question_id": question_id("nps_score"),
        "csat_question_id": question_id("csat_score"),
        "comment_question_id": comment_id,
        "comment": comment,
        "answers_json": answers,
    }
    return ", ".join(
        f"{values[name]} AS {quote_ident(name)}" for name, _ in SURVEY_RESPONSE_COLUMNS
    )


def load_survey_records(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    head: CsvHead,
    ctx: ReadContext,
    header_rows: int,
    advice: str,
) -> CsvRecords:
    """Load the file's records; a header row DuckDB cannot parse fails the file with ``advice``."""
    records = load_csv_records(con, path, head, ctx.scope)
    bad_header = con.execute(
        f"SELECT min(source_row) FROM {quote_ident(records.rejects)} "
        f"WHERE source_row <= {header_rows}"
    ).fetchall()[0][0]
    if bad_header is not None:
        raise FormatError(
            f"{ctx.source_file}: header row {bad_header} cannot be parsed as CSV with the "
            f"{len(head.header)} columns of row 1. {advice}"
        )
    return records


def keep_rows_missing_only_a_trailing_empty_column(
    con: duckdb.DuckDBPyConnection, ctx: ReadContext, records: CsvRecords, head: CsvHead
) -> tuple[CsvRecords, list[str]]:
    """Records that lack only the always-empty last column (an unnamed one) load after all.

    The Qualtrics legacy exporter ends every line with a comma, so row 1 ends with an unnamed,
    empty column. A line whose final comma was lost (edited in a text editor or a spreadsheet)
    holds every value but one fewer field, and DuckDB rejects it. Such a record is kept when its
    text does not end with the delimiter (otherwise a value in the middle may be missing and the
    values would shift). Returns the records with those rows added and a note naming them.
    """
    n = len(head.header)
    if n < 2 or head.header[-1].strip():
        return records, []
    candidates = con.execute(
        f"SELECT source_row, record FROM {quote_ident(records.rejects)} "
        "WHERE reason LIKE 'The record has fewer values%' AND column_name = ? "
        "ORDER BY source_row",
        [head.header[-1]],
    ).fetchall()
    kept: list[tuple[int, list[str]]] = []
    for source_row, text in candidates:
        if text is None or text.rstrip("\r\n").endswith(head.delimiter):
            continue
        values = next(csv.reader(io.StringIO(text, newline=""), delimiter=head.delimiter), [])
        if len(values) == n - 1:
            kept.append((int(source_row), values))
    if not kept:
        return records, []
    rescued = ctx.scope.table("rescued")
    columns = ", ".join(f"c{i} VARCHAR" for i in range(n))
    con.execute(f"CREATE TEMP TABLE {quote_ident(rescued)} (_source_row BIGINT, {columns})")
    placeholders = ", ".join(["?"] * (n + 1))
    con.executemany(
        f"INSERT INTO {quote_ident(rescued)} VALUES ({placeholders})",
        [[row, *(v if v != "" else None for v in values), None] for row, values in kept],
    )
    rows = [row for row, _ in kept]
    con.execute(
        f"DELETE FROM {quote_ident(records.rejects)} WHERE source_row IN "
        f"(SELECT unnest(CAST(? AS BIGINT[])))",
        [rows],
    ).fetchall()
    combined = ctx.scope.view("records_with_rescued")
    con.execute(
        f"""CREATE TEMP VIEW {quote_ident(combined)} AS
        SELECT * FROM {quote_ident(records.records)}
        UNION ALL BY NAME SELECT * FROM {quote_ident(rescued)}"""
    ).fetchall()
    shown = ", ".join(map(str, rows[:10])) + (
        f" and {len(rows) - 10} more" if len(rows) > 10 else ""
    )
    note = (
        f"{'Rows' if len(rows) > 1 else 'Row'} {shown} lack{'' if len(rows) > 1 else 's'} the "
        "trailing comma the exporter writes on every line; loaded, since only the always-empty "
        "last column is missing."
    )
    return dataclasses.replace(records, records=combined), [note]


def read_survey_rows(
    con: duckdb.DuckDBPyConnection,
    ctx: ReadContext,
    records: CsvRecords,
    head: CsvHead,
    layout: SurveyLayout,
    notes: list[str],
) -> ReadResult:
    """Rows, quarantine and read count of a survey file whose records are loaded."""
    first = layout.header_rows
    id_index = layout.roles["response_id"]
    id_column = layout.ids[id_index]
    has_id = f"nullif(trim(c{id_index}), '') IS NOT NULL"
    missing_id = (
        f"The response has no {id_column}, so it cannot be told apart from other responses. "
        f"Export the responses again from {layout.tool} (every recorded response has an id) or "
        "delete this row, then deliver the file again."
    )
    checks = [(f"NOT ({has_id})", id_column, missing_id), *layout.unusable]
    usable = " AND ".join(f"NOT coalesce({condition}, false)" for condition, _, _ in checks)
    table = quote_ident(records.records)

    rows = ctx.scope.view("rows")
    con.execute(
        f"""CREATE TEMP VIEW {quote_ident(rows)} AS
        SELECT _source_row, {survey_select_list(layout)}
        FROM {table}
        WHERE _source_row > {first} AND {usable}"""
    ).fetchall()

    # A record goes to quarantine once, with the first check it fails.
    reason_case = "CASE " + " ".join(
        f"WHEN coalesce({condition}, false) THEN [{_literal_or_null(column)}, {sql_literal(why)}]"
        for condition, column, why in checks
    )
    quarantine = ctx.scope.table("quarantine")
    con.execute(
        f"""CREATE TEMP TABLE {quote_ident(quarantine)} AS
        SELECT source_row, why[1] AS column_name, why[2] AS reason, record
        FROM (
            SELECT _source_row AS source_row, {reason_case} END AS why,
                   {record_text_sql(len(head.header), head.delimiter)} AS record
            FROM {table}
            WHERE _source_row > {first} AND NOT ({usable})
        )
        UNION ALL
        SELECT source_row, column_name, reason, record
        FROM {quote_ident(records.rejects)}
        WHERE source_row > {first}"""
    ).fetchall()
    rows_read = con.execute(
        f"""SELECT
            (SELECT count(*) FROM {table} WHERE _source_row > {first})
          + (SELECT count(*) FROM {quote_ident(records.rejects)} WHERE source_row > {first})"""
    ).fetchall()[0][0]
    return ReadResult(
        rows=rows,
        columns=list(SURVEY_RESPONSE_COLUMNS),
        quarantine=quarantine,
        rows_read=int(rows_read),
        notes=notes,
    )
